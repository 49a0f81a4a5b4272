package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// A Pointwise program equals, bit for bit, the separate kernels it stands for, for row widths
// below, equal to and above the chunk and sizes that are not a multiple of it: relu(x * s[C] + t[C])
// with s, t rows (batch norm's scale and shift, then ReLU), v masked by x >= 0, x / sqrt(y),
// and the row sums of (x - t) * v.
func TestPointwiseMatchesKernels(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, C := range []int{1, 16, 48, 1000, 3000} {
		rows := 40000/C + 3
		n := rows * C
		mk := func(k int, pos bool) []float32 {
			x := make([]float32, k)
			for i := range x {
				x[i] = float32(rng.NormFloat64())
				if pos {
					x[i] = x[i]*x[i] + 0.1
				}
			}
			return x
		}
		x, y, v, s, sh := mk(n, false), mk(n, true), mk(n, false), mk(C, false), mk(C, false)
		in := [][]float32{x, y, v, s, sh}
		ref := func(steps ...func(out []float32)) []float32 {
			out := make([]float32, n)
			for _, st := range steps {
				st(out)
			}
			return out
		}
		// relu(x * s + t)
		want := ref(func(o []float32) { RowBinary(OpMul, o, x, s, false) },
			func(o []float32) { RowBinary(OpAdd, o, o, sh, false) }, func(o []float32) { Relu(o, o) })
		inp := func(i int) PWRef { return PWRef{Input: true, Idx: i} }
		node := func(i int) PWRef { return PWRef{Idx: i} }
		bn := &Pointwise{RowC: C, Nodes: []PWNode{
			{Kind: PWRow, Op: OpMul, Args: [2]PWRef{inp(0), inp(3)}},
			{Kind: PWRow, Op: OpAdd, Args: [2]PWRef{node(0), inp(4)}},
			{Kind: PWRelu, Args: [2]PWRef{node(1)}},
		}}
		if C == 1 {
			bn.RowC = 0 // a one-element row is a scalar
		}
		got := make([]float32, n)
		bn.Run(got, in)
		same(t, "relu(x*s+t)", C, got, want)
		// mask and divide: where(x >= 0, v / sqrt(y), 0)
		want = ref(func(o []float32) { Sqrt(o, y) }, func(o []float32) { Binary(OpDiv, o, v, o) },
			func(o []float32) { ReluGrad(o, x, o, true) })
		dv := &Pointwise{Nodes: []PWNode{
			{Kind: PWSqrt, Args: [2]PWRef{inp(1)}},
			{Kind: PWBinary, Op: OpDiv, Args: [2]PWRef{inp(2), node(0)}},
			{Kind: PWReluGrad, Flag: true, Args: [2]PWRef{inp(0), node(1)}},
		}}
		dv.Run(got, in)
		same(t, "where(x>=0, v/sqrt(y), 0)", C, got, want)
		// row sums of (t - x) * v (row first)
		prod := ref(func(o []float32) { RowBinary(OpSub, o, x, sh, true) }, func(o []float32) { Binary(OpMul, o, o, v) })
		wantSum := make([]float32, C)
		SumRows(wantSum, prod)
		ps := &Pointwise{RowC: C, Nodes: []PWNode{
			{Kind: PWRow, Op: OpSub, Flag: true, Args: [2]PWRef{inp(0), inp(4)}},
			{Kind: PWBinary, Op: OpMul, Args: [2]PWRef{node(0), inp(2)}},
		}}
		if C == 1 {
			ps.RowC = 0
		}
		gotSum := make([]float32, C)
		ps.SumRows(gotSum, in, n)
		same(t, "sum rows (t-x)*v", C, gotSum, wantSum)
	}
}

func same(t *testing.T, what string, C int, got, want []float32) {
	t.Helper()
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%s, C=%d: element %d = %g, separate kernels %g", what, C, i, got[i], want[i])
		}
	}
}
