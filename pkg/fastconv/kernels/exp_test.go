package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// expF32 is bitwise float32(math.Exp(float64(x))) (the go backend's Exp, which the native
// pointwise Exp must reproduce): every float32 in [-104, 89] (where the float32 result is
// neither 0 nor infinite) at a stride of 61 ulps near zero and more further out, specials mixed
// into vectors (0, -0, denormals, +-700.5, +-Inf, NaN, huge), odd lengths, in place.
func TestExpF32MatchesMathExp(t *testing.T) {
	check := func(x []float32) {
		t.Helper()
		want := make([]float32, len(x))
		for i, v := range x {
			want[i] = float32(math.Exp(float64(v)))
		}
		out := make([]float32, len(x))
		expF32(out, x)
		for i, v := range x {
			if math.Float32bits(out[i]) != math.Float32bits(want[i]) && !(v != v && out[i] != out[i]) {
				t.Fatalf("exp(%g [%08x]) = %g, want %g", v, math.Float32bits(v), out[i], want[i])
			}
		}
		in := append([]float32(nil), x...)
		expF32(in, in)
		for i := range in {
			if math.Float32bits(in[i]) != math.Float32bits(want[i]) && !(in[i] != in[i] && want[i] != want[i]) {
				t.Fatalf("in place: exp(%g) = %g, want %g", x[i], in[i], want[i])
			}
		}
	}
	stride := uint32(61)
	if testing.Short() {
		stride = 997
	}
	var x []float32
	for _, lim := range []float32{89, 104} {
		for b := uint32(0); b <= math.Float32bits(lim); b += stride {
			v := math.Float32frombits(b)
			if lim == 89 {
				x = append(x, v)
			} else {
				x = append(x, -v)
			}
			if len(x) >= 1<<16 {
				check(x)
				x = x[:0]
			}
		}
	}
	check(x)
	rng := rand.New(rand.NewPCG(7, 8))
	specials := []float32{0, float32(math.Copysign(0, -1)), 1e-40, -1e-40, 700.5, -700.5, 88.72, -87.3, -103.9,
		float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()), 3e38, -3e38}
	x = x[:0]
	for range 20000 {
		if rng.IntN(8) == 0 {
			x = append(x, specials[rng.IntN(len(specials))])
		} else {
			x = append(x, float32(rng.NormFloat64()*10))
		}
	}
	check(x)
	check(x[:4097])
}

func BenchmarkExpF32(b *testing.B) {
	rng := rand.New(rand.NewPCG(5, 6))
	x := randn(rng, 1<<14)
	out := make([]float32, len(x))
	b.Run("vector", func(b *testing.B) {
		for b.Loop() {
			expF32(out, x)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(x)), "ns/elem")
	})
	b.Run("math.Exp", func(b *testing.B) {
		for b.Loop() {
			for i, v := range x {
				out[i] = float32(math.Exp(float64(v)))
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(x)), "ns/elem")
	})
}
