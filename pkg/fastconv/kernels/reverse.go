package kernels

import "github.com/coarsealign/coarsealign/internal/gemm"

// Reverse4 writes dst[i0, i1, i2, i3] = src[j0, j1, j2, j3] with j_a = d[a]-1-i_a where rev[a]
// and j_a = i_a elsewhere, for row-major dst and src of dims d (the go backend's Reverse), in
// parallel by rows of the last axis.
func Reverse4(dst []float32, d [4]int, src []float32, rev [4]bool) {
	rows := d[0] * d[1] * d[2]
	L := d[3]
	if rows == 0 || L == 0 {
		return
	}
	flip := func(i, a int) int {
		if rev[a] {
			return d[a] - 1 - i
		}
		return i
	}
	gemm.ParallelFor(rows, func(start, end int) {
		for r := start; r < end; r++ {
			i0, i1, i2 := r/(d[1]*d[2]), r/d[2]%d[1], r%d[2]
			s := ((flip(i0, 0)*d[1]+flip(i1, 1))*d[2] + flip(i2, 2)) * L
			out, in := dst[r*L:][:L], src[s:][:L]
			if !rev[3] {
				copy(out, in)
				continue
			}
			for k, v := range in {
				out[L-1-k] = v
			}
		}
	})
}
