package fastgo

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
)

// The native FusedLayerNorm (rows split between workers) gives bitwise the go backend's values,
// over the last axis and over the last two axes; a non-trailing axis stays delegated.
func TestFusedLayerNormMatchesGoBackend(t *testing.T) {
	shape := shapes.Make(dtypes.Float32, 64, 65, 24) // 99840 elements
	rng := rand.New(rand.NewPCG(15, 16))
	data := make([]float32, shape.Size())
	for i := range data {
		data[i] = float32(rng.NormFloat64()*2 + 0.5)
	}
	cases := []struct {
		axes  []int
		gdims []int
	}{{[]int{2}, []int{24}}, {[]int{1, 2}, []int{65, 24}}, {[]int{-1}, []int{24}}, {[]int{1}, []int{65, 1}}}
	for ci, c := range cases {
		n := 1
		for _, d := range c.gdims {
			n *= d
		}
		gamma, beta := make([]float32, n), make([]float32, n)
		for i := range gamma {
			gamma[i], beta[i] = float32(1+rng.NormFloat64()/4), float32(rng.NormFloat64()/4)
		}
		build := func(b compute.Backend) []float32 {
			ok := mustOf[compute.Value](t)
			bld := b.Builder("ln")
			fn := bld.Main()
			x := ok(fn.Parameter("x", shape, nil))
			g := ok(fn.Constant(slices.Clone(gamma), c.gdims...))
			be := ok(fn.Constant(slices.Clone(beta), c.gdims...))
			out := ok(fn.FusedLayerNorm(x, c.axes, 1e-6, g, be))
			if err := fn.Return([]compute.Value{out}, nil); err != nil {
				t.Fatal(err)
			}
			exec := mustOf[compute.Executable](t)(bld.Compile())
			in := mustOf[compute.Buffer](t)(b.BufferFromFlatData(0, slices.Clone(data), shape))
			outs := mustOf[[]compute.Buffer](t)(exec.Execute([]compute.Buffer{in}, nil, 0))
			return slices.Clone(mustOf[any](t)(outs[0].Data()).([]float32))
		}
		fast := build(mustOf[*Backend](t)(New("")))
		plain := build(mustOf[compute.Backend](t)(NewGo(DefaultInnerConfig)))
		for i := range plain {
			if math.Float32bits(fast[i]) != math.Float32bits(plain[i]) {
				t.Fatalf("case %d (axes %v): element %d: fastgo %g, go backend %g", ci, c.axes, i, fast[i], plain[i])
			}
		}
	}
}
