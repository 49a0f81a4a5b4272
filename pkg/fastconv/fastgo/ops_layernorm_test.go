package fastgo

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
)

// The native FusedLayerNorm (rows split between workers) gives bitwise the go backend's values,
// as a native step over the last axis and over the last two axes; a non-trailing axis stays
// delegated.
func TestFusedLayerNormMatchesGoBackend(t *testing.T) {
	shape := shapes.Make(dtypes.Float32, 64, 65, 24) // 99840 elements
	rng := rand.New(rand.NewPCG(15, 16))
	data := make([]float32, shape.Size())
	for i := range data {
		data[i] = float32(rng.NormFloat64()*2 + 0.5)
	}
	cases := []struct {
		axes   []int
		gdims  []int
		native bool
	}{{[]int{2}, []int{24}, true}, {[]int{1, 2}, []int{65, 24}, true}, {[]int{-1}, []int{24}, true}, {[]int{1}, []int{65, 1}, false}}
	for ci, c := range cases {
		n := 1
		for _, d := range c.gdims {
			n *= d
		}
		gamma, beta := make([]float32, n), make([]float32, n)
		for i := range gamma {
			gamma[i], beta[i] = float32(1+rng.NormFloat64()/4), float32(rng.NormFloat64()/4)
		}
		steps := againstGoBackend(t, shape, data, func(fn compute.Function, x compute.Value) []compute.Value {
			ok := mustOf[compute.Value](t)
			g := ok(fn.Constant(slices.Clone(gamma), c.gdims...))
			be := ok(fn.Constant(slices.Clone(beta), c.gdims...))
			return []compute.Value{ok(fn.FusedLayerNorm(x, c.axes, 1e-6, g, be))}
		})
		if got := slices.Contains(steps, "layernorm"); got != c.native {
			t.Errorf("case %d (axes %v): native layernorm step %v, want %v (steps %v)", ci, c.axes, got, c.native, steps)
		}
	}
}
