package study

import (
	"context"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coarsealign/coarsealign/pkg/datadir"
	"github.com/coarsealign/coarsealign/pkg/rsa"
	"github.com/coarsealign/coarsealign/pkg/sweep"
)

// controlConfig: two coarse runs and both baselines, with the synthetic features of
// fakeFeatures (metrics_test.go) and the study's eval stage.
const controlConfig = `
name: ci-control
label_sources: [fine-net]
granularity: [2, 16, fine, untrained]
seeds: [1]
archs: [{name: alexnet-bn, width: 0.0625, input_size: 32}]
train: {epochs: 1, steps: 1, batch: 8, lr: 1.0e-3}
data: {source: cifar10, per_class: 2}
eval: {bootstrap: 20, splits: 4, seed: 3, max_triplets: 300}
`

func runControlSweep(t *testing.T) (*sweep.Config, []sweep.Row, string, string) {
	t.Helper()
	dataDir := datadir.ForTest(t)
	set, err := loadK92(dataDir)
	if err != nil {
		datadir.SkipOrFail(t, "92-image data not available: %v", err)
	}
	cfg, err := sweep.Parse([]byte(controlConfig))
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	rn := &sweep.Runner{Out: out, DataDir: dataDir, Stages: []sweep.Stage{fakeFeatures(set), evalStage(t)}}
	if _, err := rn.Execute(context.Background(), cfg.Expand()); err != nil {
		t.Fatal(err)
	}
	rows, missing, err := sweep.Collect(cfg.Expand(), out)
	if err != nil || len(missing) > 0 {
		t.Fatalf("collect: %v, missing %v", err, missing)
	}
	return cfg, rows, out, dataDir
}

func TestPCAReconstructionControl(t *testing.T) {
	cfg, rows, out, dataDir := runControlSweep(t)
	res, err := PCAReconstructionControl(cfg, rows, out, dataDir, ControlOptions{MaxM: 5})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != len(ControlTargets) {
		t.Fatalf("%d panels", len(res))
	}
	fine := ""
	for _, r := range cfg.Expand() {
		if r.Granularity == sweep.Fine {
			fine = r.ID()
		}
	}
	for i, c := range res {
		tg := ControlTargets[i]
		layer, ok := sweep.SelectedLayer(rows, fine, tg.Name, "spearman")
		if !ok || c.Layer != layer || c.Title != tg.Title || c.Target != tg.Name || c.Model != "fine" {
			t.Errorf("%s: layer %q (selected %q), title %q, model %q", tg.Name, c.Layer, layer, c.Title, c.Model)
		}
		// The full layer scores as in the sweep's own profile row (same eval settings).
		prof, ok := sweep.ProfileRow(rows, fine, layer, tg.Name, "spearman")
		if !ok || math.Abs(c.Full.Value-prof.Value) > 1e-12 || math.Abs(c.Full.CILow-prof.CILow) > 1e-12 {
			t.Errorf("%s: full %.6f [%.6f], sweep %.6f [%.6f]", tg.Name, c.Full.Value, c.Full.CILow, prof.Value, prof.CILow)
		}
		if len(c.M) != 5 || c.M[4] != 5 {
			t.Errorf("%s: M %v", tg.Name, c.M)
		}
		// The reference is the better coarse run at its own selected layer.
		best := math.Inf(-1)
		for _, r := range cfg.Expand() {
			if _, isK := r.K(); isK {
				l, _ := sweep.SelectedLayer(rows, r.ID(), tg.Name, "spearman")
				p, _ := sweep.ProfileRow(rows, r.ID(), l, tg.Name, "spearman")
				best = math.Max(best, p.Value)
			}
		}
		if !strings.HasPrefix(c.BestModel, "K=") || c.Best.Value != best {
			t.Errorf("%s: best %s %.6f, want %.6f", tg.Name, c.BestModel, c.Best.Value, best)
		}
	}
	if _, err := PCAReconstructionControl(cfg, rows, out, dataDir, ControlOptions{Metric: "corr"}); err == nil ||
		!strings.Contains(err.Error(), `metric "corr"`) {
		t.Errorf("metric without rows: %v", err)
	}
	if _, err := PCAReconstructionControl(cfg, rows, out, dataDir, ControlOptions{Metric: "nope"}); err == nil {
		t.Error("unknown metric accepted")
	}
}

func TestPickRDMs(t *testing.T) {
	_, rows, out, dataDir := runControlSweep(t)
	set, _ := loadK92(dataDir)
	picks, err := sweep.PickRuns(rows, "hIT-subjects", "spearman", "")
	if err != nil || len(picks) != 3 {
		t.Fatalf("picks %+v, %v", picks, err)
	}
	rdms, err := PickRDMs(out, picks, set.IDs)
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range picks {
		layers, err := ReadFeatures(filepath.Join(sweep.RunDir(out, p.Row.RunID), FeaturesDir))
		if err != nil {
			t.Fatal(err)
		}
		l, _ := findLayer(layers, p.Row.Layer)
		want, err := rsa.RDMFromPatternSlice(p.Name(), l.X, l.N, l.D, rsa.Correlation, set.IDs)
		if err != nil {
			t.Fatal(err)
		}
		if rdms[i].Name != p.Name() || rdms[i].N != 92 || len(rdms[i].Vec) != len(want.Vec) {
			t.Fatalf("%s: %q, %d stimuli", p.Role, rdms[i].Name, rdms[i].N)
		}
		for k := range want.Vec {
			if rdms[i].Vec[k] != want.Vec[k] {
				t.Fatalf("%s: entry %d %g, want %g", p.Role, k, rdms[i].Vec[k], want.Vec[k])
			}
		}
	}
	if _, err := LayerRDM(out, picks[0].Row.RunID, "no-such-layer", "x", nil); err == nil || !strings.Contains(err.Error(), "no-such-layer") {
		t.Errorf("missing layer: %v", err)
	}
}
