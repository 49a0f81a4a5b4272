package spatial

import (
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/coarsealign/coarsealign/pkg/cka"
	"github.com/coarsealign/coarsealign/pkg/eval"
	"github.com/coarsealign/coarsealign/pkg/scenes"
)

func TestFixedScene(t *testing.T) {
	c := scenes.DefaultConfig()
	f := FixedScene(c, TargetSet{Name: "xy", Latents: []string{"x", "y"}})
	if f.X != c.X || f.Y != c.Y || !f.Distance.Fixed() || !f.RotX.Fixed() || !f.LightAzimuth.Fixed() || len(f.Backgrounds) != 1 || !f.BgLevel.Fixed() {
		t.Errorf("%+v", f)
	}
	if math.Abs(f.Distance.Min-c.Distance.Mid()) > 0 {
		t.Errorf("distance fixed at %v, want the centre %v", f.Distance.Min, c.Distance.Mid())
	}
}

func TestColumnsAndStandardizer(t *testing.T) {
	cols := Columns([]string{Category, "x", "rot_x"})
	want := []string{"x", "sin(rot_x)", "cos(rot_x)"}
	if len(cols) != len(want) {
		t.Fatalf("columns %v", cols)
	}
	for i, c := range cols {
		if c.Name() != want[i] {
			t.Errorf("column %d %s, want %s", i, c.Name(), want[i])
		}
	}
	cfg := scenes.DefaultConfig()
	lat := make([]scenes.Latents, 200)
	for i := range lat {
		lat[i] = cfg.Sample(1, i, 0)
	}
	s, err := FitStandardizer(cols, lat)
	if err != nil {
		t.Fatal(err)
	}
	y := s.Target(lat)
	var m, v float64
	for i := range lat {
		m += float64(y[3*i])
	}
	m /= 200
	for i := range lat {
		v += sq(float64(y[3*i]) - m)
	}
	if math.Abs(m) > 1e-6 || math.Abs(v/200-1) > 1e-5 {
		t.Errorf("standardised x: mean %v, variance %v", m, v/200)
	}
	// sin^2 + cos^2 = 1: angle columns are not rescaled.
	for i := range lat {
		if d := sq(float64(y[3*i+1])) + sq(float64(y[3*i+2])) - 1; math.Abs(d) > 1e-6 {
			t.Fatalf("image %d: sin^2+cos^2-1 = %v", i, d)
		}
	}
	cfg.X = scenes.Range{Min: 0.1, Max: 0.1}
	for i := range lat {
		lat[i] = cfg.Sample(1, i, 0)
	}
	if _, err := FitStandardizer(cols, lat); err == nil {
		t.Error("fixed x accepted as a target")
	}
}

func TestConfigValidation(t *testing.T) {
	for name, edit := range map[string]func(*Config){
		"unknown latent": func(c *Config) { c.Targets[0].Latents = []string{"colour"} },
		"repeated name":  func(c *Config) { c.Targets[1].Name = c.Targets[0].Name },
		"fixed target":   func(c *Config) { c.Scene.Distance = scenes.Range{Min: 6, Max: 6} },
		"bad fix name":   func(c *Config) { c.FixNonTargets = []string{"nope"} },
		"bad weight":     func(c *Config) { c.Targets[0].Weights = map[string]float64{Category: -1} },
		"few probes":     func(c *Config) { c.ProbeImages = 5 },
	} {
		c := DefaultConfig()
		edit(&c)
		if err := c.Validate(); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if err := DefaultConfig().Validate(); err != nil {
		t.Error(err)
	}
}

// synthetic returns probe latents and two representations of them: "linear", a random linear
// map of every regression column and the category one-hot (plus small noise), and "noise".
func synthetic(n int) ([]scenes.Latents, []Rep) {
	cfg := scenes.DefaultConfig()
	lat := make([]scenes.Latents, n)
	for i := range lat {
		lat[i] = cfg.Sample(5, i, 0)
	}
	cols := Columns(RegressionLatents)
	k := cfg.NumCategories()
	r := rand.New(rand.NewPCG(1, 2))
	d := 40
	w := make([]float64, (len(cols)+k)*d)
	for i := range w {
		w[i] = r.NormFloat64()
	}
	lin := Layer{Name: "l1", Rows: n, Cols: d, Data: make([]float32, n*d)}
	noise := Layer{Name: "l1", Rows: n, Cols: d, Data: make([]float32, n*d)}
	for i := range lat {
		z := make([]float64, len(cols)+k)
		for j, c := range cols {
			z[j] = c.Raw(&lat[i])
		}
		z[len(cols)+lat[i].Category] = 1
		for u := range d {
			var s float64
			for j := range z {
				s += z[j] * w[j*d+u]
			}
			lin.Data[i*d+u] = float32(s + 0.01*r.NormFloat64())
			noise.Data[i*d+u] = float32(r.NormFloat64())
		}
	}
	return lat, []Rep{{Model: "linear", Layers: []Layer{lin}}, {Model: "noise", Layers: []Layer{noise}}}
}

// Latents that are a linear function of a layer decode with R^2 near 1 and the category near
// perfectly; from noise, R^2 is near or below 0 and the category at chance.
func TestDecode(t *testing.T) {
	lat, reps := synthetic(300)
	rows, err := Decode(reps, []string{"l1"}, lat, 10, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		switch {
		case r.Model == "linear" && r.Metric == "r2" && r.Value < 0.95:
			t.Errorf("%+v: want R^2 > 0.95", r)
		case r.Model == "linear" && r.Metric == "accuracy" && r.Value < 0.95:
			t.Errorf("%+v: want accuracy > 0.95", r)
		case r.Model == "noise" && r.Metric == "r2" && r.Value > 0.1:
			t.Errorf("%+v: want R^2 < 0.1", r)
		case r.Model == "noise" && r.Metric == "accuracy" && r.Value > 0.25:
			t.Errorf("%+v: want accuracy near chance 0.1", r)
		}
	}
	if len(rows) != 2*(len(RegressionLatents)+1) {
		t.Errorf("%d rows", len(rows))
	}
}

// Linear CKA is invariant to orthogonal transforms and isotropic scaling (Kornblith et al. 2019,
// section 3), so a rotated, scaled copy has CKA 1; the unbiased CKA of independent noise is near 0.
func TestCKAPairs(t *testing.T) {
	_, reps := synthetic(120)
	a := reps[0].Layers[0]
	// A rotation in the plane of units 0 and 1 and a scale of 3.
	b := Layer{Name: a.Name, Rows: a.Rows, Cols: a.Cols, Data: make([]float32, len(a.Data))}
	c, s := math.Cos(0.7), math.Sin(0.7)
	for i := range a.Rows {
		row, out := a.Data[i*a.Cols:(i+1)*a.Cols], b.Data[i*a.Cols:(i+1)*a.Cols]
		for u := range row {
			out[u] = 3 * row[u]
		}
		out[0] = float32(3 * (c*float64(row[0]) - s*float64(row[1])))
		out[1] = float32(3 * (s*float64(row[0]) + c*float64(row[1])))
	}
	in := []Rep{reps[0], {Model: "rotated", Layers: []Layer{b}}, reps[1]}
	rows, err := CKAPairs(in, []string{"l1"}, cka.Linear)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 {
		t.Fatalf("%d rows, want 3 pairs", len(rows))
	}
	for _, r := range rows {
		switch {
		case r.ModelB == "rotated" && math.Abs(r.CKA-1) > 1e-4:
			t.Errorf("%+v: want 1", r)
		case r.ModelB == "noise" && math.Abs(r.CKA) > 0.1:
			t.Errorf("%+v: want near 0", r)
		}
	}
}

func TestResultsRoundTrip(t *testing.T) {
	r := &Results{Decode: []DecodeRow{{"a", "l1", "x", "r2", 0.5}},
		CKA:       map[string][]CKARow{},
		CKALayers: []CKARow{{"a", "b", "l1", "l2", 0.25}},
		Align:     []AlignRow{{"a", eval.Row{Layer: "l1", Target: "mIT", Metric: "spearman", Value: 0.2, CILow: 0.1, CIHigh: 0.3, SD: math.NaN(), CeilLow: math.NaN(), CeilHigh: math.NaN(), Selected: true, Split: "half", N: 46, Note: "chosen in 3/4 splits"}}}}
	for _, s := range CKASets {
		r.CKA[s] = []CKARow{{"a", "b", "l1", "l1", 0.75}}
	}
	dir := t.TempDir()
	if err := r.Write(dir); err != nil {
		t.Fatal(err)
	}
	got, err := ReadResults(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got.Decode[0] != r.Decode[0] || got.CKALayers[0] != r.CKALayers[0] || got.CKA["rbf-k92"][0] != r.CKA["rbf-k92"][0] {
		t.Errorf("got %+v", got)
	}
	g, w := got.Align[0], r.Align[0]
	if g.Model != w.Model || g.Value != w.Value || g.Note != w.Note || g.N != w.N || !math.IsNaN(g.CeilLow) {
		t.Errorf("alignment %+v, want %+v", g, w)
	}
}

// The read-only CIFAR sweep: fine and K=8 runs for both seeds, with 92-image features.
func TestCIFARModels(t *testing.T) {
	dir := "/work/runs/cifar-3ep"
	if _, err := os.Stat(filepath.Join(dir, "results.csv")); err != nil {
		t.Skip("no CIFAR sweep:", err)
	}
	ms, err := CIFARModels(dir, "8")
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 4 {
		t.Fatalf("models %v, want fine and k8 for seeds 1, 2", ms)
	}
	r, err := CIFARRep(dir, ms[0])
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Layers) == 0 || r.Layers[0].Rows != 92 {
		t.Errorf("%s: %d layers", ms[0].Name, len(r.Layers))
	}
	rows, err := CIFARAlign(dir, ms)
	if err != nil || len(rows) != 4*len(AlignTargets)*2 {
		t.Errorf("%d alignment rows (want 4 models x 3 targets x 2 metrics), %v", len(rows), err)
	}
}
