package brainguided

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/coarsealign/coarsealign/pkg/backend"
	"github.com/coarsealign/coarsealign/pkg/datadir"
	"github.com/coarsealign/coarsealign/pkg/models"
	"github.com/coarsealign/coarsealign/pkg/train"
)

// tinyStart trains a tiny AlexNet-BN for two steps on random images and saves it as a run.
func tinyStart(t *testing.T) string {
	t.Helper()
	b, err := backend.New()
	if err != nil {
		t.Fatal(err)
	}
	cfg := train.Config{Model: models.DefaultAlexNetBN(10, 32, 0.0625), Recipe: train.DefaultRecipe(), Seed: 3,
		BatchSize: 8, Steps: 2, Norm: train.Normalization{Mean: []float64{0.5, 0.5, 0.5}, Std: []float64{0.25, 0.25, 0.25}}}
	const n = 16
	d := &train.MemoryData{H: 32, W: 32, C: 3, BatchSize: 8, Seed: 1, Images: make([]float32, n*32*32*3), Labels: make([]int32, n)}
	for i := range d.Images {
		d.Images[i] = float32(i%13)/13 - 0.5
	}
	for i := range d.Labels {
		d.Labels[i] = int32(i % 10)
	}
	dir := filepath.Join(t.TempDir(), "start")
	tr, err := train.New(b, cfg, dir, d.StepsPerEpoch())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tr.Fit(context.Background(), d, nil); err != nil {
		t.Fatal(err)
	}
	return dir
}

// The whole protocol on a tiny model and the real data: every split and condition has its
// rows, the ceilings are ordered, the same config gives the same numbers, and a re-run reads
// the finished conditions back.
func TestRunTiny(t *testing.T) {
	dataDir := datadir.Resolve("")
	if _, err := os.Stat(filepath.Join(dataDir, "cifar10-jpg", "test")); err != nil {
		t.Skipf("no CIFAR-10 JPEGs in %s", dataDir)
	}
	if _, err := os.Stat(filepath.Join(dataDir, "kriegeskorte92")); err != nil {
		t.Skipf("no 92-image set in %s", dataDir)
	}
	b, err := backend.New()
	if err != nil {
		t.Fatal(err)
	}
	cfg := &Config{Name: "tiny", Start: tinyStart(t), Betas: []float64{0, 2}, PermutedBetas: []float64{2},
		Splits: 1, Steps: 2, Batch: 8, TrainImages: 16, TestImages: 40, Seed: 5}
	cfg.Defaults()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	env := Env{Backend: b, DataDir: dataDir, Out: out}
	rows, err := Run(context.Background(), env, cfg)
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, r := range rows {
		count[r.Control]++
		if math.IsNaN(r.Value) {
			t.Errorf("NaN value: %+v", r)
		}
		if r.HeldOut != r.Split%4+1 {
			t.Errorf("split %d holds out subject %d", r.Split, r.HeldOut)
		}
	}
	// One split: 2 ceiling rows, 6 RSA + 1 accuracy start rows, and 6 RSA + accuracy + loss per condition.
	want := map[string]int{CeilingLower: 1, CeilingUpper: 1, ControlStart: 7, ControlNone: 2 * 8, ControlPermuted: 8}
	if !reflect.DeepEqual(count, want) {
		t.Errorf("rows per control %v, want %v", count, want)
	}
	for s := range 1 {
		var lo, hi float64
		for _, r := range rows {
			if r.Split == s && r.Control == CeilingLower {
				lo = r.Value
			}
			if r.Split == s && r.Control == CeilingUpper {
				hi = r.Value
			}
		}
		if !(lo < hi) {
			t.Errorf("split %d: lower ceiling %g not below upper %g (the upper includes the subject itself)", s, lo, hi)
		}
	}
	again, err := Run(context.Background(), Env{Backend: b, DataDir: dataDir}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(rowsNoNaN(rows), rowsNoNaN(again)) {
		t.Error("the same config gave different numbers")
	}
	resumed, err := Run(context.Background(), env, cfg)
	if err != nil || !reflect.DeepEqual(rowsNoNaN(rows), rowsNoNaN(resumed)) {
		t.Errorf("re-run from the finished conditions: %v", err)
	}
	other := *cfg
	other.Steps = 3
	if _, err := Run(context.Background(), env, &other); err == nil {
		t.Error("a changed study reused the folder of another")
	}
}

// rowsNoNaN replaces NaN betas (not equal to themselves) by -1 for comparison.
func rowsNoNaN(rows []Row) []Row {
	out := make([]Row, len(rows))
	for i, r := range rows {
		if math.IsNaN(r.Beta) {
			r.Beta = -1
		}
		out[i] = r
	}
	return out
}
