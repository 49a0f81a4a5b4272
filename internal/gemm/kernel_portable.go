//go:build !(goexperiment.simd && amd64)

package gemm

// simdSets is empty without GOEXPERIMENT=simd on amd64.
func simdSets() []kernelSet { return nil }
