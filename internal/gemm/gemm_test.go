package gemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"gonum.org/v1/gonum/mat"
)

// Shapes with row (m % 4), column (n % 32, n % 16) and K-block (k % 256) remainders.
var shapes = [][3]int{{1, 1, 1}, {4, 16, 1}, {8, 32, 16}, {13, 45, 300}, {70, 10, 27}, {129, 64, 600}, {27, 33, 2000}, {5, 17, 257}}

func randSlice[T float](rng *rand.Rand, n int) []T {
	s := make([]T, n)
	for i := range s {
		s[i] = T(rng.NormFloat64())
	}
	return s
}

// naive returns the float64 product of a[m,k] (row stride lda, or a[k,m] if transA) and b[k,n].
func naive[T float](transA bool, m, n, k int, a []T, lda int, b []T, ldb int) []float64 {
	c := make([]float64, m*n)
	for i := range m {
		for j := range n {
			s := 0.0
			for l := range k {
				var av T
				if transA {
					av = a[l*lda+i]
				} else {
					av = a[i*lda+l]
				}
				s += float64(av) * float64(b[l*ldb+j])
			}
			c[i*n+j] = s
		}
	}
	return c
}

// check compares c[m,n] (row stride ldc) with want; tol is per unit of sqrt(k).
func check[T float](t *testing.T, what string, m, n, k int, c []T, ldc int, want []float64, tol float64) {
	t.Helper()
	for i := range m {
		for j := range n {
			got, w := float64(c[i*ldc+j]), want[i*n+j]
			if !(math.Abs(got-w) <= tol*math.Sqrt(float64(k))*(1+math.Abs(w))) {
				t.Fatalf("%s m,n,k=%d,%d,%d: c[%d,%d]=%g, want %g", what, m, n, k, i, j, got, w)
			}
		}
	}
}

// transposed returns a[m,k] (row-major) as [k,m].
func transposed[T float](a []T, m, k int) []T {
	at := make([]T, k*m)
	for i := range m {
		for l := range k {
			at[l*m+i] = a[i*k+l]
		}
	}
	return at
}

func TestMulF32(t *testing.T) {
	t.Logf("kernel: %s", Kernel())
	rng := rand.New(rand.NewPCG(5, 6))
	for _, s := range shapes {
		m, n, k := s[0], s[1], s[2]
		a, b := randSlice[float32](rng, m*k), randSlice[float32](rng, k*n)
		want := naive(false, m, n, k, a, k, b, n)
		c := make([]float32, m*n)
		MulF32(m, n, k, a, k, b, n, c, n)
		check(t, "MulF32", m, n, k, c, n, want, 1e-5)
		clear(c)
		MulF32TA(m, n, k, transposed(a, m, k), m, b, n, c, n)
		check(t, "MulF32TA", m, n, k, c, n, want, 1e-5)
		// Accumulate into a strided C holding ones.
		ldc := n + 3
		c2 := make([]float32, m*ldc)
		for i := range c2 {
			c2[i] = 1
		}
		MulF32Serial(m, n, k, a, k, b, n, c2, ldc, true)
		for i := range want {
			want[i]++
		}
		check(t, "MulF32Serial+=", m, n, k, c2, ldc, want, 1e-5)
	}
}

func TestMulF64(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 9))
	for _, s := range shapes {
		m, n, k := s[0], s[1], s[2]
		lda, ldb, ldc := k+1, n+2, n+3 // strided operands
		a, b := randSlice[float64](rng, m*lda), randSlice[float64](rng, k*ldb)
		want := naive(false, m, n, k, a, lda, b, ldb)
		c := make([]float64, m*ldc)
		MulF64(m, n, k, a, lda, b, ldb, c, ldc)
		check(t, "MulF64", m, n, k, c, ldc, want, 1e-13)
		at := randSlice[float64](rng, k*(m+1))
		want = naive(true, m, n, k, at, m+1, b, ldb)
		MulF64TA(m, n, k, at, m+1, b, ldb, c, ldc)
		check(t, "MulF64TA", m, n, k, c, ldc, want, 1e-13)
	}
}

// The portable kernels, whatever this build selects, through the same driver.
func TestGoKernels(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 3))
	for _, s := range shapes {
		m, n, k := s[0], s[1], s[2]
		a32, b32 := randSlice[float32](rng, m*k), randSlice[float32](rng, k*n)
		c32 := make([]float32, m*n)
		run(microGoF32, nr32, m, n, k, a32, k, false, b32, n, c32, n, false, true)
		check(t, "go float32", m, n, k, c32, n, naive(false, m, n, k, a32, k, b32, n), 1e-5)
		a64, b64 := randSlice[float64](rng, m*k), randSlice[float64](rng, k*n)
		c64 := make([]float64, m*n)
		run(microGoF64, nr64, m, n, k, transposed(a64, m, k), m, true, b64, n, c64, n, false, false)
		check(t, "go float64", m, n, k, c64, n, naive(false, m, n, k, a64, k, b64, n), 1e-13)
	}
}

func TestSyrkF64(t *testing.T) {
	rng := rand.New(rand.NewPCG(10, 11))
	for _, s := range [][2]int{{1, 3}, {16, 3}, {37, 300}, {50, 7}, {130, 260}, {17, 0}, {300, 40}} {
		n, k := s[0], s[1]
		lda, ldc := k+2, n+1
		a := randSlice[float64](rng, n*lda)
		c := make([]float64, n*ldc)
		SyrkF64(n, k, a, lda, c, ldc)
		want := naive(false, n, n, k, a, lda, transposed(a, n, lda), n)
		for i := range n {
			for j := i; j < n; j++ {
				if d := math.Abs(c[i*ldc+j] - want[i*n+j]); !(d <= 1e-13*math.Sqrt(float64(k+1))*(1+math.Abs(want[i*n+j]))) {
					t.Fatalf("n,k=%d,%d: c[%d,%d]=%g, want %g", n, k, i, j, c[i*ldc+j], want[i*n+j])
				}
			}
		}
	}
}

// The gonum wrappers equal gonum's Mul and SymOuterK to rounding.
func TestMat(t *testing.T) {
	rng := rand.New(rand.NewPCG(12, 13))
	dense := func(r, c int) *mat.Dense { return mat.NewDense(r, c, randSlice[float64](rng, r*c)) }
	near := func(what string, got, want mat.Matrix, k int) {
		t.Helper()
		r, c := want.Dims()
		for i := range r {
			for j := range c {
				if d := math.Abs(got.At(i, j) - want.At(i, j)); !(d <= 1e-12*math.Sqrt(float64(k))) {
					t.Fatalf("%s [%d,%d] = %g, gonum %g", what, i, j, got.At(i, j), want.At(i, j))
				}
			}
		}
	}
	for _, s := range [][3]int{{4, 1, 16}, {7, 300, 37}, {33, 513, 50}, {2, 5, 3}, {64, 64, 64}} {
		a, b := dense(s[0], s[1]), dense(s[1], s[2])
		var want mat.Dense
		want.Mul(a, b)
		near(fmt.Sprint("Mul", s), Mul(a, b), &want, s[1])
		at := mat.DenseCopyOf(a.T())
		near(fmt.Sprint("MulTA", s), MulTA(at, b), &want, s[1])
		g := mat.NewSymDense(s[0], nil)
		g.SymOuterK(1, a)
		near(fmt.Sprint("Gram", s), Gram(a), g, s[1])
		near(fmt.Sprint("GramTA", s), GramTA(at), g, s[1]) // at^T at = a a^T
	}
}

func TestSpeed(t *testing.T) {
	if testing.Short() {
		t.Skip("speed report")
	}
	for _, c := range [][3]int{{16384, 64, 288}, {65536, 32, 27}, {288, 64, 16384}, {1024, 1024, 1024}} {
		m, n, k := c[0], c[1], c[2]
		a, b, out := make([]float32, m*k), make([]float32, k*n), make([]float32, m*n)
		MulF32(m, n, k, a, k, b, n, out, n)
		start := time.Now()
		const reps = 5
		for range reps {
			MulF32(m, n, k, a, k, b, n, out, n)
		}
		el := time.Since(start) / reps
		t.Logf("MulF32 %v (%s): %v, %.1f GFLOP/s", c, Kernel(), el, 2*float64(m*n*k)/el.Seconds()/1e9)
	}
}

// Sizes of pkg/encoding's ridge products and pkg/rsa's Gram matrices (their former benchmarks).
func BenchmarkMulF64(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	x, y := mat.NewDense(800, 800, randSlice[float64](rng, 800*800)), mat.NewDense(800, 2000, randSlice[float64](rng, 800*2000))
	b.Run(Kernel(), func(b *testing.B) {
		for b.Loop() {
			Mul(x, y)
		}
	})
	b.Run("gonum", func(b *testing.B) {
		for b.Loop() {
			var c mat.Dense
			c.Mul(x, y)
		}
	})
}

func BenchmarkSyrkF64(b *testing.B) {
	const n, k = 1000, 2048
	rng := rand.New(rand.NewPCG(1, 2))
	x := randSlice[float64](rng, n*k)
	c := make([]float64, n*n)
	b.Run(Kernel(), func(b *testing.B) {
		for b.Loop() {
			SyrkF64(n, k, x, k, c, n)
		}
	})
	b.Run("blas", func(b *testing.B) {
		for b.Loop() {
			syrkBLAS(n, k, x, k, c, n)
		}
	})
}
