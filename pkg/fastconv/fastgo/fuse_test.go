package fastgo

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
)

// With fusion, relu -> sqrt -> relu of chain becomes one pointwise step of 3 nodes, the
// intermediate tensors are never allocated, and the values are those of the separate ops.
func TestFusionChain(t *testing.T) {
	b := mustOf[*Backend](t)(New(""))
	shape := shapes.Make(dtypes.Float32, 257, 133) // not poolShape, whose pool TestBufferReuse counts
	e, _ := chain(t, b, shape)
	if got, want := stepNames(e), []string{"pointwise/3", "segment"}; !slices.Equal(got, want) {
		t.Fatalf("steps %v, want %v", got, want)
	}
	data := make([]float32, shape.Size())
	for i := range data {
		data[i] = float32(i%7) - 3
	}
	in := mustOf[compute.Buffer](t)(b.BufferFromFlatData(0, slices.Clone(data), shape))
	before := freshBuffers.Load()
	outs := mustOf[[]compute.Buffer](t)(e.Execute([]compute.Buffer{in}, nil, 0))
	if fresh := freshBuffers.Load() - before; fresh != 1 {
		t.Errorf("allocated %d native buffers, want 1 (the fused step's output only)", fresh)
	}
	got := mustOf[any](t)(outs[0].Data()).([]float32)
	for i, v := range data {
		if want := float32(math.Sqrt(float64(max(v, 0)))); got[i] != want {
			t.Fatalf("out[%d] = %g, want %g", i, got[i], want)
		}
	}
}

// adamLike builds the arithmetic of an Adam step with weight decay and a batch-norm style row
// scale on a [rows, C] parameter: m' = b1 m + (1-b1) g, v' = b2 v + (1-b2) g^2,
// p' = p - lr (m' / (sqrt(v') + eps) + wd p), and y = relu-grad(p', p' * s[C] + t[C]). Returns
// the executable (outputs m', v', p', y and the row sums of (g - t) p).
func adamLike(t *testing.T, b *Backend, shape shapes.Shape) *executable {
	ok := mustOf[compute.Value](t)
	bld := b.Builder("adam")
	fn := bld.Main()
	C := shape.Dimensions[1]
	rowShape := shapes.Make(dtypes.Float32, 1, C)
	p := ok(fn.Parameter("p", shape, nil))
	g := ok(fn.Parameter("g", shape, nil))
	m := ok(fn.Parameter("m", shape, nil))
	v := ok(fn.Parameter("v", shape, nil))
	sc := ok(fn.Parameter("s", rowShape, nil))
	sh := ok(fn.Parameter("t", rowShape, nil))
	k := func(x float32) compute.Value { return ok(fn.Constant([]float32{x})) }
	bcast := func(x compute.Value) compute.Value { return ok(fn.BroadcastInDim(x, shape, nil)) }
	m1 := ok(fn.Add(ok(fn.Mul(m, bcast(k(0.9)))), ok(fn.Mul(g, bcast(k(0.1))))))
	v1 := ok(fn.Add(ok(fn.Mul(v, bcast(k(0.999)))), ok(fn.Mul(ok(fn.Mul(g, g)), bcast(k(0.001))))))
	den := ok(fn.Add(ok(fn.Sqrt(v1)), bcast(k(1e-8))))
	upd := ok(fn.Add(ok(fn.Div(m1, den)), ok(fn.Mul(p, bcast(k(5e-4))))))
	p1 := ok(fn.Sub(p, ok(fn.Mul(upd, bcast(k(1e-3))))))
	z := ok(fn.Add(ok(fn.Mul(p1, ok(fn.BroadcastInDim(sc, shape, []int{0, 1})))), ok(fn.BroadcastInDim(sh, shape, []int{0, 1}))))
	ge := ok(fn.GreaterOrEqual(p1, bcast(k(0))))
	y := ok(fn.Where(ge, z, bcast(k(0))))
	// A row sum of a pointwise product (the batch-norm and bias gradients' pattern).
	rs := ok(fn.ReduceSum(ok(fn.Mul(ok(fn.Sub(g, ok(fn.BroadcastInDim(sh, shape, []int{0, 1})))), p)), 0))
	if err := fn.Return([]compute.Value{m1, v1, p1, y, rs}, nil); err != nil {
		t.Fatal(err)
	}
	exec, err := bld.Compile()
	if err != nil {
		t.Fatal(err)
	}
	return exec.(*executable)
}

// The fused optimizer-like graph gives bitwise the values of the unfused one, in fewer steps,
// for a size that is not a multiple of the chunk and rows that do not divide it.
func TestFusionBitwise(t *testing.T) {
	shape := shapes.Make(dtypes.Float32, 301, 123) // 37023 elements; 2048 % 123 != 0
	rng := rand.New(rand.NewPCG(3, 4))
	mk := func(n int, pos bool) []float32 {
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(rng.NormFloat64())
			if pos {
				x[i] = x[i] * x[i]
			}
		}
		return x
	}
	n, C := shape.Size(), shape.Dimensions[1]
	data := [][]float32{mk(n, false), mk(n, false), mk(n, false), mk(n, true), mk(C, false), mk(C, false)}
	run := func(fuse bool) ([][]float32, []string) {
		saved := fuseEnabled
		fuseEnabled = fuse
		defer func() { fuseEnabled = saved }()
		b := mustOf[*Backend](t)(New(""))
		e := adamLike(t, b, shape)
		var ins []compute.Buffer
		for i, d := range data {
			sh := shape
			if i >= 4 {
				sh = shapes.Make(dtypes.Float32, 1, C)
			}
			ins = append(ins, mustOf[compute.Buffer](t)(b.BufferFromFlatData(0, slices.Clone(d), sh)))
		}
		outs := mustOf[[]compute.Buffer](t)(e.Execute(ins, nil, 0))
		var vals [][]float32
		for _, o := range outs {
			vals = append(vals, slices.Clone(mustOf[any](t)(o.Data()).([]float32)))
		}
		return vals, stepNames(e)
	}
	plain, plainSteps := run(false)
	fused, fusedSteps := run(true)
	// The moments m', v' are returned and read by the update: one pass writes all three.
	if !slices.ContainsFunc(fusedSteps, func(n string) bool { return strings.HasSuffix(n, "+2") }) {
		t.Errorf("no step writes the moments as side outputs: steps %v", fusedSteps)
	}
	if !slices.Contains(fusedSteps, "pointwise-reduce/2") {
		t.Errorf("the row sum did not absorb its product: steps %v", fusedSteps)
	}
	if len(fusedSteps) >= len(plainSteps) {
		t.Errorf("fusion kept %d steps (%v) of %d", len(fusedSteps), fusedSteps, len(plainSteps))
	}
	t.Logf("unfused %d steps, fused %d: %v", len(plainSteps), len(fusedSteps), fusedSteps)
	for o := range plain {
		for i := range plain[o] {
			if math.Float32bits(plain[o][i]) != math.Float32bits(fused[o][i]) {
				t.Fatalf("output %d element %d: fused %g, unfused %g", o, i, fused[o][i], plain[o][i])
			}
		}
	}
	// Spot check against the formula (float32 arithmetic in the graph's order).
	g, m := data[1][7], data[2][7]
	m1 := m*0.9 + g*0.1
	if plain[0][7] != m1 {
		t.Errorf("m'[7] = %g, want %g", plain[0][7], m1)
	}
}

// The native transcendental ops (fused into one pointwise step here) give bitwise the values of
// the wrapped go backend, which computes them in float64 and rounds to float32: GELU's
// x * (1 + erf(x / sqrt 2)) / 2 and exp(-x^2/2), tanh, log|x|, 1/sqrt|x|, -x and the fused GELU.
func TestUnaryMathMatchesGoBackend(t *testing.T) {
	shape := shapes.Make(dtypes.Float32, 211, 167)
	rng := rand.New(rand.NewPCG(9, 10))
	data := make([]float32, shape.Size())
	for i := range data {
		data[i] = float32(rng.NormFloat64() * 3)
	}
	againstGoBackend(t, shape, data, func(fn compute.Function, x compute.Value) []compute.Value {
		ok := mustOf[compute.Value](t)
		k := func(v float32) compute.Value {
			return ok(fn.BroadcastInDim(ok(fn.Constant([]float32{v})), shape, nil))
		}
		gelu := ok(fn.Mul(ok(fn.Mul(x, k(0.5))), ok(fn.Add(k(1), ok(fn.Erf(ok(fn.Mul(x, k(0.70710678)))))))))
		phi := ok(fn.Exp(ok(fn.Neg(ok(fn.Mul(ok(fn.Mul(x, x)), k(0.5)))))))
		abs := ok(fn.Abs(x))
		rest := ok(fn.Add(ok(fn.Add(ok(fn.Tanh(x)), ok(fn.Log(abs)))), ok(fn.Rsqrt(abs))))
		fused := ok(fn.FusedGelu(x, true))
		return []compute.Value{ok(fn.Add(ok(fn.Add(ok(fn.Add(gelu, phi)), rest)), fused))}
	})
}

// Native reductions over trailing axes (fused with their pointwise producers where single-use)
// give bitwise the go backend's values: the softmax pattern exp(x - max_last(x)) / sum_last(...),
// a sum over the last two axes, a max over a trailing axis of size 1, column operands, and the
// fused softmax along the last and a middle axis, and a sum over the leading axis.
func TestReduceLastMatchesGoBackend(t *testing.T) {
	shape := shapes.Make(dtypes.Float32, 40, 13, 71) // 36920 elements
	rng := rand.New(rand.NewPCG(11, 12))
	data := make([]float32, shape.Size())
	for i := range data {
		data[i] = float32(rng.NormFloat64() * 4)
	}
	steps := againstGoBackend(t, shape, data, func(fn compute.Function, x compute.Value) []compute.Value {
		ok := mustOf[compute.Value](t)
		mx := ok(fn.ReduceMax(x, 2)) // [40, 13]
		mxb := ok(fn.BroadcastInDim(ok(fn.Reshape(mx, 40, 13, 1)), shape, []int{0, 1, 2}))
		e := ok(fn.Exp(ok(fn.Sub(x, mxb))))
		sum := ok(fn.ReduceSum(ok(fn.Mul(e, e)), 2))                 // fused: sum of e^2
		both := ok(fn.ReduceSum(ok(fn.Mul(x, ok(fn.Abs(x)))), 1, 2)) // [40]
		x1 := ok(fn.Reshape(x, 40, 13, 71, 1))
		m1 := ok(fn.ReduceMax(x1, 3)) // size-1 axis
		// Column operands ([..., 1] against [..., 71]) on either side.
		col := ok(fn.Reshape(sum, 40, 13, 1))
		cols := ok(fn.Sub(ok(fn.Div(x, col)), ok(fn.Reshape(mx, 40, 13, 1))))
		colFirst := ok(fn.Sub(col, x))
		lead := ok(fn.ReduceSum(x, 0))   // leading axis: [13, 71]
		sm2 := ok(fn.FusedSoftmax(x, 2)) // last axis
		sm1 := ok(fn.FusedSoftmax(x, 1)) // a middle axis
		return []compute.Value{sum, both, m1, e, cols, colFirst, sm2, sm1, lead}
	})
	for _, want := range []string{"reduce-max-last", "pointwise-reduce/1", "pointwise/2", "elementwise-col", "softmax", "reduce-leading"} {
		if !slices.Contains(steps, want) {
			t.Errorf("no %s step in %v", want, steps)
		}
	}
}

// The concurrent executor (exec_dag.go) gives the sequential one's values bit for bit, on a
// graph with independent branches (the optimizer-like graph, fused and unfused), over repeated
// runs that recycle buffers.
func TestDAGMatchesSequential(t *testing.T) {
	shape := shapes.Make(dtypes.Float32, 301, 123)
	rng := rand.New(rand.NewPCG(13, 14))
	n, C := shape.Size(), shape.Dimensions[1]
	var data [][]float32
	for i := range 6 {
		k := n
		if i >= 4 {
			k = C
		}
		x := make([]float32, k)
		for j := range x {
			x[j] = float32(rng.NormFloat64())
			if i == 3 {
				x[j] *= x[j]
			}
		}
		data = append(data, x)
	}
	run := func(dag, fuse bool) [][]float32 {
		savedD, savedF := dagEnabled, fuseEnabled
		dagEnabled, fuseEnabled = dag, fuse
		defer func() { dagEnabled, fuseEnabled = savedD, savedF }()
		b := mustOf[*Backend](t)(New(""))
		e := adamLike(t, b, shape)
		var vals [][]float32
		for range 3 {
			var ins []compute.Buffer
			for i, d := range data {
				sh := shape
				if i >= 4 {
					sh = shapes.Make(dtypes.Float32, 1, C)
				}
				ins = append(ins, mustOf[compute.Buffer](t)(b.BufferFromFlatData(0, slices.Clone(d), sh)))
			}
			outs := mustOf[[]compute.Buffer](t)(e.Execute(ins, nil, 0))
			vals = vals[:0]
			for _, o := range outs {
				vals = append(vals, slices.Clone(mustOf[any](t)(o.Data()).([]float32)))
				_ = o.Finalize()
			}
		}
		return vals
	}
	for _, fuse := range []bool{false, true} {
		seq, dag := run(false, fuse), run(true, fuse)
		for o := range seq {
			for i := range seq[o] {
				if math.Float32bits(seq[o][i]) != math.Float32bits(dag[o][i]) {
					t.Fatalf("fuse=%v output %d element %d: concurrent %g, sequential %g", fuse, o, i, dag[o][i], seq[o][i])
				}
			}
		}
	}
}
