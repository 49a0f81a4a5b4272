package encoding

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// mul (the AVX-512 product where available) equals gonum's Mul to rounding, including
// shapes with row and column remainders.
func TestMul(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 9))
	for _, s := range [][3]int{{4, 1, 16}, {7, 300, 37}, {33, 513, 50}, {2, 5, 3}, {64, 64, 64}} {
		a, b := randn(rng, s[0], s[1], 1), randn(rng, s[1], s[2], 1)
		var want mat.Dense
		want.Mul(a, b)
		got := mul(a, b)
		for i := 0; i < s[0]; i++ {
			for j := 0; j < s[2]; j++ {
				if d := math.Abs(got.At(i, j) - want.At(i, j)); d > 1e-12*math.Sqrt(float64(s[1])) {
					t.Fatalf("%v: [%d,%d] = %g, gonum %g", s, i, j, got.At(i, j), want.At(i, j))
				}
			}
		}
	}
}

// gramFast (where available) equals gonum's SymOuterK to rounding, with remainders.
func TestGramFast(t *testing.T) {
	rng := rand.New(rand.NewPCG(10, 11))
	for _, s := range [][2]int{{16, 3}, {37, 300}, {50, 7}, {130, 260}} {
		z := randn(rng, s[0], s[1], 1)
		g, ok := gramFast(z, mat.DenseCopyOf(z.T()))
		if !ok {
			t.Skip("no AVX-512 kernel in this build")
		}
		want := mat.NewSymDense(s[0], nil)
		want.SymOuterK(1, z)
		for i := 0; i < s[0]; i++ {
			for j := i; j < s[0]; j++ {
				if d := math.Abs(g.At(i, j) - want.At(i, j)); d > 1e-12*math.Sqrt(float64(s[1])) {
					t.Fatalf("%v: [%d,%d] = %g, gonum %g", s, i, j, g.At(i, j), want.At(i, j))
				}
			}
		}
	}
}

func BenchmarkMul(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	x, y := randn(rng, 800, 800, 1), randn(rng, 800, 2000, 1)
	b.Run("mul", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			mul(x, y)
		}
	})
	b.Run("gonum", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			var c mat.Dense
			c.Mul(x, y)
		}
	})
}
