package fastgo

import (
	"github.com/coarsealign/coarsealign/pkg/fastconv/kernels"
	"github.com/gomlx/compute"
)

// Reverse implements compute.Function: native (kernels.Reverse4, rows in parallel) for large
// float32 tensors of rank 1 to 4, the spatially flipped kernels of the convolutions' input
// gradients; delegated otherwise.
func (f *function) Reverse(x compute.Value, axes ...int) (compute.Value, error) {
	xv := x.(*value)
	rank := xv.shape.Rank()
	if f.nativeOK(xv) && rank >= 1 && rank <= 4 {
		var d [4]int
		var rev [4]bool
		for i := range 4 - rank {
			d[i] = 1
		}
		copy(d[4-rank:], xv.shape.Dimensions)
		valid := true
		for _, a := range axes {
			if a < 0 || a >= rank {
				valid = false
				break
			}
			rev[4-rank+a] = true // as the go backend: an axis listed twice is reversed once
		}
		if valid {
			return f.b.addNative("reverse", []*value{xv}, xv.shape.Clone(), func(out []float32, in [][]float32) {
				kernels.Reverse4(out, d, in[0], rev)
			}), nil
		}
	}
	return f.delegate1(x, func(g compute.Function, ix compute.Value) (compute.Value, error) { return g.Reverse(ix, axes...) })
}
