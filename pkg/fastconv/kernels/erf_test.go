package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// erfF32 is bitwise float32(math.Erf(float64(x))) (the go backend's Erf, which the native
// pointwise Erf and GELU must reproduce): every float32 in [-1.3, 1.3] at a stride of 61 ulps
// (about 35 million values, the range of the vector path and its edges 0.84375 and 1.25),
// tiny, large, infinite and NaN inputs mixed into vectors, and odd lengths.
func TestErfF32MatchesMathErf(t *testing.T) {
	check := func(x []float32) {
		t.Helper()
		out := make([]float32, len(x))
		erfF32(out, x)
		for i, v := range x {
			want := float32(math.Erf(float64(v)))
			if math.Float32bits(out[i]) != math.Float32bits(want) && !(v != v && out[i] != out[i]) {
				t.Fatalf("erf(%g [%08x]) = %g, want %g", v, math.Float32bits(v), out[i], want)
			}
		}
	}
	hi := math.Float32bits(1.3)
	stride := uint32(61)
	if testing.Short() {
		stride = 997
	}
	var x []float32
	for b := uint32(0); b <= hi; b += stride {
		v := math.Float32frombits(b)
		x = append(x, v, -v)
		if len(x) >= 1<<16 {
			check(x)
			x = x[:0]
		}
	}
	check(x)
	rng := rand.New(rand.NewPCG(3, 4))
	specials := []float32{0, float32(math.Copysign(0, -1)), 1e-9, -3e-9, 0.84375, 1.25, -1.25, 2, 5.9, 7, 30,
		float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()), math.SmallestNonzeroFloat32}
	x = x[:0]
	for range 20000 {
		if rng.IntN(8) == 0 {
			x = append(x, specials[rng.IntN(len(specials))])
		} else {
			x = append(x, float32(rng.NormFloat64()))
		}
	}
	check(x)
	check(x[:4097])
	// In place (the pointwise programs reuse buffers).
	want := make([]float32, len(x))
	for i, v := range x {
		want[i] = float32(math.Erf(float64(v)))
	}
	erfF32(x, x)
	for i := range x {
		if math.Float32bits(x[i]) != math.Float32bits(want[i]) && !(x[i] != x[i] && want[i] != want[i]) {
			t.Fatalf("in place: element %d = %g, want %g", i, x[i], want[i])
		}
	}
}

func BenchmarkErfF32(b *testing.B) {
	rng := rand.New(rand.NewPCG(5, 6))
	x := randn(rng, 1<<14)
	out := make([]float32, len(x))
	b.Run("vector", func(b *testing.B) {
		for b.Loop() {
			erfF32(out, x)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(x)), "ns/elem")
	})
	b.Run("math.Erf", func(b *testing.B) {
		for b.Loop() {
			for i, v := range x {
				out[i] = float32(math.Erf(float64(v)))
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(x)), "ns/elem")
	})
}
