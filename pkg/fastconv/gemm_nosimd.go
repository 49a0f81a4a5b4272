//go:build !goexperiment.simd

package fastconv

func microKernel(a []float32, rows *[gemmMr]int, panel []float32, kc int, tile *[gemmMr * gemmNr]float32) {
	microKernelGo(a, rows, panel, kc, tile)
}
