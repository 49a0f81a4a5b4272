package fastgo

import (
	"math"
	"slices"
	"testing"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/shapes"
)

// againstGoBackend builds a function of one float32 parameter x (shape) with body, compiles it on
// fastgo and on the wrapped go backend, runs both on data, fails unless every output holds the
// same float32 bits, and returns the names of the fastgo executable's steps.
func againstGoBackend(t *testing.T, shape shapes.Shape, data []float32, body func(fn compute.Function, x compute.Value) []compute.Value) []string {
	t.Helper()
	run := func(b compute.Backend) ([][]float32, []string) {
		bld := b.Builder("compare")
		fn := bld.Main()
		x := mustOf[compute.Value](t)(fn.Parameter("x", shape, nil))
		if err := fn.Return(body(fn, x), nil); err != nil {
			t.Fatal(err)
		}
		exec := mustOf[compute.Executable](t)(bld.Compile())
		in := mustOf[compute.Buffer](t)(b.BufferFromFlatData(0, slices.Clone(data), shape))
		outs := mustOf[[]compute.Buffer](t)(exec.Execute([]compute.Buffer{in}, nil, 0))
		var vals [][]float32
		for _, o := range outs {
			vals = append(vals, slices.Clone(mustOf[any](t)(o.Data()).([]float32)))
		}
		var names []string
		if e, isFast := exec.(*executable); isFast {
			names = stepNames(e)
		}
		return vals, names
	}
	fast, steps := run(mustOf[*Backend](t)(New("")))
	plain, _ := run(mustOf[compute.Backend](t)(NewGo(DefaultInnerConfig)))
	for o := range plain {
		if len(fast[o]) != len(plain[o]) {
			t.Fatalf("output %d: %d values, go backend %d", o, len(fast[o]), len(plain[o]))
		}
		for i := range plain[o] {
			if math.Float32bits(fast[o][i]) != math.Float32bits(plain[o][i]) {
				x := float32(math.NaN())
				if i < len(data) {
					x = data[i]
				}
				t.Fatalf("output %d element %d (x[%d] = %g): fastgo %g, go backend %g", o, i, i, x, fast[o][i], plain[o][i])
			}
		}
	}
	return steps
}
