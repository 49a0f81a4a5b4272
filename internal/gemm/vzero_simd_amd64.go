//go:build goexperiment.simd && amd64

package gemm

import (
	"simd/archsimd"

	"golang.org/x/sys/cpu"
)

var hasAVX = cpu.X86.HasAVX

// ClearUpper clears the upper halves of the vector registers (VZEROUPPER) after 256-bit vector
// code. Go does not emit it after simd/archsimd code, and scalar float code compiled to legacy
// SSE (the go backend's ops, math.Exp's assembly) ran up to ~10x slower on this AMD EPYC while
// the upper halves were dirty (kernels.BenchmarkErfF32). ParallelFor and the fastconv executor
// call it after every kernel.
func ClearUpper() {
	if hasAVX {
		archsimd.ClearAVXUpperBits()
	}
}
