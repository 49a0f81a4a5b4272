package encoding

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// The vector rotation kernels (AVX-512, AVX2) give the scalar loop's bits: the same separate
// multiplies and adds, so eigSym's results do not depend on the CPU.
func TestRotateRowsMatchesScalar(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for n := range 40 {
		x, y := make([]float64, n), make([]float64, n)
		for i := range x {
			x[i], y[i] = rng.NormFloat64(), rng.NormFloat64()
		}
		c, s := 0.8, -0.6
		x2, y2 := slices.Clone(x), slices.Clone(y)
		rotateRows(x, y, c, s)
		rotateRowsScalar(x2, y2, c, s)
		if !slices.Equal(x, x2) || !slices.Equal(y, y2) {
			t.Fatalf("n=%d: rotateRows differs from rotateRowsScalar", n)
		}
	}
}

// One plane rotation of two 800-long rows (eigSym's inner step at n = 800).
func BenchmarkRotateRows(b *testing.B) {
	x, y := make([]float64, 800), make([]float64, 800)
	for i := range x {
		x[i], y[i] = float64(i), float64(-i)
	}
	b.Run("dispatch", func(b *testing.B) {
		for b.Loop() {
			rotateRows(x, y, 0.8, 0.6)
		}
	})
	b.Run("scalar", func(b *testing.B) {
		for b.Loop() {
			rotateRowsScalar(x, y, 0.8, 0.6)
		}
	})
}
