package objectives

import (
	"math/rand/v2"
	"testing"

	"github.com/coarsealign/coarsealign/pkg/models"
	"github.com/coarsealign/coarsealign/pkg/rsa"
	"github.com/coarsealign/coarsealign/pkg/train"
)

// tinyTask returns a tiny AlexNet-BN config and random training data with a stimulus batch and
// a target RDM on it.
func tinyTask(t *testing.T) (train.Config, *train.MemoryData, map[string]train.Target) {
	t.Helper()
	const s, n, m = 32, 16, 6
	r := rand.New(rand.NewPCG(9, 10))
	d := &train.MemoryData{H: s, W: s, C: 3, BatchSize: 8, Seed: 1, Shuffle: true,
		Images: make([]float32, n*s*s*3), Labels: make([]int32, n)}
	for i := range d.Images {
		d.Images[i] = float32(r.NormFloat64())
	}
	for i := range d.Labels {
		d.Labels[i] = int32(i % 2)
	}
	stim := make([]float32, m*s*s*3)
	for i := range stim {
		stim[i] = float32(r.NormFloat64())
	}
	tr, err := rsa.RDMFromPatternSlice("t", randn(r, m*4), m, 4, rsa.Correlation, nil)
	if err != nil {
		t.Fatal(err)
	}
	sq := make([]float32, m*m)
	for i, v := range tr.Square() {
		sq[i] = float32(v)
	}
	coords, _, err := ClassicalMDS(tr.Square(), m, 3)
	if err != nil {
		t.Fatal(err)
	}
	c32 := make([]float32, len(coords))
	for i, v := range coords {
		c32[i] = float32(v)
	}
	extra := map[string]train.Target{
		TargetStimuli: {Shape: []int{m, s, s, 3}, Data: stim},
		TargetRDM:     {Shape: []int{m, m}, Data: sq},
		TargetCoords:  {Shape: []int{m, 3}, Data: c32},
	}
	cfg := train.Config{Model: models.DefaultAlexNetBN(2, 32, 0.0625), Recipe: train.DefaultRecipe(), Seed: 2,
		BatchSize: 8, Steps: 6, Norm: train.Normalization{Mean: []float64{0.5, 0.5, 0.5}, Std: []float64{0.25, 0.25, 0.25}}}
	cfg.Recipe.WarmupEpochs = 0
	return cfg, d, extra
}

// The alignment term trains: with beta > 0 the alignment loss on the stimulus batch falls
// further over a few steps than with beta = 0 (same data, seed and schedule), for each loss.
func TestAlignmentObjectiveTrains(t *testing.T) {
	b := newBackend(t)
	cfg, d, extra := tinyTask(t)
	data := WithTargets(d, extra)
	for _, l := range []string{"rdm", "soft-spearman", "encoding"} {
		final := map[float64]float64{}
		for _, beta := range []float64{0, 20} {
			a := Alignment{Loss: l, Layers: []string{"fc7.post"}, Beta: beta, Tau: 0.05, Dims: 3, Task: "ce"}
			obj, err := a.Objective()
			if err != nil {
				t.Fatal(err)
			}
			tr, err := train.New(b, cfg, "", data.StepsPerEpoch(), train.WithObjective(obj))
			if err != nil {
				t.Fatal(err)
			}
			var last float64
			for step := 0; step < cfg.Steps; {
				for bt, err := range data.Epoch(step) {
					if err != nil {
						t.Fatal(err)
					}
					r, err := tr.Step(bt)
					if err != nil {
						t.Fatal(err)
					}
					last = r.Metrics["align"]
					if step++; step == cfg.Steps {
						break
					}
				}
			}
			final[beta] = last
		}
		if !(final[20] < final[0]) {
			t.Errorf("%s: alignment loss after training %.4f with beta 20, %.4f with beta 0", l, final[20], final[0])
		}
	}
	if _, err := (Alignment{Loss: "rdm", Task: "ce"}).Objective(); err == nil {
		t.Error("an alignment without layers was accepted")
	}
	if _, err := (Alignment{Loss: "mse", Layers: []string{"x"}, Task: "ce"}).Objective(); err == nil {
		t.Error("an unknown loss was accepted")
	}
}
