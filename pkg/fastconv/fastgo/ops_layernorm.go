package fastgo

import (
	"math"

	"github.com/coarsealign/coarsealign/internal/gemm"
	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
)

// FusedLayerNorm implements compute.Function: native for large float32 inputs normalised over
// trailing axes, with gamma and beta (the ViT's layer norms), else delegated. The go backend
// runs it on one core; here the rows are split between workers and each row is computed as the
// go backend computes it (compute v0.1.2 fusedops.layerNormTrailingAxes: float32 sums in order,
// the inverse deviation in float64), so the values are the same bits (test).
func (f *function) FusedLayerNorm(x compute.Value, axes []int, epsilon float64, gamma, beta compute.Value) (compute.Value, error) {
	xv, _ := x.(*value)
	gv, _ := gamma.(*value)
	bv, _ := beta.(*value)
	if xv != nil && gv != nil && bv != nil && f.nativeOK(xv) && gv.shape.DType == dtypes.Float32 && bv.shape.DType == dtypes.Float32 {
		rank := xv.shape.Rank()
		trailing := len(axes) > 0
		normSize := 1
		for i, a := range axes {
			if a < 0 {
				a += rank
			}
			if a != rank-len(axes)+i {
				trailing = false
				break
			}
			normSize *= xv.shape.Dimensions[a]
		}
		if trailing && gv.shape.Size() == normSize && bv.shape.Size() == normSize && normSize > 0 {
			return f.b.addNative("layernorm", []*value{xv, gv, bv}, xv.shape.Clone(), func(out []float32, in [][]float32) {
				layerNormRows(out, in[0], in[1], in[2], normSize, epsilon)
			}), nil
		}
	}
	g := f.target()
	f.noteOp("FusedLayerNorm")
	ix, err := f.in(x)
	if err != nil {
		return nil, err
	}
	var ig, ib compute.Value
	if gamma != nil {
		if ig, err = f.in(gamma); err != nil {
			return nil, err
		}
	}
	if beta != nil {
		if ib, err = f.in(beta); err != nil {
			return nil, err
		}
	}
	r, err := g.FusedLayerNorm(ix, axes, epsilon, ig, ib)
	if err != nil {
		return nil, err
	}
	return f.out(r), nil
}

// layerNormRows normalises each row of normSize elements of in (float32 mean and variance
// summed in order, 1/sqrt(variance + epsilon) in float64), then scales by gamma and shifts by
// beta (each normSize long), rows split between workers.
func layerNormRows(out, in, gamma, beta []float32, normSize int, epsilon float64) {
	rows := len(in) / normSize
	n := float32(normSize)
	gamma, beta = gamma[:normSize], beta[:normSize]
	gemm.ParallelFor(rows, func(r0, r1 int) {
		for r := r0; r < r1; r++ {
			x := in[r*normSize : (r+1)*normSize]
			o := out[r*normSize : (r+1)*normSize]
			var sum float32
			for _, v := range x {
				sum += v
			}
			mean := sum / n
			var varSum float32
			for _, v := range x {
				d := v - mean
				varSum += d * d
			}
			variance := varSum / n
			invStd := float32(1.0 / math.Sqrt(float64(variance)+epsilon))
			for i, v := range x {
				normalized := (v - mean) * invStd
				normalized *= gamma[i]
				normalized += beta[i]
				o[i] = normalized
			}
		}
	})
}
