//go:build !amd64

package gemm

// asmSets is empty off amd64: the assembly kernels are amd64 only.
func asmSets() []kernelSet { return nil }

// peakLoops is empty off amd64.
func peakLoops() []FMALoop { return nil }
