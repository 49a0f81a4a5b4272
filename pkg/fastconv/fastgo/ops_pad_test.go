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

// The native Pad (edge padding of a large float32 tensor, the gradient of adaptive pooling's
// slices) gives bitwise the go backend's values, and interior padding, which it does not take,
// still runs delegated (negative edges are not tested: the go backend's Pad of compute v0.1.2
// indexes out of range on them).
func TestPadMatchesGoBackend(t *testing.T) {
	shape := shapes.Make(dtypes.Float32, 128, 2, 2, 64) // 32768 elements: native
	rng := rand.New(rand.NewPCG(13, 14))
	data := make([]float32, shape.Size())
	for i := range data {
		data[i] = float32(rng.NormFloat64())
	}
	cases := [][]compute.PadAxis{
		{{}, {Start: 1, End: 1}, {Start: 0, End: 2}, {}},
		{{Start: 2}, {End: 3}, {}, {Start: 1, End: 1}},
		{{}, {Interior: 1}, {Start: 1, Interior: 2}, {}}, // interior: delegated
	}
	for ci, axes := range cases {
		build := func(b compute.Backend) []float32 {
			ok := mustOf[compute.Value](t)
			bld := b.Builder("pad")
			fn := bld.Main()
			x := ok(fn.Parameter("x", shape, nil))
			fill := ok(fn.Constant([]float32{-2.5}))
			out := ok(fn.Pad(x, fill, axes...))
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
		if len(fast) != len(plain) {
			t.Fatalf("case %d: fastgo %d elements, go backend %d", ci, len(fast), len(plain))
		}
		for i := range plain {
			if math.Float32bits(fast[i]) != math.Float32bits(plain[i]) {
				t.Fatalf("case %d: element %d: fastgo %g, go backend %g", ci, i, fast[i], plain[i])
			}
		}
	}
}
