package fastgo

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/coarsealign/coarsealign/pkg/fastconv/kernels"
	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
)

// dotCase is one DotGeneral: operand dimensions and axes, and whether it must run natively.
type dotCase struct {
	name       string
	l, r       []int
	lc, lb     []int
	rc, rb     []int
	wantNative bool
}

// dotCases: the layouts of the ViT's products (pkg/models/vit_cifar.go at width 1/4: D = 48,
// 3 heads of 16, 65 tokens; a smaller batch) and their reverse-mode gradients, transposed and
// odd sizes, batch 1, K = 1, several contracting or free axes, and layouts that must stay
// delegated. All have at least minNativeDotFlops multiply-adds.
var dotCases = []dotCase{
	{"dense x W on [B,T,D]", []int{4, 65, 48}, []int{48, 144}, []int{2}, nil, []int{0}, nil, true},
	{"dense dy W^T", []int{4, 65, 144}, []int{48, 144}, []int{2}, nil, []int{1}, nil, true},
	{"dense x^T dy over {B,T}", []int{4, 65, 48}, []int{4, 65, 144}, []int{0, 1}, nil, []int{0, 1}, nil, true},
	{"attention q k^T", []int{6, 3, 65, 16}, []int{6, 3, 65, 16}, []int{3}, []int{0, 1}, []int{3}, []int{0, 1}, true},
	{"attention p v", []int{6, 3, 65, 65}, []int{6, 3, 65, 16}, []int{3}, []int{0, 1}, []int{2}, []int{0, 1}, true},
	{"attention p^T do", []int{6, 3, 65, 65}, []int{6, 3, 65, 16}, []int{2}, []int{0, 1}, []int{2}, []int{0, 1}, true},
	{"batched A^T B^T odd sizes", []int{5, 33, 71}, []int{5, 91, 33}, []int{1}, []int{0}, []int{2}, []int{0}, true},
	{"batched, medium per element", []int{2, 129, 257}, []int{2, 257, 67}, []int{2}, []int{0}, []int{1}, []int{0}, true},
	// >= minParallelDotFlops per element: one after the other on the parallel GEMM, B^T.
	{"batched, large per element", []int{2, 260, 256}, []int{2, 260, 256}, []int{2}, []int{0}, []int{2}, []int{0}, true},
	{"batch 1", []int{1, 100, 120}, []int{1, 120, 90}, []int{2}, []int{0}, []int{1}, []int{0}, true},
	{"K = 1", []int{1030, 1}, []int{1, 1030}, []int{1}, nil, []int{0}, nil, true},
	{"outer product (no contracting axis)", []int{1030}, []int{1030}, nil, nil, nil, nil, true},
	{"A B^T with large B (rank 2)", []int{20, 300}, []int{400, 300}, []int{1}, nil, []int{1}, nil, true},
	{"rank 2 A^T B", []int{300, 70}, []int{300, 60}, []int{0}, nil, []int{0}, nil, true},
	{"two contracting axes, two free axes", []int{3, 20, 5, 40}, []int{3, 5, 40, 9, 10}, []int{2, 3}, []int{0}, []int{1, 2}, []int{0}, true},
	{"delegated: contracting axes in other orders", []int{30, 50, 40}, []int{40, 50, 30}, []int{1, 2}, nil, []int{1, 0}, nil, false},
	{"delegated: batch axis not leading", []int{130, 6, 16}, []int{6, 130, 16}, []int{2}, []int{1}, []int{2}, []int{0}, false},
	{"delegated: contracting axis between free axes", []int{20, 50, 30}, []int{50, 40}, []int{1}, nil, []int{0}, nil, false},
}

// refDot is DotGeneral in float64 on the host, by its definition (compute.Function.DotGeneral:
// output [batch..., lhs free..., rhs free...]), with the sum of |a*b| of every output element.
func refDot(c dotCase, a, b []float32) (out, absSum []float64, dims []int) {
	lDims, rDims := c.l, c.r
	lFree, rFree := freeAxes(len(lDims), c.lc, c.lb), freeAxes(len(rDims), c.rc, c.rb)
	for _, ax := range c.lb {
		dims = append(dims, lDims[ax])
	}
	for _, ax := range lFree {
		dims = append(dims, lDims[ax])
	}
	for _, ax := range rFree {
		dims = append(dims, rDims[ax])
	}
	var cDims []int
	for _, ax := range c.lc {
		cDims = append(cDims, lDims[ax])
	}
	lStr, rStr := kernels.Strides(lDims), kernels.Strides(rDims)
	size := 1
	for _, d := range dims {
		size *= d
	}
	out, absSum = make([]float64, size), make([]float64, size)
	oIdx := make([]int, len(dims))
	for o := range size {
		// Offsets of the output element's batch and free coordinates in lhs and rhs.
		lOff, rOff, p := 0, 0, 0
		for i, ax := range c.lb {
			lOff += oIdx[p] * lStr[ax]
			rOff += oIdx[p] * rStr[c.rb[i]]
			p++
		}
		for _, ax := range lFree {
			lOff += oIdx[p] * lStr[ax]
			p++
		}
		for _, ax := range rFree {
			rOff += oIdx[p] * rStr[ax]
			p++
		}
		forEachIndex(cDims, func(ci []int) {
			li, ri := lOff, rOff
			for i, v := range ci {
				li += v * lStr[c.lc[i]]
				ri += v * rStr[c.rc[i]]
			}
			prod := float64(a[li]) * float64(b[ri])
			out[o] += prod
			absSum[o] += math.Abs(prod)
		})
		for i := len(oIdx) - 1; i >= 0; i-- {
			if oIdx[i]++; oIdx[i] < dims[i] {
				break
			}
			oIdx[i] = 0
		}
	}
	return out, absSum, dims
}

func freeAxes(rank int, contracting, batch []int) []int {
	var free []int
	for ax := range rank {
		if !slices.Contains(contracting, ax) && !slices.Contains(batch, ax) {
			free = append(free, ax)
		}
	}
	return free
}

// forEachIndex calls fn with every multi-index of dims (row-major order; once for no dims).
func forEachIndex(dims []int, fn func(idx []int)) {
	idx := make([]int, len(dims))
	for {
		fn(idx)
		i := len(dims) - 1
		for ; i >= 0; i-- {
			if idx[i]++; idx[i] < dims[i] {
				break
			}
			idx[i] = 0
		}
		if i < 0 {
			return
		}
	}
}

// runDot builds and runs one DotGeneral on backend b, returning the output and the names of the
// steps (only for the wrapper backend).
func runDot(t *testing.T, b compute.Backend, c dotCase, a, bData []float32) ([]float32, []int, []string) {
	t.Helper()
	ok := mustOf[compute.Value](t)
	bld := b.Builder("dot")
	fn := bld.Main()
	ls, rs := shapes.Make(dtypes.Float32, c.l...), shapes.Make(dtypes.Float32, c.r...)
	lv := ok(fn.Parameter("lhs", ls, nil))
	rv := ok(fn.Parameter("rhs", rs, nil))
	out := ok(fn.DotGeneral(lv, c.lc, c.lb, rv, c.rc, c.rb, compute.DotGeneralConfig{}))
	outShape := mustOf[shapes.Shape](t)(bld.OpShape(out))
	if err := fn.Return([]compute.Value{out}, nil); err != nil {
		t.Fatal(err)
	}
	exec := mustOf[compute.Executable](t)(bld.Compile())
	var names []string
	if e, isWrapped := exec.(*executable); isWrapped {
		names = stepNames(e)
	}
	lb := mustOf[compute.Buffer](t)(b.BufferFromFlatData(0, slices.Clone(a), ls))
	rb := mustOf[compute.Buffer](t)(b.BufferFromFlatData(0, slices.Clone(bData), rs))
	outs := mustOf[[]compute.Buffer](t)(exec.Execute([]compute.Buffer{lb, rb}, nil, 0))
	got := slices.Clone(mustOf[any](t)(outs[0].Data()).([]float32))
	return got, outShape.Dimensions, names
}

func randFloats(rng *rand.Rand, dims []int) []float32 {
	n := 1
	for _, d := range dims {
		n *= d
	}
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(rng.Float64()*2 - 1)
	}
	return x
}

// TestDotGeneralMatchesDelegated runs each case on the wrapper backend and on the plain go backend
// it wraps and checks: the native path is taken exactly for the cases marked so, the output shape
// is the plain backend's, and both outputs are within the float32 error bound of a dot product of
// length K, (K+2) u sum|a b| with u = 2^-24 (Higham, Accuracy and Stability of Numerical
// Algorithms, 2nd ed., eq. 3.5 with the output rounding), of the float64 reference refDot, hence
// within twice that of each other.
func TestDotGeneralMatchesDelegated(t *testing.T) {
	fast := mustOf[*Backend](t)(New(""))
	rng := rand.New(rand.NewPCG(21, 22))
	const u = 1.0 / (1 << 24)
	for _, c := range dotCases {
		t.Run(c.name, func(t *testing.T) {
			a, b := randFloats(rng, c.l), randFloats(rng, c.r)
			want, absSum, wantDims := refDot(c, a, b)
			k := 1
			for _, ax := range c.lc {
				k *= c.l[ax]
			}
			if m := len(want) * k; m < minNativeDotFlops {
				t.Fatalf("case has %d multiply-adds, below minNativeDotFlops %d: it tests nothing", m, minNativeDotFlops)
			}
			gotFast, fastDims, names := runDot(t, fast, c, a, b)
			gotPlain, plainDims, _ := runDot(t, fast.Backend, c, a, b)
			native := slices.Contains(names, "matmul") || slices.Contains(names, "batchmatmul")
			if native != c.wantNative {
				t.Errorf("steps %v: native %v, want %v", names, native, c.wantNative)
			}
			if !slices.Equal(fastDims, plainDims) || !slices.Equal(fastDims, wantDims) {
				t.Fatalf("output dims: wrapper %v, plain %v, definition %v", fastDims, plainDims, wantDims)
			}
			var worst float64
			for i, w := range want {
				tol := float64(k+2) * u * absSum[i]
				for side, got := range map[string][]float32{"wrapper": gotFast, "plain": gotPlain} {
					if d := math.Abs(float64(got[i]) - w); d > tol {
						t.Fatalf("%s out[%d] = %g, reference %g (|diff| %.3g > bound %.3g)", side, i, got[i], w, d, tol)
					}
				}
				if tol > 0 {
					worst = max(worst, math.Abs(float64(gotFast[i])-float64(gotPlain[i]))/tol)
				}
			}
			t.Logf("%s: K=%d, max |wrapper - plain| = %.3f of the bound", fmt.Sprint(c.l, c.r), k, worst)
		})
	}
}

// TestDotLayoutRank2Unchanged: every rank-2 product with one contracting axis keeps the
// transposition flags of the former rule (transA when lhs contracts its axis 0, transB when rhs
// contracts its axis 1), so the AlexNet products run exactly as before.
func TestDotLayoutRank2Unchanged(t *testing.T) {
	for _, lc := range []int{0, 1} {
		for _, rc := range []int{0, 1} {
			l := shapes.Make(dtypes.Float32, 30, 40)
			r := shapes.Make(dtypes.Float32, 40, 50)
			if lc == 0 {
				l = shapes.Make(dtypes.Float32, 40, 30)
			}
			if rc == 1 {
				r = shapes.Make(dtypes.Float32, 50, 40)
			}
			d, ok := nativeDotLayout(l, r, []int{lc}, nil, []int{rc}, nil)
			want := dotLayout{batch: 1, m: 30, n: 50, k: 40, transA: lc == 0, transB: rc == 1}
			if !ok || d != want {
				t.Errorf("lc=%d rc=%d: layout %+v (ok %v), want %+v", lc, rc, d, ok, want)
			}
		}
	}
}

// TestFusedDenseMatchesDelegated: FusedDense (x W + bias, GoMLX's layers.Dense forward) on the
// wrapper backend against the plain go backend and the float64 reference, with the bound of
// TestDotGeneralMatchesDelegated (one more rounding for the bias); activations and small
// products stay delegated.
func TestFusedDenseMatchesDelegated(t *testing.T) {
	fast := mustOf[*Backend](t)(New(""))
	rng := rand.New(rand.NewPCG(23, 24))
	const u = 1.0 / (1 << 24)
	for _, c := range []struct {
		name       string
		x, w       []int
		layout     compute.DenseLayout
		bias       bool
		act        compute.ActivationType
		wantNative bool
	}{
		{"ViT linear on [B,T,D]", []int{4, 65, 48}, []int{48, 144}, compute.DenseLayoutInputOutputs, true, compute.ActivationNone, true},
		{"weights [out, in]", []int{4, 65, 48}, []int{144, 48}, compute.DenseLayoutOutputsInput, true, compute.ActivationNone, true},
		{"no bias, two output axes", []int{2, 65, 70}, []int{70, 12, 13}, compute.DenseLayoutInputOutputs, false, compute.ActivationNone, true},
		{"delegated: rank-2 input (AlexNet's FC layers keep their numbers)", []int{130, 70}, []int{70, 12, 13}, compute.DenseLayoutInputOutputs, false, compute.ActivationNone, false},
		{"rank-2 input with many rows (ViT tokens as [B*T, D])", []int{2100, 40}, []int{40, 24}, compute.DenseLayoutInputOutputs, true, compute.ActivationNone, true},
		{"exact GELU activation", []int{4, 65, 48}, []int{48, 144}, compute.DenseLayoutInputOutputs, true, compute.ActivationGelu, true},
		{"delegated: activation", []int{4, 65, 48}, []int{48, 144}, compute.DenseLayoutInputOutputs, true, compute.ActivationRelu, false},
		{"delegated: small", []int{8, 48}, []int{48, 16}, compute.DenseLayoutInputOutputs, true, compute.ActivationNone, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			outDims := c.w[1:]
			rc := []int{0}
			if c.layout == compute.DenseLayoutOutputsInput {
				outDims, rc = c.w[:len(c.w)-1], []int{len(c.w) - 1}
			}
			xs, ws := randFloats(rng, c.x), randFloats(rng, c.w)
			var bs []float32
			if c.bias {
				bs = randFloats(rng, outDims)
			}
			want, absSum, wantDims := refDot(dotCase{l: c.x, r: c.w, lc: []int{len(c.x) - 1}, rc: rc}, xs, ws)
			run := func(b compute.Backend) ([]float32, []string) {
				ok := mustOf[compute.Value](t)
				bld := b.Builder("dense")
				fn := bld.Main()
				xv := ok(fn.Parameter("x", shapes.Make(dtypes.Float32, c.x...), nil))
				wv := ok(fn.Parameter("w", shapes.Make(dtypes.Float32, c.w...), nil))
				inputs := []compute.Buffer{
					mustOf[compute.Buffer](t)(b.BufferFromFlatData(0, slices.Clone(xs), shapes.Make(dtypes.Float32, c.x...))),
					mustOf[compute.Buffer](t)(b.BufferFromFlatData(0, slices.Clone(ws), shapes.Make(dtypes.Float32, c.w...))),
				}
				var bv compute.Value
				if c.bias {
					bv = ok(fn.Parameter("b", shapes.Make(dtypes.Float32, outDims...), nil))
					inputs = append(inputs, mustOf[compute.Buffer](t)(b.BufferFromFlatData(0, slices.Clone(bs), shapes.Make(dtypes.Float32, outDims...))))
				}
				out := ok(fn.FusedDense(xv, wv, bv, compute.DenseConfig{Activation: c.act, WeightLayout: c.layout}))
				if s := mustOf[shapes.Shape](t)(bld.OpShape(out)); !slices.Equal(s.Dimensions, wantDims) {
					t.Fatalf("output dims %v, want %v", s.Dimensions, wantDims)
				}
				if err := fn.Return([]compute.Value{out}, nil); err != nil {
					t.Fatal(err)
				}
				exec := mustOf[compute.Executable](t)(bld.Compile())
				var names []string
				if e, isWrapped := exec.(*executable); isWrapped {
					names = stepNames(e)
				}
				outs := mustOf[[]compute.Buffer](t)(exec.Execute(inputs, nil, 0))
				return slices.Clone(mustOf[any](t)(outs[0].Data()).([]float32)), names
			}
			gotFast, names := run(fast)
			gotPlain, _ := run(fast.Backend)
			if native := slices.Contains(names, "dense"); native != c.wantNative {
				t.Errorf("steps %v: native %v, want %v", names, native, c.wantNative)
			}
			K := c.x[len(c.x)-1]
			N := len(want) / (len(xs) / K)
			for i, w := range want {
				tol := float64(K+3) * u * absSum[i]
				if c.bias {
					w += float64(bs[i%N])
					tol += 3 * u * math.Abs(float64(bs[i%N]))
				}
				switch c.act {
				case compute.ActivationRelu:
					w = max(w, 0) // relu adds no rounding
				case compute.ActivationGelu:
					// |gelu'| <= 1.13, so the product's error carries over scaled by at most 1.13;
					// the float32 GELU adds a few roundings of its result.
					w = w / 2 * (1 + math.Erf(w/math.Sqrt2))
					tol = 1.13*tol + 8*u*math.Abs(w) + 1e-30
				}
				for side, got := range map[string][]float32{"wrapper": gotFast, "plain": gotPlain} {
					if d := math.Abs(float64(got[i]) - w); d > tol {
						t.Fatalf("%s out[%d] = %g, reference %g (|diff| %.3g > bound %.3g)", side, i, got[i], w, d, tol)
					}
				}
			}
		})
	}
}

// BenchmarkBatchedDot times the two strategies of dotLayout.run on the ViT's attention products
// (batch 128 x 3 heads, 65 tokens; head size 16 at width 1/4, 64 at width 1), to place
// minParallelDotFlops: go test -run XXX -bench BatchedDot ./pkg/fastconv/fastgo/
func BenchmarkBatchedDot(b *testing.B) {
	rng := rand.New(rand.NewPCG(25, 26))
	for _, c := range []struct {
		name string
		d    dotLayout
	}{
		{"qk^T/dh16", dotLayout{batch: 384, m: 65, n: 65, k: 16, transB: true}},
		{"pv/dh16", dotLayout{batch: 384, m: 65, n: 16, k: 65}},
		{"p^Tdo/dh16", dotLayout{batch: 384, m: 65, n: 16, k: 65, transA: true}},
		{"qk^T/dh64", dotLayout{batch: 384, m: 65, n: 65, k: 64, transB: true}},
		{"pv/dh64", dotLayout{batch: 384, m: 65, n: 64, k: 65}},
		{"p^Tdo/dh64", dotLayout{batch: 384, m: 65, n: 64, k: 65, transA: true}},
		{"sq128", dotLayout{batch: 32, m: 128, n: 128, k: 128}},
		{"sq256", dotLayout{batch: 8, m: 256, n: 256, k: 256}},
		{"sq512", dotLayout{batch: 2, m: 512, n: 512, k: 512}},
	} {
		d := c.d
		x := randFloats(rng, []int{d.batch, d.m, d.k})
		y := randFloats(rng, []int{d.batch, d.k, d.n})
		out := make([]float32, d.batch*d.m*d.n)
		for _, s := range []struct {
			name string
			run  func(c, a, b []float32)
		}{{"byBatch", d.runByBatch}, {"byRows", d.runByRows}} {
			b.Run(c.name+"/"+s.name, func(b *testing.B) {
				for b.Loop() {
					s.run(out, x, y)
				}
				b.ReportMetric(float64(2*d.batch*d.m*d.n*d.k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}

// TestTransposedDotMatchesDot: Transpose(DotGeneral(l, r), [1, 0]) of a native rank-2 product
// runs as the transposed product (step "matmul-t", the plain product and the transpose dropped)
// and holds exactly the bits of the native product transposed on the host, for every operand
// layout (A B, A^T B, A B^T, A^T B^T), odd sizes, and the weight-gradient shape of AlexNet-BN's
// fc6 at batch 64 (dy^T x: [out 512, batch 64] x [batch 64, in 288], scaled down 8x).
func TestTransposedDotMatchesDot(t *testing.T) {
	fast := mustOf[*Backend](t)(New(""))
	rng := rand.New(rand.NewPCG(23, 24))
	cases := []dotCase{
		{"A B", []int{70, 300}, []int{300, 90}, []int{1}, nil, []int{0}, nil, true},
		{"A^T B (weight gradient)", []int{64, 512}, []int{64, 288}, []int{0}, nil, []int{0}, nil, true},
		{"A B^T", []int{131, 200}, []int{77, 200}, []int{1}, nil, []int{1}, nil, true},
		{"A^T B^T", []int{200, 45}, []int{333, 200}, []int{0}, nil, []int{1}, nil, true},
		{"A B^T with large B", []int{20, 300}, []int{400, 300}, []int{1}, nil, []int{1}, nil, true},
	}
	ok := mustOf[compute.Value](t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a, b := randFloats(rng, c.l), randFloats(rng, c.r)
			plain, dims, _ := runDot(t, fast, c, a, b)
			bld := fast.Builder("dot-t")
			fn := bld.Main()
			ls, rs := shapes.Make(dtypes.Float32, c.l...), shapes.Make(dtypes.Float32, c.r...)
			lv, rv := ok(fn.Parameter("lhs", ls, nil)), ok(fn.Parameter("rhs", rs, nil))
			prod := ok(fn.DotGeneral(lv, c.lc, c.lb, rv, c.rc, c.rb, compute.DotGeneralConfig{}))
			tr := ok(fn.Transpose(prod, 1, 0))
			if err := fn.Return([]compute.Value{tr}, nil); err != nil {
				t.Fatal(err)
			}
			exec := mustOf[compute.Executable](t)(bld.Compile())
			if names := stepNames(exec.(*executable)); !slices.Equal(names, []string{"matmul-t"}) {
				t.Fatalf("steps %v, want [matmul-t]", names)
			}
			lb := mustOf[compute.Buffer](t)(fast.BufferFromFlatData(0, slices.Clone(a), ls))
			rb := mustOf[compute.Buffer](t)(fast.BufferFromFlatData(0, slices.Clone(b), rs))
			outs := mustOf[[]compute.Buffer](t)(exec.Execute([]compute.Buffer{lb, rb}, nil, 0))
			got := mustOf[any](t)(outs[0].Data()).([]float32)
			M, N := dims[0], dims[1]
			for i := range M {
				for j := range N {
					if w, g := plain[i*N+j], got[j*M+i]; math.Float32bits(w) != math.Float32bits(g) {
						t.Fatalf("C^T[%d, %d] = %g, native C[%d, %d] = %g", j, i, g, i, j, w)
					}
				}
			}
		})
	}
}
