package kernels

import "github.com/coarsealign/coarsealign/internal/gemm"

// Pad writes dst (contiguous, dims inDims[i]+lo[i]+hi[i]) as src (contiguous, dims inDims) placed
// at offset lo, every other element set to fill. lo and hi are >= 0 (edge padding only, no
// interior padding). Outer rows are copied in parallel.
func Pad(dst, src []float32, inDims, lo, hi []int, fill float32) {
	rank := len(inDims)
	if rank == 0 {
		copy(dst, src)
		return
	}
	outDims := make([]int, rank)
	for i := range rank {
		outDims[i] = inDims[i] + lo[i] + hi[i]
	}
	outStrides := Strides(outDims)
	inner := inDims[rank-1]
	// One "row" per index of the first rank-1 input axes.
	rows := 1
	for _, d := range inDims[:rank-1] {
		rows *= d
	}
	// Fill first (in parallel over the output), then copy the rows.
	gemm.ParallelFor(len(dst)/4096+1, func(c0, c1 int) {
		s, e := min(len(dst), c0*4096), min(len(dst), c1*4096)
		d := dst[s:e]
		for i := range d {
			d[i] = fill
		}
	})
	if inner == 0 || rows == 0 {
		return
	}
	gemm.ParallelFor(rows, func(r0, r1 int) {
		idx := make([]int, rank-1)
		for r := r0; r < r1; r++ {
			// Decompose r into input indices of the first rank-1 axes.
			q := r
			for a := rank - 2; a >= 0; a-- {
				idx[a] = q % inDims[a]
				q /= inDims[a]
			}
			off := lo[rank-1]
			for a := range rank - 1 {
				off += (idx[a] + lo[a]) * outStrides[a]
			}
			copy(dst[off:off+inner], src[r*inner:(r+1)*inner])
		}
	})
}

// Strides returns the row-major strides (in elements) of a contiguous tensor of dims d.
func Strides(d []int) []int {
	s := make([]int, len(d))
	acc := 1
	for i := len(d) - 1; i >= 0; i-- {
		s[i] = acc
		acc *= d[i]
	}
	return s
}
