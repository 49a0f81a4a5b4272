package kernels

import (
	"math/rand/v2"
	"testing"
)

// naivePad is the definition of edge padding (XLA's Pad with interior 0 and non-negative
// edges): out[i + lo] = in[i], every other element fill.
func naivePad(src []float32, inDims, lo, hi []int, fill float32) []float32 {
	rank := len(inDims)
	outDims := make([]int, rank)
	n := 1
	for i := range rank {
		outDims[i] = inDims[i] + lo[i] + hi[i]
		n *= outDims[i]
	}
	out := make([]float32, n)
	for i := range out {
		out[i] = fill
	}
	idx := make([]int, rank)
	for k, v := range src {
		q := k
		for a := rank - 1; a >= 0; a-- {
			idx[a] = q % inDims[a]
			q /= inDims[a]
		}
		o := 0
		for a := range rank {
			o = o*outDims[a] + idx[a] + lo[a]
		}
		out[o] = v
	}
	return out
}

func TestPadMatchesDefinition(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	cases := []struct{ dims, lo, hi []int }{
		{[]int{5}, []int{2}, []int{3}},
		{[]int{3, 4}, []int{0, 1}, []int{2, 0}},
		{[]int{128, 2, 2, 64}, []int{0, 1, 0, 0}, []int{0, 1, 2, 0}},
		{[]int{2, 3, 1, 4, 5}, []int{1, 0, 2, 0, 1}, []int{0, 2, 0, 1, 1}},
		{[]int{4, 0, 3}, []int{1, 1, 1}, []int{0, 0, 0}},
	}
	for _, c := range cases {
		n := 1
		for _, d := range c.dims {
			n *= d
		}
		src := randn(rng, n)
		want := naivePad(src, c.dims, c.lo, c.hi, -7)
		got := make([]float32, len(want))
		for i := range got {
			got[i] = float32(i) // garbage the kernel must overwrite
		}
		Pad(got, src, c.dims, c.lo, c.hi, -7)
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("dims %v lo %v hi %v: element %d = %v, want %v", c.dims, c.lo, c.hi, i, got[i], want[i])
			}
		}
	}
}
