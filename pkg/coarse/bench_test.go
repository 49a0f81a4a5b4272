package coarse

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// randomPixels returns an n x d PixelMatrix of seeded random bytes with a
// low-rank structure (a few smooth patterns), like image data.
func randomPixels(n, d int) *PixelMatrix {
	rng := rand.New(rand.NewPCG(1, 1))
	pix := make([]uint8, n*d)
	for i := 0; i < n; i++ {
		a, b := rng.Float64(), rng.Float64()
		for j := 0; j < d; j++ {
			v := 128 + 60*a*float64(j%32)/32 + 40*b*float64(j/96)/32 + 20*rng.NormFloat64()
			pix[i*d+j] = uint8(max(0, min(255, v)))
		}
	}
	return NewPixelMatrix(pix, n, d)
}

// BenchmarkFit fits 6-bit labels to raw-pixel-like matrices (d = 3072, CIFAR size).
func BenchmarkFit(b *testing.B) {
	for _, tc := range []struct {
		n      int
		method Method
	}{{1000, Exact}, {1000, Randomized}, {10000, Randomized}} {
		x := randomPixels(tc.n, 3072)
		b.Run(fmt.Sprintf("n=%d/%s", tc.n, tc.method), func(b *testing.B) {
			for b.Loop() {
				if _, err := Fit(x, &Options{Method: tc.method}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
