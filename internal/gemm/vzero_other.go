//go:build !(goexperiment.simd && amd64)

package gemm

// ClearUpper is a no-op without simd/archsimd vector code (see the amd64 simd version).
func ClearUpper() {}
