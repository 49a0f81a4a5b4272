package models

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coarsealign/coarsealign/pkg/backend"
	"github.com/coarsealign/coarsealign/pkg/data/npy"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// initStore builds s once (initialising its variables) and returns the store.
func initStore(t *testing.T, s Spec) *model.Store {
	t.Helper()
	b, err := backend.New()
	if err != nil {
		t.Fatal(err)
	}
	store := model.NewStore()
	if err := store.SetRNGStateFromSeed(3); err != nil {
		t.Fatal(err)
	}
	img := tensors.FromShape(shapes.Make(dtypes.Float32, 2, s.InputSize, s.InputSize, s.Channels))
	ex, err := model.NewExec(b, store, func(scope *model.Scope, x *graph.Node) *graph.Node { return Logits(scope, s, x) })
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ex.Call(img); err != nil {
		t.Fatal(err)
	}
	return store
}

func values(t *testing.T, store *model.Store, path string) []float32 {
	t.Helper()
	v := store.GetVariable(path)
	if v == nil {
		t.Fatalf("no variable %s", path)
	}
	var out []float32
	tensors.ConstFlatData(v.MustValue(), func(f []float32) { out = append(out, f...) })
	return out
}

func momentsOf(x []float32) (mean, std, maxAbs float64) {
	for _, v := range x {
		mean += float64(v)
		maxAbs = math.Max(maxAbs, math.Abs(float64(v)))
	}
	mean /= float64(len(x))
	for _, v := range x {
		std += (float64(v) - mean) * (float64(v) - mean)
	}
	return mean, math.Sqrt(std / float64(len(x))), maxAbs
}

// PyTorch's default (torch/nn/modules/conv.py and linear.py, reset_parameters):
// kaiming_uniform_(a=sqrt(5)) gives U(-1/sqrt(fan_in), 1/sqrt(fan_in)), standard deviation
// 1/sqrt(3 fan_in); biases U(-1/sqrt(fan_in), 1/sqrt(fan_in)). GoMLX's default: N(0, 2/fan_in).
func TestInitTorchAndHeNormal(t *testing.T) {
	s := DefaultAlexNetBN(10, 32, 0.25)
	store := initStore(t, s)
	for _, c := range []struct {
		path string
		fan  int
	}{{"/model/conv3/conv/weights", 9 * 48}, {"/model/fc6/dense/weights", 64 * 9}, {"/model/fc8/dense/weights", 1024}} {
		mean, std, maxAbs := momentsOf(values(t, store, c.path))
		bound := 1 / math.Sqrt(float64(c.fan))
		if maxAbs > bound || math.Abs(std-bound/math.Sqrt(3)) > 0.03*bound/math.Sqrt(3) || math.Abs(mean) > 0.02*bound {
			t.Errorf("%s: mean %.3g std %.4g max %.4g; want U(+-%.4g) (std %.4g)", c.path, mean, std, maxAbs, bound, bound/math.Sqrt(3))
		}
	}
	bias := values(t, store, "/model/fc8/dense/biases")
	_, _, maxAbs := momentsOf(bias)
	if maxAbs == 0 || maxAbs > 1/math.Sqrt(1024) {
		t.Errorf("fc8 biases: max |b| = %.4g, want in (0, %.4g]", maxAbs, 1/math.Sqrt(1024))
	}
	if _, _, m := momentsOf(values(t, store, "/model/conv1/bn/offset")); m != 0 {
		t.Errorf("batch-norm offsets not zero at init")
	}

	s.Init = InitHeNormal
	store = initStore(t, s)
	_, std, _ := momentsOf(values(t, store, "/model/conv3/conv/weights"))
	if want := math.Sqrt(2.0 / (9 * 48)); math.Abs(std-want) > 0.03*want {
		t.Errorf("he-normal conv3: std %.4g, want %.4g", std, want)
	}
	if _, _, m := momentsOf(values(t, store, "/model/fc8/dense/biases")); m != 0 {
		t.Errorf("he-normal fc8 biases not zero")
	}
	s.Init = "xavier"
	if err := s.Validate(); err == nil || !strings.Contains(err.Error(), "init") {
		t.Errorf("spec init=xavier accepted: %v", err)
	}
}

// ImportTorch names the missing file or the wrong shape; the conversions are checked end to
// end against PyTorch in pkg/train's TestTorchParity* tests.
func TestImportTorchErrors(t *testing.T) {
	s := DefaultAlexNetBN(10, 32, 0.25)
	dir := t.TempDir()
	err := ImportTorch(model.NewStore(), s, dir)
	if err == nil || !strings.Contains(err.Error(), "conv1.weight.npy") {
		t.Fatalf("missing file: %v", err)
	}
	if err := npy.WriteMatrix32(filepath.Join(dir, "conv1.weight.npy"), 16, 27, make([]float32, 16*27)); err != nil {
		t.Fatal(err)
	}
	err = ImportTorch(model.NewStore(), s, dir)
	if err == nil || !strings.Contains(err.Error(), "[16 27]") || !strings.Contains(err.Error(), "[16 3 3 3]") {
		t.Fatalf("wrong shape: %v", err)
	}
	os.WriteFile(filepath.Join(dir, "conv1.weight.npy"), []byte("garbage"), 0o644)
	if err := ImportTorch(model.NewStore(), s, dir); err == nil || !strings.Contains(err.Error(), "conv1.weight.npy") {
		t.Fatalf("corrupt file: %v", err)
	}
	vit := DefaultViT(10, 32)
	if err := ImportTorch(model.NewStore(), vit, dir); err == nil {
		t.Fatal("ViT import accepted")
	}
}
