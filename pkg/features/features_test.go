package features

import (
	"math"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/coarsealign/coarsealign/pkg/backend"
	"github.com/coarsealign/coarsealign/pkg/data/k92"
	"github.com/coarsealign/coarsealign/pkg/datadir"
	"github.com/coarsealign/coarsealign/pkg/models"
	"github.com/coarsealign/coarsealign/pkg/train"
	"github.com/gomlx/gomlx/ml/model"
)

func tinySpec() models.Spec { return models.DefaultAlexNetBN(4, 32, 0.0625) }

func newStore(t *testing.T) *model.Store {
	s := model.NewStore()
	if err := s.SetRNGStateFromSeed(5); err != nil {
		t.Fatal(err)
	}
	return s
}

func ramp(n, size int) []float32 {
	x := make([]float32, n*size*size*3)
	for i := range x {
		x[i] = float32((i*31)%97)/97 - 0.5
	}
	return x
}

func TestExtractShapesAndBatchInvariance(t *testing.T) {
	b, err := backend.New()
	if err != nil {
		t.Fatal(err)
	}
	spec := tinySpec()
	e, err := NewExtractor(b, spec, newStore(t))
	if err != nil {
		t.Fatal(err)
	}
	x := ramp(5, 32)
	a, err := e.Extract(x, 5)
	if err != nil {
		t.Fatal(err)
	}
	if len(a) != 15 {
		t.Fatalf("%d layers, want 14 taps + logits", len(a))
	}
	// AlexNetBN 32x32 at width 1/16: conv channels 4,12,24,16,16; FC 256 (see models).
	want := map[string]int{"conv1.pre": 32 * 32 * 4, "conv2.post": 16 * 16 * 12, "conv3.pre": 8 * 8 * 24,
		"conv5.post": 8 * 8 * 16, "fc6.pre": 256, "fc7.post": 256, "logits": 4}
	for _, L := range a {
		if w, ok := want[L.Name]; ok && (L.Cols != w || L.Rows != 5) {
			t.Errorf("%s is %dx%d, want 5x%d", L.Name, L.Rows, L.Cols, w)
		}
	}
	if a[0].Name != "conv1.pre" || a[13].Name != "fc7.post" {
		t.Errorf("order: first %s, 14th %s", a[0].Name, a[13].Name)
	}
	e.BatchSize = 2 // inference mode: batch norm uses stored statistics, so batching is irrelevant.
	c, err := e.Extract(x, 5)
	if err != nil {
		t.Fatal(err)
	}
	for k := range a {
		for i := range a[k].Data {
			if d := math.Abs(float64(a[k].Data[i] - c[k].Data[i])); d > 1e-5 {
				t.Fatalf("%s[%d]: batch 32 %g vs batch 2 %g", a[k].Name, i, a[k].Data[i], c[k].Data[i])
			}
		}
	}
}

func TestProjection(t *testing.T) {
	const d, n = 10000, 20
	p := NewProjection(d, 0, 1)
	if p.K != MaxProjectionDim || NewProjection(d, 0, 1) != p {
		t.Fatalf("k=%d or not cached", p.K)
	}
	nnz := 0
	for _, c := range p.cols {
		nnz += len(c)
	}
	// Expected non-zeros: k*D*density = k*sqrt(D) = 4096*100.
	if exp := float64(p.K) * math.Sqrt(d); math.Abs(float64(nnz)-exp) > 0.02*exp {
		t.Errorf("%d non-zeros, want about %g", nnz, exp)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	x := make([]float32, n*d)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	y := p.Apply(x, n)
	// Squared norms are preserved in expectation; the relative sd is about sqrt(2/k) = 2.2%.
	for r := 0; r < n; r++ {
		var a, b float64
		for _, v := range x[r*d : (r+1)*d] {
			a += float64(v * v)
		}
		for _, v := range y[r*p.K : (r+1)*p.K] {
			b += float64(v * v)
		}
		if !(math.Abs(b/a-1) <= 0.12) {
			t.Errorf("row %d: |Rx|^2/|x|^2 = %.3f", r, b/a)
		}
	}
	q := NewProjection(d, 0, 2)
	if len(q.cols[0]) == len(p.cols[0]) && len(q.cols[1]) == len(p.cols[1]) && len(q.cols[2]) == len(p.cols[2]) {
		t.Log("seeds 1 and 2 agree on the first columns' counts (possible but unlikely)")
	}
}

func TestPreprocess(t *testing.T) {
	norm := train.Normalization{Mean: []float64{0.2, 0.4, 0.6}, Std: []float64{0.5, 0.5, 0.5}}
	px := make([]uint8, 10*10*3)
	for p := 0; p < 100; p++ {
		px[3*p], px[3*p+1], px[3*p+2] = 51, 102, 255 // 0.2, 0.4, 1.0
	}
	out, err := Preprocess([][]uint8{px}, 10, 10, 4, norm)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 4*4*3 {
		t.Fatalf("len %d", len(out))
	}
	for p := 0; p < 16; p++ {
		if math.Abs(float64(out[3*p])) > 1e-6 || math.Abs(float64(out[3*p+1])) > 1e-6 || math.Abs(float64(out[3*p+2])-0.8) > 1e-6 {
			t.Fatalf("pixel %d = %v, want [0 0 0.8]", p, out[3*p:3*p+3])
		}
	}
	if _, err := Preprocess([][]uint8{px[:5]}, 10, 10, 4, norm); err == nil {
		t.Error("short image accepted")
	}
}

// TestKriegeskorte92 extracts an untrained run's features for the 92 stimuli, saves and reloads.
func TestKriegeskorte92(t *testing.T) {
	set, err := k92.Load(datadir.ForTest(t))
	if err != nil {
		datadir.SkipOrFail(t, "92-image set not available: %v", err)
	}
	b, err := backend.New()
	if err != nil {
		t.Fatal(err)
	}
	cfg := train.Config{Model: models.DefaultAlexNetBN(4, 32, 0.125), Recipe: train.DefaultRecipe(), Seed: 1, BatchSize: 8, Epochs: 1,
		Norm: train.Normalization{Mean: []float64{0.49, 0.48, 0.45}, Std: []float64{0.25, 0.24, 0.26}}}
	dir := filepath.Join(t.TempDir(), "run")
	if _, err := train.New(b, cfg, dir, 1); err != nil { // writes config.json, no checkpoint.
		t.Fatal(err)
	}
	run, err := train.OpenRun(dir, -1)
	if err != nil {
		t.Fatal(err)
	}
	layers, err := ExtractRun(b, run, set.Pixels, k92.ImageSize, k92.ImageSize)
	if err != nil {
		t.Fatal(err)
	}
	Project(layers, 7)
	for _, L := range layers {
		if L.Rows != 92 {
			t.Fatalf("%s has %d rows", L.Name, L.Rows)
		}
		if L.Name == "conv1.pre" && (L.Cols != MaxProjectionDim || L.OrigCols != 32*32*8 || L.Projection == nil) {
			t.Errorf("conv1.pre projected to %d from %d", L.Cols, L.OrigCols)
		}
		if L.Name == "fc6.pre" && L.Projection != nil {
			t.Error("fc6.pre (512 units) should not be projected")
		}
	}
	out := filepath.Join(t.TempDir(), "feat")
	if err := Save(out, layers, Index{Run: dir, Stimuli: "kriegeskorte92", IDs: set.IDs}); err != nil {
		t.Fatal(err)
	}
	idx, back, err := Load(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(back) != len(layers) || idx.IDs[91] != "k92-092" || idx.Layers[0].Projection == nil {
		t.Fatalf("reloaded %d layers, ids %v...", len(back), idx.IDs[:2])
	}
	for k := range layers {
		for i, v := range layers[k].Data {
			if back[k].Data[i] != v {
				t.Fatalf("%s[%d] %v reloaded as %v", layers[k].Name, i, v, back[k].Data[i])
			}
		}
	}
}
