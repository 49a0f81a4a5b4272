package fastgo

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
)

// The native Reverse holds bitwise the go backend's values for the conv kernels' spatial flip
// ({0, 1} of [KH, KW, C, N]), the last axis alone, all axes, an axis listed twice (reversed
// once, as the go backend does), rank 3, and a small tensor (delegated).
func TestReverseMatchesGoBackend(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	cases := []struct {
		dims   []int
		axes   []int
		native bool
	}{
		{[]int{3, 3, 64, 96}, []int{0, 1}, true},
		{[]int{3, 3, 64, 96}, []int{3}, true},
		{[]int{3, 5, 64, 37}, []int{0, 1, 2, 3}, true},
		{[]int{3, 3, 64, 96}, []int{1, 1}, true},
		{[]int{40, 30, 41}, []int{2, 0}, true},
		{[]int{3, 3, 4, 5}, []int{0, 1}, false},
	}
	for ci, c := range cases {
		shape := shapes.Make(dtypes.Float32, c.dims...)
		data := make([]float32, shape.Size())
		for i := range data {
			data[i] = float32(rng.NormFloat64())
		}
		steps := againstGoBackend(t, shape, data, func(fn compute.Function, x compute.Value) []compute.Value {
			return []compute.Value{mustOf[compute.Value](t)(fn.Reverse(x, c.axes...))}
		})
		if got := slices.Contains(steps, "reverse"); got != c.native {
			t.Errorf("case %d: native reverse step %v, want %v (steps %v)", ci, got, c.native, steps)
		}
	}
}
