package train

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/coarsealign/coarsealign/pkg/backend"
	"github.com/coarsealign/coarsealign/pkg/models"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/initializer"
)

// withTimeout fails the test if f does not return within d: it catches executor hangs.
func withTimeout(t *testing.T, d time.Duration, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); f() }()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatalf("timed out after %s (executor hang?)", d)
	}
}

// tinyData is n synthetic 32x32x3 images of 2 classes: class 1 has a bright left half.
func tinyData(n, batch int, seed uint64) *MemoryData {
	const s = 32
	d := &MemoryData{H: s, W: s, C: 3, BatchSize: batch, Seed: seed, Shuffle: true, Flip: false,
		Images: make([]float32, n*s*s*3), Labels: make([]int32, n)}
	for i := 0; i < n; i++ {
		d.Labels[i] = int32(i % 2)
		for y := 0; y < s; y++ {
			for x := 0; x < s; x++ {
				for c := 0; c < 3; c++ {
					v := float32((i*7+y*3+x*5+c)%11)/11 - 0.5
					if d.Labels[i] == 1 && x < s/2 {
						v += 1
					}
					d.Images[((i*s+y)*s+x)*3+c] = v
				}
			}
		}
	}
	return d
}

func tinyConfig(seed int64) Config {
	return Config{Model: models.DefaultAlexNetBN(2, 32, 0.0625), Recipe: DefaultRecipe(), Seed: seed,
		BatchSize: 8, Epochs: 3, Norm: Normalization{Mean: []float64{0.5, 0.5, 0.5}, Std: []float64{0.25, 0.25, 0.25}}}
}

func modelParams(t *testing.T, s *model.Store) map[string][]float32 {
	t.Helper()
	out := map[string][]float32{}
	for v := range s.IterVariables() {
		if v.Shape().DType != dtypes.Float32 {
			continue
		}
		out[v.Path()] = append([]float32(nil), tensors.MustCopyFlatData[float32](v.MustValue())...)
	}
	return out
}

func TestScheduleValues(t *testing.T) {
	r := DefaultRecipe()
	// Linear warm-up from 0.25*lr (study) over 4 steps, cosine to 0 over the remaining 8.
	for _, c := range []struct {
		step int
		want float64
	}{{0, 0.25 * 5e-4}, {2, 0.625 * 5e-4}, {4, 5e-4}, {8, 0.5 * 5e-4}, {12, 0}} {
		if got := r.LearningRateAt(c.step, 4, 12); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("lr(%d) = %g, want %g", c.step, got, c.want)
		}
	}
}

// TestAdamWUpdate checks one update against the closed form: after one step Adam's bias-corrected
// moments are m=g and v=g^2, so the step is lr*g/(|g|+eps), plus decoupled decay lr*wd*p on
// "weights" only; gradients are first scaled by clip/(norm+1e-6) when their norm exceeds clip.
func TestAdamWUpdate(t *testing.T) {
	b, err := backend.New()
	if err != nil {
		t.Fatal(err)
	}
	store := model.NewStore()
	r := DefaultRecipe()
	r.LearningRate, r.WeightDecay, r.WarmupStart = 0.1, 0.5, 1
	opt := &AdamW{Recipe: r, WarmupSteps: 0, TotalSteps: 1000000}
	// loss = 3*w0 + 4*w1 + 0.5*b: gradient (3,4) for weights, 0.5 for biases; norm sqrt(25.25).
	exec, err := model.NewExec(b, store, func(scope *model.Scope, g *graph.Graph) []*graph.Node {
		scope.Store().SetTraining(g, true)
		sc := scope.In("layer").WithInitializer(initializer.One)
		w := sc.VariableWithShape("weights", shapes.Make(dtypes.Float32, 2)).NodeValue(g)
		bias := sc.VariableWithShape("biases", shapes.Make(dtypes.Float32, 1)).NodeValue(g)
		coef := graph.Const(g, []float32{3, 4})
		l := graph.Add(graph.ReduceAllSum(graph.Mul(w, coef)), graph.MulScalar(graph.ReduceAllSum(bias), 0.5))
		lr, norm := opt.Update(scope, l)
		return []*graph.Node{lr, norm}
	})
	if err != nil {
		t.Fatal(err)
	}
	outs, err := exec.Call()
	if err != nil {
		t.Fatal(err)
	}
	norm := math.Sqrt(25.25)
	if got := float64(tensors.ToScalar[float32](outs[1])); math.Abs(got-norm) > 1e-5 {
		t.Fatalf("grad norm %g, want %g", got, norm)
	}
	coef := 1 / (norm + 1e-6) // clip 1.
	g := []float64{3 * coef, 4 * coef, 0.5 * coef}
	want := []float64{
		1 - 0.1*0.5*1 - 0.1*g[0]/(g[0]+1e-8),
		1 - 0.1*0.5*1 - 0.1*g[1]/(g[1]+1e-8),
		1 - 0.1*g[2]/(g[2]+1e-8), // bias: no decay.
	}
	w := tensors.MustCopyFlatData[float32](store.GetVariable("/layer/weights").MustValue())
	bb := tensors.MustCopyFlatData[float32](store.GetVariable("/layer/biases").MustValue())
	got := []float64{float64(w[0]), float64(w[1]), float64(bb[0])}
	for i := range want {
		if !(math.Abs(got[i]-want[i]) <= 1e-6) {
			t.Errorf("param %d = %.7f, want %.7f", i, got[i], want[i])
		}
	}
}

func TestTrainDeterministicAndLearns(t *testing.T) {
	b, err := backend.New()
	if err != nil {
		t.Fatal(err)
	}
	cfg := tinyConfig(7)
	data := tinyData(32, 8, 7) // 4 steps per epoch, 12 steps.
	var losses [2][]float64
	var params [2]map[string][]float32
	withTimeout(t, 120*time.Second, func() {
		for run := 0; run < 2; run++ {
			tr, err := New(b, cfg, "", data.StepsPerEpoch())
			if err != nil {
				t.Error(err)
				return
			}
			for e := 0; e < cfg.Epochs; e++ {
				for bt, err := range data.Epoch(e) {
					if err != nil {
						t.Error(err)
						return
					}
					r, err := tr.Step(bt)
					if err != nil {
						t.Error(err)
						return
					}
					losses[run] = append(losses[run], r.Loss)
					if want := cfg.Recipe.LearningRateAt(tr.GlobalStep()-1, 8, 12); math.Abs(r.LearningRate-want) > 1e-9 {
						t.Errorf("step %d lr %g, want %g", tr.GlobalStep(), r.LearningRate, want)
					}
				}
			}
			params[run] = modelParams(t, tr.Store)
		}
	})
	if t.Failed() {
		return
	}
	for i := range losses[0] {
		if losses[0][i] != losses[1][i] {
			t.Fatalf("same seed, step %d: loss %v vs %v", i, losses[0][i], losses[1][i])
		}
	}
	for k, v := range params[0] {
		for i := range v {
			if v[i] != params[1][k][i] {
				t.Fatalf("same seed: %s[%d] %v vs %v", k, i, v[i], params[1][k][i])
			}
		}
	}
	first := (losses[0][0] + losses[0][1]) / 2
	n := len(losses[0])
	last := (losses[0][n-1] + losses[0][n-2]) / 2
	t.Logf("losses %.4f", losses[0])
	if !(last < first) {
		t.Errorf("loss did not decrease: first steps %.4f, last steps %.4f", first, last)
	}
}

func TestResumeMatchesStraight(t *testing.T) {
	b, err := backend.New()
	if err != nil {
		t.Fatal(err)
	}
	cfg := tinyConfig(3)
	cfg.Epochs = 2
	cfg.CheckpointSteps = []int{2}
	data := tinyData(32, 8, 3) // 4 steps per epoch, 8 steps.
	dirA, dirB := filepath.Join(t.TempDir(), "a"), filepath.Join(t.TempDir(), "b")
	var ra, rb Result
	withTimeout(t, 180*time.Second, func() {
		ta, err := New(b, cfg, dirA, data.StepsPerEpoch())
		if err != nil {
			t.Error(err)
			return
		}
		if ra, err = ta.Fit(context.Background(), data, data); err != nil {
			t.Error(err)
			return
		}
		tb, err := New(b, cfg, dirB, data.StepsPerEpoch())
		if err != nil {
			t.Error(err)
			return
		}
		tb.StopAt = 3 // mid-epoch.
		if _, err = tb.Fit(context.Background(), data, data); err != nil {
			t.Error(err)
			return
		}
		tc, err := New(b, cfg, dirB, data.StepsPerEpoch()) // fresh store: resumes from step 3.
		if err != nil {
			t.Error(err)
			return
		}
		if tc.GlobalStep() != 3 {
			t.Errorf("resumed at step %d, want 3", tc.GlobalStep())
		}
		if rb, err = tc.Fit(context.Background(), data, data); err != nil {
			t.Error(err)
			return
		}
		// Bit for bit (issue 10): every variable, the optimizer's moments included. Before the
		// global gradient norm was summed in path order, 76 of 85 variables differed by ~1e-7.
		pa, pc := modelParams(t, ta.Store), modelParams(t, tc.Store)
		if len(pa) != len(pc) {
			t.Errorf("%d variables straight, %d resumed", len(pa), len(pc))
		}
		for k, v := range pa {
			n := 0
			for i := range v {
				if math.Float32bits(v[i]) != math.Float32bits(pc[k][i]) {
					n++
				}
			}
			if n > 0 {
				t.Errorf("%s: %d of %d values differ between the straight and the resumed run", k, n, len(v))
			}
		}
	})
	if t.Failed() {
		return
	}
	if ra.Step != 8 || rb.Step != 8 || ra.FinalLoss != rb.FinalLoss || ra.TestAccuracy != rb.TestAccuracy {
		t.Errorf("straight %+v, resumed %+v", ra, rb)
	}
	l, err := ListCheckpoints(dirB)
	if err != nil {
		t.Fatal(err)
	}
	steps := []int{}
	for _, c := range l {
		steps = append(steps, c.Step)
	}
	// Kept: chronology step 2, and the latest two resume checkpoints (4 = end of epoch 1, 8).
	if len(steps) != 3 || steps[0] != 2 || steps[1] != 4 || steps[2] != 8 {
		t.Errorf("checkpoints %v, want [2 4 8]", steps)
	}
	recs, err := ReadMetrics(dirA)
	if err != nil || len(recs) != 2 || recs[1].TestAccuracy == nil {
		t.Errorf("metrics %+v, %v", recs, err)
	}
	run, err := OpenRun(dirB, -1)
	if err != nil || run.Step != 8 {
		t.Fatalf("OpenRun: %v step %d", err, run.Step)
	}
	if _, err := os.Stat(filepath.Join(dirB, MetricsCSV)); err != nil {
		t.Error(err)
	}
}
