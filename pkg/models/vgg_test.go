package models

import (
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/coarsealign/coarsealign/pkg/arch"
)

// Shapes of the small VGG at 32x32, width 1/8: channels 8, 16, 32, 32, 64 (VGGChannels/8),
// pools after blocks 1, 2 and 5 (32 -> 16 -> 8 -> 4), adaptive pool 2x2 (4*64 = 256 inputs to
// fc6), FC 128 (1024/8); the 14 taps of AlexNetBN's names.
func TestVGGBNTaps32(t *testing.T) {
	s := DefaultVGGBN(10, 0.125)
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	logits, got := runTaps(t, s, 2)
	if d := logits.Shape().Dimensions; !reflect.DeepEqual(d, []int{2, 10}) {
		t.Fatalf("logits %v", d)
	}
	if names := s.TapNames(); !reflect.DeepEqual(names, DefaultAlexNetBN(10, 32, 0.125).TapNames()) || len(names) != 14 {
		t.Fatalf("taps %v, want AlexNetBN's 14", names)
	}
	want := map[string][]int{
		"conv1.pre": {2, 32, 32, 8}, "conv1.post": {2, 32, 32, 8},
		"conv2.pre": {2, 16, 16, 16}, "conv3.post": {2, 8, 8, 32},
		"conv4.pre": {2, 8, 8, 32}, "conv5.post": {2, 8, 8, 64},
		"fc6.pre": {2, 128}, "fc7.post": {2, 128},
	}
	for n, w := range want {
		if !reflect.DeepEqual(got[n], w) {
			t.Errorf("%s shape %v, want %v", n, got[n], w)
		}
	}
	for _, v := range logits.Value().([][]float32) {
		for _, x := range v {
			if math.IsNaN(float64(x)) {
				t.Fatal("NaN logit")
			}
		}
	}
	if s.Penultimate() != "fc7.post" || arch.VGGBN.Penultimate != "fc7.post" {
		t.Errorf("penultimate %q", s.Penultimate())
	}
}

// PyTorch's default initialisation (torch/nn/modules/conv.py, linear.py reset_parameters):
// kernels U(+-1/sqrt(fan_in)), std 1/sqrt(3 fan_in); the head's bias U(+-1/sqrt(fan_in)); batch
// norm offsets 0 — the conventions docs/training.md states for AlexNet-BN.
func TestVGGBNInitTorch(t *testing.T) {
	s := DefaultVGGBN(10, 0.25) // channels 16, 32, 64, 64, 128; FC 256
	store := initStore(t, s)
	for _, c := range []struct {
		path string
		fan  int
	}{{"/model/conv3/conv/weights", 9 * 32}, {"/model/conv5/conv/weights", 9 * 64}, {"/model/fc6/dense/weights", 128 * 4}, {"/model/fc8/dense/weights", 256}} {
		mean, std, maxAbs := momentsOf(values(t, store, c.path))
		bound := 1 / math.Sqrt(float64(c.fan))
		if maxAbs > bound || math.Abs(std-bound/math.Sqrt(3)) > 0.05*bound/math.Sqrt(3) || math.Abs(mean) > 0.03*bound {
			t.Errorf("%s: mean %.3g std %.4g max %.4g; want U(+-%.4g) (std %.4g)", c.path, mean, std, maxAbs, bound, bound/math.Sqrt(3))
		}
	}
	if _, _, m := momentsOf(values(t, store, "/model/fc8/dense/biases")); m == 0 || m > 1/math.Sqrt(256) {
		t.Errorf("fc8 biases: max |b| = %.4g, want in (0, %.4g]", m, 1/math.Sqrt(256))
	}
	if v := store.GetVariable("/model/conv1/conv/biases"); v != nil {
		t.Error("conv1 has a bias; batch norm follows it")
	}
	if _, _, m := momentsOf(values(t, store, "/model/conv2/bn/offset")); m != 0 {
		t.Error("batch-norm offsets not zero at init")
	}
}

func TestVGGBNValidate(t *testing.T) {
	for _, b := range []Spec{
		{Arch: VGGBN, NumClasses: 10, InputSize: 64, Channels: 3, Width: 0.25},
		{Arch: VGGBN, NumClasses: 10, InputSize: 32, Channels: 3, Width: 0},
		{Arch: VGGBN, NumClasses: 10, InputSize: 32, Channels: 3, Width: 0.25, FCWidth: -1},
	} {
		if err := b.Validate(); err == nil {
			t.Errorf("Validate(%+v) = nil", b)
		}
	}
	if _, err := DefaultSpec(VGGBN, 4, arch.Params{Width: 0.25, InputSize: 64}, ""); err == nil || !strings.Contains(err.Error(), "64") {
		t.Errorf("vgg-bn at 64 pixels: %v", err)
	}
	s, err := DefaultSpec(VGGBN, 4, arch.Params{Width: 0.5, InputSize: 32}, "")
	if err != nil || s.VGGConvChannels() != [5]int{32, 64, 128, 128, 256} || s.VGGHiddenFC() != 512 {
		t.Errorf("width 0.5: %v %v %d", err, s.VGGConvChannels(), s.VGGHiddenFC())
	}
}
