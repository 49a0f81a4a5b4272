package backend

import (
	"fmt"
	"math"
	"os"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/core/tensors/images"
	"github.com/gomlx/gomlx/ml/model"
)

// selfCheckGraph is a small CNN training computation in the form models produce it under
// model.Exec (variables become graph parameters when first used, i.e. after earlier
// convolutions): two 3x3 convolutions, each followed by a per-channel shift and ReLU, a 2x2 max
// pool between them. It returns the loss and the gradients of the kernels and shifts.
func selfCheckGraph(scope *model.Scope, x *graph.Node) []*graph.Node {
	g := x.Graph()
	conv := func(h, w *graph.Node) *graph.Node {
		return graph.Convolve(h, w).ChannelsAxis(images.ChannelsLast).PadSame().Done()
	}
	var vars []*graph.Node
	h := x
	cin := 3
	for i := 0; i < 2; i++ {
		// Kernels come from the store's initializer (a separate initialisation graph compiled while
		// this one is being built, as layers do); shifts from fixed values.
		w := scope.VariableWithShape(fmt.Sprintf("w%d", i), shapes.Make(dtypes.Float32, 3, 3, cin, 4)).NodeValue(g)
		h = conv(h, w)
		m := scope.VariableWithValue(fmt.Sprintf("m%d", i), []float32{0.1, -0.1, 0.2, 0}).NodeValue(g)
		h = graph.Add(h, graph.Reshape(m, 1, 1, 1, -1))
		h = graph.Max(h, graph.ZerosLike(h))
		if i == 0 {
			if caps := g.Backend().Capabilities(); caps.Operations[compute.OpTypeSelectAndScatterMax] {
				h = graph.MaxPool(h).ChannelsAxis(images.ChannelsLast).Window(2).Strides(2).NoPadding().Done()
			} else { // The plain go backend cannot differentiate MaxPool: the same pool by Reshape+ReduceMax.
				d := h.Shape().Dimensions
				h = graph.ReduceMax(graph.Reshape(h, d[0], d[1]/2, 2, d[2]/2, 2, d[3]), 2, 4)
			}
		}
		vars = append(vars, w, m)
		cin = 4
	}
	loss := graph.ReduceAllSum(graph.Square(h))
	return append([]*graph.Node{loss}, graph.Gradient(loss, vars...)...)
}

// selfCheckChain is conv, shift, conv, shift without pooling or ReLU: the pattern of a bug seen
// in the fastconv wrapper (index out of range at execution).
func selfCheckChain(scope *model.Scope, x *graph.Node) []*graph.Node {
	g := x.Graph()
	for i := 0; i < 2; i++ {
		sc := scope.In("chain%d", i)
		w := sc.VariableWithShape("w", shapes.Make(dtypes.Float32, 3, 3, x.Shape().Dimensions[3], 4)).NodeValue(g)
		x = graph.Convolve(x, w).ChannelsAxis(images.ChannelsLast).PadSame().Done()
		m := sc.VariableWithValue("m", []float32{1, 2, 3, 4}).NodeValue(g)
		x = graph.Add(x, graph.Reshape(m, 1, 1, 1, 4))
	}
	return []*graph.Node{x}
}

// selfCheckForward is the forward pass alone (what feature extraction runs).
func selfCheckForward(scope *model.Scope, x *graph.Node) []*graph.Node {
	scope.Store().SetTraining(x.Graph(), false)
	return selfCheckGraph(scope, x)[:1]
}

func selfCheckRun(b compute.Backend) ([]*tensors.Tensor, error) {
	f := make([]float32, 2*8*8*3)
	for i := range f {
		f[i] = float32((i*7)%13)/13 - 0.4
	}
	x := tensors.FromFlatDataAndDimensions(f, 2, 8, 8, 3)
	var out []*tensors.Tensor
	for _, fn := range []func(*model.Scope, *graph.Node) []*graph.Node{selfCheckChain, selfCheckForward, selfCheckGraph} {
		store := model.NewStore()
		if err := store.SetRNGStateFromSeed(1); err != nil {
			return nil, err
		}
		exec, err := model.NewExec(b, store, fn)
		if err != nil {
			return nil, err
		}
		o, err := exec.Call(x)
		if err != nil {
			return nil, err
		}
		out = append(out, o...)
	}
	return out, nil
}

// SelfCheck runs a small convolutional training computation on b and on the reference backend
// ref and reports an error if b fails or its loss and gradients differ by more than 1e-3
// (relative to the largest magnitude): a guard against a broken fast path.
func SelfCheck(b, ref compute.Backend) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("backend: self-check panicked on %s: %v", b.Name(), r)
		}
	}()
	got, err := selfCheckRun(b)
	if err != nil {
		return fmt.Errorf("backend: self-check on %s: %w", b.Name(), err)
	}
	want, err := selfCheckRun(ref)
	if err != nil {
		return fmt.Errorf("backend: self-check on reference %s: %w", ref.Name(), err)
	}
	for i := range want {
		g := tensors.MustCopyFlatData[float32](got[i])
		w := tensors.MustCopyFlatData[float32](want[i])
		scale := 0.0
		for _, v := range w {
			scale = math.Max(scale, math.Abs(float64(v)))
		}
		for j := range w {
			if d := math.Abs(float64(g[j] - w[j])); d > 1e-3*math.Max(1, scale) || math.IsNaN(float64(g[j])) {
				return fmt.Errorf("backend: self-check on %s: output %d[%d] = %g, reference %g", b.Name(), i, j, g[j], w[j])
			}
		}
	}
	return nil
}

// warnf writes a warning line to stderr.
var warnf = func(format string, args ...any) { fmt.Fprintf(os.Stderr, format+"\n", args...) }
