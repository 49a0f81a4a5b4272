package gemm

import (
	"fmt"
	"os"
	"strings"
)

// kernelSet is one choice of micro-kernels. Products use the packed (assembly) kernels when they
// are set, else the unpacked kernel f32 (nr32 columns) and f64 (nil: gonum BLAS).
type kernelSet struct {
	name string
	f32  kernel[float32]
	nr32 int
	f64  kernel[float64]
	p32  *packedKernel[float32]
	p64  *packedKernel[float64]
	// narrow32, if set, replaces p32 for products of at most narrow32.nr columns (pk32).
	narrow32 *packedKernel[float32]
}

// pk32 is the packed float32 kernel for products of n columns (nil without packed kernels).
// Every packed kernel sums each element's products in the same order (FMA over k within K
// blocks of kc), so the choice does not change a value (TestNarrowKernelSameBits).
func (s kernelSet) pk32(n int) *packedKernel[float32] {
	if s.narrow32 != nil && n <= s.narrow32.nr {
		return s.narrow32
	}
	return s.p32
}

// goSet is the portable set: the Go float32 kernel and gonum BLAS for float64.
var goSet = kernelSet{name: "go", f32: microGoF32, nr32: nr32}

// Environment switches read once at start-up (for tests and comparisons):
// COARSEALIGN_GEMM=go forces the portable Go kernels, COARSEALIGN_GEMM=<name> picks a named set
// (Kernels lists them), COARSEALIGN_NOAVX512=1 masks the AVX-512 kernels.
const (
	envKernel   = "COARSEALIGN_GEMM"
	envNoAVX512 = "COARSEALIGN_NOAVX512"
)

// active is the set in use (chosen at init; tests switch it with use).
var active = choose(os.Getenv(envKernel), os.Getenv(envNoAVX512) != "")

// availableSets lists the sets this CPU and build can run, fastest first (the portable set last).
func availableSets(noAVX512 bool) []kernelSet {
	var sets []kernelSet
	for _, s := range append(asmSets(), simdSets()...) {
		if noAVX512 && strings.HasPrefix(s.name, "avx512") {
			continue
		}
		sets = append(sets, s)
	}
	return append(sets, goSet)
}

// choose returns the named set, or the fastest one for an empty name. An unknown name is
// reported on stderr and the fastest set is used.
func choose(name string, noAVX512 bool) kernelSet {
	sets := availableSets(noAVX512)
	if name == "" {
		return sets[0]
	}
	for _, s := range sets {
		if s.name == name {
			return s
		}
	}
	fmt.Fprintf(os.Stderr, "gemm: %s=%q is not one of the kernels this CPU runs (%s); using %s\n",
		envKernel, name, strings.Join(Kernels(), ", "), sets[0].name)
	return sets[0]
}

// Kernels names the kernel sets this CPU and build can run (honouring COARSEALIGN_NOAVX512),
// fastest first: "avx512" and "avx2" (assembly), "avx512-simd" and "avx2-simd" (Go simd
// intrinsics, GOEXPERIMENT=simd builds), "go" (portable).
func Kernels() []string {
	var names []string
	for _, s := range availableSets(os.Getenv(envNoAVX512) != "") {
		names = append(names, s.name)
	}
	return names
}

// use makes the named set active and returns a function restoring the previous one (tests).
func use(name string) (restore func(), ok bool) {
	prev := active
	for _, s := range availableSets(false) {
		if s.name == name {
			active = s
			return func() { active = prev }, true
		}
	}
	return func() {}, false
}
