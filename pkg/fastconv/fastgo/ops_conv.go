package fastgo

import (
	"fmt"
	"os"
	"time"

	"github.com/coarsealign/coarsealign/pkg/fastconv/kernels"
	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapeinference"
	"github.com/gomlx/compute/shapes"
	"github.com/pkg/errors"
)

// ConvGeneral implements compute.Function. 2D float32 convolutions without grouping (any axes
// layout, strides, paddings, input and kernel dilations: this covers the forward convolution and
// both gradient convolutions GoMLX builds for it) run natively (kernels.Conv: im2col + GEMM) into
// [batch, H, W, channels], followed by a Transpose (native when large) when the requested output
// layout differs. Everything else is delegated to the wrapped backend.
func (f *function) ConvGeneral(input, kernel compute.Value, axes compute.ConvolveAxesConfig,
	strides []int, paddings [][2]int, inputDilations, kernelDilations []int,
	channelGroupCount, batchGroupCount int) (compute.Value, error) {
	x, okX := input.(*value)
	k, okK := kernel.(*value)
	if !okX || !okK {
		return nil, errors.Errorf("fastconv: unknown value types %T, %T", input, kernel)
	}
	if !f.isMain() || x.shape.Rank() != 4 || x.shape.DType != dtypes.Float32 || k.shape.DType != dtypes.Float32 ||
		channelGroupCount > 1 || batchGroupCount > 1 || x.shape.IsDynamic() || k.shape.IsDynamic() {
		return f.delegate2(x, k, func(g compute.Function, ix, ik compute.Value) (compute.Value, error) {
			return g.ConvGeneral(ix, ik, axes, strides, paddings, inputDilations, kernelDilations, channelGroupCount, batchGroupCount)
		})
	}
	outShape, err := shapeinference.ConvGeneral(x.shape, k.shape, axes, strides, paddings, inputDilations,
		kernelDilations, channelGroupCount, batchGroupCount)
	if err != nil {
		return nil, err
	}
	p := newConv(x.shape, k.shape, outShape, axes, strides, paddings, inputDilations, kernelDilations)
	var r compute.Value = f.b.addNative("conv2d", []*value{x, k}, shapes.Make(dtypes.Float32, p.B, p.OH, p.OW, p.N),
		func(y []float32, in [][]float32) { runConv(p, y, in[0], in[1]) })
	// Output axis j holds our axis perm[j] (ours: 0 batch, 1, 2 spatial, 3 channels).
	perm := make([]int, 4)
	perm[axes.OutputBatch] = 0
	perm[axes.OutputSpatial[0]] = 1
	perm[axes.OutputSpatial[1]] = 2
	perm[axes.OutputChannels] = 3
	if perm[0] == 0 && perm[1] == 1 && perm[2] == 2 && perm[3] == 3 {
		return r, nil
	}
	return f.Transpose(r, perm...) // native when large (the kernel gradients' [N, KH, KW, C] layouts)
}

func orOne(v []int, i int) int {
	if len(v) > i && v[i] > 0 {
		return v[i]
	}
	return 1
}

// newConv returns the geometry of a 2D convolution of x by kernel (shapes xs, ks) with output
// shape outShape.
func newConv(xs, ks, outShape shapes.Shape, axes compute.ConvolveAxesConfig, strides []int, paddings [][2]int,
	inputDilations, kernelDilations []int) *kernels.Conv {
	xd, kd, od := xs.Dimensions, ks.Dimensions, outShape.Dimensions
	p := &kernels.Conv{
		B: xd[axes.InputBatch], C: xd[axes.InputChannels], H: xd[axes.InputSpatial[0]], W: xd[axes.InputSpatial[1]],
		KH: kd[axes.KernelSpatial[0]], KW: kd[axes.KernelSpatial[1]], N: kd[axes.KernelOutputChannels],
		OH: od[axes.OutputSpatial[0]], OW: od[axes.OutputSpatial[1]],
		S0: orOne(strides, 0), S1: orOne(strides, 1),
		ID0: orOne(inputDilations, 0), ID1: orOne(inputDilations, 1),
		KD0: orOne(kernelDilations, 0), KD1: orOne(kernelDilations, 1),
	}
	if len(paddings) == 2 {
		p.P0, p.P1 = paddings[0][0], paddings[1][0]
	}
	xst, kst := kernels.Strides(xd), kernels.Strides(kd)
	p.XStrides = [4]int{xst[axes.InputBatch], xst[axes.InputSpatial[0]], xst[axes.InputSpatial[1]], xst[axes.InputChannels]}
	p.KStrides = [4]int{kst[axes.KernelSpatial[0]], kst[axes.KernelSpatial[1]], kst[axes.KernelInputChannels], kst[axes.KernelOutputChannels]}
	return p
}

// runConv runs p (see kernels.Conv.Run), timing it when FASTCONV_TRACE is set.
func runConv(p *kernels.Conv, y, x, k []float32) {
	if traceConv {
		start, cpu0 := time.Now(), processCPUTime()
		defer func() {
			el := time.Since(start)
			M, N, K := p.M(), p.N, p.K()
			fmt.Fprintf(os.Stderr, "cpu %v; conv M=%d N=%d K=%d (%+v): %v %.1f GFLOP/s\n",
				processCPUTime()-cpu0, M, N, K, *p, el, 2*float64(M)*float64(N)*float64(K)/el.Seconds()/1e9)
		}()
	}
	p.Run(y, x, k)
}

var traceConv = os.Getenv("FASTCONV_TRACE") != ""

// newPool returns the native max pool over a float32 [B, H, W, C] value with the given window
// (no dilations), or false.
func newPool(x shapes.Shape, windowDimensions, strides, inputDilations, windowDilations []int, paddings [][2]int) (*kernels.Pool, bool) {
	if x.Rank() != 4 || x.DType != dtypes.Float32 || x.IsDynamic() {
		return nil, false
	}
	for _, d := range [][]int{inputDilations, windowDilations} {
		for _, v := range d {
			if v > 1 {
				return nil, false
			}
		}
	}
	return kernels.NewPool(x.Dimensions, windowDimensions, strides, paddings)
}

// ReduceWindow implements compute.Function: native for channels-last 2D max pooling (see
// fastReduceWindow), else delegated.
func (f *function) ReduceWindow(x compute.Value, reductionType compute.ReduceOpType,
	windowDimensions, strides, inputDilations, windowDilations []int, paddings [][2]int) (compute.Value, error) {
	if r, ok, err := f.fastReduceWindow(x, reductionType, windowDimensions, strides, inputDilations, windowDilations, paddings); ok {
		return r, err
	}
	return f.delegate1(x, func(g compute.Function, ix compute.Value) (compute.Value, error) {
		return g.ReduceWindow(ix, reductionType, windowDimensions, strides, inputDilations, windowDilations, paddings)
	})
}

// fastReduceWindow handles channels-last 2D max pooling natively; ok is false if not applicable.
func (f *function) fastReduceWindow(x compute.Value, reductionType compute.ReduceOpType,
	windowDimensions, strides, inputDilations, windowDilations []int, paddings [][2]int) (compute.Value, bool, error) {
	xv, okX := x.(*value)
	if !okX || !f.isMain() || reductionType != compute.ReduceOpMax {
		return nil, false, nil
	}
	p, ok := newPool(xv.shape, windowDimensions, strides, inputDilations, windowDilations, paddings)
	if !ok {
		return nil, false, nil
	}
	outShape := shapes.Make(dtypes.Float32, p.B, p.OH, p.OW, p.C)
	if len(strides) == 0 {
		strides = windowDimensions
	}
	if s, err := shapeinference.ReduceWindow(xv.shape, windowDimensions, strides, inputDilations, windowDilations, paddings); err != nil || !s.Equal(outShape) {
		return nil, false, nil
	}
	return f.b.addNative("maxpool", []*value{xv}, outShape, func(out []float32, in [][]float32) {
		p.Max(out, in[0])
	}), true, nil
}

// SelectAndScatterMax implements compute.Function (the gradient of max pooling): natively for
// channels-last 2D windows, else delegated (the go backend does not implement it).
func (f *function) SelectAndScatterMax(operand, source compute.Value, windowDimensions, windowStrides []int, paddings [][2]int) (compute.Value, error) {
	xv, okX := operand.(*value)
	sv, okS := source.(*value)
	if !okX || !okS {
		return nil, errors.Errorf("fastconv: unknown value types %T, %T", operand, source)
	}
	p, ok := newPool(xv.shape, windowDimensions, windowStrides, nil, nil, paddings)
	if ok && f.isMain() && sv.shape.Equal(shapes.Make(dtypes.Float32, p.B, p.OH, p.OW, p.C)) {
		return f.b.addNative("maxpool-grad", []*value{xv, sv}, xv.shape, func(out []float32, in [][]float32) {
			p.MaxGrad(out, in[0], in[1])
		}), nil
	}
	return f.delegate2(operand, source, func(g compute.Function, ix, is compute.Value) (compute.Value, error) {
		return g.SelectAndScatterMax(ix, is, windowDimensions, windowStrides, paddings)
	})
}
