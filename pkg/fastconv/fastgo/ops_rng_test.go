package fastgo

import (
	"slices"
	"testing"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
)

// The native RNGBitGenerator gives the go backend's bits and new state, for Uint32 (dropout's
// RandomUniform) of even and odd length and Uint64, twice in a row (the second call from the
// first's state); small shapes stay delegated.
func TestRNGBitGeneratorMatchesGoBackend(t *testing.T) {
	outs := []shapes.Shape{
		shapes.Make(dtypes.Uint32, 128, 576),
		shapes.Make(dtypes.Uint32, 32769),
		shapes.Make(dtypes.Uint64, 40000),
		shapes.Make(dtypes.Uint32, 100), // delegated
	}
	seed := []uint64{0x9e3779b97f4a7c15, 12345, 7}
	for _, shape := range outs {
		var steps []string
		build := func(b compute.Backend) (state []uint64, first, second any) {
			ok := mustOf[compute.Value](t)
			bld := b.Builder("rng")
			fn := bld.Main()
			s0 := ok(fn.Parameter("state", compute.RNGStateShape, nil))
			s1, bits1, err := fn.RNGBitGenerator(s0, shape)
			if err != nil {
				t.Fatal(err)
			}
			s2, bits2, err := fn.RNGBitGenerator(s1, shape)
			if err != nil {
				t.Fatal(err)
			}
			if err := fn.Return([]compute.Value{s2, bits1, bits2}, nil); err != nil {
				t.Fatal(err)
			}
			exec := mustOf[compute.Executable](t)(bld.Compile())
			if e, isFast := exec.(*executable); isFast {
				steps = stepNames(e)
			}
			in := mustOf[compute.Buffer](t)(b.BufferFromFlatData(0, slices.Clone(seed), compute.RNGStateShape))
			res := mustOf[[]compute.Buffer](t)(exec.Execute([]compute.Buffer{in}, nil, 0))
			data := func(i int) any { return mustOf[any](t)(res[i].Data()) }
			st := slices.Clone(data(0).([]uint64))
			switch shape.DType {
			case dtypes.Uint32:
				return st, slices.Clone(data(1).([]uint32)), slices.Clone(data(2).([]uint32))
			default:
				return st, slices.Clone(data(1).([]uint64)), slices.Clone(data(2).([]uint64))
			}
		}
		fs, f1, f2 := build(mustOf[*Backend](t)(New("")))
		ps, p1, p2 := build(mustOf[compute.Backend](t)(NewGo(DefaultInnerConfig)))
		if native, want := slices.Contains(steps, "rng-bits"), shape.Size() >= minNativeSize; native != want {
			t.Errorf("%s: native rng-bits step %v, want %v (steps %v)", shape, native, want, steps)
		}
		if fs[0] != ps[0] || fs[1] != ps[1] {
			t.Errorf("%s: state fastgo %x, go backend %x", shape, fs[:2], ps[:2])
		}
		eq := func(a, b any) bool {
			switch a := a.(type) {
			case []uint32:
				return slices.Equal(a, b.([]uint32))
			default:
				return slices.Equal(a.([]uint64), b.([]uint64))
			}
		}
		if !eq(f1, p1) || !eq(f2, p2) {
			t.Errorf("%s: random bits differ from the go backend's", shape)
		}
		if eq(f1, f2) {
			t.Errorf("%s: the second call repeats the first's bits", shape)
		}
	}
}
