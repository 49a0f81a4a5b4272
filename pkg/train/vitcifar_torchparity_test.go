package train

// Equivalence of the CIFAR-scale ViT (models.ViTCIFAR, issue 17) with its PyTorch 1.13 twin,
// bench/parity/torch_vit.py: the same weights and batch give the same logits, taps, loss and
// gradients. Skipped like the AlexNet-BN parity tests (torchparity_test.go) unless
// COARSEALIGN_PARITY=1, CI, or no -short.

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
	"github.com/coarsealign/coarsealign/pkg/datadir"
	"github.com/coarsealign/coarsealign/pkg/models"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

const vitParityBatch = 8

var (
	vitParityOnce sync.Once
	vitParityDir  string
	vitParityErr  error
)

// vitParityRef runs torch_vit.py ref once per test binary (about 5 s of CPU).
func vitParityRef(t *testing.T) string {
	t.Helper()
	if testing.Short() && os.Getenv("CI") == "" && os.Getenv("COARSEALIGN_PARITY") == "" {
		t.Skip("torch parity: set COARSEALIGN_PARITY=1 (or run without -short) to compare with PyTorch")
	}
	py := "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import torch, numpy").Run(); err != nil {
		datadir.SkipOrFail(t, "torch parity: %s cannot import torch and numpy (apt-get install python3-torch): %v", py, err)
	}
	vitParityOnce.Do(func() {
		dir, err := os.MkdirTemp("", "coarsealign-vitparity-")
		if err != nil {
			vitParityErr = err
			return
		}
		_, file, _, _ := runtime.Caller(0)
		script := filepath.Join(filepath.Dir(file), "..", "..", "bench", "parity", "torch_vit.py")
		cmd := exec.Command(py, "-W", "ignore", script, "ref", "--out", dir, "--batch", fmt.Sprint(vitParityBatch))
		if out, err := cmd.CombinedOutput(); err != nil {
			vitParityErr = fmt.Errorf("%s: %v\n%s", script, err, out)
			return
		}
		vitParityDir = dir
	})
	if vitParityErr != nil {
		t.Fatal(vitParityErr)
	}
	return vitParityDir
}

// TestViTCIFARTorchParity: from PyTorch's initial weights (width 1: token width 192, 6 blocks,
// 3 heads, MLP 768), the logits and all 13 taps on one batch agree within tolForward, and the
// smoothed cross-entropy and the gradients of all 104 trainable variables within tolGrad
// (relative to the largest entry of each tensor).
func TestViTCIFARTorchParity(t *testing.T) {
	dir := vitParityRef(t)
	be, err := backend.New()
	if err != nil {
		t.Fatal(err)
	}
	spec := models.DefaultViTCIFAR(10, 32, 1)
	store := model.NewStore()
	if err := store.SetRNGStateFromSeed(1); err != nil {
		t.Fatal(err)
	}
	if err := models.ImportTorch(store, spec, filepath.Join(dir, "init")); err != nil {
		t.Fatal(err)
	}
	b0 := parityBatchAt(t, dir, 0)
	names := append([]string{"logits"}, spec.TapNames()...)
	var paths []string
	ex, err := model.NewExec(be, store, func(scope *model.Scope, x, y *graph.Node) []*graph.Node {
		g := x.Graph()
		scope.Store().SetTraining(g, true)
		logits, taps := models.Build(scope, spec, x)
		l := SmoothedCrossEntropy(logits, y, 0.1)
		paths = paths[:0]
		for v := range scope.IterVariables() {
			if v.Trainable && v.InUseByGraph(g) {
				paths = append(paths, v.Path())
			}
		}
		out := []*graph.Node{logits}
		for _, tp := range taps {
			out = append(out, tp.Node)
		}
		out = append(out, l)
		return append(out, scope.BuildTrainableVariablesGradientsGraph(l)...)
	})
	if err != nil {
		t.Fatal(err)
	}
	outs, err := ex.Call(imageTensor(b0), tensors.FromValue(b0.Labels))
	if err != nil {
		t.Fatal(err)
	}
	worst := 0.0
	for i, n := range names {
		_, want := readNPY(t, filepath.Join(dir, "forward", n+".npy"))
		got := flat(outs[i])
		if len(got) != len(want) {
			t.Fatalf("%s: %d values, torch has %d", n, len(got), len(want))
		}
		d := relDiff(got, want)
		worst = math.Max(worst, d)
		if !(d <= tolForward) {
			t.Errorf("%s: relative difference %.3g > %g", n, d, tolForward)
		}
	}
	_, wantLoss := readNPY(t, filepath.Join(dir, "grad", "loss.npy"))
	gotLoss := float64(tensors.ToScalar[float32](outs[len(names)]))
	if d := math.Abs(gotLoss-wantLoss[0]) / wantLoss[0]; !(d <= tolForward) {
		t.Errorf("loss %.7g, torch %.7g", gotLoss, wantLoss[0])
	}
	layout, err := models.TorchLayout(spec)
	if err != nil {
		t.Fatal(err)
	}
	byPath := map[string]models.TorchTensor{}
	for _, tt := range layout {
		byPath[tt.Path] = tt
	}
	if len(paths) != 104 || len(layout) != 104 {
		t.Fatalf("%d trainable variables and %d state_dict entries, want 104: %v", len(paths), len(layout), paths)
	}
	worstGrad := 0.0
	for i, p := range paths {
		tt, ok := byPath[p]
		if !ok {
			t.Fatalf("trainable variable %s has no PyTorch counterpart", p)
		}
		want := torchToOurs(t, tt, filepath.Join(dir, "grad", tt.Key+".npy"))
		got := flat(outs[len(names)+1+i])
		if strings.HasSuffix(tt.Key, ".k.bias") {
			// The key bias adds q.b to every score of a query, which the softmax removes: its
			// gradient is 0 in exact arithmetic, rounding noise on both sides. Both must be
			// negligible against the gradient of the query bias of the same block.
			_, qb := readNPY(t, filepath.Join(dir, "grad", strings.TrimSuffix(tt.Key, ".k.bias")+".q.bias.npy"))
			scale := relDiff(toF32(qb), make([]float64, len(qb))) // max|grad q.bias| (relDiff against 0)
			if g, w := relDiff(got, make([]float64, len(got))), relDiff(toF32(want), make([]float64, len(want))); !(g <= 1e-4*scale && w <= 1e-4*scale) {
				t.Errorf("gradient of %s: max %.3g (torch %.3g), want 0 (below 1e-4 of the query bias's %.3g)", p, g, w, scale)
			}
			continue
		}
		d := relDiff(got, want)
		worstGrad = math.Max(worstGrad, d)
		if !(d <= tolGrad) {
			t.Errorf("gradient of %s (%s): relative difference %.3g > %g", p, tt.Key, d, tolGrad)
		}
	}
	t.Logf("worst relative difference: logits and taps %.3g, loss %.3g (torch %.7g), gradients %.3g",
		worst, math.Abs(gotLoss-wantLoss[0])/wantLoss[0], wantLoss[0], worstGrad)
}
