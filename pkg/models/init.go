package models

import (
	"fmt"
	"math"

	"github.com/coarsealign/coarsealign/pkg/arch"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// Weight initialisations (Spec.Init).
const (
	// InitTorch is PyTorch's default for nn.Conv2d and nn.Linear, which the study's code uses:
	// kernels from kaiming_uniform_(a=sqrt(5)), i.e. U(-1/sqrt(fan_in), 1/sqrt(fan_in)), and the
	// bias of a biased layer from U(-1/sqrt(fan_in), 1/sqrt(fan_in)) (torch/nn/modules/conv.py
	// and linear.py, reset_parameters). fan_in = kh*kw*Cin for a conv, the input width for a
	// dense layer. The default ("" means InitTorch).
	InitTorch = arch.InitTorch
	// InitHeNormal is GoMLX's store default: kernels from N(0, 2/fan_in), biases 0. Its standard
	// deviation is sqrt(6) = 2.45x that of InitTorch; behind batch norm, larger kernels shrink
	// Adam's effective step (the cause of issue 8's 7-10 points of CIFAR-10 accuracy).
	InitHeNormal = arch.InitHeNormal
)

// initName resolves the default.
func (s Spec) initName() string {
	if s.Init == "" {
		return InitTorch
	}
	return s.Init
}

// fanIn of a kernel shaped [..., in, out] (conv [kh, kw, Cin, Cout]; dense [in, out]): the product
// of all axes but the last, as GoMLX and PyTorch count it.
func fanIn(shape shapes.Shape) int {
	n := 1
	for _, d := range shape.Dimensions[:shape.Rank()-1] {
		n *= d
	}
	return n
}

// torchKernelInit returns the variable initializer of InitTorch for kernels (rank >= 2): uniform
// in +-1/sqrt(fan_in) drawn from the store's seeded random state. Rank-0/1 variables are zeros
// (a bias that needs PyTorch's uniform gets torchBiasInit).
func torchKernelInit(store *model.Store) model.VariableInitializer {
	return func(g *graph.Graph, shape shapes.Shape) *graph.Node {
		if shape.Rank() <= 1 || !shape.DType.IsFloat() {
			return graph.Zeros(g, shape)
		}
		return uniformPM(store, g, shape, 1/math.Sqrt(float64(max(1, fanIn(shape)))))
	}
}

// torchBiasInit is PyTorch's bias initialisation of a layer with the given fan-in.
func torchBiasInit(store *model.Store, fan int) model.VariableInitializer {
	return func(g *graph.Graph, shape shapes.Shape) *graph.Node {
		return uniformPM(store, g, shape, 1/math.Sqrt(float64(max(1, fan))))
	}
}

// uniformPM is U(-bound, bound) of the given shape from the store's random state.
func uniformPM(store *model.Store, g *graph.Graph, shape shapes.Shape, bound float64) *graph.Node {
	u := store.RandomUniform(g, shape) // [0, 1)
	return graph.MulScalar(graph.AddScalar(graph.MulScalar(u, 2), -1), bound)
}

// withInit returns scope with s's kernel initializer.
func withInit(scope *model.Scope, s Spec) *model.Scope {
	switch s.initName() {
	case InitTorch:
		return scope.WithInitializer(torchKernelInit(scope.Store()))
	case InitHeNormal:
		return scope.WithInitializer(model.DefaultInitializer(scope.Store()))
	}
	panic(fmt.Sprintf("models: spec init=%q", s.Init))
}

// biasInit returns the initializer of the bias of a layer with the given fan-in under s's init.
func biasInit(scope *model.Scope, s Spec, fan int) model.VariableInitializer {
	if s.initName() == InitTorch {
		return torchBiasInit(scope.Store(), fan)
	}
	return func(g *graph.Graph, shape shapes.Shape) *graph.Node { return graph.Zeros(g, shape) }
}
