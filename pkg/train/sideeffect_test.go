package train

import (
	"context"
	"testing"
	"time"

	"github.com/coarsealign/coarsealign/pkg/backend"
)

// TestEvaluateHasNoSideEffects: evaluating (another graph, another batch size) between steps
// must not change the variables or the following steps.
func TestEvaluateHasNoSideEffects(t *testing.T) {
	b, err := backend.New()
	if err != nil {
		t.Fatal(err)
	}
	cfg := tinyConfig(9)
	data := tinyData(32, 8, 9)
	eval := tinyData(12, 5, 9)
	withTimeout(t, 120*time.Second, func() {
		var final [2]map[string][]float32
		for run := 0; run < 2; run++ {
			tr, err := New(b, cfg, "", data.StepsPerEpoch())
			if err != nil {
				t.Error(err)
				return
			}
			for e := 0; e < 2; e++ {
				for bt := range data.Epoch(e) {
					if _, err := tr.Step(bt); err != nil {
						t.Error(err)
						return
					}
				}
				if run == 1 {
					before := modelParams(t, tr.Store)
					if _, _, err := tr.Evaluate(eval); err != nil {
						t.Error(err)
						return
					}
					after := modelParams(t, tr.Store)
					for k, v := range before {
						for i := range v {
							if v[i] != after[k][i] {
								t.Errorf("Evaluate changed %s[%d]: %v -> %v", k, i, v[i], after[k][i])
								return
							}
						}
					}
				}
			}
			final[run] = modelParams(t, tr.Store)
		}
		for k, v := range final[0] {
			for i := range v {
				if v[i] != final[1][k][i] {
					t.Errorf("training with evaluations differs at %s[%d]: %v vs %v", k, i, v[i], final[1][k][i])
					return
				}
			}
		}
	})
}

// TestSaveHasNoSideEffects: a run writing checkpoints and metrics every epoch ends with the
// same variables as one in memory.
func TestSaveHasNoSideEffects(t *testing.T) {
	b, err := backend.New()
	if err != nil {
		t.Fatal(err)
	}
	cfg := tinyConfig(11)
	cfg.Epochs = 2
	data := tinyData(32, 8, 11)
	withTimeout(t, 120*time.Second, func() {
		var final [2]map[string][]float32
		for run, dir := range []string{"", t.TempDir()} {
			tr, err := New(b, cfg, dir, data.StepsPerEpoch())
			if err != nil {
				t.Error(err)
				return
			}
			if _, err := tr.Fit(context.Background(), data, data); err != nil {
				t.Error(err)
				return
			}
			final[run] = modelParams(t, tr.Store)
		}
		for k, v := range final[0] {
			for i := range v {
				if v[i] != final[1][k][i] {
					t.Errorf("with checkpoints differs at %s[%d]: %v vs %v", k, i, v[i], final[1][k][i])
					return
				}
			}
		}
	})
}
