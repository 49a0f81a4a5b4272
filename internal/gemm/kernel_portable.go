//go:build !(goexperiment.simd && amd64)

package gemm

// Portable build (any GOOS/GOARCH without GOEXPERIMENT=simd on amd64): Go float32 kernel; float64
// products use gonum BLAS (microF64 nil).
const kernelName = "go"

var (
	microF32 kernel[float32] = microGoF32
	microF64 kernel[float64]
	nrF32    = nr32 // float32 columns per microF32 call

)
