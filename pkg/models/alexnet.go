package models

import (
	"fmt"
	"math"

	"github.com/coarsealign/coarsealign/pkg/arch"
	"github.com/coarsealign/coarsealign/pkg/fastconv"
	"github.com/gomlx/compute"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/layers"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/nn"
)

// AlexNetLayers are the names of AlexNetBN's hidden layers in network order (arch.AlexNetLayers).
var AlexNetLayers = arch.AlexNetLayers

func init() {
	Register(Architecture{
		Arch: arch.AlexNetBN,
		Default: func(k int, p arch.Params) Spec {
			return DefaultAlexNetBN(k, p.InputSize, p.Width)
		},
		Check: checkAlexNetBN,
		Build: buildAlexNetBN,
	})
}

// checkAlexNetBN validates the AlexNetBN fields of s.
func checkAlexNetBN(s Spec) error {
	if _, err := AlexNetGeometryFor(s.InputSize); err != nil {
		return err
	}
	if !(s.Width > 0) || math.IsInf(s.Width, 0) {
		return fmt.Errorf("models: spec width=%g, want > 0", s.Width)
	}
	if s.BNMomentum < 0 || s.BNMomentum >= 1 {
		return fmt.Errorf("models: spec bn_momentum=%g, want in [0,1)", s.BNMomentum)
	}
	return nil
}

// alexNetChannels are torchvision AlexNet's conv channel counts (torchvision/models/alexnet.py).
var alexNetChannels = [5]int{64, 192, 384, 256, 256}

// alexNetFC is the width of AlexNet's hidden FC layers (torchvision/models/alexnet.py).
const alexNetFC = 4096

// ConvGeometry is one conv layer's kernel size and stride ("same" padding) and the max pool
// that follows it (window, stride; 0 means none).
type ConvGeometry struct {
	Kernel, Stride         int
	PoolWindow, PoolStride int
}

// AlexNetGeometry lists the five conv layers of an input-size variant.
//
//	input 224 (original AlexNet, GPU): conv1 11x11/4 -> 56, pool 3/2 -> 27; conv2 5x5 -> 27,
//	          pool 3/2 -> 13; conv3-5 3x3 -> 13; pool 3/2 -> 6; avg-pool -> 3x3.
//	          (torchvision pads conv1 by 2 and gets 55; "same" padding gives 56, the pools then agree.)
//	input 64 (CPU): conv1 5x5/2 -> 32, pool 2/2 -> 16; conv2 3x3 -> 16, pool -> 8;
//	          conv3-5 3x3 -> 8; pool -> 4; adaptive avg-pool -> 3x3.
//	input 32 (CPU, CIFAR): conv1 3x3/1 -> 32, pool 2/2 -> 16; then as the 64 variant.
//
// Non-overlapping 2x2 pools are used on CPU because they are cheaper (and differentiable on the
// plain go backend by Reshape + ReduceMax); the adaptive average pool uses PyTorch's bins.
type AlexNetGeometry [5]ConvGeometry

// AlexNetGeometryFor returns the geometry of a supported input size (32, 64, 224).
func AlexNetGeometryFor(inputSize int) (AlexNetGeometry, error) {
	switch inputSize {
	case 224:
		return AlexNetGeometry{{11, 4, 3, 2}, {5, 1, 3, 2}, {3, 1, 0, 0}, {3, 1, 0, 0}, {3, 1, 3, 2}}, nil
	case 64:
		return AlexNetGeometry{{5, 2, 2, 2}, {3, 1, 2, 2}, {3, 1, 0, 0}, {3, 1, 0, 0}, {3, 1, 2, 2}}, nil
	case 32:
		return AlexNetGeometry{{3, 1, 2, 2}, {3, 1, 2, 2}, {3, 1, 0, 0}, {3, 1, 0, 0}, {3, 1, 2, 2}}, nil
	}
	return AlexNetGeometry{}, fmt.Errorf("models: alexnet-bn input_size=%d, want 32, 64 or 224", inputSize)
}

// scaled returns max(1, round(c*width)).
func scaled(c int, width float64) int { return max(1, int(math.Round(float64(c)*width))) }

// scaledConv returns the five conv widths base scaled by s.Width (scaled each).
func (s Spec) scaledConv(base [5]int) [5]int {
	var out [5]int
	for i, c := range base {
		out[i] = scaled(c, s.Width)
	}
	return out
}

// hiddenFC returns the width of the hidden FC layers: s.FCWidth if set, else base scaled by
// s.Width.
func (s Spec) hiddenFC(base int) int {
	if s.FCWidth > 0 {
		return s.FCWidth
	}
	return scaled(base, s.Width)
}

// ConvChannels returns the five conv widths of s (AlexNetBN).
func (s Spec) ConvChannels() [5]int { return s.scaledConv(alexNetChannels) }

// HiddenFC returns the width of fc6 and fc7 (AlexNetBN).
func (s Spec) HiddenFC() int { return s.hiddenFC(alexNetFC) }

// adaptiveSize is the side of the adaptive average pool before the FC layers (the study: 3x3).
const adaptiveSize = 3

func buildAlexNetBN(scope *model.Scope, s Spec, x *graph.Node) (*graph.Node, []Tap) {
	geo, err := AlexNetGeometryFor(s.InputSize)
	if err != nil {
		panic(err)
	}
	momentum := s.BNMomentum
	if momentum == 0 {
		momentum = 0.9
	}
	taps := make([]Tap, 0, 14)
	bnRelu := func(sc *model.Scope, name string, h *graph.Node) *graph.Node {
		h = batchNorm(sc.In("bn"), h, momentum)
		taps = append(taps, Tap{Name: name + ".pre", Node: h})
		h = fastconv.Relu(h)
		taps = append(taps, Tap{Name: name + ".post", Node: h})
		return h
	}
	chans := s.ConvChannels()
	for i, geom := range geo {
		name := AlexNetLayers[i]
		sc := scope.In("%s", name)
		x = fastconv.Conv2D(sc, x, chans[i], geom.Kernel, fastconv.Stride(geom.Stride), fastconv.NoBias())
		x = bnRelu(sc, name, x)
		if geom.PoolWindow > 0 {
			x = maxPool(x, geom.PoolWindow, geom.PoolStride)
		}
	}
	x = fastconv.AdaptiveAvgPool(x, adaptiveSize)
	batch := x.Shape().Dimensions[0]
	x = graph.Reshape(x, batch, -1)
	fc := s.HiddenFC()
	for _, name := range AlexNetLayers[5:] {
		sc := scope.In("%s", name)
		x = layers.DropoutStatic(sc, x, s.Dropout)
		x = denseNoBias(sc, x, fc)
		x = bnRelu(sc, name, x)
	}
	logits := dense(scope.In("fc8"), s, x, s.NumClasses)
	return logits, taps
}

// dense is layers.Dense with a bias (variables "dense/weights" [in, out] and "dense/biases"
// [out], the names of layers.Dense) whose bias follows s.Init (PyTorch's is uniform, GoMLX's 0).
func dense(scope *model.Scope, s Spec, x *graph.Node, out int) *graph.Node {
	in := x.Shape().Dimensions[1]
	sc := scope.In("dense")
	w := sc.VariableWithShape("weights", shapes.Make(x.DType(), in, out)).NodeValue(x.Graph())
	b := sc.WithInitializer(biasInit(sc, s, in)).VariableWithShape("biases", shapes.Make(x.DType(), out)).NodeValue(x.Graph())
	return nn.Dense(x, w, b, compute.DenseLayoutInputOutputs)
}

// denseNoBias is x [batch, in] times a "weights" variable [in, out] (scope "dense", as
// layers.Dense, with the scope's initializer, see Spec.Init); no bias, since batch norm follows (a bias
// there has no gradient and Adam would move it by noise).
func denseNoBias(scope *model.Scope, x *graph.Node, out int) *graph.Node {
	in := x.Shape().Dimensions[1]
	w := scope.In("dense").VariableWithShape("weights", shapes.Make(x.DType(), in, out)).NodeValue(x.Graph())
	return graph.MatMul(x, w)
}
