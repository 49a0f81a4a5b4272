// Package gemm holds the project's matrix products on plain row-major slices (no GoMLX):
// float32 and float64 C = A B (A optionally transposed, C optionally accumulated), the float64
// Gram product A A^T (upper triangle), wrappers for gonum's mat types, and the worker split and
// scratch buffers the fastconv kernels share.
//
// Micro-kernels (4 rows x 32 float32 or 4 x 16 float64 columns of C in registers): AVX-512, or
// AVX2+FMA, in GOEXPERIMENT=simd builds on amd64 when the CPU has them (kernel_simd_amd64.go);
// otherwise (every other GOOS/GOARCH, or no simd experiment: kernel_portable.go) a Go float32
// kernel and gonum BLAS for float64. Kernel reports which one runs.
package gemm

import "runtime"

const (
	mr   = 4   // rows of C per micro-kernel call
	nr32 = 32  // float32 columns of C per micro-kernel call
	nr64 = 16  // float64 columns of C per micro-kernel call
	kc   = 256 // K block
	mc   = 64  // rows per cache block (a multiple of mr)
)

type float interface{ float32 | float64 }

// kernel sets (or, with accumulate, adds to) c[cRows[r]+j] the sum over k < kc of
// a[rows[r]+k*aStrideK] * b[bOff+k*ldb+j], for r < 4 and j < nr (32 for float32, 16 for float64).
type kernel[T float] func(a []T, rows *[mr]int, aStrideK int, b []T, bOff, ldb, kc int, c []T, cRows *[mr]int, accumulate bool)

// Kernel names the micro-kernels in use: "avx512", "avx2" or "go" (float64 then uses gonum BLAS).
func Kernel() string { return kernelName }

// Workers is the number of goroutines the parallel products and ParallelFor use (GOMAXPROCS).
func Workers() int { return max(1, runtime.GOMAXPROCS(0)) }

// MulF32 sets c[m,n] (row stride ldc) = a[m,k] (row stride lda) x b[k,n] (row stride ldb), rows
// split between Workers goroutines.
func MulF32(m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	run(microF32, nrF32, m, n, k, a, lda, false, b, ldb, c, ldc, false, true)
}

// MulF32TA sets c[m,n] = a^T x b for a [k,m] (row stride lda), in parallel.
func MulF32TA(m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	run(microF32, nrF32, m, n, k, a, lda, true, b, ldb, c, ldc, false, true)
}

// MulF32Serial is MulF32 on the calling goroutine; with accumulate, c += a x b.
func MulF32Serial(m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, accumulate bool) {
	run(microF32, nrF32, m, n, k, a, lda, false, b, ldb, c, ldc, accumulate, false)
}

// MulF64 sets c[m,n] (row stride ldc) = a[m,k] (row stride lda) x b[k,n] (row stride ldb), in
// parallel. Summation order differs from gonum's: results agree to rounding.
func MulF64(m, n, k int, a []float64, lda int, b []float64, ldb int, c []float64, ldc int) {
	if microF64 == nil || m < mr || n < nr64 {
		mulBLAS(false, m, n, k, a, lda, b, ldb, c, ldc)
		return
	}
	run(microF64, nr64, m, n, k, a, lda, false, b, ldb, c, ldc, false, true)
}

// MulF64TA sets c[m,n] = a^T x b for a [k,m] (row stride lda), in parallel.
func MulF64TA(m, n, k int, a []float64, lda int, b []float64, ldb int, c []float64, ldc int) {
	if microF64 == nil || m < mr || n < nr64 {
		mulBLAS(true, m, n, k, a, lda, b, ldb, c, ldc)
		return
	}
	run(microF64, nr64, m, n, k, a, lda, true, b, ldb, c, ldc, false, true)
}

// run is the blocked product: element (i, l) of A is a[i*lda+l], or a[l*lda+i] if transA.
// Columns go in panels of nr (a last partial panel is copied, zero padded; full panels are read
// in place), K in blocks of kc, rows in blocks of at most mc, split between workers if parallel.
// Full 4 x nr tiles are written straight into c, edge tiles through a small buffer.
func run[T float](micro kernel[T], nr, M, N, K int, a []T, lda int, transA bool, b []T, ldb int, c []T, ldc int, accumulate, parallel bool) {
	rowStride, kStride := lda, 1
	if transA {
		rowStride, kStride = 1, lda
	}
	pfor := ParallelFor
	if !parallel {
		pfor = func(n int, fn func(start, end int)) { fn(0, n) }
	}
	if M == 0 || N == 0 {
		return
	}
	if K == 0 {
		if !accumulate {
			for i := range M {
				clear(c[i*ldc:][:N])
			}
		}
		return
	}
	fullPanels := N / nr
	var edge []T // last partial panel, [K][nr] zero padded.
	if N%nr != 0 {
		p := poolOf[T]()
		edge = p.get(K * nr)
		defer p.put(edge)
		c0, nc := fullPanels*nr, N%nr
		pfor((K+255)/256, func(start, end int) {
			for k := start * 256; k < min(K, end*256); k++ {
				dst := edge[k*nr:][:nr]
				copy(dst, b[k*ldb+c0:][:nc])
				clear(dst[nc:])
			}
		})
	}
	numPanels := (N + nr - 1) / nr
	w := Workers()
	// Row blocks: mc rows, or fewer so that each worker gets two blocks when M is small; with
	// few rows (e.g. weight gradients, K large), bigger blocks reuse each B block more.
	rows := max(mr, ((M+2*w-1)/(2*w)+mr-1)/mr*mr)
	blockRows := min(mc, rows)
	if M > 16*mc {
		blockRows = mc
	} else if M <= 4*mc {
		blockRows = rows
	}
	numBlocks := (M + blockRows - 1) / blockRows
	pfor(numBlocks, func(start, end int) {
		var tile [mr * nr32]T
		tileRows := [mr]int{0, nr, 2 * nr, 3 * nr}
		for blk := start; blk < end; blk++ {
			r0, r1 := blk*blockRows, min(M, blk*blockRows+blockRows)
			for k0 := 0; k0 < K; k0 += kc {
				kb := min(kc, K-k0)
				add := accumulate || k0 > 0
				for p := range numPanels {
					c0 := p * nr
					nc := min(nr, N-c0)
					bb, bOff, bStride := b, k0*ldb+c0, ldb
					if p >= fullPanels {
						bb, bOff, bStride = edge, k0*nr, nr
					}
					for i := r0; i < r1; i += mr {
						m := min(mr, r1-i)
						var rows [mr]int
						for r := range mr {
							rows[r] = (i+min(r, m-1))*rowStride + k0*kStride
						}
						if m == mr && nc == nr {
							cRows := [mr]int{i*ldc + c0, (i+1)*ldc + c0, (i+2)*ldc + c0, (i+3)*ldc + c0}
							micro(a, &rows, kStride, bb, bOff, bStride, kb, c, &cRows, add)
							continue
						}
						micro(a, &rows, kStride, bb, bOff, bStride, kb, tile[:], &tileRows, false)
						for r := range m {
							copyOrAdd(c[(i+r)*ldc+c0:][:nc], tile[r*nr:], add)
						}
					}
				}
			}
		}
	})
}

// copyOrAdd sets dst (+)= src[:len(dst)].
func copyOrAdd[T float](dst, src []T, add bool) {
	if !add {
		copy(dst, src)
		return
	}
	for j, v := range src[:len(dst)] {
		dst[j] += v
	}
}

// microGo is the portable kernel (see kernel) for nr <= 32 columns.
func microGo[T float](nr int, a []T, rows *[mr]int, aStrideK int, b []T, bOff, ldb, kc int, c []T, cRows *[mr]int, accumulate bool) {
	var t [mr][nr32]T
	for r := range mr {
		tr := t[r][:nr]
		for k := range kc {
			av := a[rows[r]+k*aStrideK]
			if av == 0 {
				continue
			}
			for j, bv := range b[bOff+k*ldb:][:nr] {
				tr[j] += av * bv
			}
		}
	}
	for r := range mr {
		dst := c[cRows[r]:][:nr]
		if accumulate {
			for j := range dst {
				dst[j] += t[r][j]
			}
		} else {
			copy(dst, t[r][:nr])
		}
	}
}

func microGoF32(a []float32, rows *[mr]int, aStrideK int, b []float32, bOff, ldb, kc int, c []float32, cRows *[mr]int, accumulate bool) {
	microGo(nr32, a, rows, aStrideK, b, bOff, ldb, kc, c, cRows, accumulate)
}

func microGoF64(a []float64, rows *[mr]int, aStrideK int, b []float64, bOff, ldb, kc int, c []float64, cRows *[mr]int, accumulate bool) {
	microGo(nr64, a, rows, aStrideK, b, bOff, ldb, kc, c, cRows, accumulate)
}
