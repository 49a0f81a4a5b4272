//go:build !goexperiment.simd

package fastconv

func microKernel(a []float32, rows *[gemmMr]int, aStrideK int, b []float32, bOff, ldb, kc int, c []float32, cRows *[gemmMr]int, accumulate bool) {
	microKernelGo(a, rows, aStrideK, b, bOff, ldb, kc, c, cRows, accumulate)
}
