package fastconv


// GEMM used by the native convolution: C[M,N] = A[M,K] x B[K,N] (row-major float32, A rows with
// stride lda). B is packed into zero-padded panels of 32 columns, K is blocked by gemmKc, and rows
// are split between the workers. The 4x32 micro-kernel is AVX-512 (gemm_simd_amd64.go) when built
// with GOEXPERIMENT=simd on a CPU with AVX-512, else scalar Go.

const (
	gemmMr = 4   // rows per micro-kernel
	gemmNr = 32  // columns per micro-kernel (2 AVX-512 registers)
	gemmKc = 256 // K block
	gemmMc = 48  // rows per cache block (multiple of gemmMr)
)

// packB packs b[K,N] (row stride ldb) into panels: bp[panel][k][32], zero padding columns >= N.
func packB(bp []float32, b []float32, K, N, ldb int) {
	numPanels := (N + gemmNr - 1) / gemmNr
	parallelFor(numPanels*((K+63)/64), func(start, end int) {
		for idx := start; idx < end; idx++ {
			p, kb := idx/((K+63)/64), idx%((K+63)/64)
			c0 := p * gemmNr
			nc := min(gemmNr, N-c0)
			for k := kb * 64; k < min(K, kb*64+64); k++ {
				dst := bp[(p*K+k)*gemmNr:][:gemmNr]
				copy(dst, b[k*ldb+c0:][:nc])
				if nc < gemmNr {
					clear(dst[nc:])
				}
			}
		}
	})
}

// gemm computes c[M,N] (row stride ldc) = a[M,K] (row stride lda) x b[K,N] (row stride ldb).
func gemm(M, N, K int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	numPanels := (N + gemmNr - 1) / gemmNr
	bp := getScratch(numPanels * K * gemmNr)
	defer putScratch(bp)
	packB(bp, b, K, N, ldb)
	gemmPacked(M, N, K, a, lda, bp, K, 0, c, ldc, false)
}

// gemmPacked computes c[M,N] (=, or += if accumulate) a[M,kLen] x B[kOff:kOff+kLen, :] where B was
// packed by packB with totalK rows.
func gemmPacked(M, N, kLen int, a []float32, lda int, bp []float32, totalK, kOff int, c []float32, ldc int, accumulate bool) {
	if M == 0 || N == 0 {
		return
	}
	if kLen == 0 {
		if !accumulate {
			for i := range M {
				clear(c[i*ldc:][:N])
			}
		}
		return
	}
	numPanels := (N + gemmNr - 1) / gemmNr
	numBlocks := (M + gemmMc - 1) / gemmMc
	// Split rows finer when there are few blocks, so both workers get work.
	mc := gemmMc
	if numBlocks < 4*numWorkers() {
		mc = gemmMr
		numBlocks = (M + mc - 1) / mc
	}
	parallelFor(numBlocks, func(start, end int) {
		var tile [gemmMr * gemmNr]float32
		for blk := start; blk < end; blk++ {
			r0, r1 := blk*mc, min(M, blk*mc+mc)
			for k0 := 0; k0 < kLen; k0 += gemmKc {
				kc := min(gemmKc, kLen-k0)
				add := accumulate || k0 > 0
				for p := range numPanels {
					c0 := p * gemmNr
					nc := min(gemmNr, N-c0)
					panel := bp[(p*totalK+kOff+k0)*gemmNr:][:kc*gemmNr]
					for i := r0; i < r1; i += gemmMr {
						mr := min(gemmMr, r1-i)
						var rows [gemmMr]int
						for r := range gemmMr {
							rr := i + min(r, mr-1)
							rows[r] = rr*lda + k0
						}
						microKernel(a, &rows, panel, kc, &tile)
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

// microKernelGo is the portable micro-kernel: tile[r][j] = sum_k a[rows[r]+k] * panel[k][j].
func microKernelGo(a []float32, rows *[gemmMr]int, panel []float32, kc int, tile *[gemmMr * gemmNr]float32) {
	clear(tile[:])
	for r := range gemmMr {
		ar := a[rows[r]:][:kc]
		t := tile[r*gemmNr:][:gemmNr]
		for k, av := range ar {
			if av == 0 {
				continue
			}
			pk := panel[k*gemmNr:][:gemmNr]
			for j := range gemmNr {
				t[j] += av * pk[j]
			}
		}
	}
}
