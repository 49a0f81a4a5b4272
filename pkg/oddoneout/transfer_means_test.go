package oddoneout

import (
	"bytes"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/coarsealign/coarsealign/pkg/rdm"
	"github.com/coarsealign/coarsealign/pkg/rsa"
)

// With a one-value grid FitCV is Fit with that penalty (the inner CV is skipped); with a grid
// the chosen lambda is one of it, and the same seed gives the same W.
func TestFitCV(t *testing.T) {
	x, trip := distorted(t, 4, 40, 5, 1500)
	opt := ProbeOptions{Seed: 1, Steps: 100, LR: 0.05}
	a, err := Fit(x, trip, ProbeOptions{Seed: 1, Steps: 100, LR: 0.05, Lambda: 1e-2})
	if err != nil {
		t.Fatal(err)
	}
	one := opt
	one.Lambdas = []float64{1e-2}
	b, err := FitCV(x, trip, one)
	if err != nil {
		t.Fatal(err)
	}
	if !mat.Equal(a.W, b.W) || b.Lambda != 1e-2 {
		t.Errorf("FitCV with one lambda differs from Fit (lambda %v)", b.Lambda)
	}
	grid := opt
	grid.Lambdas = []float64{1, 1e-2, 1e-4}
	c, err := FitCV(x, trip, grid)
	if err != nil {
		t.Fatal(err)
	}
	if c.Lambda != 1 && c.Lambda != 1e-2 && c.Lambda != 1e-4 {
		t.Errorf("chosen lambda %v not in the grid", c.Lambda)
	}
	d, _ := FitCV(x, trip, grid)
	if !mat.Equal(c.W, d.W) {
		t.Error("same seed, different W")
	}
	// The planted distortion is recovered: on these stimuli the probed dot products
	// agree with the triplets better than the raw ones.
	if acc, raw := mean1(Credits(SimilarityMatrix(c.Transform(x), Dot), trip, TiesWrong)), mean1(Credits(SimilarityMatrix(x, Dot), trip, TiesWrong)); !(acc > raw+0.1) {
		t.Errorf("probed accuracy %.3f, raw %.3f", acc, raw)
	}
	if _, err := FitCV(x, nil, grid); err == nil {
		t.Error("no triplets: no error")
	}
}

// meansCase: G group centres (the truth) in d dimensions, items = centre + noise; the target
// RDM of a resample is the correlation RDM of the truth (it does not depend on the items).
func meansCase(t *testing.T) (x *mat.Dense, group []int, target func([]int) (*rdm.RDM, error), truth *mat.Dense) {
	t.Helper()
	const g, per, d = 8, 30, 6
	rng := rand.New(rand.NewPCG(5, 5))
	truth = randn(rng, g, d, 1)
	x = mat.NewDense(g*per, d, nil)
	for k := 0; k < g; k++ {
		for q := 0; q < per; q++ {
			group = append(group, k)
			for j := 0; j < d; j++ {
				x.Set(k*per+q, j, truth.At(k, j)+0.5*rng.NormFloat64())
			}
		}
	}
	tgt, err := rsa.RDMFromPatterns("truth", truth, rsa.Correlation, nil)
	if err != nil {
		t.Fatal(err)
	}
	return x, group, func([]int) (*rdm.RDM, error) { return tgt, nil }, truth
}

// TransferMeans on group means: Raw is the RSA of the group means computed directly; an
// identity probe has gain 0 on every resample; the item intervals contain the estimates.
func TestTransferMeans(t *testing.T) {
	x, group, target, _ := meansCase(t)
	_, d := x.Dims()
	id := mat.NewDense(d, d, nil)
	for i := 0; i < d; i++ {
		id.Set(i, i, 1)
	}
	m := &Model{W: id, Mean: make([]float64, d), Scale: slicesOf(d, 2)}
	res, err := TransferMeans(m, x, group, target, TransferOptions{Draws: 200, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	// Direct: the means of each group's 30 rows, their correlation RDM, Spearman with the truth's.
	means := mat.NewDense(8, d, nil)
	for i, k := range group {
		for j := 0; j < d; j++ {
			means.Set(k, j, means.At(k, j)+x.At(i, j)/30)
		}
	}
	mr, _ := rsa.RDMFromPatterns("m", means, rsa.Correlation, nil)
	tg, _ := target(nil)
	want, _ := rsa.Compare(mr, tg, rsa.Spearman)
	if math.Abs(res.Raw-want) > 1e-12 || res.Gain != 0 || res.GainLow != 0 || res.GainHigh != 0 {
		t.Errorf("raw %v (direct %v), gain %v [%v, %v]", res.Raw, want, res.Gain, res.GainLow, res.GainHigh)
	}
	if !(res.RawLow <= res.Raw && res.Raw <= res.RawHigh && res.RawLow < res.RawHigh) || res.Items != 240 || res.N != 8 || res.ItemDraws != 200 {
		t.Errorf("raw %v [%v, %v], items %d, stimuli %d, draws %d", res.Raw, res.RawLow, res.RawHigh, res.Items, res.N, res.ItemDraws)
	}
	// Noisier items give a wider interval over items (5x the noise on the same centres).
	noisy := mat.DenseCopyOf(x)
	rng := rand.New(rand.NewPCG(7, 7))
	for i := 0; i < 240; i++ {
		for j := 0; j < d; j++ {
			noisy.Set(i, j, noisy.At(i, j)+2*rng.NormFloat64())
		}
	}
	rn, err := TransferMeans(m, noisy, group, target, TransferOptions{Draws: 200, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if !(rn.RawHigh-rn.RawLow > res.RawHigh-res.RawLow) {
		t.Errorf("interval with noise 2.06: [%v, %v]; with 0.5: [%v, %v]", rn.RawLow, rn.RawHigh, res.RawLow, res.RawHigh)
	}
	if _, err := TransferMeans(m, x, group[:10], target, TransferOptions{}); err == nil {
		t.Error("10 group labels for 240 items: no error")
	}
	bad := append([]int(nil), group...)
	for i := range bad {
		if bad[i] == 3 {
			bad[i] = 4
		}
	}
	if _, err := TransferMeans(m, x, bad, target, TransferOptions{}); err == nil || !strings.Contains(err.Error(), "group 3") {
		t.Errorf("empty group 3: %v", err)
	}
}

func slicesOf(n int, v float64) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = v
	}
	return s
}

// The CSV round-trips every field (NaN as an empty field) and a bad number names its column.
func TestTransferCSV(t *testing.T) {
	rows := []TransferRow{{RunID: "abc", LabelSource: "fine-net", K: "8", Seed: 2, Arch: "alexnet-bn", Width: 0.25, InputSize: 32,
		Layer: "fc7.post", PCs: 32, Source: "s", Triplets: 2000, Lambda: 0.01, Target: "cifar10h-classes", Items: 10000, Stimuli: 10,
		Raw: 0.5, Probed: 0.6, Gain: 0.1, RawLow: 0.4, RawHigh: 0.55, ProbedLow: 0.5, ProbedHigh: 0.7, GainLow: -0.05, GainHigh: 0.2,
		GainLowStimuli: math.NaN(), GainHighStimuli: 0.3, Draws: 1000}}
	var buf bytes.Buffer
	if err := WriteTransferCSV(&buf, rows); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "transfer.csv")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := ReadTransferCSV(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || !math.IsNaN(got[0].GainLowStimuli) {
		t.Fatalf("read %+v", got)
	}
	got[0].GainLowStimuli, rows[0].GainLowStimuli = 0, 0
	if got[0] != rows[0] {
		t.Errorf("read %+v, wrote %+v", got[0], rows[0])
	}
	if err := os.WriteFile(path, bytes.Replace(buf.Bytes(), []byte(",0.5,0.6,"), []byte(",x,0.6,"), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadTransferCSV(path); err == nil || !strings.Contains(err.Error(), "column raw") {
		t.Errorf("bad raw value: %v", err)
	}
}
