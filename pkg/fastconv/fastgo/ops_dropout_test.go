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

// GoMLX's dropout on a large float32 tensor (layers.DropoutNormalize with RandomUniform's
// float32 recipe, core/graph/ops_random.go of gomlx v0.28.2) and its gradient's mask run as
// native steps (u32-to-f32, the pointwise abs and min, mask-le) and give bitwise the go
// backend's values: the uniforms, the masked output and the masked gradient.
func TestDropoutMatchesGoBackend(t *testing.T) {
	shape := shapes.Make(dtypes.Float32, 64, 1024)
	rng := rand.New(rand.NewPCG(17, 18))
	data := make([]float32, shape.Size())
	for i := range data {
		data[i] = float32(rng.NormFloat64())
	}
	data[5] = float32(math.Copysign(0, -1))
	steps := againstGoBackend(t, shape, data, func(fn compute.Function, x compute.Value) []compute.Value {
		ok := mustOf[compute.Value](t)
		scalar := func(v float32) compute.Value { return ok(fn.Constant([]float32{v})) }
		bcast := func(v float32) compute.Value { return ok(fn.BroadcastInDim(scalar(v), shape, nil)) }
		state := ok(fn.Constant([]uint64{7, 11, 0}, 3))
		_, bits, err := fn.RNGBitGenerator(state, shapes.Make(dtypes.Uint32, 64, 1024))
		if err != nil {
			t.Fatal(err)
		}
		u := ok(fn.ConvertDType(bits, dtypes.Float32))
		u = ok(fn.Mul(u, bcast(1.0/float32(1<<32))))
		u = ok(fn.Abs(u))
		u = ok(fn.Min(u, bcast(math.Nextafter32(1, 0))))
		keep := ok(fn.LessOrEqual(u, bcast(0.3)))
		y := ok(fn.Where(keep, bcast(0), x))
		y = ok(fn.Div(y, scalar(0.7)))
		dy := ok(fn.Where(keep, bcast(0), ok(fn.Mul(x, x))))
		other := ok(fn.Where(keep, x, bcast(0)))           // the zero on the other branch
		absMin := ok(fn.Min(ok(fn.Abs(x)), ok(fn.Neg(x)))) // Abs keeps -0; Min of two tensors
		return []compute.Value{u, y, dy, other, absMin}
	})
	// Abs and Min are fused into pointwise programs ("pointwise/N"); the segments left hold the
	// constants.
	for _, want := range []string{"rng-bits", "u32-to-f32", "mask-le"} {
		if !slices.Contains(steps, want) {
			t.Errorf("no native %s step (steps %v)", want, steps)
		}
	}
}
