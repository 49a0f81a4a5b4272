//go:build !goexperiment.simd || !amd64

package rsa

// gramFast is the AVX-512 Gram kernel, available only in GOEXPERIMENT=simd builds on amd64.
func gramFast(x []float64, n, d int, g []float64) bool { return false }
