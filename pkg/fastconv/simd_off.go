//go:build !goexperiment.simd

package fastconv

// BuiltWithSIMD is true when the binary was built with GOEXPERIMENT=simd (the wrapped backend's
// AVX2/AVX-512 matmul kernels exist only then).
const BuiltWithSIMD = false
