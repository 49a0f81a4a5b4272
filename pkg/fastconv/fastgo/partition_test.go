package fastgo

import (
	"math"
	"slices"
	"testing"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
)

// Small graphs built with the compute API directly, to test the partitioner: which steps
// Compile keeps, when Execute releases buffers and how they are recycled.

// poolShape is used by no other test, so the recycling pool for it starts empty.
var poolShape = shapes.Make(dtypes.Float32, 263, 131) // 34453 elements >= minNativeSize

// mustOf returns a function that returns v, failing t if err is not nil: ok := mustOf[T](t); ok(f()).
func mustOf[T any](t *testing.T) func(v T, err error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatalf("%+v", err)
		}
		return v
	}
}

func stepNames(e *executable) []string {
	var names []string
	for _, s := range e.steps {
		if s.custom != nil {
			names = append(names, s.custom.name)
		} else {
			names = append(names, "segment")
		}
	}
	return names
}

// chain builds max(y, y) for y = relu(sqrt(relu(x))) as relu, sqrt, relu (native) and a Max
// that is not a ReLU (a segment), plus native and
// delegated work whose results are never used.
func chain(t *testing.T, b *Backend, shape shapes.Shape) (*executable, []*value) {
	ok := mustOf[compute.Value](t)
	bld := b.Builder("chain")
	fn := bld.Main()
	x := ok(fn.Parameter("x", shape, nil))
	zero := ok(fn.Constant([]float32{0}))
	_ = ok(fn.Max(x, x))            // delegated, unused: its segment is dropped
	_ = ok(fn.Sqrt(ok(fn.Sqrt(x)))) // native, unused (transitively): dropped
	r1 := ok(fn.Max(x, zero))       // relu
	r2 := ok(fn.Sqrt(r1))           // r1 dies here
	r3 := ok(fn.Max(r2, zero))      // r2 dies here; reuses r1's buffer
	out := ok(fn.Max(r3, r3))       // segment; r3 dies here
	if err := fn.Return([]compute.Value{out}, nil); err != nil {
		t.Fatal(err)
	}
	exec, err := bld.Compile()
	if err != nil {
		t.Fatal(err)
	}
	return exec.(*executable), []*value{r1.(*value), r2.(*value), r3.(*value)}
}

// noFusion turns pointwise fusion off for the rest of the test (the partitioning tests count
// the separate native steps).
func noFusion(t *testing.T) {
	saved := fuseEnabled
	fuseEnabled = false
	t.Cleanup(func() { fuseEnabled = saved })
}

func TestLiveness(t *testing.T) {
	noFusion(t)
	b := mustOf[*Backend](t)(New(""))
	e, rs := chain(t, b, poolShape)
	if got, want := stepNames(e), []string{"relu", "sqrt", "relu", "segment"}; !slices.Equal(got, want) {
		t.Fatalf("steps %v, want %v (unused native and delegated work dropped)", got, want)
	}
	for i, r := range rs {
		if !slices.Contains(e.dying[i+1], r) {
			t.Errorf("r%d should be released after step %d (its only consumer); dying %v", i+1, i+1, e.dying[i+1])
		}
	}
	if len(e.dying[0]) != 0 {
		t.Errorf("step 0 releases %d values; the input x belongs to the caller", len(e.dying[0]))
	}
}

func TestBufferReuse(t *testing.T) {
	noFusion(t)
	b := mustOf[*Backend](t)(New(""))
	e, _ := chain(t, b, poolShape)
	data := make([]float32, poolShape.Size())
	for i := range data {
		data[i] = float32(i%7) - 3
	}
	in := mustOf[compute.Buffer](t)(b.BufferFromFlatData(0, slices.Clone(data), poolShape))
	for run, wantFresh := range []int64{2, 0} {
		before := freshBuffers.Load()
		outs := mustOf[[]compute.Buffer](t)(e.Execute([]compute.Buffer{in}, nil, 0))
		// Run 1: r1 and r2 are new, r3 takes r1's buffer (released after sqrt). Run 2: all
		// three come from the pool (r2 and r3 went back to it after their last use).
		if fresh := freshBuffers.Load() - before; fresh != wantFresh {
			t.Errorf("run %d allocated %d native buffers, want %d", run+1, fresh, wantFresh)
		}
		got := mustOf[any](t)(outs[0].Data()).([]float32)
		for i, v := range data {
			if want := float32(math.Sqrt(float64(max(v, 0)))); got[i] != want {
				t.Fatalf("run %d: out[%d] = %g, want %g", run+1, i, got[i], want)
			}
		}
		if err := outs[0].Finalize(); err != nil {
			t.Fatal(err)
		}
	}
	// The caller's input is never released or recycled.
	if got := mustOf[any](t)(in.Data()).([]float32); !slices.Equal(got, data) {
		t.Fatal("input buffer was modified")
	}
	outPoolMu.Lock()
	pooled := len(outPool[poolShape.String()])
	outPoolMu.Unlock()
	if pooled != 2 {
		t.Errorf("%d buffers of %s pooled after the runs, want 2 (r2 and r3)", pooled, poolShape)
	}
}

// nativeOps (generated) covers the ops with native kernels, and only those.
func TestNativeOps(t *testing.T) {
	b := mustOf[*Backend](t)(New(""))
	ops := b.Capabilities().Operations
	for _, op := range []compute.OpType{compute.OpTypeConvGeneral, compute.OpTypeSelectAndScatterMax,
		compute.OpTypeReduceWindow, compute.OpTypeDotGeneral, compute.OpTypeMax, compute.OpTypeWhere, compute.OpTypeBroadcastInDim} {
		if !slices.Contains(nativeOps, op) || !ops[op] {
			t.Errorf("%v: native %v, capability %v; want both", op, slices.Contains(nativeOps, op), ops[op])
		}
	}
	for _, op := range []compute.OpType{compute.OpTypeGreaterOrEqual, compute.OpTypeSort, compute.OpTypeBatchNormForTraining} {
		if slices.Contains(nativeOps, op) {
			t.Errorf("%v listed as native", op)
		}
	}
}
