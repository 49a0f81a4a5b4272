package fastgo

import (
	"github.com/coarsealign/coarsealign/pkg/fastconv/kernels"
	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
)

// Pad implements compute.Function: native for large float32 tensors with edge padding only
// (Start, End >= 0, Interior 0; the gradient of a Slice, e.g. of adaptive pooling), where the
// go backend's generic Pad costs ~5 ns per element; delegated otherwise. A copy, so the values
// are the same bits either way.
func (f *function) Pad(x, fill compute.Value, axes ...compute.PadAxis) (compute.Value, error) {
	xv, fv := x.(*value), fill.(*value)
	rank := xv.shape.Rank()
	ok := f.nativeOK(xv) && fv.shape.DType == dtypes.Float32 && fv.shape.Rank() == 0 && len(axes) == rank
	lo, hi := make([]int, rank), make([]int, rank)
	outDims := make([]int, rank)
	for i := 0; ok && i < rank; i++ {
		a := axes[i]
		ok = a.Start >= 0 && a.End >= 0 && a.Interior == 0
		lo[i], hi[i] = a.Start, a.End
		outDims[i] = xv.shape.Dimensions[i] + a.Start + a.End
	}
	if ok {
		inDims := xv.shape.Dimensions
		return f.b.addNative("pad", []*value{xv, fv}, shapes.Make(dtypes.Float32, outDims...), func(out []float32, in [][]float32) {
			kernels.Pad(out, in[0], inDims, lo, hi, in[1][0])
		}), nil
	}
	return f.delegate2(x, fill, func(g compute.Function, ix, ifill compute.Value) (compute.Value, error) {
		return g.Pad(ix, ifill, axes...)
	})
}
