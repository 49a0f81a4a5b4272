package train

import (
	"context"
	"fmt"
	"iter"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coarsealign/coarsealign/pkg/backend"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
)

// tapRegression is a user-defined objective, as a study would write one: a trainable linear
// read-out (its own variable, outside the model) of the spatial mean of a tap regresses a
// per-image target [n, 1]; it reports the mean squared error and no accuracy.
func tapRegression(tap, target string) Objective {
	return Objective{
		Name:    "mse:" + tap + "->" + target,
		Metrics: []string{"mse"},
		Targets: []string{target},
		Loss: func(in LossInput) (*graph.Node, []*graph.Node) {
			h := in.Tap(tap)
			if h.Rank() == 4 {
				h = graph.ReduceMean(h, 1, 2)
			}
			w := in.Scope.In("objective").In("readout").VariableWithShape("weights", shapes.Make(dtypes.Float32, h.Shape().Dimensions[1], 1)).NodeValue(h.Graph())
			d := graph.Sub(graph.MatMul(h, w), in.Target(target))
			mse := graph.ReduceAllMean(graph.Square(d))
			return mse, []*graph.Node{mse}
		},
	}
}

// withRegressionTarget adds a per-image target "y" (1 for class 1, -1 for class 0).
func withRegressionTarget(d *MemoryData) *MemoryData {
	y := Target{Shape: []int{d.Len(), 1}, Data: make([]float32, d.Len())}
	for i, l := range d.Labels {
		y.Data[i] = float32(2*l - 1)
	}
	d.Targets = map[string]Target{"y": y}
	return d
}

// withSoftLabels adds a per-image target "soft": the labels smoothed as the default objective
// smooths them, so SoftLabelCrossEntropy must train exactly like it.
func withSoftLabels(d *MemoryData, k int, eps float64) *MemoryData {
	p := Target{Shape: []int{d.Len(), k}, Data: make([]float32, d.Len()*k)}
	for i, l := range d.Labels {
		for c := range k {
			v := eps / float64(k)
			if c == int(l) {
				v += 1 - eps
			}
			p.Data[i*k+c] = float32(v)
		}
	}
	d.Targets = map[string]Target{"soft": p}
	return d
}

// The soft-label objective with smoothed one-hot targets follows the default objective's
// trajectory: the trainer computes nothing of its own.
func TestSoftLabelObjectiveMatchesDefault(t *testing.T) {
	b, err := backend.New()
	if err != nil {
		t.Fatal(err)
	}
	cfg := tinyConfig(5)
	cfg.Epochs = 1
	data := withSoftLabels(tinyData(32, 8, 5), 2, cfg.Recipe.LabelSmoothing)
	withTimeout(t, 120*time.Second, func() {
		var losses [2][]float64
		for run, opts := range [][]Option{nil, {WithObjective(SoftLabelCrossEntropy("soft"))}} {
			tr, err := New(b, cfg, "", data.StepsPerEpoch(), opts...)
			if err != nil {
				t.Error(err)
				return
			}
			for bt, err := range data.Epoch(0) {
				if err != nil {
					t.Error(err)
					return
				}
				r, err := tr.Step(bt)
				if err != nil {
					t.Error(err)
					return
				}
				if math.IsNaN(r.Accuracy) || r.Metrics["accuracy"] != r.Accuracy {
					t.Errorf("run %d: accuracy %v, metrics %v", run, r.Accuracy, r.Metrics)
				}
				losses[run] = append(losses[run], r.Loss)
			}
		}
		for i := range losses[0] {
			if d := math.Abs(losses[0][i] - losses[1][i]); d > 1e-5 {
				t.Errorf("step %d: default loss %.7f, soft-label loss %.7f", i, losses[0][i], losses[1][i])
			}
		}
	})
}

// A user objective with its own trainable variable and no accuracy: deterministic, resumable
// (the read-out is checkpointed with the model), recorded in config.json and metrics.jsonl.
func TestObjectiveResumeAndDeterminism(t *testing.T) {
	b, err := backend.New()
	if err != nil {
		t.Fatal(err)
	}
	cfg := tinyConfig(8)
	cfg.Epochs = 2
	obj := tapRegression("conv5.post", "y")
	data := withRegressionTarget(tinyData(32, 8, 8)) // 4 steps per epoch, 8 steps.
	dirA, dirB := filepath.Join(t.TempDir(), "a"), filepath.Join(t.TempDir(), "b")
	withTimeout(t, 240*time.Second, func() {
		ta, err := New(b, cfg, dirA, data.StepsPerEpoch(), WithObjective(obj))
		if err != nil {
			t.Error(err)
			return
		}
		ra, err := ta.Fit(context.Background(), data, data)
		if err != nil {
			t.Error(err)
			return
		}
		if !math.IsNaN(ra.TestAccuracy) || math.IsNaN(ra.TestMetrics["mse"]) || math.Abs(ra.TestLoss-ra.TestMetrics["mse"]) > 1e-6 {
			t.Errorf("result %+v", ra)
		}
		tb, err := New(b, cfg, dirB, data.StepsPerEpoch(), WithObjective(obj))
		if err != nil {
			t.Error(err)
			return
		}
		tb.StopAt = 3
		if _, err := tb.Fit(context.Background(), data, data); err != nil {
			t.Error(err)
			return
		}
		// Another objective (here the default) must not resume this run.
		if _, err := New(b, cfg, dirB, data.StepsPerEpoch()); err == nil || !strings.Contains(err.Error(), "objective") {
			t.Errorf("resuming with the default objective: %v", err)
		}
		tc, err := New(b, cfg, dirB, data.StepsPerEpoch(), WithObjective(obj))
		if err != nil {
			t.Error(err)
			return
		}
		if tc.GlobalStep() != 3 {
			t.Errorf("resumed at step %d, want 3", tc.GlobalStep())
		}
		rc, err := tc.Fit(context.Background(), data, data)
		if err != nil {
			t.Error(err)
			return
		}
		pa, pc := modelParams(t, ta.Store), modelParams(t, tc.Store)
		if _, ok := pa["/objective/readout/weights"]; !ok {
			t.Errorf("the objective's read-out is not in the store: %d variables", len(pa))
		}
		maxDiff := 0.0
		for k, v := range pa {
			for i := range v {
				maxDiff = math.Max(maxDiff, math.Abs(float64(v[i]-pc[k][i])))
			}
		}
		t.Logf("max |straight - resumed| parameter difference %g; final mse %.4f", maxDiff, rc.TestMetrics["mse"])
		if maxDiff > 1e-5 || math.Abs(ra.FinalLoss-rc.FinalLoss) > 1e-5 {
			t.Errorf("resumed run differs: parameters by %g, final loss %v vs %v", maxDiff, ra.FinalLoss, rc.FinalLoss)
		}
		// Determinism: a third run from scratch repeats the first bit for bit.
		td, err := New(b, cfg, "", data.StepsPerEpoch(), WithObjective(obj))
		if err != nil {
			t.Error(err)
			return
		}
		rd, err := td.Fit(context.Background(), data, nil)
		if err != nil {
			t.Error(err)
			return
		}
		if rd.FinalLoss != ra.FinalLoss {
			t.Errorf("same seed: final loss %v vs %v", rd.FinalLoss, ra.FinalLoss)
		}
	})
	if t.Failed() {
		return
	}
	c, err := LoadConfig(filepath.Join(dirB, ConfigFile))
	if err != nil || c.Objective != obj.Name {
		t.Fatalf("config objective %q, %v; want %q", c.Objective, err, obj.Name)
	}
	recs, err := ReadMetrics(dirA)
	if err != nil || len(recs) != 2 {
		t.Fatalf("metrics %+v, %v", recs, err)
	}
	last := recs[1]
	if !math.IsNaN(last.TrainAccuracy) || last.TestAccuracy != nil || last.Metrics["train_mse"] <= 0 || last.Metrics["test_mse"] <= 0 {
		t.Errorf("last record %+v", last)
	}
	if !(recs[1].Metrics["train_mse"] < recs[0].Metrics["train_mse"]) {
		t.Errorf("mse did not decrease: %v then %v", recs[0].Metrics, recs[1].Metrics)
	}
}

func TestObjectiveErrors(t *testing.T) {
	b, err := backend.New()
	if err != nil {
		t.Fatal(err)
	}
	cfg := tinyConfig(1)
	if _, err := New(b, cfg, "", 4, WithObjective(Objective{Name: "x"})); err == nil {
		t.Error("objective without Loss accepted")
	}
	named := cfg
	named.Objective = "something-else"
	if _, err := New(b, named, "", 4); err == nil {
		t.Error("config naming another objective accepted with the default one")
	}
	tr, err := New(b, cfg, "", 4, WithObjective(SoftLabelCrossEntropy("soft")))
	if err != nil {
		t.Fatal(err)
	}
	var bt Batch
	for x := range tinyData(8, 8, 1).Epoch(0) {
		bt = x
	}
	if _, err := tr.Step(bt); err == nil || !strings.Contains(err.Error(), `target "soft"`) {
		t.Errorf("batch without the target: %v", err)
	}
	d := tinyData(8, 8, 1)
	d.Targets = map[string]Target{"soft": {Shape: []int{7, 2}, Data: make([]float32, 14)}}
	for _, err := range d.Epoch(0) {
		if err == nil {
			t.Error("per-image target with the wrong length accepted")
		}
	}
}

// stimulusData adds a whole-tensor target, the same stimulus batch, to every batch of d.
type stimulusData struct {
	*MemoryData
	stim Target
}

func (s stimulusData) Epoch(e int) iter.Seq2[Batch, error] {
	return func(yield func(Batch, error) bool) {
		for b, err := range s.MemoryData.Epoch(e) {
			b.Targets = map[string]Target{"stimuli": s.stim}
			if !yield(b, err) {
				return
			}
		}
	}
}

// An alignment-style term: the objective runs the model on a stimulus-set batch carried by
// every training batch (LossInput.Forward) and adds a penalty on its penultimate activations.
// With weight 0 the run equals the plain cross-entropy's bit for bit: the extra pass leaves the
// batch-norm averages and the random state alone.
func TestObjectiveWithStimulusBatch(t *testing.T) {
	b, err := backend.New()
	if err != nil {
		t.Fatal(err)
	}
	cfg := tinyConfig(6)
	cfg.Epochs = 1
	base := tinyData(16, 8, 6)
	stim := tinyData(4, 4, 9)
	data := stimulusData{base, Target{Shape: []int{4, 32, 32, 3}, Data: stim.Images}}
	ce := SmoothedCrossEntropyObjective()
	penalised := func(weight float64) Objective {
		return Objective{Name: fmt.Sprintf("ce+%g*stimulus-penalty", weight), Metrics: []string{"accuracy", "penalty"},
			Targets: []string{"stimuli"},
			Loss: func(in LossInput) (*graph.Node, []*graph.Node) {
				l, m := ce.Loss(in)
				h := in.Forward(in.Target("stimuli")).Tap(in.Config.Model.Penultimate())
				pen := graph.ReduceAllMean(graph.Square(h))
				return graph.Add(l, graph.MulScalar(pen, weight)), append(m, pen)
			}}
	}
	withTimeout(t, 120*time.Second, func() {
		var final [3]map[string][]float32
		for run, o := range []Objective{ce, penalised(0), penalised(0.1)} {
			tr, err := New(b, cfg, "", data.StepsPerEpoch(), WithObjective(o))
			if err != nil {
				t.Error(err)
				return
			}
			for bt, err := range data.Epoch(0) {
				if err != nil {
					t.Error(err)
					return
				}
				r, err := tr.Step(bt)
				if err != nil {
					t.Error(err)
					return
				}
				if run > 0 && !(r.Metrics["penalty"] > 0) {
					t.Errorf("penalty %v", r.Metrics)
				}
			}
			final[run] = modelParams(t, tr.Store)
		}
		same := func(a, b map[string][]float32) bool {
			for k, v := range a {
				if !slices.Equal(v, b[k]) {
					return false
				}
			}
			return true
		}
		if !same(final[0], final[1]) {
			t.Error("a stimulus pass with weight 0 changed the run (state not restored?)")
		}
		if same(final[0], final[2]) {
			t.Error("the stimulus term with weight 0.1 changed nothing")
		}
	})
}
