package fastgo

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
)

// The native Pad (edge padding of a large float32 tensor, the gradient of adaptive pooling's
// slices) runs as a native step with bitwise the go backend's values, and interior padding,
// which it does not take, still runs delegated (negative edges are not tested: the go backend's Pad of compute v0.1.2
// indexes out of range on them).
func TestPadMatchesGoBackend(t *testing.T) {
	shape := shapes.Make(dtypes.Float32, 128, 2, 2, 64) // 32768 elements: native
	rng := rand.New(rand.NewPCG(13, 14))
	data := make([]float32, shape.Size())
	for i := range data {
		data[i] = float32(rng.NormFloat64())
	}
	cases := []struct {
		axes   []compute.PadAxis
		native bool
	}{
		{[]compute.PadAxis{{}, {Start: 1, End: 1}, {Start: 0, End: 2}, {}}, true},
		{[]compute.PadAxis{{Start: 2}, {End: 3}, {}, {Start: 1, End: 1}}, true},
		{[]compute.PadAxis{{}, {Interior: 1}, {Start: 1, Interior: 2}, {}}, false},
	}
	for ci, c := range cases {
		steps := againstGoBackend(t, shape, data, func(fn compute.Function, x compute.Value) []compute.Value {
			ok := mustOf[compute.Value](t)
			return []compute.Value{ok(fn.Pad(x, ok(fn.Constant([]float32{-2.5})), c.axes...))}
		})
		if got := slices.Contains(steps, "pad"); got != c.native {
			t.Errorf("case %d: native pad step %v, want %v (steps %v)", ci, got, c.native, steps)
		}
	}
}
