package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/coarsealign/coarsealign/internal/gemm"
)

func randn(rng *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(rng.NormFloat64())
	}
	return s
}

// naiveConv is the definition in Conv's doc, for x [B, H, W, C] and k [KH, KW, C, N] contiguous.
func naiveConv(p *Conv, x, k []float32) []float64 {
	y := make([]float64, p.M()*p.N)
	for b := range p.B {
		for oh := range p.OH {
			for ow := range p.OW {
				for kh := range p.KH {
					for kw := range p.KW {
						q0, q1 := oh*p.S0+kh*p.KD0-p.P0, ow*p.S1+kw*p.KD1-p.P1
						if q0 < 0 || q1 < 0 || q0%p.ID0 != 0 || q1%p.ID1 != 0 || q0/p.ID0 >= p.H || q1/p.ID1 >= p.W {
							continue
						}
						h, w := q0/p.ID0, q1/p.ID1
						for c := range p.C {
							xv := float64(x[((b*p.H+h)*p.W+w)*p.C+c])
							for n := range p.N {
								y[((b*p.OH+oh)*p.OW+ow)*p.N+n] += xv * float64(k[((kh*p.KW+kw)*p.C+c)*p.N+n])
							}
						}
					}
				}
			}
		}
	}
	return y
}

func TestConvMatchesDefinition(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, p := range []Conv{
		{B: 2, C: 3, H: 8, W: 8, KH: 3, KW: 3, N: 4, S0: 1, S1: 1, P0: 1, P1: 1, ID0: 1, ID1: 1, KD0: 1, KD1: 1},
		{B: 2, C: 5, H: 9, W: 7, KH: 3, KW: 2, N: 33, S0: 2, S1: 1, P0: 0, P1: 1, ID0: 1, ID1: 1, KD0: 2, KD1: 1},
		{B: 1, C: 2, H: 5, W: 6, KH: 3, KW: 3, N: 3, S0: 1, S1: 1, P0: 2, P1: 2, ID0: 2, ID1: 2, KD0: 1, KD1: 1},   // input gradient form
		{B: 64, C: 8, H: 6, W: 6, KH: 3, KW: 3, N: 32, S0: 1, S1: 1, P0: 1, P1: 1, ID0: 1, ID1: 1, KD0: 1, KD1: 1}, // M > 512 rows
	} {
		t.Run(fmt.Sprintf("%+v", p), func(t *testing.T) {
			vH, vW := (p.H-1)*p.ID0+1, (p.W-1)*p.ID1+1
			p.OH = (vH+2*p.P0-(p.KH-1)*p.KD0-1)/p.S0 + 1
			p.OW = (vW+2*p.P1-(p.KW-1)*p.KD1-1)/p.S1 + 1
			p.XStrides = [4]int{p.H * p.W * p.C, p.W * p.C, p.C, 1}
			p.KStrides = [4]int{p.KW * p.C * p.N, p.C * p.N, p.N, 1}
			x, k := randn(rng, p.B*p.H*p.W*p.C), randn(rng, p.KH*p.KW*p.C*p.N)
			y := make([]float32, p.M()*p.N)
			p.Run(y, x, k)
			for i, want := range naiveConv(&p, x, k) {
				if d := math.Abs(float64(y[i]) - want); !(d <= 1e-4*(1+math.Abs(want))) {
					t.Fatalf("y[%d] = %g, want %g", i, y[i], want)
				}
			}
		})
	}
}

// The first maximum of each window gets the gradient (XLA SelectAndScatter); ties included.
func TestPool(t *testing.T) {
	p, ok := NewPool([]int{2, 7, 6, 3}, []int{1, 3, 3, 1}, []int{1, 2, 2, 1}, nil)
	if !ok || p.OH != 3 || p.OW != 2 {
		t.Fatalf("NewPool: %+v, %v", p, ok)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	x := make([]float32, 2*7*6*3)
	for i := range x {
		x[i] = float32(rng.IntN(4)) // many ties
	}
	dy := randn(rng, 2*3*2*3)
	out, grad := make([]float32, len(dy)), make([]float32, len(x))
	p.Max(out, x)
	p.MaxGrad(grad, x, dy)
	want := make([]float32, len(x))
	for b := range 2 {
		for oh := range 3 {
			for ow := range 2 {
				for c := range 3 {
					best, at := float32(math.Inf(-1)), -1
					for i := range 3 {
						for j := range 3 {
							idx := ((b*7+oh*2+i)*6+ow*2+j)*3 + c
							if x[idx] > best {
								best, at = x[idx], idx
							}
						}
					}
					o := ((b*3+oh)*2+ow)*3 + c
					if out[o] != best {
						t.Fatalf("max[%d] = %g, want %g", o, out[o], best)
					}
					want[at] += dy[o]
				}
			}
		}
	}
	for i := range want {
		if math.Abs(float64(grad[i]-want[i])) > 1e-6 {
			t.Fatalf("grad[%d] = %g, want %g", i, grad[i], want[i])
		}
	}
}

// The 2x2 stride-2 pools (max2x2, maxGrad2x2) follow the definition: the window maximum, and the
// gradient at the window's first maximum in row-major order (XLA's SelectAndScatter), with ties
// from a small integer range, and agree bit for bit with the general tiled gradient.
func TestPool2x2(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	B, H, W, C := 3, 6, 8, 19
	p, ok := NewPool([]int{B, H, W, C}, []int{1, 2, 2, 1}, []int{1, 2, 2, 1}, nil)
	if !ok || !p.tiled2x2() {
		t.Fatalf("NewPool: %+v, %v (tiled2x2 %v)", p, ok, ok && p.tiled2x2())
	}
	x := make([]float32, B*H*W*C)
	for i := range x {
		x[i] = float32(rng.IntN(4))
	}
	dy := randn(rng, B*p.OH*p.OW*C)
	y := make([]float32, len(dy))
	p.Max(y, x)
	dx := make([]float32, len(x))
	p.MaxGrad(dx, x, dy)
	want := make([]float32, len(x))
	for b := range B {
		for oh := range p.OH {
			for ow := range p.OW {
				for c := range C {
					bestI := -1
					for i := range 2 {
						for j := range 2 {
							idx := ((b*H+2*oh+i)*W+2*ow+j)*C + c
							if bestI < 0 || x[idx] > x[bestI] {
								bestI = idx
							}
						}
					}
					o := ((b*p.OH+oh)*p.OW+ow)*C + c
					if y[o] != x[bestI] {
						t.Fatalf("max at %d = %g, want %g", o, y[o], x[bestI])
					}
					want[bestI] = dy[o]
				}
			}
		}
	}
	tiled := make([]float32, len(x))
	p.maxGradTiled(tiled, x, dy)
	for i := range want {
		if dx[i] != want[i] || math.Float32bits(dx[i]) != math.Float32bits(tiled[i]) {
			t.Fatalf("grad[%d] = %g, want %g (general tiled path %g)", i, dx[i], want[i], tiled[i])
		}
	}
}

// The weight-gradient geometry of AlexNet-BN width 1/4's conv5 (FASTCONV_TRACE=1: K = 8192,
// im2col chunks of 3 MiB) is computed in K ranges of whole K blocks (tapStep); the result holds
// exactly the bits of the product over all of K at once.
func TestTapSplitSameBits(t *testing.T) {
	p := Conv{B: 96, C: 128, H: 8, W: 8, KH: 8, KW: 8, N: 64, OH: 3, OW: 3, S0: 1, S1: 1, P0: 1, P1: 1,
		ID0: 1, ID1: 1, KD0: 1, KD1: 1, XStrides: [4]int{1, 768, 96, 6144}, KStrides: [4]int{512, 64, 4096, 1}}
	if ts := p.tapStep(96); ts >= p.KH*p.KW || ts*p.C%gemm.KBlock != 0 {
		t.Fatalf("tapStep = %d: want a split on K-block boundaries", ts)
	}
	rng := rand.New(rand.NewPCG(41, 42))
	x, k := randn(rng, p.B*p.H*p.W*p.C), randn(rng, p.KH*p.KW*p.C*p.N)
	got, want := make([]float32, p.M()*p.N), make([]float32, p.M()*p.N)
	p.Run(got, x, k)
	tapSplit = false
	p.Run(want, x, k)
	tapSplit = true
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("element %d: %g in K ranges, %g over all of K", i, got[i], want[i])
		}
	}
}
