//go:build goexperiment.simd

package rsa

import (
	"runtime"
	"simd/archsimd"
	"sync"
	"sync/atomic"
	"unsafe"
)

// useAVX512 selects the AVX-512 Gram kernel (GOEXPERIMENT=simd builds on CPUs with AVX-512).
var useAVX512 = archsimd.X86.AVX512()

const (
	gramMR = 4   // rows of x per micro-kernel call
	gramNR = 16  // columns (other rows of x) per packed panel: two 8-lane vectors
	gramKC = 256 // channels per packed block
)

// gramFast fills the upper triangle and diagonal of g (n x n, row-major) with
// x x' using an AVX-512 FMA micro-kernel, and reports whether it did (false when
// the CPU lacks AVX-512). Entries below the diagonal inside diagonal tiles may be
// written too (with their correct values).
func gramFast(x []float64, n, d int, g []float64) bool {
	if !useAVX512 || n < gramNR || d < 1 {
		return false
	}
	panels := (n + gramNR - 1) / gramNR
	var next atomic.Int64
	// Panels further right hold more rows of the triangle: hand them out first.
	var wg sync.WaitGroup
	workers := min(runtime.GOMAXPROCS(0), panels)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pack := make([]float64, gramKC*gramNR)
			for {
				p := int(next.Add(1)) - 1
				if p >= panels {
					return
				}
				j0 := (panels - 1 - p) * gramNR
				gramPanel(x, n, d, g, j0, pack)
			}
		}()
	}
	wg.Wait()
	return true
}

// gramPanel computes g[i][j0:j0+16] for all rows i < j0+16 (and i < n).
func gramPanel(x []float64, n, d int, g []float64, j0 int, pack []float64) {
	nj := min(gramNR, n-j0)
	iEnd := min(j0+gramNR, n)
	var tmp [gramMR][gramNR]float64
	for k0 := 0; k0 < d; k0 += gramKC {
		kc := min(gramKC, d-k0)
		// pack[kk*16 + jj] = x[j0+jj][k0+kk]; zero columns past n.
		for jj := 0; jj < gramNR; jj++ {
			if jj < nj {
				row := x[(j0+jj)*d+k0 : (j0+jj)*d+k0+kc]
				for kk, v := range row {
					pack[kk*gramNR+jj] = v
				}
			} else {
				for kk := 0; kk < kc; kk++ {
					pack[kk*gramNR+jj] = 0
				}
			}
		}
		for i := 0; i < iEnd; i += gramMR {
			var rows [gramMR]int
			for r := range rows {
				ii := min(i+r, n-1) // rows past n repeat the last one and are not stored
				rows[r] = ii*d + k0
			}
			gramKernel(x, &rows, pack, kc, &tmp)
			for r := 0; r < gramMR && i+r < iEnd; r++ {
				dst := g[(i+r)*n+j0 : (i+r)*n+j0+nj]
				for jj := range dst {
					dst[jj] += tmp[r][jj]
				}
			}
		}
	}
}

// gramKernel sets out[r][j] = sum_{k<kc} x[rows[r]+k] * pack[k*16+j].
func gramKernel(x []float64, rows *[gramMR]int, pack []float64, kc int, out *[gramMR][gramNR]float64) {
	for r := range gramMR {
		_ = x[rows[r]+kc-1]
	}
	_ = pack[kc*gramNR-1]
	p0 := unsafe.Pointer(&x[rows[0]])
	p1 := unsafe.Pointer(&x[rows[1]])
	p2 := unsafe.Pointer(&x[rows[2]])
	p3 := unsafe.Pointer(&x[rows[3]])
	bp := unsafe.Pointer(&pack[0])
	var c00, c01, c10, c11, c20, c21, c30, c31 archsimd.Float64x8
	// Pointers are formed from in-bounds offsets only: a pointer one past the end of
	// x or pack would be invalid for the garbage collector (and checkptr).
	for k := 0; k < kc; k++ {
		off := uintptr(k) * 8
		b0 := archsimd.LoadFloat64x8((*[8]float64)(unsafe.Add(bp, off*gramNR)))
		b1 := archsimd.LoadFloat64x8((*[8]float64)(unsafe.Add(bp, off*gramNR+64)))
		a0 := archsimd.BroadcastFloat64x8(*(*float64)(unsafe.Add(p0, off)))
		c00 = a0.MulAdd(b0, c00)
		c01 = a0.MulAdd(b1, c01)
		a1 := archsimd.BroadcastFloat64x8(*(*float64)(unsafe.Add(p1, off)))
		c10 = a1.MulAdd(b0, c10)
		c11 = a1.MulAdd(b1, c11)
		a2 := archsimd.BroadcastFloat64x8(*(*float64)(unsafe.Add(p2, off)))
		c20 = a2.MulAdd(b0, c20)
		c21 = a2.MulAdd(b1, c21)
		a3 := archsimd.BroadcastFloat64x8(*(*float64)(unsafe.Add(p3, off)))
		c30 = a3.MulAdd(b0, c30)
		c31 = a3.MulAdd(b1, c31)
	}
	c00.Store((*[8]float64)(out[0][0:8]))
	c01.Store((*[8]float64)(out[0][8:16]))
	c10.Store((*[8]float64)(out[1][0:8]))
	c11.Store((*[8]float64)(out[1][8:16]))
	c20.Store((*[8]float64)(out[2][0:8]))
	c21.Store((*[8]float64)(out[2][8:16]))
	c30.Store((*[8]float64)(out[3][0:8]))
	c31.Store((*[8]float64)(out[3][8:16]))
}
