package study

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/coarsealign/coarsealign/pkg/datadir"
	"github.com/coarsealign/coarsealign/pkg/ssl"
	"github.com/coarsealign/coarsealign/pkg/sweep"
	"github.com/coarsealign/coarsealign/pkg/train"
)

// sslTinyConfig: the ssl granularity for both architectures on 200 CIFAR-10 images, 3 steps.
const sslTinyConfig = `
name: ci-ssl
granularity: [ssl]
seeds: [1]
archs:
  - {name: alexnet-bn, width: 0.0625, input_size: 32}
  - {name: vit-cifar, width: 0.0625, input_size: 32}
train: {epochs: 1, steps: 3, batch: 16, lr: 1.0e-3, weight_decay: 1.0e-3, warmup_epochs: 0.2, label_smoothing: 0.1, clip_norm: 1}
data: {source: cifar10, per_class: 20, val_fraction: 0.2, split_seed: 42}
eval: {bootstrap: 10, splits: 4, seed: 0, max_triplets: 500}
`

// TestSSLGranularitySweep: an ssl run trains with the SimCLR objective (its config names it),
// writes a linear probe with accuracies in [0, 1], and goes through features and eval like any
// run: the results table holds k = "ssl" rows for both architectures (the ViT's 13 taps).
func TestSSLGranularitySweep(t *testing.T) {
	if testing.Short() {
		t.Skip("trains two networks (about a minute on 2 idle cores)")
	}
	dataDir := datadir.ForTest(t)
	if _, err := os.Stat(filepath.Join(dataDir, "cifar10-jpg", "train")); err != nil {
		datadir.SkipOrFail(t, "no cifar10-jpg in %s", dataDir)
	}
	cfg, err := sweep.Parse([]byte(sslTinyConfig))
	if err != nil {
		t.Fatal(err)
	}
	runs := cfg.Expand()
	if len(runs) != 2 || runs[0].LabelSource != "" || runs[0].Granularity != sweep.SSL {
		t.Fatalf("runs %+v", runs)
	}
	out := t.TempDir()
	rn := &sweep.Runner{Out: out, DataDir: dataDir, Stages: Stages(Options{})}
	if _, err := rn.Execute(context.Background(), runs); err != nil {
		t.Fatal(err)
	}
	rows, missing, err := sweep.Collect(runs, out)
	if err != nil || len(missing) > 0 {
		t.Fatalf("collect: %v, missing %v", err, missing)
	}
	layers := map[string]map[string]bool{}
	for _, r := range rows {
		if r.K != sweep.SSL {
			t.Fatalf("row k %q, want ssl", r.K)
		}
		if layers[r.Arch] == nil {
			layers[r.Arch] = map[string]bool{}
		}
		if r.Split == "all" {
			layers[r.Arch][r.Layer] = true
		}
	}
	if len(layers["alexnet-bn"]) != 14 || len(layers["vit-cifar"]) != 13 {
		t.Errorf("layers per arch: alexnet-bn %d (want 14), vit-cifar %d (want 13)", len(layers["alexnet-bn"]), len(layers["vit-cifar"]))
	}
	for _, r := range runs {
		dir := filepath.Join(sweep.RunDir(out, r.ID()), TrainDir)
		c, err := train.LoadConfig(filepath.Join(dir, train.ConfigFile))
		if err != nil {
			t.Fatal(err)
		}
		if want := ssl.SimCLR(c.Model, ssl.Options{}).Name; c.ObjectiveName() != want {
			t.Errorf("%s: objective %q, want %q", r.Arch.Name, c.ObjectiveName(), want)
		}
		b, err := os.ReadFile(filepath.Join(dir, ssl.ProbeFile))
		if err != nil {
			t.Fatal(err)
		}
		var p ssl.ProbeResult
		if err := json.Unmarshal(b, &p); err != nil {
			t.Fatal(err)
		}
		if p.TestN != 40 || p.TrainN != 160 || !(p.TestAccuracy >= 0 && p.TestAccuracy <= 1) || p.Tap != c.Model.Penultimate() {
			t.Errorf("%s: probe %+v", r.Arch.Name, p)
		}
		recs, err := train.ReadMetrics(dir)
		if err != nil || len(recs) == 0 || math.IsNaN(recs[len(recs)-1].TrainLoss) {
			t.Errorf("%s: metrics %v, %+v", r.Arch.Name, err, recs)
		}
		t.Logf("%s: probe accuracy %.3f (train %.3f), final NT-Xent %.4f", r.Arch.Name, p.TestAccuracy, p.TrainAccuracy, recs[len(recs)-1].TrainLoss)
	}
}
