package study

import (
	"context"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/coarsealign/coarsealign/pkg/cifar10h"
	"github.com/coarsealign/coarsealign/pkg/data/k92"
	"github.com/coarsealign/coarsealign/pkg/datadir"
	"github.com/coarsealign/coarsealign/pkg/features"
	"github.com/coarsealign/coarsealign/pkg/oddoneout"
	"github.com/coarsealign/coarsealign/pkg/rsa"
	"github.com/coarsealign/coarsealign/pkg/sweep"
	"github.com/coarsealign/coarsealign/pkg/train"
)

// transferData skips (or fails in CI) without the real data the transfer test reads: the
// 92-image set (Kriegeskorte et al. 2008, rsatoolbox's demos/92imageData), CIFAR-10H (Peterson
// et al. 2019, jcpeterson/cifar-10h) and the CIFAR-10 test JPEGs.
func transferData(t *testing.T) string {
	t.Helper()
	dir := datadir.ForTest(t)
	for _, p := range []string{"kriegeskorte92", "cifar10h", "cifar10-jpg/test"} {
		if _, err := os.Stat(filepath.Join(dir, p)); err != nil {
			datadir.SkipOrFail(t, "no %s in %s", p, dir)
		}
	}
	return dir
}

// untrainedRun writes the run folder of an untrained 1/16-width AlexNet-BN (32 x 32, 10
// outputs, seed 1) and opens it. The normalisation is the usual CIFAR-10 training-set channel
// mean and standard deviation (0.4914, 0.4822, 0.4465; 0.2470, 0.2435, 0.2616).
func untrainedRun(t *testing.T) *train.Run {
	t.Helper()
	spec, err := ModelSpec(sweep.Arch{Name: "alexnet-bn", Width: 0.0625, InputSize: 32}, 10)
	if err != nil {
		t.Fatal(err)
	}
	cfg := train.Config{Model: spec, Recipe: train.DefaultRecipe(), Seed: 1, BatchSize: 32, Epochs: 1,
		Norm: train.Normalization{Mean: []float64{0.4914, 0.4822, 0.4465}, Std: []float64{0.2470, 0.2435, 0.2616}}}
	dir := t.TempDir()
	if err := train.SaveConfig(cfg, filepath.Join(dir, train.ConfigFile)); err != nil {
		t.Fatal(err)
	}
	run, err := openRun(dir, true)
	if err != nil {
		t.Fatal(err)
	}
	return run
}

// The human class structure of CIFAR-10H: a symmetric 10 x 10 RDM in [0, 1] whose most
// similar pair is cat-dog and in which automobile is closest to truck, the confusions
// Peterson et al. (2019, Fig. 3) single out; it needs every class among the images.
func TestCIFAR10HClassRDM(t *testing.T) {
	dir := transferData(t)
	set, err := cifar10h.Load(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	r, err := CIFAR10HClassRDM(set, FirstPerClass(set, 0))
	if err != nil {
		t.Fatal(err)
	}
	cls := func(name string) int {
		for i, c := range cifar10h.ClassNames {
			if c == name {
				return i
			}
		}
		t.Fatalf("no class %s", name)
		return -1
	}
	best, bi, bj := math.Inf(1), 0, 0
	for i := 0; i < 10; i++ {
		for j := i + 1; j < 10; j++ {
			if v := r.At(i, j); v < best {
				best, bi, bj = v, i, j
			}
			if v := r.At(i, j); !(v >= 0 && v <= 1) {
				t.Errorf("d(%d,%d) = %v", i, j, v)
			}
		}
	}
	if bi != cls("cat") || bj != cls("dog") {
		t.Errorf("most similar pair %s-%s (%v), want cat-dog", cifar10h.ClassNames[bi], cifar10h.ClassNames[bj], best)
	}
	auto, near := cls("automobile"), -1
	for c := 0; c < 10; c++ {
		if c != auto && (near < 0 || r.At(auto, c) < r.At(auto, near)) {
			near = c
		}
	}
	if near != cls("truck") {
		t.Errorf("automobile's nearest class is %s", cifar10h.ClassNames[near])
	}
	if n := len(FirstPerClass(set, 5)); n != 50 {
		t.Errorf("first 5 per class: %d images", n)
	}
	if _, err := CIFAR10HClassRDM(set, []int{0, 1, 2}); err == nil || !strings.Contains(err.Error(), "no image of class") {
		t.Errorf("3 images: %v", err)
	}
}

// The pipeline on real data with an untrained network: the raw RSA equals a recomputation
// from the network's activations (92-image PCA applied to 20 test images per class, class
// means, correlation RDM, Spearman with the human class RDM); a probe that cannot move (W held
// at the identity by a huge penalty towards it) leaves the RSA as it was; the same seed gives
// the same row.
func TestTransferModelRealData(t *testing.T) {
	dir := transferData(t)
	run := untrainedRun(t)
	ctx := context.Background()
	o := TransferOptions{PerClass: 20, Draws: 100, Seed: 3, ImagesPerClass: 5, ImageDraws: 50}
	got, err := TransferModel(ctx, run, dir, "", o)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[1].Target != TransferTargetImages || got[1].Items != 50 || got[1].Stimuli != 50 || got[1].Draws != 50 {
		t.Fatalf("rows %+v", got)
	}
	row := got[0]
	t.Logf("untrained: %+v", row)
	if row.Layer != "fc7.post" || row.Items != 200 || row.Stimuli != 10 || row.PCs != 32 || row.Triplets != 2000 || row.Draws != 100 {
		t.Errorf("row %+v", row)
	}
	if !(row.GainLow <= row.GainHigh && row.RawLow <= row.RawHigh && math.Abs(row.Gain-(row.Probed-row.Raw)) < 1e-12) {
		t.Errorf("intervals/gain: %+v", row)
	}
	// Direct recomputation of the raw RSA.
	set92, err := loadK92(dir)
	if err != nil {
		t.Fatal(err)
	}
	b, err := newBackend()
	if err != nil {
		t.Fatal(err)
	}
	layers, err := features.ExtractRun(b, run, set92.Pixels, k92.ImageSize, k92.ImageSize)
	if err != nil {
		t.Fatal(err)
	}
	var x92 *mat.Dense
	for _, l := range layers {
		if l.Name == "fc7.post" {
			x92 = mat.NewDense(l.Rows, l.Cols, l.Float64())
		}
	}
	_, pca := fitPCs(x92, 32)
	set, test, order, err := cifar10hData(dir, 32, "")
	if err != nil {
		t.Fatal(err)
	}
	official := FirstPerClass(set, 20)
	imgs := make([]int, len(official))
	for k, i := range official {
		imgs[k] = order[i]
	}
	act, err := embedLayers(ctx, run, test, imgs, []string{"fc7.post"})
	if err != nil {
		t.Fatal(err)
	}
	z := pca.apply(act[0])
	means := mat.NewDense(10, 32, nil)
	for k, i := range official {
		for j := 0; j < 32; j++ {
			means.Set(set.Labels[i], j, means.At(set.Labels[i], j)+z.At(k, j)/20)
		}
	}
	mr, err := rsa.RDMFromPatterns("means", means, rsa.Correlation, nil)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := CIFAR10HClassRDM(set, official)
	if err != nil {
		t.Fatal(err)
	}
	want, err := rsa.Compare(mr, tr, rsa.Spearman)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(row.Raw-want) > 1e-9 {
		t.Errorf("raw RSA %v, recomputed %v", row.Raw, want)
	}
	// A probe held at its identity start.
	stuck := o
	stuck.Probe = &oddoneout.ProbeOptions{Init: oddoneout.InitIdentity, ToIdentity: true, Penalty: oddoneout.PenaltySquared,
		Lambdas: []float64{1e6}, Steps: 20, LR: 1e-4}
	stuck.ImagesPerClass = 0
	still, err := TransferModel(ctx, run, dir, "", stuck)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(still[0].Raw-row.Raw) > 1e-12 || math.Abs(still[0].Gain) > 0.02 {
		t.Errorf("identity probe: raw %v (was %v), gain %v", still[0].Raw, row.Raw, still[0].Gain)
	}
	again, err := TransferModel(ctx, run, dir, "", o)
	if err != nil || len(again) != 2 || again[0] != row || again[1] != got[1] {
		t.Errorf("same seed: %+v, %v", again, err)
	}
	// The per-image raw RSA, recomputed: the first 5 of those 20 images per class, correlation
	// RDM of their projected activations against the cosine RDM of their human distributions.
	var sub, off []int
	count := map[int]int{}
	for k, i := range official {
		if count[set.Labels[i]] < 5 {
			count[set.Labels[i]]++
			sub, off = append(sub, k), append(off, i)
		}
	}
	xs := mat.NewDense(len(sub), 32, nil)
	for k, r := range sub {
		xs.SetRow(k, z.RawRowView(r))
	}
	ir, _ := rsa.RDMFromPatterns("x", xs, rsa.Correlation, nil)
	hr, _ := rsa.RDMFromPatterns("h", set.HumanProbs(off), rsa.CosineDist, nil)
	if w, _ := rsa.Compare(ir, hr, rsa.Spearman); math.Abs(got[1].Raw-w) > 1e-9 {
		t.Errorf("per-image raw RSA %v, recomputed %v", got[1].Raw, w)
	}
}

// Errors name what is missing: a layer the model does not have, the CIFAR-10H files.
func TestTransferModelErrors(t *testing.T) {
	dir := transferData(t)
	run := untrainedRun(t)
	ctx := context.Background()
	if _, err := TransferModel(ctx, run, dir, "", TransferOptions{Layer: "fc9.post", PerClass: 2, Draws: 10}); err == nil || !strings.Contains(err.Error(), `"fc9.post"`) {
		t.Errorf("unknown layer: %v", err)
	}
	// A data folder with the 92 images and the CIFAR-10 JPEGs but no cifar10h/.
	bare := t.TempDir()
	for _, p := range []string{"kriegeskorte92", "cifar10-jpg"} {
		if err := os.Symlink(filepath.Join(dir, p), filepath.Join(bare, p)); err != nil {
			t.Fatal(err)
		}
	}
	_, err := TransferModel(ctx, run, bare, "", TransferOptions{PerClass: 2, Draws: 10})
	if err == nil || !strings.Contains(err.Error(), cifar10h.CountsFile) && !strings.Contains(err.Error(), cifar10h.ProbsFile) {
		t.Errorf("no cifar10h/: %v", err)
	}
	cfg, err := sweep.Parse([]byte(tinyConfig))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := TransferRows(ctx, cfg, t.TempDir(), dir, TransferOptions{}); err == nil || !strings.Contains(err.Error(), "no done run") {
		t.Errorf("empty sweep folder: %v", err)
	}
}

// The PCA map applied to the rows it was fitted on gives topPCs' scores.
func TestPCAMapApply(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	x := mat.NewDense(20, 50, nil)
	for i := 0; i < 20; i++ {
		for j := 0; j < 50; j++ {
			x.Set(i, j, rng.NormFloat64()*float64(j%7+1)+float64(j))
		}
	}
	scores, p := fitPCs(x, 8)
	got := p.apply(x)
	if !mat.EqualApprox(scores, got, 1e-9) {
		t.Errorf("apply differs from the fitted scores")
	}
	if !mat.Equal(scores, topPCs(x, 8)) {
		t.Error("topPCs changed")
	}
}
