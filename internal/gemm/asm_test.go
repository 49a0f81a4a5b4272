package gemm

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// Shapes with every remainder of the packed kernels: rows mod 6 and 12, columns mod 8, 16 and 32,
// K mod 4 (the unrolled loop) and mod 256 (kc), and the row (96) and column (2048, 4096) blocks.
var asmShapes = [][3]int{
	{1, 1, 1}, {1, 17, 3}, {5, 1, 2}, {6, 16, 4}, {12, 32, 8}, {7, 9, 5}, {13, 33, 255},
	{24, 40, 256}, {25, 47, 257}, {97, 31, 513}, {193, 65, 70}, {11, 2050, 9}, {3, 4100, 6},
	{200, 130, 1}, {64, 64, 1000},
}

// forEachSet runs f with every kernel set this CPU and build run made active, and reports the
// sets it cannot test here.
func forEachSet(t *testing.T, f func(t *testing.T)) {
	t.Helper()
	names := Kernels()
	for _, want := range []string{"avx512", "avx2"} {
		if !slices.Contains(names, want) {
			t.Logf("kernel %s not tested: this CPU (or %s) does not run it", want, envNoAVX512)
		}
	}
	for _, name := range names {
		restore, ok := use(name)
		if !ok {
			t.Fatalf("kernel %s listed but not usable", name)
		}
		if active.p32 != nil && active.p32.direct != nil {
			// Row-major A read in place (narrow B) and packed, for every shape.
			for _, dp := range []int{1 << 30, 0} {
				saved := directPanels
				directPanels = dp
				t.Run(fmt.Sprintf("%s/directPanels=%d", name, dp), f)
				directPanels = saved
			}
		} else {
			t.Run(name, f)
		}
		restore()
	}
}

// Every kernel set agrees with the float64 naive product to float rounding (tolerance
// 1e-5*sqrt(k) relative for float32, 1e-13*sqrt(k) for float64: a k-term sum of products
// of N(0,1) values has rounding error ~ eps*sqrt(k)), for A as stored and transposed, and
// with strided, accumulated C.
func TestKernelSets(t *testing.T) {
	forEachSet(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(21, 22))
		for _, s := range asmShapes {
			m, n, k := s[0], s[1], s[2]
			lda, ldb, ldc := k+1, n+3, n+2
			a32, b32 := randSlice[float32](rng, m*lda), randSlice[float32](rng, k*ldb)
			want := naive(false, m, n, k, a32, lda, b32, ldb)
			c32 := randSlice[float32](rng, m*ldc)
			MulF32(m, n, k, a32, lda, b32, ldb, c32, ldc)
			check(t, "MulF32", m, n, k, c32, ldc, want, 1e-5)
			at32 := transposed(a32, m, lda)
			clear(c32)
			MulF32TA(m, n, k, at32, m, b32, ldb, c32, ldc)
			check(t, "MulF32TA", m, n, k, c32, ldc, want, 1e-5)
			for i := range c32 {
				c32[i] = 1
			}
			MulF32Serial(m, n, k, a32, lda, b32, ldb, c32, ldc, true)
			for i := range want {
				want[i]++
			}
			check(t, "MulF32Serial+=", m, n, k, c32, ldc, want, 1e-5)
			// Columns past n are never written.
			for i := range m {
				for j := n; j < ldc; j++ {
					if c32[i*ldc+j] != 1 {
						t.Fatalf("MulF32Serial %v wrote c[%d,%d] past the last column", s, i, j)
					}
				}
			}

			a64, b64 := randSlice[float64](rng, m*lda), randSlice[float64](rng, k*ldb)
			want = naive(false, m, n, k, a64, lda, b64, ldb)
			c64 := randSlice[float64](rng, m*ldc)
			MulF64(m, n, k, a64, lda, b64, ldb, c64, ldc)
			check(t, "MulF64", m, n, k, c64, ldc, want, 1e-13)
			MulF64TA(m, n, k, transposed(a64, m, lda), m, b64, ldb, c64, ldc)
			check(t, "MulF64TA", m, n, k, c64, ldc, want, 1e-13)
		}
	})
}

// SyrkF64 of every kernel set equals the naive A A^T on and above the diagonal.
func TestKernelSetsSyrk(t *testing.T) {
	forEachSet(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(23, 24))
		for _, s := range [][2]int{{1, 3}, {7, 1}, {13, 300}, {50, 257}, {130, 9}, {17, 0}, {300, 40}, {2100, 3}} {
			n, k := s[0], s[1]
			lda, ldc := k+2, n+1
			a := randSlice[float64](rng, n*lda)
			c := make([]float64, n*ldc)
			SyrkF64(n, k, a, lda, c, ldc)
			want := naive(false, n, n, k, a, lda, transposed(a, n, lda), n)
			upper := func(what string) {
				for i := range n {
					for j := i; j < n; j++ {
						if !near(c[i*ldc+j], want[i*n+j], 1e-13, k) {
							t.Fatalf("%s n,k=%d,%d: c[%d,%d]=%g, want %g", what, n, k, i, j, c[i*ldc+j], want[i*n+j])
						}
					}
				}
			}
			upper("SyrkF64")
			// a^T a of the [k, n] transpose (row stride n+1) is the same matrix.
			at := make([]float64, k*(n+1))
			for i := range n {
				for l := range k {
					at[l*(n+1)+i] = a[i*lda+l]
				}
			}
			clear(c)
			SyrkF64TA(n, k, at, n+1, c, ldc)
			upper("SyrkF64TA")
		}
	})
}

func near(got, want, tol float64, k int) bool {
	return math.Abs(got-want) <= tol*math.Sqrt(float64(k+1))*(1+math.Abs(want))
}

// The environment switches pick the kernels in a fresh process: COARSEALIGN_NOAVX512=1 takes
// the AVX2 assembly kernels on an amd64 CPU with AVX2, COARSEALIGN_GEMM=go the portable ones,
// and the masked process passes the same product tests.
func TestEnvSwitches(t *testing.T) {
	if os.Getenv("GEMM_CHILD") != "" {
		t.Logf("child kernel %s", Kernel())
		os.Stdout.WriteString("KERNEL=" + Kernel() + "\n")
		return
	}
	run := func(env ...string) string {
		cmd := exec.Command(os.Args[0], "-test.run=^(TestEnvSwitches|TestKernelSets|TestMulF32|TestMulF64|TestSyrkF64)$", "-test.v")
		cmd.Env = append(os.Environ(), append(env, "GEMM_CHILD=1")...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%v: %v\n%s", env, err, out)
		}
		for _, line := range strings.Split(string(out), "\n") {
			if k, ok := strings.CutPrefix(line, "KERNEL="); ok {
				return k
			}
		}
		t.Fatalf("%v: no kernel reported:\n%s", env, out)
		return ""
	}
	if got := run(envKernel + "=go"); got != "go" {
		t.Errorf("%s=go: kernel %q", envKernel, got)
	}
	got := run(envNoAVX512 + "=1")
	if strings.HasPrefix(got, "avx512") {
		t.Errorf("%s=1: kernel %q", envNoAVX512, got)
	}
	if runtime.GOARCH == "amd64" && slices.Contains(Kernels(), "avx2") && got != "avx2" {
		t.Errorf("%s=1 on an AVX2 CPU: kernel %q, want avx2", envNoAVX512, got)
	}
}

// The checked-in assembly and stubs are what asmgen writes now (regenerate with go generate).
func TestGeneratedUpToDate(t *testing.T) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH to run asmgen")
	}
	dir := t.TempDir()
	cmd := exec.Command(gobin, "run", "./asmgen", "-dir", dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go run ./asmgen: %v\n%s", err, out)
	}
	for _, name := range []string{"kernels_amd64.s", "kernels_amd64_stub.go"} {
		want, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from asmgen's output: run go generate ./internal/gemm", name)
		}
	}
}

// MulF32PackedSerial with B packed once equals MulF32Serial, for every kernel set.
func TestPackedB(t *testing.T) {
	forEachSet(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(25, 26))
		for _, s := range asmShapes {
			m, n, k := s[0], s[1], s[2]
			lda, ldb, ldc := k+1, n+3, n+2
			a, b := randSlice[float32](rng, m*lda), randSlice[float32](rng, k*ldb)
			want := naive(false, m, n, k, a, lda, b, ldb)
			p := PackF32(k, n, b, ldb)
			c := make([]float32, m*ldc)
			// Two halves of the rows, the second accumulated onto ones.
			h := m / 2
			MulF32PackedSerial(h, a, lda, p, c, ldc, false)
			for i := h * ldc; i < len(c); i++ {
				c[i] = 1
			}
			MulF32PackedSerial(m-h, a[h*lda:], lda, p, c[h*ldc:], ldc, true)
			p.Release()
			for i := h * n; i < len(want); i++ {
				want[i]++
			}
			check(t, "MulF32PackedSerial", m, n, k, c, ldc, want, 1e-5)
		}
	})
}

// The assembly kernels sum in the intrinsics kernels' order (an FMA chain over each 256-deep K
// block from zero, then added to C), so where both run their products are bit-identical: the
// training runs of the two kernel sets agree exactly (docs/training.md).
func TestAsmMatchesIntrinsicsBits(t *testing.T) {
	for _, pair := range [][2]string{{"avx512", "avx512-simd"}, {"avx2", "avx2-simd"}} {
		if !slices.Contains(Kernels(), pair[0]) || !slices.Contains(Kernels(), pair[1]) {
			t.Logf("%s vs %s not compared: not both available here (GOEXPERIMENT=simd build on a CPU with them)", pair[0], pair[1])
			continue
		}
		rng := rand.New(rand.NewPCG(27, 28))
		for _, s := range asmShapes {
			m, n, k := s[0], s[1], s[2]
			a32, b32 := randSlice[float32](rng, m*k), randSlice[float32](rng, k*n)
			a64, b64 := randSlice[float64](rng, m*k), randSlice[float64](rng, k*n)
			var c32, t32 [2][]float32
			var c64, g64 [2][]float64
			at32 := transposed(a32, m, k)
			for i, name := range pair {
				restore, _ := use(name)
				c32[i] = make([]float32, m*n)
				MulF32(m, n, k, a32, k, b32, n, c32[i], n)
				t32[i] = make([]float32, m*n)
				MulF32TA(m, n, k, at32, m, b32, n, t32[i], n)
				c64[i] = make([]float64, m*n)
				MulF64(m, n, k, a64, k, b64, n, c64[i], n)
				g64[i] = make([]float64, m*m)
				SyrkF64(m, k, a64, k, g64[i], m)
				restore()
			}
			if !slices.Equal(c32[0], c32[1]) || !slices.Equal(t32[0], t32[1]) {
				t.Errorf("%v: MulF32 or MulF32TA %s and %s differ", s, pair[0], pair[1])
			}
			if m >= mr && n >= nr64 && !slices.Equal(c64[0], c64[1]) { // smaller: intrinsics set calls gonum
				t.Errorf("%v: MulF64 %s and %s differ", s, pair[0], pair[1])
			}
			for i := range m {
				for j := i; j < m; j++ {
					if m >= nr64 && g64[0][i*m+j] != g64[1][i*m+j] {
						t.Fatalf("%v: SyrkF64 %s and %s differ at [%d,%d]", s, pair[0], pair[1], i, j)
					}
				}
			}
		}
	}
}

// TestNarrowKernelSameBits: products of at most 16 columns take the 6 x 16 AVX2 kernel on
// AVX-512 machines (kernelSet.narrow32); they must hold exactly the bits of the 12 x 32 kernel,
// for row-major and transposed A, packed B, accumulation, K across several blocks of kc and
// partial row and column tiles.
func TestNarrowKernelSameBits(t *testing.T) {
	s := active
	if s.narrow32 == nil {
		t.Skipf("kernel set %s has no narrow float32 kernel", s.name)
	}
	wide := s
	wide.narrow32 = nil
	rng := rand.New(rand.NewPCG(31, 32))
	for _, n := range []int{16, 5} {
		m, k := 131, 2*kc+37
		a, b := make([]float32, m*k), make([]float32, k*n)
		for i := range a {
			a[i] = float32(rng.NormFloat64())
		}
		for i := range b {
			b[i] = float32(rng.NormFloat64())
		}
		prod := func(set kernelSet) [][]float32 {
			active = set
			defer func() { active = s }()
			c1, c2, c3 := make([]float32, m*n), make([]float32, m*n), make([]float32, m*n)
			MulF32(m, n, k, a, k, b, n, c1, n)
			MulF32TA(m, n, k, a, m, b, n, c2, n) // a read as [k, m]
			p := PackF32(k, n, b, n)
			MulF32PackedSerial(m, a, k, p, c3, n, false)
			MulF32PackedSerial(m, a, k, p, c3, n, true)
			p.Release()
			return [][]float32{c1, c2, c3}
		}
		got, want := prod(s), prod(wide)
		for v := range want {
			for i := range want[v] {
				if math.Float32bits(got[v][i]) != math.Float32bits(want[v][i]) {
					t.Fatalf("n=%d product %d element %d: narrow kernel %g, wide %g", n, v, i, got[v][i], want[v][i])
				}
			}
		}
	}
}
