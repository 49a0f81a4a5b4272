package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// BenchmarkConvForward times the forward convolutions of AlexNet-BN width 1/4 at 32x32, batch
// 128 (conv1-conv3), with im2colUnitStride and with the general im2col.
func BenchmarkConvForward(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	for _, p := range []Conv{
		{B: 128, C: 3, H: 32, W: 32, KH: 3, KW: 3, N: 16},
		{B: 128, C: 16, H: 16, W: 16, KH: 3, KW: 3, N: 48},
		{B: 128, C: 48, H: 8, W: 8, KH: 3, KW: 3, N: 96},
	} {
		p.S0, p.S1, p.P0, p.P1, p.ID0, p.ID1, p.KD0, p.KD1 = 1, 1, 1, 1, 1, 1, 1, 1
		p.OH, p.OW = p.H, p.W
		p.XStrides = [4]int{p.H * p.W * p.C, p.W * p.C, p.C, 1}
		p.KStrides = [4]int{p.KW * p.C * p.N, p.C * p.N, p.N, 1}
		x, k := randn(rng, p.B*p.H*p.W*p.C), randn(rng, p.K()*p.N)
		y := make([]float32, p.M()*p.N)
		for _, fast := range []bool{true, false} {
			b.Run(fmt.Sprintf("C=%d/N=%d/unitstride=%v", p.C, p.N, fast), func(b *testing.B) {
				im2colFast = fast
				defer func() { im2colFast = true }()
				for b.Loop() {
					p.Run(y, x, k)
				}
				b.ReportMetric(2*float64(p.M()*p.K()*p.N)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}

// BenchmarkConvWeightGradient times the weight-gradient convolutions GoMLX builds for conv1,
// conv2 and conv5 of AlexNet-BN width 1/4 (32x32, batch 128) and conv1 of the 3-conv CNN (batch
// 64), geometries from FASTCONV_TRACE=1: the activations as input with batch and channels
// swapped, the output gradient as kernel.
func BenchmarkConvWeightGradient(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, p := range []Conv{
		{B: 3, C: 128, H: 32, W: 32, KH: 32, KW: 32, N: 16, OH: 3, OW: 3, XStrides: [4]int{1, 96, 3, 3072}, KStrides: [4]int{512, 16, 16384, 1}},
		{B: 16, C: 128, H: 16, W: 16, KH: 16, KW: 16, N: 48, OH: 3, OW: 3, XStrides: [4]int{1, 256, 16, 4096}, KStrides: [4]int{768, 48, 12288, 1}},
		{B: 96, C: 128, H: 8, W: 8, KH: 8, KW: 8, N: 64, OH: 3, OW: 3, XStrides: [4]int{1, 768, 96, 6144}, KStrides: [4]int{512, 64, 4096, 1}},
		// conv1 of the 3-conv CNN (bench/train cnn3-32: batch 64, 32 channels): per-tap products.
		{B: 3, C: 64, H: 32, W: 32, KH: 32, KW: 32, N: 32, OH: 3, OW: 3, XStrides: [4]int{1, 96, 3, 3072}, KStrides: [4]int{1024, 32, 32768, 1}},
	} {
		p.S0, p.S1, p.P0, p.P1, p.ID0, p.ID1, p.KD0, p.KD1 = 1, 1, 1, 1, 1, 1, 1, 1
		x, k := randn(rng, p.B*p.H*p.W*p.C), randn(rng, p.KH*p.KW*p.C*p.N)
		y := make([]float32, p.M()*p.N)
		b.Run(fmt.Sprintf("M=%d/N=%d", p.M(), p.N), func(b *testing.B) {
			for b.Loop() {
				p.Run(y, x, k)
			}
			b.ReportMetric(2*float64(p.M()*p.K()*p.N)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
