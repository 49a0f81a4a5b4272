package kernels

import "github.com/coarsealign/coarsealign/internal/gemm"

// Transpose2D writes dst[cols, rows] = src[rows, cols]^T, in 64 x 64 tiles, in parallel.
func Transpose2D(dst, src []float32, rows, cols int) {
	const tile = 64
	tilesC := (cols + tile - 1) / tile
	gemm.ParallelFor(tilesC, func(start, end int) {
		for tc := start; tc < end; tc++ {
			c0, c1 := tc*tile, min(cols, tc*tile+tile)
			for r0 := 0; r0 < rows; r0 += tile {
				r1 := min(rows, r0+tile)
				for c := c0; c < c1; c++ {
					d := dst[c*rows+r0 : c*rows+r1]
					for i := range d {
						d[i] = src[(r0+i)*cols+c]
					}
				}
			}
		}
	})
}

// Permute4 writes dst (contiguous, dims d) from src, where src element (i0,i1,i2,i3) is at
// sum(i_j * ss[j]), in parallel (16 x 16 tiles when the last axis is strided in src).
func Permute4(dst []float32, d [4]int, src []float32, ss [4]int) {
	n := d[0] * d[1] * d[2] * d[3]
	if n == 0 {
		return
	}
	if ss[3] == 1 && ss[2] == d[3] && ss[1] == d[2]*d[3] && ss[0] == d[1]*d[2]*d[3] {
		copy(dst, src[:n])
		return
	}
	ds := [4]int{d[1] * d[2] * d[3], d[2] * d[3], d[3], 1}
	if ss[3] == 1 {
		gemm.ParallelFor(d[0]*d[1], func(start, end int) {
			for i01 := start; i01 < end; i01++ {
				i0, i1 := i01/d[1], i01%d[1]
				for i2 := 0; i2 < d[2]; i2++ {
					copy(dst[i0*ds[0]+i1*ds[1]+i2*ds[2]:][:d[3]], src[i0*ss[0]+i1*ss[1]+i2*ss[2]:][:d[3]])
				}
			}
		})
		return
	}
	// Find the axis a < 3 (of size > 1) with the smallest source stride: tile over (a, 3).
	a := -1
	for j := 0; j < 3; j++ {
		if d[j] > 1 && (a < 0 || ss[j] < ss[a]) {
			a = j
		}
	}
	if a < 0 {
		a = 2
	}
	var others [2]int
	o := 0
	for j := 0; j < 3; j++ {
		if j != a {
			others[o] = j
			o++
		}
	}
	const tile = 16
	gemm.ParallelFor(d[others[0]]*d[others[1]], func(start, end int) {
		for io := start; io < end; io++ {
			ix, iy := io/d[others[1]], io%d[others[1]]
			sBase := ix*ss[others[0]] + iy*ss[others[1]]
			dBase := ix*ds[others[0]] + iy*ds[others[1]]
			for ia0 := 0; ia0 < d[a]; ia0 += tile {
				ia1 := min(ia0+tile, d[a])
				for i30 := 0; i30 < d[3]; i30 += tile {
					i31 := min(i30+tile, d[3])
					for ia := ia0; ia < ia1; ia++ {
						dRow := dst[dBase+ia*ds[a]:]
						sRow := src[sBase+ia*ss[a]:]
						for i3 := i30; i3 < i31; i3++ {
							dRow[i3] = sRow[i3*ss[3]]
						}
					}
				}
			}
		}
	})
}
