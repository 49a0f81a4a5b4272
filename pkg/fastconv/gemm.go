package fastconv

import "sync"

// GEMM used by the native convolution: C[M,N] (=, +=) A[M,K] x B[K,N], float32 row-major with
// arbitrary row strides. Columns are processed in panels of 32; a last partial panel is copied
// into a zero-padded buffer, full panels are read in place. K is blocked by gemmKc; rows are split
// between the workers (GOMAXPROCS goroutines). The 4x32 micro-kernel is AVX-512 (gemm_simd_amd64.go)
// when built with GOEXPERIMENT=simd on a CPU with AVX-512, else scalar Go. Results are written
// directly into C (full 4x32 tiles) or through a small tile buffer (edges).

const (
	gemmMr = 4   // rows per micro-kernel
	gemmNr = 32  // columns per micro-kernel (2 AVX-512 registers)
	gemmKc = 256 // K block
	gemmMc = 64  // rows per cache block (multiple of gemmMr)
)

// gemm computes c[M,N] (row stride ldc) = a[M,K] (row stride lda) x b[K,N] (row stride ldb).
func gemm(M, N, K int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	gemmAcc(M, N, K, a, lda, b, ldb, c, ldc, false)
}

// gemmAcc is gemm with accumulate: c += a x b.
func gemmAcc(M, N, K int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, accumulate bool) {
	gemmRun(M, N, K, a, lda, false, b, ldb, c, ldc, accumulate, true)
}

// gemmTA computes c[M,N] = a^T x b where a is [K,M] (row stride lda).
func gemmTA(M, N, K int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	gemmRun(M, N, K, a, lda, true, b, ldb, c, ldc, false, true)
}

// gemmSerial is gemmAcc on the calling goroutine only.
func gemmSerial(M, N, K int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, accumulate bool) {
	gemmRun(M, N, K, a, lda, false, b, ldb, c, ldc, accumulate, false)
}

// gemmRun: element (i, k) of A is a[i*lda+k], or a[k*lda+i] if transA.
func gemmRun(M, N, K int, a []float32, lda int, transA bool, b []float32, ldb int, c []float32, ldc int, accumulate, parallel bool) {
	rowStride, kStride := lda, 1
	if transA {
		rowStride, kStride = 1, lda
	}
	pfor := parallelFor
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
	fullPanels := N / gemmNr
	var edge []float32 // last partial panel, [K][32] zero padded.
	if N%gemmNr != 0 {
		edge = getScratch(K * gemmNr)
		defer putScratch(edge)
		c0, nc := fullPanels*gemmNr, N%gemmNr
		pfor((K+255)/256, func(start, end int) {
			for k := start * 256; k < min(K, end*256); k++ {
				dst := edge[k*gemmNr:][:gemmNr]
				copy(dst, b[k*ldb+c0:][:nc])
				clear(dst[nc:])
			}
		})
	}
	numPanels := (N + gemmNr - 1) / gemmNr
	// Row blocks: gemmMc rows, or fewer so that each worker gets two blocks when M is small.
	mc := min(gemmMc, max(gemmMr, ((M+2*numWorkers()-1)/(2*numWorkers())+gemmMr-1)/gemmMr*gemmMr))
	if M > 16*gemmMc {
		mc = gemmMc
	} else if M <= 4*gemmMc {
		// Few rows (e.g. weight gradients, K large): bigger blocks reuse each B block more.
		mc = max(gemmMr, ((M+2*numWorkers()-1)/(2*numWorkers())+gemmMr-1)/gemmMr*gemmMr)
	}
	numBlocks := (M + mc - 1) / mc
	pfor(numBlocks, func(start, end int) {
		var tile [gemmMr * gemmNr]float32
		tileRows := [gemmMr]int{0, gemmNr, 2 * gemmNr, 3 * gemmNr}
		for blk := start; blk < end; blk++ {
			r0, r1 := blk*mc, min(M, blk*mc+mc)
			for k0 := 0; k0 < K; k0 += gemmKc {
				kc := min(gemmKc, K-k0)
				add := accumulate || k0 > 0
				for p := range numPanels {
					c0 := p * gemmNr
					nc := min(gemmNr, N-c0)
					var bb []float32
					var bOff, bStride int
					if p < fullPanels {
						bb, bOff, bStride = b, k0*ldb+c0, ldb
					} else {
						bb, bOff, bStride = edge, k0*gemmNr, gemmNr
					}
					for i := r0; i < r1; i += gemmMr {
						mr := min(gemmMr, r1-i)
						var rows [gemmMr]int
						for r := range gemmMr {
							rows[r] = (i+min(r, mr-1))*rowStride + k0*kStride
						}
						if mr == gemmMr && nc == gemmNr {
							cRows := [gemmMr]int{i*ldc + c0, (i+1)*ldc + c0, (i+2)*ldc + c0, (i+3)*ldc + c0}
							microKernel(a, &rows, kStride, bb, bOff, bStride, kc, c, &cRows, add)
							continue
						}
						microKernel(a, &rows, kStride, bb, bOff, bStride, kc, tile[:], &tileRows, false)
						for r := range mr {
							dst := c[(i+r)*ldc+c0:][:nc]
							src := tile[r*gemmNr:][:nc]
							if !add {
								copy(dst, src)
							} else {
								for j, v := range src {
									dst[j] += v
								}
							}
						}
					}
				}
			}
		}
	})
}

// microKernelGo is the portable micro-kernel:
// c[cRows[r]+j] (=, +=) sum_{k<kc} a[rows[r]+k*aStrideK] * b[bOff+k*ldb+j], r < 4, j < 32.
func microKernelGo(a []float32, rows *[gemmMr]int, aStrideK int, b []float32, bOff, ldb, kc int, c []float32, cRows *[gemmMr]int, accumulate bool) {
	var t [gemmMr][gemmNr]float32
	for r := range gemmMr {
		for k := range kc {
			av := a[rows[r]+k*aStrideK]
			if av == 0 {
				continue
			}
			bk := b[bOff+k*ldb:][:gemmNr]
			for j := range gemmNr {
				t[r][j] += av * bk[j]
			}
		}
	}
	for r := range gemmMr {
		dst := c[cRows[r]:][:gemmNr]
		if accumulate {
			for j := range dst {
				dst[j] += t[r][j]
			}
		} else {
			copy(dst, t[r][:])
		}
	}
}

// Scratch buffers, pooled by power-of-two capacity in free lists that survive garbage collections
// (a sync.Pool is emptied by GC, which made every step re-fault its large buffers).
var (
	scratchMu   sync.Mutex
	scratchFree [48][][]float32
)

func getScratch(n int) []float32 {
	c := sizeClass(n)
	scratchMu.Lock()
	if l := len(scratchFree[c]); l > 0 {
		s := scratchFree[c][l-1]
		scratchFree[c] = scratchFree[c][:l-1]
		scratchMu.Unlock()
		return s[:n]
	}
	scratchMu.Unlock()
	return make([]float32, n, 1<<c)
}

func putScratch(s []float32) {
	c := sizeClass(cap(s))
	if 1<<c != cap(s) {
		return
	}
	scratchMu.Lock()
	if len(scratchFree[c]) < 8 {
		scratchFree[c] = append(scratchFree[c], s[:0])
	}
	scratchMu.Unlock()
}

func sizeClass(n int) int {
	c := 0
	for 1<<c < n {
		c++
	}
	return c
}
