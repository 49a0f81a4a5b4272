package study

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/coarsealign/coarsealign/internal/fsutil"
	"github.com/coarsealign/coarsealign/pkg/datadir"
	"github.com/coarsealign/coarsealign/pkg/sweep"
	"github.com/coarsealign/coarsealign/pkg/train"
)

// tinyConfig is a sweep small enough for CI: 200 CIFAR-10 images, K in {2, 4} from pixel PCA,
// the fine and untrained baselines, 4 optimiser steps of a 1/16-width AlexNet-BN.
const tinyConfig = `
name: ci-tiny
label_sources: [pixels]
granularity: [2, 4, fine, untrained]
seeds: [1]
archs:
  - {name: alexnet-bn, width: 0.0625, input_size: 32}
labels: {pcs: 6}
train: {epochs: 1, steps: 4, batch: 32, lr: 1.0e-3, weight_decay: 1.0e-3, warmup_epochs: 0.2, label_smoothing: 0.1, clip_norm: 1}
data: {source: cifar10, per_class: 20, val_fraction: 0.2, split_seed: 42}
eval: {bootstrap: 10, splits: 4, seed: 0, max_triplets: 500}
`

// TestTinySweepEndToEnd runs the real pipeline (pkg/coarse, pkg/train, pkg/features, pkg/eval)
// on a tiny sweep and checks the table's shape and invariants, not its values.
func TestTinySweepEndToEnd(t *testing.T) {
	dataDir := datadir.ForTest(t)
	if _, err := os.Stat(filepath.Join(dataDir, "cifar10-jpg", "train")); err != nil {
		datadir.SkipOrFail(t, "no cifar10-jpg in %s", dataDir)
	}
	cfg, err := sweep.Parse([]byte(tinyConfig))
	if err != nil {
		t.Fatal(err)
	}
	runs := cfg.Expand()
	out := t.TempDir()
	t0 := time.Now()
	rn := &sweep.Runner{Out: out, DataDir: dataDir, Stages: Stages(Options{})}
	if _, err := rn.Execute(context.Background(), runs); err != nil {
		t.Fatal(err)
	}
	t.Logf("tiny sweep: %d runs in %s", len(runs), time.Since(t0).Round(time.Millisecond))
	rows, missing, err := sweep.Collect(runs, out)
	if err != nil || len(missing) > 0 {
		t.Fatalf("collect: %v, missing %v", err, missing)
	}
	var csv bytes.Buffer
	if err := sweep.WriteCSV(&csv, rows); err != nil {
		t.Fatal(err)
	}
	header, _, _ := bytes.Cut(csv.Bytes(), []byte("\n"))
	for _, c := range []string{"run_id", "label_source", "k", "seed", "arch", "layer", "target", "metric", "value",
		"ci_low", "ci_high", "ceiling_low", "ceiling_high", "selected"} {
		if !bytes.Contains(append(append([]byte(","), header...), ','), []byte(","+c+",")) {
			t.Errorf("column %q missing from %s", c, header)
		}
	}

	perRun := map[string]int{}
	keys := map[string]bool{}
	ks := map[string]bool{}
	layers := map[string]bool{}
	selected := map[string]int{}
	for _, r := range rows {
		perRun[r.RunID]++
		key := fmt.Sprintf("%s|%s|%s|%s|%s", r.RunID, r.Layer, r.Target, r.Metric, r.Split)
		if keys[key] {
			t.Fatalf("duplicate row %s", key)
		}
		keys[key] = true
		ks[r.K] = true
		if r.Split == "all" {
			layers[r.Layer] = true
		}
		if err := r.Score.Check(); err != nil {
			t.Errorf("row %s: %v", key, err)
		}
		if err := r.Score.CheckCI(); err != nil {
			t.Errorf("row %s: %v", key, err)
		}
		for _, c := range []float64{r.CeilingLow, r.CeilingHigh} {
			if !math.IsNaN(c) && (c < -1 || c > 1) {
				t.Errorf("row %s: ceiling %v outside [-1,1]", key, c)
			}
		}
		if r.Selected {
			selected[r.RunID+"|"+r.Target+"|"+r.Metric]++
		}
	}
	// One row per run x layer x target x metric (x split); every run has the same layout.
	if len(perRun) != len(runs) {
		t.Fatalf("%d runs in the table, want %d", len(perRun), len(runs))
	}
	for id, n := range perRun {
		if n != perRun[runs[0].ID()] {
			t.Fatalf("run %s has %d rows, run %s has %d", id, n, runs[0].ID(), perRun[runs[0].ID()])
		}
	}
	// The 14 extraction points of AlexNet-BN (conv1..fc7, pre and post), methods.md section 1.
	if len(layers) != 14 {
		t.Fatalf("%d layers in profile rows, want 14: %v", len(layers), layers)
	}
	for _, k := range []string{"2", "4", sweep.Fine, sweep.Untrained} {
		if !ks[k] {
			t.Fatalf("k %q missing (have %v)", k, ks)
		}
	}
	for k, n := range selected {
		if n != 1 {
			t.Fatalf("%s: %d selected rows, want 1", k, n)
		}
	}
	for _, target := range []string{"mIT", "hIT-mean", "hIT-subjects", "behav-mean", "behav-subjects"} {
		if selected[runs[0].ID()+"|"+target+"|spearman"] != 1 {
			t.Fatalf("no selected layer for %s", target)
		}
	}

	// Labels are deterministic: recomputing the label stage in another folder gives the same
	// files; and the K=4 labels refine the K=2 ones (label_2 = label_4 >> 1, pkg/coarse nesting).
	out2 := t.TempDir()
	rn2 := &sweep.Runner{Out: out2, DataDir: dataDir, Stages: []sweep.Stage{Stages(Options{})[0],
		sweep.StageFunc{StageName: "scores", Fn: func(ctx context.Context, env *sweep.Env) error { return env.WriteScores(nil) }}}}
	if _, err := rn2.Execute(context.Background(), runs[:2]); err != nil {
		t.Fatal(err)
	}
	var lab [2][]int32
	for i, r := range runs[:2] {
		a, _ := os.ReadFile(filepath.Join(sweep.RunDir(out, r.ID()), LabelsFile))
		b, _ := os.ReadFile(filepath.Join(sweep.RunDir(out2, r.ID()), LabelsFile))
		if len(a) == 0 || !bytes.Equal(a, b) {
			t.Fatalf("run %s: labels differ between two computations", r.Label())
		}
		if lab[i], err = readLabels(filepath.Join(sweep.RunDir(out, r.ID()), LabelsFile), 200); err != nil {
			t.Fatal(err)
		}
	}
	counts := map[int32]int{}
	for i := range lab[0] {
		if lab[0][i] != lab[1][i]>>1 {
			t.Fatalf("image %d: K=2 label %d, K=4 label %d: not nested", i, lab[0][i], lab[1][i])
		}
		counts[lab[1][i]]++
	}
	if len(counts) != 4 {
		t.Fatalf("K=4 labels use %d classes", len(counts))
	}
	curve, err := sweep.ReadCurve(out, runs[0].ID())
	if err != nil || len(curve) == 0 {
		t.Fatalf("training curve: %v %v", curve, err)
	}
	// Trained runs record a finished training; features folders follow the umask (0755 with
	// the usual 022, not MkdirTemp's 0700).
	for _, r := range runs {
		dir := sweep.RunDir(out, r.ID())
		if r.Granularity != sweep.Untrained {
			if st, err := train.ReadState(filepath.Join(dir, TrainDir)); err != nil || !st.Complete() {
				t.Errorf("run %s: training state %+v, %v", r.Label(), st, err)
			}
		}
		if st, err := os.Stat(filepath.Join(dir, FeaturesDir)); err != nil || st.Mode().Perm() != fsutil.DirPerm() {
			t.Errorf("run %s: features folder %v, mode %o, want %o", r.Label(), err, st.Mode().Perm(), fsutil.DirPerm())
		}
	}
}
