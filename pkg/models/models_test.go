package models

import (
	"encoding/json"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/coarsealign/coarsealign/pkg/backend"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// runTaps executes the model on zeros-plus-ramp images and returns the logits and tap shapes.
func runTaps(t *testing.T, s Spec, batch int) (logits *tensors.Tensor, tapShapes map[string][]int) {
	t.Helper()
	b, err := backend.New()
	if err != nil {
		t.Fatal(err)
	}
	store := model.NewStore()
	if err := store.SetRNGStateFromSeed(1); err != nil {
		t.Fatal(err)
	}
	img := tensors.FromShape(shapes.Make(dtypes.Float32, batch, s.InputSize, s.InputSize, s.Channels))
	tensors.MutableFlatData(img, func(f []float32) {
		for i := range f {
			f[i] = float32(i%17)/17 - 0.5
		}
	})
	names := s.TapNames()
	exec, err := model.NewExec(b, store, func(scope *model.Scope, x *graph.Node) []*graph.Node {
		l, taps := Build(scope, s, x)
		out := []*graph.Node{l}
		for i, tp := range taps {
			if tp.Name != names[i] {
				t.Errorf("tap %d is %q, TapNames says %q", i, tp.Name, names[i])
			}
			out = append(out, tp.Node)
		}
		return out
	})
	if err != nil {
		t.Fatal(err)
	}
	outs, err := exec.Call(img)
	if err != nil {
		t.Fatal(err)
	}
	tapShapes = map[string][]int{}
	for i, n := range names {
		tapShapes[n] = outs[i+1].Shape().Dimensions
	}
	return outs[0], tapShapes
}

func TestAlexNetBNTaps32(t *testing.T) {
	s := DefaultAlexNetBN(10, 32, 0.125) // channels 8,24,48,32,32; FC 512.
	logits, got := runTaps(t, s, 2)
	if d := logits.Shape().Dimensions; !reflect.DeepEqual(d, []int{2, 10}) {
		t.Fatalf("logits %v", d)
	}
	if len(got) != 14 {
		t.Fatalf("%d taps, want 14 (the study's extraction points)", len(got))
	}
	want := map[string][]int{
		"conv1.pre": {2, 32, 32, 8}, "conv1.post": {2, 32, 32, 8},
		"conv2.pre": {2, 16, 16, 24}, "conv3.post": {2, 8, 8, 48},
		"conv4.pre": {2, 8, 8, 32}, "conv5.post": {2, 8, 8, 32},
		"fc6.pre": {2, 512}, "fc7.post": {2, 512},
	}
	for n, w := range want {
		if !reflect.DeepEqual(got[n], w) {
			t.Errorf("%s shape %v, want %v", n, got[n], w)
		}
	}
	for _, v := range logits.Value().([][]float32) {
		for _, x := range v {
			if x != x {
				t.Fatal("NaN logit")
			}
		}
	}
}

func TestAlexNetBNTaps64(t *testing.T) {
	s := DefaultAlexNetBN(4, 64, 0.0625)
	_, got := runTaps(t, s, 1)
	if !reflect.DeepEqual(got["conv1.pre"], []int{1, 32, 32, 4}) || !reflect.DeepEqual(got["conv5.post"], []int{1, 8, 8, 16}) {
		t.Errorf("64 variant shapes: conv1.pre %v conv5.post %v", got["conv1.pre"], got["conv5.post"])
	}
}

func TestViTTaps(t *testing.T) {
	s := Spec{Arch: ViT, NumClasses: 3, InputSize: 16, Channels: 3, PatchSize: 4, Dim: 16, Depth: 2, Heads: 2, MLPDim: 32}
	logits, got := runTaps(t, s, 2)
	if d := logits.Shape().Dimensions; !reflect.DeepEqual(d, []int{2, 3}) {
		t.Fatalf("logits %v", d)
	}
	want := map[string][]int{"embed": {2, 17, 16}, "block1": {2, 17, 16}, "block2": {2, 17, 16}, "head.pre": {2, 16}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("taps %v, want %v", got, want)
	}
}

func TestSpecJSONAndValidate(t *testing.T) {
	s := DefaultViT(8, 32)
	path := filepath.Join(t.TempDir(), "spec.json")
	if err := s.Save(path); err != nil {
		t.Fatal(err)
	}
	back, err := LoadSpec(path)
	if err != nil || back != s {
		t.Fatalf("round trip %+v, %v; want %+v", back, err, s)
	}
	bad := []Spec{
		{Arch: AlexNetBN, NumClasses: 10, InputSize: 48, Channels: 3, Width: 1},
		{Arch: AlexNetBN, NumClasses: 1, InputSize: 32, Channels: 3, Width: 1},
		{Arch: ViT, NumClasses: 10, InputSize: 30, Channels: 3, PatchSize: 4, Dim: 8, Heads: 2, Depth: 1, MLPDim: 8},
		{Arch: "resnet", NumClasses: 10, InputSize: 32, Channels: 3},
	}
	for _, b := range bad {
		if b.Validate() == nil {
			raw, _ := json.Marshal(b)
			t.Errorf("Validate(%s) = nil, want error", raw)
		}
	}
}

// TestAlexNetBNTaps224 checks the original AlexNet geometry (needs a backend with overlapping
// max pools: fastconv or XLA).
func TestAlexNetBNTaps224(t *testing.T) {
	if testing.Short() {
		b, _ := backend.New()
		if b.Name() == "Go Backend" {
			t.Skip("plain go backend: overlapping max pool unsupported")
		}
	}
	s := DefaultAlexNetBN(3, 224, 0.0625) // channels 4,12,24,16,16.
	_, got := runTaps(t, s, 1)
	want := map[string][]int{"conv1.pre": {1, 56, 56, 4}, "conv2.pre": {1, 27, 27, 12}, "conv5.post": {1, 13, 13, 16}, "fc6.pre": {1, 256}}
	for n, w := range want {
		if !reflect.DeepEqual(got[n], w) {
			t.Errorf("%s shape %v, want %v", n, got[n], w)
		}
	}
}
