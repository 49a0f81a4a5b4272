package chronology

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/coarsealign/coarsealign/pkg/data/k92"
	"github.com/coarsealign/coarsealign/pkg/datadir"
	"github.com/coarsealign/coarsealign/pkg/eval"
	"github.com/coarsealign/coarsealign/pkg/metric"
	"github.com/coarsealign/coarsealign/pkg/rsa"
)

// A curve linear in log(1 + step) from 0 at step 0 to 1 at step S crosses 1/2 at
// log(1 + s) = log(1 + S)/2, i.e. s = sqrt(1 + S) - 1; linear interpolation on log(1 + step) is
// exact for it wherever the checkpoints lie.
func TestHalfLifeLogLinear(t *testing.T) {
	steps := []int{0, 1, 2, 4, 8, 16, 32, 64, 128, 255}
	y := make([]float64, len(steps))
	for i, s := range steps {
		y[i] = 0.2 + 0.5*math.Log1p(float64(s))/math.Log1p(255)
	}
	if got, want := HalfLife(steps, y, true), math.Sqrt(256)-1; math.Abs(got-want) > 1e-9 {
		t.Errorf("half-life %v, want %v", got, want)
	}
	neg := make([]float64, len(y))
	for i, v := range y {
		neg[i] = -v
	}
	if got := HalfLife(steps, neg, false); math.Abs(got-15) > 1e-9 {
		t.Errorf("lower-is-better half-life %v, want 15", got)
	}
}

// A saturating curve y = 1 - exp(-s/tau) measured densely reaches half of its gain at
// s = tau ln 2 (when the final step is far past tau); the log-step interpolation is then within
// a step of it.
func TestHalfLifeExponential(t *testing.T) {
	for _, tau := range []float64{3, 40, 300} {
		var steps []int
		var y []float64
		for s := 0; s <= int(30*tau); s++ {
			steps = append(steps, s)
			y = append(y, 1-math.Exp(-float64(s)/tau))
		}
		if got, want := HalfLife(steps, y, true), tau*math.Ln2; math.Abs(got-want) > 1 {
			t.Errorf("tau %v: half-life %v, want %v", tau, got, want)
		}
	}
	if h := HalfLife([]int{0, 1, 2}, []float64{0.5, 0.4, 0.3}, true); !math.IsNaN(h) {
		t.Errorf("no gain: half-life %v, want NaN", h)
	}
	// Non-monotone: the first crossing counts (threshold 0.5 crossed between steps 1 and 2).
	if h := HalfLife([]int{0, 1, 3, 7}, []float64{0, 0.2, 0.8, 1}, true); math.Abs(h-math.Expm1(math.Log(2)+0.5*(math.Log(4)-math.Log(2)))) > 1e-9 {
		t.Errorf("first crossing: %v", h)
	}
}

// synthetic returns features whose correlation RDM moves from noise (weight 0 on the target's
// pattern) at step 0 to the target's pattern at the last step, with a half-life set per target:
// layer l of step s mixes a base pattern p_t with noise by w = s/(s + h_t).
func synthetic(t *testing.T, steps []int, halves []float64) ([][]eval.Features, []Target) {
	t.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	n, d := 40, 30
	var targets []Target
	bases := make([][]float64, len(halves))
	noise := make([]float64, n*d)
	for i := range noise {
		noise[i] = rng.NormFloat64()
	}
	for k := range halves {
		bases[k] = make([]float64, n*d)
		for i := range bases[k] {
			bases[k][i] = rng.NormFloat64()
		}
		r, err := rsa.RDMFromPatternSlice("t", bases[k], n, d, rsa.Correlation, nil)
		if err != nil {
			t.Fatal(err)
		}
		targets = append(targets, Target{Name: "t" + string(rune('A'+k)), Level: k + 1, RDM: r})
	}
	feats := make([][]eval.Features, len(steps))
	for s, st := range steps {
		for k, h := range halves {
			w := float64(st) / (float64(st) + h)
			x := make([]float64, n*d)
			for i := range x {
				x[i] = w*bases[k][i] + (1-w)*noise[i]
			}
			feats[s] = append(feats[s], eval.Features{Layer: "l" + string(rune('0'+k)), X: x, N: n, D: d})
		}
	}
	return feats, targets
}

func TestAnalyzeSyntheticOrder(t *testing.T) {
	steps := []int{0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024}
	halves := []float64{2, 20, 200}
	feats, targets := synthetic(t, steps, halves)
	m, err := metric.Lookup("spearman")
	if err != nil {
		t.Fatal(err)
	}
	c, err := Score(steps, feats, targets, m, 30, 7)
	if err != nil {
		t.Fatal(err)
	}
	res := c.Analyze()
	prev := 0.0
	for k, tc := range res {
		h := tc.HalfLife
		if !(h.Value > prev) || !(h.Low <= h.Value && h.Value <= h.High) || h.Defined != 1 {
			t.Errorf("target %d: half-life %+v after %v", k, h, prev)
		}
		prev = h.Value
		// The layer built for target k matches it best at the end, and its depth is k/2.
		if d := tc.Depth[len(steps)-1].Value; d != float64(k)/2 {
			t.Errorf("target %d: final best depth %v, want %v", k, d, float64(k)/2)
		}
	}
	if tr := c.LevelTrend(); math.Abs(tr.Value-1) > 1e-12 || !(tr.Low > 0) {
		t.Errorf("level trend %+v, want 1 with a positive CI", tr)
	}
	p, err := Pool([]*Curves{c, c})
	if err != nil || p.Full[1][1][3] != c.Full[1][1][3] {
		t.Fatalf("pool of identical curves: %v", err)
	}
}

// TestModelRDMs reads the V1, HMAX and Silhouette models of 92_modelRDMs.mat (rsatoolbox's
// demos/92imageData; the shared data README lists 8 models): 92 x 92, zero diagonal, not equal
// to one another.
func TestModelRDMs(t *testing.T) {
	dir := datadir.ForTest(t)
	ms, err := LoadModelRDMs(dir, ImageModels)
	if err != nil {
		datadir.SkipOrFail(t, "92_modelRDMs.mat not available: %v", err)
	}
	for i, m := range ms {
		if m.N != k92.NumImages || m.Name != ModelTargetPrefix+ImageModels[i] {
			t.Errorf("model %d: %s with %d stimuli", i, m.Name, m.N)
		}
	}
	if r, err := rsa.Compare(ms[0], ms[1], rsa.Spearman); err != nil || !(r < 0.99) {
		t.Errorf("V1 vs HMAX %v %v", r, err)
	}
	if _, err := LoadModelRDMs(dir, []string{"nope"}); err == nil {
		t.Error("a missing model gave no error")
	}
	set, err := k92.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	ts, err := Targets(dir, set)
	if err != nil || len(ts) != 6 || ts[5].Level != LevelBehav || TargetLevel(ts[0].Name) != LevelImage {
		t.Fatalf("targets %v %v", ts, err)
	}
}
