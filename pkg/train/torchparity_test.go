package train

// Training equivalence with PyTorch (issue 8): the same initial weights and batches give the
// same activations, gradients and AdamW trajectory as PyTorch 1.13 running the study's recipe.
// The reference is bench/parity/torch_ref.py under Debian's python3-torch (/usr/bin/python3);
// without it these tests skip (and fail under CI, which installs it). About 10 s for the
// reference and 10 s for the Go side.

import (
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/coarsealign/coarsealign/pkg/backend"
	"github.com/coarsealign/coarsealign/pkg/data/npy"
	"github.com/coarsealign/coarsealign/pkg/datadir"
	"github.com/coarsealign/coarsealign/pkg/models"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// The reference run's settings (torch_ref.py's defaults).
const (
	parityBatch   = 32
	parityBatches = 10
	paritySteps   = 50
	parityWarmup  = 5
)

// Tolerances, as max|go - torch| / max|torch| over a tensor (float32 arithmetic in different
// summation orders on both sides). Measured worst cases on this machine are in the test logs.
const (
	tolForward = 1e-4 // issue 8: logits and every tap within 1e-4 relative.
	tolGrad    = 1e-3 // per-variable gradients of one batch.
	tolStep1   = 1e-3 // the first AdamW update of every entry, in units of the learning rate.
)

var (
	parityOnce sync.Once
	parityDir  string
	parityErr  error
)

// parityRef runs the PyTorch reference once per test binary and returns its output folder.
func parityRef(t *testing.T) string {
	t.Helper()
	if testing.Short() && os.Getenv("CI") == "" && os.Getenv("COARSEALIGN_PARITY") == "" {
		// Cheap enough for CI (which sets CI); locally `go test -short` skips unless asked.
		t.Skip("torch parity: set COARSEALIGN_PARITY=1 (or run without -short) to compare with PyTorch")
	}
	py := "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import torch, numpy").Run(); err != nil {
		datadir.SkipOrFail(t, "torch parity: %s cannot import torch and numpy (apt-get install python3-torch): %v", py, err)
	}
	parityOnce.Do(func() {
		dir, err := os.MkdirTemp("", "coarsealign-parity-")
		if err != nil {
			parityErr = err
			return
		}
		_, file, _, _ := runtime.Caller(0)
		script := filepath.Join(filepath.Dir(file), "..", "..", "bench", "parity", "torch_ref.py")
		cmd := exec.Command(py, "-W", "ignore", script, "--out", dir, "--batch", fmt.Sprint(parityBatch),
			"--batches", fmt.Sprint(parityBatches), "--steps", fmt.Sprint(paritySteps), "--warmup", fmt.Sprint(parityWarmup))
		if out, err := cmd.CombinedOutput(); err != nil {
			parityErr = fmt.Errorf("%s: %v\n%s", script, err, out)
			return
		}
		parityDir = dir
	})
	if parityErr != nil {
		t.Fatal(parityErr)
	}
	return parityDir
}

// paritySpec is torch_ref.py's network: AlexNetBN width 1/4 at 32x32, 10 classes, no dropout.
func paritySpec() models.Spec {
	s := models.DefaultAlexNetBN(10, 32, 0.25)
	s.Dropout = 0
	return s
}

func readNPY(t *testing.T, path string) ([]int, []float64) {
	t.Helper()
	shape, d, err := npy.ReadArray(path)
	if err != nil {
		t.Fatal(err)
	}
	return shape, d
}

func parityBatchAt(t *testing.T, dir string, i int) Batch {
	t.Helper()
	_, img := readNPY(t, filepath.Join(dir, "batches", fmt.Sprintf("images_%d.npy", i)))
	_, lab := readNPY(t, filepath.Join(dir, "batches", fmt.Sprintf("labels_%d.npy", i)))
	b := Batch{Images: make([]float32, len(img)), Labels: make([]int32, len(lab)), N: len(lab)}
	for j, v := range img {
		b.Images[j] = float32(v)
	}
	for j, v := range lab {
		b.Labels[j] = int32(v)
	}
	return b
}

// relDiff is max|a-b| / max|b|.
func relDiff(a []float32, b []float64) float64 {
	var d, m float64
	for i := range b {
		d = math.Max(d, math.Abs(float64(a[i])-b[i]))
		m = math.Max(m, math.Abs(b[i]))
	}
	if m == 0 {
		return d
	}
	return d / m
}

// toF32 rounds PyTorch's float32 values (read as float64) back to float32 for relDiff.
func toF32(x []float64) []float32 {
	out := make([]float32, len(x))
	for i, v := range x {
		out[i] = float32(v)
	}
	return out
}

func flat(t *tensors.Tensor) []float32 {
	var out []float32
	tensors.ConstFlatData(t, func(f []float32) { out = append([]float32{}, f...) })
	return out
}

func imageTensor(b Batch) *tensors.Tensor {
	img := tensors.FromShape(shapes.Make(dtypes.Float32, b.N, 32, 32, 3))
	tensors.MutableFlatData(img, func(f []float32) { copy(f, b.Images) })
	return img
}

// newTorchStore returns a store holding the reference's initial weights.
func newTorchStore(t *testing.T, dir string) *model.Store {
	t.Helper()
	store := model.NewStore()
	if err := store.SetRNGStateFromSeed(1); err != nil {
		t.Fatal(err)
	}
	if err := models.ImportTorch(store, paritySpec(), filepath.Join(dir, "init")); err != nil {
		t.Fatal(err)
	}
	return store
}

// TestTorchParityForward: logits and the 14 taps on one batch, in training mode (batch
// statistics) and evaluation mode (running statistics), within tolForward of PyTorch's.
func TestTorchParityForward(t *testing.T) {
	dir := parityRef(t)
	be, err := backend.New()
	if err != nil {
		t.Fatal(err)
	}
	spec := paritySpec()
	names := append([]string{"logits"}, spec.TapNames()...)
	b0 := parityBatchAt(t, dir, 0)
	for _, mode := range []string{"train", "eval"} {
		store := newTorchStore(t, dir)
		ex, err := model.NewExec(be, store, func(scope *model.Scope, x *graph.Node) []*graph.Node {
			scope.Store().SetTraining(x.Graph(), mode == "train")
			l, taps := models.Build(scope, spec, x)
			out := []*graph.Node{l}
			for _, tp := range taps {
				out = append(out, tp.Node)
			}
			return out
		})
		if err != nil {
			t.Fatal(err)
		}
		outs, err := ex.Call(imageTensor(b0))
		if err != nil {
			t.Fatal(err)
		}
		worst := 0.0
		for i, n := range names {
			shape, want := readNPY(t, filepath.Join(dir, "forward_"+mode, n+".npy"))
			got := flat(outs[i])
			if len(got) != len(want) {
				t.Fatalf("%s %s: %d values, torch has %d (shape %v)", mode, n, len(got), len(want), shape)
			}
			d := relDiff(got, want)
			worst = math.Max(worst, d)
			if !(d <= tolForward) {
				t.Errorf("%s mode %s: relative difference %.3g > %g", mode, n, d, tolForward)
			}
		}
		t.Logf("%s mode: worst relative difference over logits and taps %.3g", mode, worst)
	}
}

// TestTorchParityGradients: with dropout off, the gradient of the smoothed cross-entropy on one
// batch agrees with PyTorch's for every trainable variable (23: 7 kernels, 14 BN scales and
// offsets, the head's weights and bias).
func TestTorchParityGradients(t *testing.T) {
	dir := parityRef(t)
	be, err := backend.New()
	if err != nil {
		t.Fatal(err)
	}
	spec := paritySpec()
	store := newTorchStore(t, dir)
	b0 := parityBatchAt(t, dir, 0)
	var paths []string
	ex, err := model.NewExec(be, store, func(scope *model.Scope, x, y *graph.Node) []*graph.Node {
		g := x.Graph()
		scope.Store().SetTraining(g, true)
		l := SmoothedCrossEntropy(models.Logits(scope, spec, x), y, 0.1)
		paths = paths[:0]
		for v := range scope.IterVariables() {
			if v.Trainable && v.InUseByGraph(g) {
				paths = append(paths, v.Path())
			}
		}
		return append([]*graph.Node{l}, scope.BuildTrainableVariablesGradientsGraph(l)...)
	})
	if err != nil {
		t.Fatal(err)
	}
	outs, err := ex.Call(imageTensor(b0), tensors.FromValue(b0.Labels))
	if err != nil {
		t.Fatal(err)
	}
	_, wantLoss := readNPY(t, filepath.Join(dir, "grad", "loss.npy"))
	gotLoss := float64(tensors.ToScalar[float32](outs[0]))
	if d := math.Abs(gotLoss-wantLoss[0]) / wantLoss[0]; !(d <= tolForward) {
		t.Errorf("loss %.7g, torch %.7g", gotLoss, wantLoss[0])
	}
	layout, _ := models.TorchLayout(spec)
	byPath := map[string]models.TorchTensor{}
	for _, tt := range layout {
		byPath[tt.Path] = tt
	}
	if len(paths) != 23 {
		t.Fatalf("%d trainable variables, want 23: %v", len(paths), paths)
	}
	worst := 0.0
	for i, p := range paths {
		tt, ok := byPath[p]
		if !ok {
			t.Fatalf("trainable variable %s has no PyTorch counterpart", p)
		}
		want := torchToOurs(t, tt, filepath.Join(dir, "grad", tt.Key+".npy"))
		d := relDiff(flat(outs[i+1]), want)
		worst = math.Max(worst, d)
		if !(d <= tolGrad) {
			t.Errorf("gradient of %s (%s): relative difference %.3g > %g", p, tt.Key, d, tolGrad)
		}
	}
	t.Logf("loss %.7g (torch %.7g); worst gradient relative difference %.3g", gotLoss, wantLoss[0], worst)
}

// torchToOurs reads a PyTorch-layout tensor and converts it to coarsealign's layout.
func torchToOurs(t *testing.T, tt models.TorchTensor, path string) []float64 {
	t.Helper()
	_, d := readNPY(t, path)
	return tt.Convert(d)
}

// parityFactor bounds the differences from PyTorch's float32 run in units of PyTorch's own
// float32-vs-float64 difference (TestTorchParityAdamW).
const parityFactor = 3

// TestTorchParityAdamW: 50 steps of the study's recipe (AdamW lr 5e-4, decay 1e-3 on kernels
// only, 5 warm-up steps from 0.25*lr then cosine to 0, clipping at norm 1, label smoothing 0.1)
// on the same 10 batches (cycled; no augmentation, no dropout).
//
//   - Step 1: every entry's update equals PyTorch's within tolStep1 x the learning rate plus
//     the float32 rounding of the weights (optimizer, decay, clipping, bias correction). Adam's first update is about lr*sign(g), so
//     entries whose gradient is below 1e-3 of the tensor's largest are set by rounding (PyTorch's
//     float32 and float64 runs differ there too); for those only |update| <= lr is checked.
//   - The learning rate of every step equals PyTorch's SequentialLR(LinearLR, CosineAnnealingLR)
//     within 1e-5 of the peak rate (float32 schedule arithmetic).
//   - Along the 50 steps, the losses and gradient norms, and at the end every variable (running
//     statistics included) and the evaluation-mode logits, stay within parityFactor = 3 times
//     the distance y between PyTorch's own float32 and float64 runs of the same recipe, plus
//     1e-4: if our float32 error is at most twice PyTorch's (|go - t64| <= 2y), the triangle
//     inequality puts us within 3y of PyTorch's float32 run (|go - t32| <= |go - t64| + y).
//     (The bound was 2y, which asks for our error to be no larger than PyTorch's own; on an
//     AVX-512 Xeon with OpenBLAS's SkylakeX kernels the loss reached 2.15y, also before the
//     kernel changes of 2026-12-02, while every single-step check held.) Fitting 320
//     random labels is a chaotic regime: float32 rounding alone moves the final weights by up to
//     10% (BN offsets by 30%) in PyTorch itself, so a fixed tolerance would either hide a real
//     difference early on or fail on rounding late; the float64 run is the yardstick.
func TestTorchParityAdamW(t *testing.T) {
	dir := parityRef(t)
	be, err := backend.New()
	if err != nil {
		t.Fatal(err)
	}
	spec := paritySpec()
	rec := DefaultRecipe()
	rec.WarmupEpochs, rec.WarmupSteps = 0, parityWarmup
	cfg := Config{Model: spec, Recipe: rec, Seed: 1, BatchSize: parityBatch, Steps: paritySteps}
	tr, err := New(be, cfg, "", parityBatches)
	if err != nil {
		t.Fatal(err)
	}
	if err := models.ImportTorch(tr.Store, spec, filepath.Join(dir, "init")); err != nil {
		t.Fatal(err)
	}
	layout, _ := models.TorchLayout(spec)
	_, trace := readNPY(t, filepath.Join(dir, "adamw", "trace.npy"))
	_, trace64 := readNPY(t, filepath.Join(dir, "adamw64", "trace.npy"))
	batches := make([]Batch, parityBatches)
	for i := range batches {
		batches[i] = parityBatchAt(t, dir, i)
	}
	// Yardsticks from the float64 run.
	var yLoss, yNorm float64
	for s := range paritySteps {
		yLoss = math.Max(yLoss, math.Abs(trace[3*s]-trace64[3*s])/trace64[3*s])
		yNorm = math.Max(yNorm, math.Abs(trace[3*s+2]-trace64[3*s+2])/trace64[3*s+2])
	}
	var worstLoss, worstLR, worstNorm, worstStep1 float64
	var worstLoss64, worstNorm64 float64 // against the float64 run
	for s := range paritySteps {
		var before map[string][]float32
		if s == 0 {
			before = map[string][]float32{}
			for _, tt := range layout {
				before[tt.Path] = flat(tr.Store.GetVariable(tt.Path).MustValue())
			}
		}
		r, err := tr.Step(batches[s%parityBatches])
		if err != nil {
			t.Fatal(err)
		}
		if s == 0 {
			for _, tt := range layout {
				after := flat(tr.Store.GetVariable(tt.Path).MustValue())
				want := torchToOurs(t, tt, filepath.Join(dir, "adamw", "step1", tt.Key+".npy"))
				if strings.Contains(tt.Key, ".running_") { // a function of one batch's statistics
					if d := relDiff(after, want); !(d <= tolForward) {
						t.Errorf("step 1: %s relative difference %.3g > %g", tt.Key, d, tolForward)
					}
					continue
				}
				init := torchToOurs(t, tt, filepath.Join(dir, "init", tt.Key+".npy"))
				g := torchToOurs(t, tt, filepath.Join(dir, "grad", tt.Key+".npy"))
				gmax := 0.0
				for _, x := range g {
					gmax = math.Max(gmax, math.Abs(x))
				}
				lr0 := rec.LearningRate * rec.WarmupStart
				for i := range after {
					dg := float64(after[i]) - float64(before[tt.Path][i])
					dt := want[i] - init[i]
					if math.Abs(g[i]) < 1e-3*gmax {
						// Sign and size set by rounding: only bounded (|update| <= lr*(1+wd) + decay).
						if !(math.Abs(dg) <= 1.01*lr0+lr0*rec.WeightDecay*math.Abs(float64(before[tt.Path][i]))) {
							t.Errorf("step 1: %s[%d] (gradient %.3g) moved by %.3g, more than the rate %.3g", tt.Key, i, g[i], dg, lr0)
						}
						continue
					}
					// Both updates are differences of float32 weights: allow 2 ulps of each.
					w := math.Max(math.Abs(float64(before[tt.Path][i])), math.Abs(want[i]))
					ulp := float64(math.Nextafter32(float32(w), math.MaxFloat32)) - float64(float32(w))
					d := math.Max(0, math.Abs(dg-dt)-4*ulp) / lr0
					worstStep1 = math.Max(worstStep1, d)
					if !(d <= tolStep1) {
						t.Errorf("step 1: %s[%d] moved by %.6g, torch %.6g (gradient %.3g)", tt.Key, i, dg, dt, g[i])
					}
				}
			}
		}
		wl, wlr, wn := trace[3*s], trace[3*s+1], trace[3*s+2]
		dl, dlr, dn := math.Abs(r.Loss-wl)/wl, math.Abs(r.LearningRate-wlr)/wlr, math.Abs(r.GradNorm-wn)/wn
		worstLoss, worstLR, worstNorm = math.Max(worstLoss, dl), math.Max(worstLR, dlr), math.Max(worstNorm, dn)
		l64, n64 := trace64[3*s], trace64[3*s+2]
		worstLoss64 = math.Max(worstLoss64, math.Abs(r.Loss-l64)/l64)
		worstNorm64 = math.Max(worstNorm64, math.Abs(r.GradNorm-n64)/n64)
		if !(math.Abs(r.LearningRate-wlr) <= 1e-5*rec.LearningRate) {
			t.Errorf("step %d: learning rate %.8g, torch %.8g", s, r.LearningRate, wlr)
		}
	}
	if !(worstLoss <= parityFactor*yLoss+1e-4) || !(worstNorm <= parityFactor*yNorm+1e-4) {
		t.Errorf("losses / gradient norms along %d steps differ from torch by up to %.3g / %.3g (from torch float64: %.3g / %.3g); torch float32 vs float64: %.3g / %.3g",
			paritySteps, worstLoss, worstNorm, worstLoss64, worstNorm64, yLoss, yNorm)
	}
	worstW, worstRatio := 0.0, 0.0
	for _, tt := range layout {
		v := tr.Store.GetVariable(tt.Path)
		if v == nil {
			t.Fatalf("no variable %s", tt.Path)
		}
		want := torchToOurs(t, tt, filepath.Join(dir, "adamw", "final", tt.Key+".npy"))
		want64 := torchToOurs(t, tt, filepath.Join(dir, "adamw64", "final", tt.Key+".npy"))
		got := flat(v.MustValue())
		d, d64, y := relDiff(got, want), relDiff(got, want64), relDiff(toF32(want), want64)
		worstW = math.Max(worstW, d)
		worstRatio = math.Max(worstRatio, d/(y+1e-4))
		if !(d <= parityFactor*y+1e-4) {
			t.Errorf("after %d steps %s (%s): relative difference to torch float64 %.3g (float32 %.3g); torch float32 vs float64 %.3g", paritySteps, tt.Path, tt.Key, d64, d, y)
		}
	}
	ex, err := model.NewExec(be, tr.Store, func(scope *model.Scope, x *graph.Node) *graph.Node {
		scope.Store().SetTraining(x.Graph(), false)
		return models.Logits(scope, spec, x)
	})
	if err != nil {
		t.Fatal(err)
	}
	out, err := ex.Call(imageTensor(batches[0]))
	if err != nil {
		t.Fatal(err)
	}
	_, want := readNPY(t, filepath.Join(dir, "adamw", "eval_logits.npy"))
	_, want64 := readNPY(t, filepath.Join(dir, "adamw64", "eval_logits.npy"))
	dEval, dEval64, yEval := relDiff(flat(out[0]), want), relDiff(flat(out[0]), want64), relDiff(toF32(want), want64)
	if !(dEval <= parityFactor*yEval+1e-4) {
		t.Errorf("evaluation-mode logits after %d steps: relative difference to torch float64 %.3g (float32 %.3g); torch float32 vs float64 %.3g", paritySteps, dEval64, dEval, yEval)
	}
	t.Logf("step 1 updates: worst difference %.3g x the learning rate", worstStep1)
	t.Logf("%d steps, worst relative differences go vs torch64 / go vs torch32 (torch32 vs torch64): loss %.3g / %.3g (%.3g), grad norm %.3g / %.3g (%.3g), lr %.3g, weights vs torch32 %.3g (over the yardstick <= %.2f), eval logits %.3g / %.3g (%.3g)",
		paritySteps, worstLoss64, worstLoss, yLoss, worstNorm64, worstNorm, yNorm, worstLR, worstW, worstRatio, dEval64, dEval, yEval)
}
