package kernels

import (
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestElementwiseMatchesDefinition checks the SIMD loops (AVX-512, AVX2 or scalar, whichever this
// CPU and build select) against their one-line definitions, bit for bit, at lengths that cover
// full 8- and 16-lane blocks and every tail, with ties and negative zeros in the inputs.
func TestElementwiseMatchesDefinition(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for n := 0; n <= 41; n++ {
		a, b := randn(rng, n), randn(rng, n)
		for i := 0; i < n; i += 5 {
			b[i] = a[i] // ties for max and argmax
		}
		if n > 2 {
			a[2] = float32(math.Copysign(0, -1))
		}
		got, want := make([]float32, n), make([]float32, n)
		same := func(name string) {
			t.Helper()
			for i := range want {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("%s n=%d: [%d] = %v, want %v", name, n, i, got[i], want[i])
				}
			}
		}
		for _, op := range []Op{OpAdd, OpSub, OpMul, OpDiv} {
			def := func(x, y float32) float32 { return scalarOp(op, x, y) }
			binaryF32(op, got, a, b)
			for i := range want {
				want[i] = def(a[i], b[i])
			}
			same("binary")
			if n > 0 {
				binaryF32(op, got, a, b[:1])
				for i := range want {
					want[i] = def(a[i], b[0])
				}
				same("binary, b scalar")
				binaryF32(op, got, a[:1], b)
				for i := range want {
					want[i] = def(a[0], b[i])
				}
				same("binary, a scalar")
			}
		}
		addF32(got, a, b)
		for i := range want {
			want[i] = a[i] + b[i]
		}
		same("add")
		reluF32(got, a)
		for i := range want {
			want[i] = max(a[i], 0) // the go backend's Max(x, 0): +0 for -0, NaN for NaN
		}
		same("relu")
		if n > 20 {
			an := append([]float32(nil), a...)
			an[19] = float32(math.NaN())
			reluF32(got, an)
			for i := range want {
				want[i] = max(an[i], 0)
			}
			same("relu with NaN")
		}
		for _, ge := range []bool{true, false} {
			reluGradF32(got, a, b, ge)
			for i := range want {
				want[i] = 0
				if (a[i] >= 0) == ge {
					want[i] = b[i]
				}
			}
			same("relu grad")
		}
		abs := make([]float32, n)
		for i := range a {
			abs[i] = float32(math.Abs(float64(a[i])))
		}
		sqrtF32(got, abs)
		for i := range want {
			want[i] = float32(math.Sqrt(float64(abs[i])))
		}
		same("sqrt")
		copy(got, a)
		maxInto(got, b)
		for i := range want {
			want[i] = max(a[i], b[i])
		}
		same("max")

		// argmaxUpdate keeps the first maximum: bestIdx changes only where src > best.
		best, idx := append([]float32(nil), a...), make([]int32, n)
		for i := range idx {
			idx[i] = -1
		}
		argmaxUpdate(best, idx, b, 100)
		for i := range a {
			wantV, wantI := a[i], int32(-1)
			if b[i] > a[i] {
				wantV, wantI = b[i], int32(100+i)
			}
			if best[i] != wantV || idx[i] != wantI {
				t.Fatalf("argmax n=%d: [%d] = (%v, %d), want (%v, %d)", n, i, best[i], idx[i], wantV, wantI)
			}
		}
		scatterSelected(got, a, idx, 100)
		for i := range want {
			want[i] = 0
			if idx[i] == int32(100+i) {
				want[i] = a[i]
			}
		}
		same("scatter")
	}
}

// TestBroadcast checks Broadcast against the index definition out[i] = src[i with broadcast axes
// set to 0] for the batch-norm, pooling-gradient and scalar patterns.
func TestBroadcast(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, tc := range []struct{ src, out []int }{
		{[]int{1, 1, 1, 16}, []int{3, 4, 5, 16}},
		{[]int{3, 1, 1, 16}, []int{3, 2, 2, 16}},
		{[]int{1, 7}, []int{9, 7}},
		{[]int{1, 1}, []int{4, 6}},
		{[]int{4, 1}, []int{4, 6}},
		{[]int{2, 3, 1}, []int{2, 3, 5}},
		{[]int{}, []int{}},
	} {
		size := func(d []int) int {
			n := 1
			for _, v := range d {
				n *= v
			}
			return n
		}
		src := randn(rng, size(tc.src))
		out := make([]float32, size(tc.out))
		Broadcast(out, src, tc.src, tc.out)
		idx := make([]int, len(tc.out))
		for flat := range out {
			r := flat
			for ax := len(tc.out) - 1; ax >= 0; ax-- {
				idx[ax] = r % tc.out[ax]
				r /= tc.out[ax]
			}
			s := 0
			for ax := range tc.src {
				i := idx[ax]
				if tc.src[ax] == 1 {
					i = 0
				}
				s = s*tc.src[ax] + i
			}
			if out[flat] != src[s] {
				t.Fatalf("%v -> %v: out[%d] = %v, want src[%d] = %v", tc.src, tc.out, flat, out[flat], s, src[s])
			}
		}
	}
}

// With COARSEALIGN_NOAVX512=1 (in a fresh process) the elementwise loops are the AVX2 ones on an
// AVX2 CPU, and they pass the same bitwise tests as the AVX-512 loops.
func TestAVX2LoopsWhenMasked(t *testing.T) {
	if os.Getenv("KERNELS_CHILD") != "" {
		os.Stdout.WriteString("LEVEL=" + VectorLevel() + "\n")
		return
	}
	if VectorLevel() != "avx512" {
		t.Skipf("elementwise loops %s: nothing to mask", VectorLevel())
	}
	cmd := exec.Command(os.Args[0], "-test.run=^(TestAVX2LoopsWhenMasked|TestElementwiseMatchesDefinition|TestPointwiseMatchesKernels|TestErfF32MatchesMathErf|TestExpF32MatchesMathExp)$", "-test.v")
	cmd.Env = append(os.Environ(), "COARSEALIGN_NOAVX512=1", "KERNELS_CHILD=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("masked run: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "LEVEL=avx2\n") {
		t.Fatalf("masked run did not take the AVX2 loops:\n%s", out)
	}
}
