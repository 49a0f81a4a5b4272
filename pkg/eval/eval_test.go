package eval

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/coarsealign/coarsealign/pkg/data/k92"
	"github.com/coarsealign/coarsealign/pkg/datadir"
	"github.com/coarsealign/coarsealign/pkg/metric"
	"github.com/coarsealign/coarsealign/pkg/rdm"
	"github.com/coarsealign/coarsealign/pkg/rsa"
)

// synthetic builds n stimuli with latent patterns P (n x 8, rows centred so that
// cosine equals Pearson); targets are correlation RDMs of noisy copies of P.
// Layers: "random", "noisy" (P + noise), "exact" (P).
func synthetic(seed uint64, n int) ([]Features, *Data) {
	rng := rand.New(rand.NewPCG(seed, 1))
	d := 8
	p := make([]float64, n*d)
	for i := range p {
		p[i] = rng.NormFloat64()
	}
	centreRows(p, n, d)
	noisy := func(sd float64) []float64 {
		x := make([]float64, len(p))
		for i := range x {
			x[i] = p[i] + sd*rng.NormFloat64()
		}
		return x
	}
	rdmOf := func(name string, x []float64) *rdm.RDM {
		r, err := rsa.RDMFromPatternSlice(name, x, n, d, rsa.Correlation, nil)
		if err != nil {
			panic(err)
		}
		return r
	}
	var subj, beh []*rdm.RDM
	for s := 0; s < 3; s++ {
		subj = append(subj, rdmOf("s", noisy(0.6)))
	}
	for s := 0; s < 4; s++ {
		beh = append(beh, rdmOf("b", noisy(0.3)))
	}
	rnd := make([]float64, n*20)
	for i := range rnd {
		rnd[i] = rng.NormFloat64()
	}
	layers := []Features{
		{Layer: "random", X: rnd, N: n, D: 20},
		{Layer: "noisy", X: noisy(1.0), N: n, D: d},
		{Layer: "exact", X: p, N: n, D: d},
	}
	data := &Data{
		Targets: []Target{{Name: "single", RDM: rdmOf("single", noisy(0.4))}},
		Groups: []Group{
			{Name: "brain", Subjects: subj},
			{Name: "behav", Subjects: beh, Mean: rdmOf("behav-mean", p), OddOneOut: true},
		},
	}
	return layers, data
}

func centreRows(x []float64, n, d int) {
	for i := 0; i < n; i++ {
		row := x[i*d : (i+1)*d]
		m := 0.0
		for _, v := range row {
			m += v
		}
		m /= float64(d)
		for j := range row {
			row[j] -= m
		}
	}
}

func TestSyntheticExactLayerWins(t *testing.T) {
	layers, data := synthetic(1, 40)
	opt := Options{Draws: 50, Splits: 20, Seed: 7, MaxTriplets: 3000}
	rows, err := Evaluate(layers, data, opt)
	if err != nil {
		t.Fatal(err)
	}
	targets := []string{"single", "brain-mean", "brain/1", "brain-subjects", "behav-mean", "behav/2", "behav-subjects"}
	for _, tg := range targets {
		for _, m := range []string{"spearman", "tau-a"} {
			prof := Find(rows, "", tg, m, false)
			if len(prof) != 3 {
				t.Fatalf("%s %s: %d profile rows, want 3", tg, m, len(prof))
			}
			if !(prof[2].Value > prof[1].Value && prof[1].Value > prof[0].Value) {
				t.Errorf("%s %s: random %.3f, noisy %.3f, exact %.3f; want increasing", tg, m, prof[0].Value, prof[1].Value, prof[2].Value)
			}
			for _, r := range prof {
				if !(r.CILow <= r.Value+0.05 && r.Value-0.05 <= r.CIHigh) || math.IsNaN(r.CILow) {
					t.Errorf("%s %s %s: value %.3f outside CI [%.3f, %.3f]", tg, m, r.Layer, r.Value, r.CILow, r.CIHigh)
				}
			}
			sel := Find(rows, "", tg, m, true)
			if len(sel) != 1 || sel[0].Layer != "exact" || sel[0].Note != "chosen in 20/20 splits" {
				t.Errorf("%s %s: selected %+v", tg, m, sel)
			}
		}
	}
	// Ceilings are present for group rows and absent for single targets.
	if r := Find(rows, "exact", "brain-subjects", "spearman", false)[0]; math.IsNaN(r.CeilLow) || !(r.CeilLow <= r.CeilHigh) {
		t.Errorf("brain-subjects ceiling [%g, %g]", r.CeilLow, r.CeilHigh)
	}
	if r := Find(rows, "", "brain/2", "tau-a", true)[0]; math.IsNaN(r.CeilLow) || !(r.CeilLow <= r.CeilHigh) {
		t.Errorf("selected brain/2 half-split ceiling [%g, %g]", r.CeilLow, r.CeilHigh)
	}
	if r := Find(rows, "exact", "single", "spearman", false)[0]; !math.IsNaN(r.CeilLow) {
		t.Errorf("single target has a ceiling %g", r.CeilLow)
	}
	// The behavioural mean RDM is the exact layer's correlation RDM and the rows are centred,
	// so cosine similarity reproduces every implied triplet.
	ooo := Find(rows, "exact", "oddoneout-behav-mean", "accuracy", false)
	if len(ooo) != 1 || ooo[0].Value != 1 {
		t.Errorf("odd-one-out of the generating layer: %+v", ooo)
	}
	if r := Find(rows, "random", "oddoneout-behav-mean", "accuracy", false)[0]; math.Abs(r.Value-1.0/3) > 0.05 {
		t.Errorf("random layer odd-one-out accuracy %.3f, want ~1/3", r.Value)
	}
	// Full-set values equal rsa.Compare.
	exact, _ := rsa.RDMFromPatternSlice("exact", layers[2].X, 40, 8, rsa.Correlation, nil)
	want, _ := rsa.Compare(exact, data.Targets[0].RDM, rsa.TauA)
	if got := Find(rows, "exact", "single", "tau-a", false)[0].Value; math.Abs(got-want) > 1e-12 {
		t.Errorf("tau-a %.15f, rsa.Compare %.15f", got, want)
	}
	// Profile intervals equal rsa.SubsampleStimuli with the same seed and draws: the
	// subsample index sets are drawn the same way, so the fast paths must agree exactly.
	for _, m := range []rsa.Method{rsa.Spearman, rsa.TauA} {
		br, err := rsa.SubsampleStimuli(exact, data.Targets[0].RDM, m, rsa.BootOptions{Draws: opt.Draws, Seed: opt.Seed})
		if err != nil {
			t.Fatal(err)
		}
		r := Find(rows, "exact", "single", m.String(), false)[0]
		if math.Abs(r.CILow-br.Low) > 1e-12 || math.Abs(r.CIHigh-br.High) > 1e-12 || math.Abs(r.SD-br.SD) > 1e-12 {
			t.Errorf("%v: interval [%.15f, %.15f] sd %.15f, rsa.SubsampleStimuli [%.15f, %.15f] sd %.15f",
				m, r.CILow, r.CIHigh, r.SD, br.Low, br.High, br.SD)
		}
	}
	// Determinism (also across worker counts).
	opt.Workers = 1
	again, err := Evaluate(layers, data, opt)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(again) != fmt.Sprint(rows) {
		t.Error("same seed, different rows")
	}
	var buf bytes.Buffer
	if err := WriteCSV(&buf, rows); err != nil {
		t.Fatal(err)
	}
	if lines := strings.Count(buf.String(), "\n"); lines != len(rows)+1 {
		t.Errorf("CSV has %d lines for %d rows", lines, len(rows))
	}
}

func TestErrors(t *testing.T) {
	layers, data := synthetic(2, 20)
	bad := append([]Features(nil), layers...)
	bad[1] = Features{Layer: "short", X: make([]float64, 19*8), N: 19, D: 8}
	if _, err := Evaluate(bad, data, Quick()); err == nil || !strings.Contains(err.Error(), "short") {
		t.Errorf("wrong N: %v", err)
	}
	bad[1] = Features{Layer: "const", X: make([]float64, 20*8), N: 20, D: 8}
	if _, err := Evaluate(bad, data, Quick()); err == nil || !strings.Contains(err.Error(), "const") {
		t.Errorf("constant patterns: %v", err)
	}
	enc, _ := metric.Lookup("encoding")
	if _, err := Evaluate(layers, data, Options{Metrics: []metric.Metric{enc}}); err == nil || !strings.Contains(err.Error(), "encoding") {
		t.Errorf("metric without a target it applies to: %v", err)
	}
	sp, _ := metric.Lookup("spearman")
	if _, err := Evaluate(layers, data, Options{Metrics: []metric.Metric{sp, sp}}); err == nil || !strings.Contains(err.Error(), "twice") {
		t.Errorf("metric listed twice: %v", err)
	}
	if _, err := Evaluate(layers, &Data{Targets: []Target{{Name: "ragged", Responses: make([]float64, 7), Units: 2}}}, Quick()); err == nil || !strings.Contains(err.Error(), "ragged") {
		t.Errorf("ragged responses: %v", err)
	}
	nan := *data.Targets[0].RDM
	nan.Vec = append([]float64(nil), nan.Vec...)
	nan.Vec[3] = math.NaN()
	d2 := &Data{Targets: []Target{{Name: "holey", RDM: &nan}}}
	if _, err := Evaluate(layers, d2, Quick()); err == nil || !strings.Contains(err.Error(), "holey") {
		t.Errorf("NaN target: %v", err)
	}
	if _, err := Evaluate(append(layers, layers[0]), data, Quick()); err == nil {
		t.Error("duplicate layer: no error")
	}
}

// Real data: a pixel layer and a category-vector layer against the 92-image targets.
func TestK92Smoke(t *testing.T) {
	set, err := k92.Load(datadir.ForTest(t))
	if err != nil {
		datadir.SkipOrFail(t, "92-image data not available: %v", err)
	}
	layers := k92Layers(set)
	start := time.Now()
	rows, err := Evaluate(layers, K92Data(set), Quick())
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("quick evaluation of %d layers: %d rows in %v", len(layers), len(rows), time.Since(start))
	for _, tg := range []string{"mIT", "hIT-mean", "hIT/4", "hIT-subjects", "behav-mean", "behav/16", "behav-subjects"} {
		if len(Find(rows, "", tg, "spearman", false)) != len(layers) {
			t.Errorf("no profile rows for %s", tg)
		}
	}
	// Category membership (animate/inanimate, faces, bodies...) is the dominant structure of
	// IT and of the similarity judgements (Kriegeskorte et al. 2008; Mur et al. 2013):
	// the category layer must correlate positively and beat raw pixels on mIT.
	cat := Find(rows, "category", "mIT", "spearman", false)[0]
	pix := Find(rows, "pixels", "mIT", "spearman", false)[0]
	t.Logf("mIT spearman: category %.3f [%.3f, %.3f], pixels %.3f", cat.Value, cat.CILow, cat.CIHigh, pix.Value)
	if !(cat.Value > 0.1 && cat.Value > pix.Value) {
		t.Errorf("mIT spearman: category %.3f, pixels %.3f", cat.Value, pix.Value)
	}
	hc := Find(rows, "category", "hIT-subjects", "spearman", false)[0]
	if !(hc.CeilLow > 0 && hc.CeilHigh > hc.CeilLow) {
		t.Errorf("hIT ceiling [%g, %g]", hc.CeilLow, hc.CeilHigh)
	}
	bo := Find(rows, "category", "oddoneout-behav-mean", "accuracy", false)[0]
	t.Logf("hIT-subjects ceiling [%.3f, %.3f]; behav-mean odd-one-out accuracy of category layer %.3f (n=%d)", hc.CeilLow, hc.CeilHigh, bo.Value, bo.N)
	if !(bo.Value > 0.4) {
		t.Errorf("category odd-one-out accuracy %.3f, want above chance 1/3", bo.Value)
	}
}

// k92Layers: "pixels" (images averaged into 7x7 blocks, 25x25x3 = 1875 values) and
// "category" (the 12 category flags plus a deterministic jitter so no row is constant).
func k92Layers(set *k92.Set) []Features {
	n := k92.NumImages
	const b, side = 7, k92.ImageSize / 7
	pix := make([]float64, n*side*side*3)
	for i := 0; i < n; i++ {
		px := set.Pixels[i]
		for y := 0; y < k92.ImageSize/b*b; y++ {
			for x := 0; x < k92.ImageSize/b*b; x++ {
				for c := 0; c < 3; c++ {
					pix[i*side*side*3+((y/b)*side+x/b)*3+c] += float64(px[(y*k92.ImageSize+x)*3+c]) / (b * b)
				}
			}
		}
	}
	cat := make([]float64, n*k92.NumCategories)
	for i := 0; i < n; i++ {
		for k := 0; k < k92.NumCategories; k++ {
			v := 0.01 * math.Sin(float64(i*k92.NumCategories+k))
			if set.CategoryVectors[i][k] {
				v++
			}
			cat[i*k92.NumCategories+k] = v
		}
	}
	return []Features{
		{Layer: "pixels", X: pix, N: n, D: side * side * 3},
		{Layer: "category", X: cat, N: n, D: k92.NumCategories},
	}
}

// Timing of the full default evaluation (1000 subsamples, 100 splits, all triplets) for
// 14 layers on the 92-image targets; not run with -short.
func TestK92FullTiming(t *testing.T) {
	if testing.Short() {
		t.Skip("long")
	}
	set, err := k92.Load(datadir.ForTest(t))
	if err != nil {
		datadir.SkipOrFail(t, "92-image data not available: %v", err)
	}
	base := k92Layers(set)
	rng := rand.New(rand.NewPCG(5, 5))
	var layers []Features
	for l := 0; l < 14; l++ {
		src := base[l%2]
		x := make([]float64, len(src.X))
		for i := range x {
			x[i] = src.X[i] + 0.3*float64(l)*rng.NormFloat64()
		}
		layers = append(layers, Features{Layer: fmt.Sprintf("layer%02d", l), X: x, N: src.N, D: src.D})
	}
	start := time.Now()
	rows, err := Evaluate(layers, K92Data(set), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("default evaluation of 14 layers: %d rows in %v", len(rows), time.Since(start))
}

func ExampleEvaluate() {
	layers, data := synthetic(3, 30)
	rows, _ := Evaluate(layers, data, Options{Draws: 20, Splits: 10, MaxTriplets: 500, Seed: 1})
	for _, r := range Find(rows, "", "brain-subjects", "spearman", true) {
		fmt.Println(r.Layer, r.Note)
	}
	// Output: exact chosen in 10/10 splits
}
