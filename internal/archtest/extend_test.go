package archtest

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/coarsealign/coarsealign/pkg/backend"
	"github.com/coarsealign/coarsealign/pkg/datadir"
	"github.com/coarsealign/coarsealign/pkg/features"
	"github.com/coarsealign/coarsealign/pkg/sweep"
	"github.com/coarsealign/coarsealign/pkg/sweep/study"
	"github.com/coarsealign/coarsealign/pkg/train"
)

// toySweep is a sweep config using the toy architecture of toyarch_test.go.
func toySweep(size int) string {
	return fmt.Sprintf(`
name: toy-arch
granularity: [fine]
seeds: [1]
archs: [{name: %s, width: 0.5, input_size: %d}]
train: {epochs: 1, steps: 2, batch: 8, lr: 1.0e-3, label_smoothing: 0.1, clip_norm: 1}
data: {source: cifar10, per_class: 4, val_fraction: 0.25, split_seed: 42}
`, toyConv, size)
}

// TestToyArchitecture: an architecture added by one file (toyarch_test.go) with one
// registration is valid in sweep configs, built by pkg/sweep/study, trained by pkg/train
// (checkpoints, resume) and extracted by pkg/features, with no other edit.
func TestToyArchitecture(t *testing.T) {
	cfg, err := sweep.Parse([]byte(toySweep(16)))
	if err != nil {
		t.Fatalf("sweep config with the toy architecture: %v", err)
	}
	if _, err := sweep.Parse([]byte(toySweep(24))); err == nil || !strings.Contains(err.Error(), "archs[0].input_size") {
		t.Errorf("input size 24 (not the toy's): %v", err)
	}
	spec, err := study.ModelSpec(cfg.Archs[0], 3)
	if err != nil {
		t.Fatal(err)
	}
	if got := spec.TapNames(); !slices.Equal(got, []string{"conv.pre", "conv.post", "pool"}) || spec.Penultimate() != "pool" ||
		study.PenultimateLayer(toyConv) != "pool" {
		t.Fatalf("toy spec %+v: taps %v, penultimate %q", spec, got, spec.Penultimate())
	}

	// Train a few steps in a run folder, stop, resume.
	b, err := backend.New()
	if err != nil {
		t.Fatal(err)
	}
	data := toyData(24, 16, 3)
	tc := train.Config{Model: spec, Recipe: train.DefaultRecipe(), Seed: 2, BatchSize: 8, Epochs: 2,
		Norm: train.Normalization{Mean: []float64{0, 0, 0}, Std: []float64{1, 1, 1}}}
	dir := filepath.Join(t.TempDir(), "run")
	tr, err := train.New(b, tc, dir, data.StepsPerEpoch())
	if err != nil {
		t.Fatal(err)
	}
	tr.StopAt = 2
	if _, err := tr.Fit(context.Background(), data, data); err != nil {
		t.Fatal(err)
	}
	tr, err = train.New(b, tc, dir, data.StepsPerEpoch())
	if err != nil || tr.GlobalStep() != 2 {
		t.Fatalf("resume: step %d, %v", tr.GlobalStep(), err)
	}
	res, err := tr.Fit(context.Background(), data, data)
	if err != nil || res.Step != 6 || math.IsNaN(res.FinalLoss) || math.IsNaN(res.TestAccuracy) {
		t.Fatalf("fit: %+v, %v", res, err)
	}

	// Features of the trained run: every tap and the logits.
	run, err := train.OpenRun(dir, -1)
	if err != nil {
		t.Fatal(err)
	}
	ex, err := features.NewExtractor(b, run.Config.Model, run.Store)
	if err != nil {
		t.Fatal(err)
	}
	layers, err := ex.Extract(data.Images[:2*16*16*3], 2)
	if err != nil {
		t.Fatal(err)
	}
	if names := features.LayerNames(layers); !slices.Equal(names, []string{"conv.pre", "conv.post", "pool", "logits"}) {
		t.Errorf("feature layers %v", names)
	}
	if layers[2].Cols != 4 || layers[3].Cols != 3 {
		t.Errorf("pool has %d units (want 4 = 8*0.5), logits %d", layers[2].Cols, layers[3].Cols)
	}
}

// TestToyArchitectureSweep runs the sweep's own train and features stages on the toy
// architecture (32x32 CIFAR-10 images, 2 steps).
func TestToyArchitectureSweep(t *testing.T) {
	dataDir := datadir.ForTest(t)
	if _, err := os.Stat(filepath.Join(dataDir, "cifar10-jpg", "train")); err != nil {
		datadir.SkipOrFail(t, "no cifar10-jpg in %s", dataDir)
	}
	cfg, err := sweep.Parse([]byte(toySweep(32)))
	if err != nil {
		t.Fatal(err)
	}
	stages := study.Stages(study.Options{})[:3] // labels, train, features
	out := t.TempDir()
	rn := &sweep.Runner{Out: out, DataDir: dataDir, Stages: append(stages,
		sweep.StageFunc{StageName: "scores", Fn: func(ctx context.Context, env *sweep.Env) error { return env.WriteScores(nil) }})}
	runs := cfg.Expand()
	if _, err := rn.Execute(context.Background(), runs); err != nil {
		t.Fatal(err)
	}
	feats, err := study.ReadFeatures(filepath.Join(sweep.RunDir(out, runs[0].ID()), study.FeaturesDir))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range feats {
		names = append(names, f.Layer)
		if f.N != 92 {
			t.Errorf("layer %s has %d stimuli", f.Layer, f.N)
		}
	}
	if !slices.Equal(names, []string{"conv.pre", "conv.post", "pool"}) {
		t.Errorf("sweep features %v", names)
	}
}

// toyData is n random-ish s x s images of k classes (class c brighter by c/k).
func toyData(n, s, k int) *train.MemoryData {
	d := &train.MemoryData{H: s, W: s, C: 3, BatchSize: 8, Seed: 1, Shuffle: true,
		Images: make([]float32, n*s*s*3), Labels: make([]int32, n)}
	for i := range n {
		d.Labels[i] = int32(i % k)
		for j := range s * s * 3 {
			d.Images[i*s*s*3+j] = float32((i*7+j*3)%13)/13 - 0.5 + float32(i%k)/float32(k)
		}
	}
	return d
}
