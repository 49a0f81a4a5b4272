package kernels

import (
	"math"

	"github.com/coarsealign/coarsealign/internal/gemm"
)

// PWKind is the operation of one node of a Pointwise program.
type PWKind uint8

const (
	PWBinary   PWKind = iota // Args[0] Op Args[1]; either may be a scalar input (length 1)
	PWRow                    // Args[0] Op row, row = input Args[1] of length C (row Op Args[0] if Flag)
	PWSqrt                   // sqrt(Args[0])
	PWRelu                   // max(Args[0], 0)
	PWReluGrad               // Args[1] where (Args[0] >= 0) == Flag, else 0
	PWCol                    // Args[0] Op col[r] for each row r of RowC elements, col = input Args[1] of n/RowC values (col Op Args[0] if Flag)
	PWNeg                    // -Args[0]
	PWExp                    // exp(Args[0])
	PWLog                    // log(Args[0])
	PWErf                    // erf(Args[0])
	PWTanh                   // tanh(Args[0])
	PWRsqrt                  // 1 / sqrt(Args[0])
	PWGelu                   // exact GELU: x/2 (1 + erf(x / sqrt 2)), x = Args[0]
	PWAbs                    // -Args[0] if Args[0] < 0, else Args[0] (the go backend's Abs: -0 stays -0)
	PWMaskLE                 // Args[1] where (Args[0] <= C) == Flag, else +0 (dropout: Where(u <= rate, 0, x))
)

// unaryMath evaluates the transcendental kinds as GoMLX's go backend does (float64 math, rounded
// to float32), so native and delegated results are bitwise equal.
func unaryMath(k PWKind, out, x []float32) {
	x = x[:len(out)]
	switch k {
	case PWNeg:
		for i, v := range x {
			out[i] = -v
		}
	case PWAbs:
		gemm.ClearUpper()
		for i, v := range x {
			if v < 0 {
				v = -v
			}
			out[i] = v
		}
	case PWExp:
		expF32(out, x)
	case PWLog:
		mathF32(out, x, math.Log)
	case PWTanh:
		mathF32(out, x, math.Tanh)
	case PWErf:
		erfF32(out, x)
	case PWRsqrt:
		gemm.ClearUpper()
		for i, v := range x {
			out[i] = float32(1.0 / math.Sqrt(float64(v)))
		}
	case PWGelu: // GoMLX's fused GELU (go backend geluChunk), in the same float32 order
		sqrt2Inv := float32(1.0 / math.Sqrt(2.0))
		var e [256]float32
		for s := 0; s < len(x); s += len(e) {
			xs := x[s:min(len(x), s+len(e))]
			es := e[:len(xs)]
			for i, v := range xs {
				es[i] = v * sqrt2Inv
			}
			erfF32(es, es)
			os := out[s : s+len(xs)]
			for i, v := range xs {
				os[i] = v * 0.5 * (1.0 + es[i])
			}
		}
	}
}

// mathF32 sets out[i] = float32(f(float64(x[i]))), float64 math on float32 data as the go backend
// computes it, after clearing the vector registers' upper halves (gemm.ClearUpper: f is scalar
// SSE code).
func mathF32(out, x []float32, f func(float64) float64) {
	gemm.ClearUpper()
	x = x[:len(out)]
	for i, v := range x {
		out[i] = float32(f(float64(v)))
	}
}

// PWRef names an operand: input Idx of Run if Input, else the result of node Idx (an earlier node).
type PWRef struct {
	Input bool
	Idx   int
}

// PWNode is one elementwise operation of a Pointwise program.
type PWNode struct {
	Kind PWKind
	Op   Op // PWBinary, PWRow
	Flag bool
	C    float32 // PWMaskLE's threshold
	Args [2]PWRef
}

// Pointwise is a fused chain of elementwise operations over tensors of one size n: Nodes in
// evaluation order, the last one the result. Inputs are of length n (read elementwise), 1 (a
// scalar), RowC (a row [C] broadcast over the rows of an [n/C, C] tensor) or, for the column
// operand of a PWCol node, n/RowC (one value per row); RowC is 0 without row or column operands. Run evaluates the program chunk by chunk, so intermediate results stay in a
// per-worker scratch of a few KiB instead of full tensors, and every input and the output make
// one pass through memory. Each element goes through the same float32 operations in the same
// order as with the separate kernels (Binary, RowBinary, Sqrt, Relu, ReluGrad, BiasAdd), so the
// results are bitwise equal.
type Pointwise struct {
	Nodes []PWNode
	RowC  int
	// Side lists nodes (before the last) whose values are outputs too: RunSide writes node
	// Side[k] to side[k] in the same pass (the optimizer's moments beside the new weights).
	Side []int
}

// pwChunk is the number of elements of one chunk (rounded to whole rows with row inputs).
const pwChunk = 2048

// Run sets out (length n) to the program's result on the inputs in, split between workers.
func (p *Pointwise) Run(out []float32, in [][]float32) { p.RunSide(out, nil, in) }

// RunSide is Run that also writes the values of the nodes p.Side to side (each of length n).
func (p *Pointwise) RunSide(out []float32, side [][]float32, in [][]float32) {
	n := len(out)
	ch := pwChunk
	if C := p.RowC; C > 0 {
		ch = C * max(1, pwChunk/C)
	}
	in = p.tileRows(in, n, ch)
	gemm.ParallelFor((n+ch-1)/ch, func(c0, c1 int) {
		scratch := gemm.Scratch(p.scratchLen(ch))
		defer gemm.Release(scratch)
		var sideDst [][]float32
		if len(side) > 0 {
			sideDst = make([][]float32, len(p.Nodes))
		}
		for c := c0; c < c1; c++ {
			s, e := c*ch, min(n, (c+1)*ch)
			for k, node := range p.Side {
				sideDst[node] = side[k][s:e]
			}
			p.runRangeTo(out[s:e], sideDst, in, n, s, e, scratch)
		}
	})
}

// tileRows returns in with every row input (length RowC) replaced by the row repeated to ch
// elements (ch a multiple of RowC): chunks start at whole rows, so element j of a chunk meets
// row[j % C], and a row operation becomes one vector pass over the chunk instead of one short
// pass per row (C = 16 channels made the per-row passes several times slower than the data).
func (p *Pointwise) tileRows(in [][]float32, n, ch int) [][]float32 {
	C := p.RowC
	if C <= 1 {
		return in
	}
	cols := make(map[int]bool)
	for _, nd := range p.Nodes {
		if nd.Kind == PWCol {
			cols[nd.Args[1].Idx] = true
		}
	}
	out := in
	for i, x := range in {
		if len(x) != C || len(x) == n || cols[i] {
			continue
		}
		if &out[0] == &in[0] {
			out = append([][]float32(nil), in...)
		}
		t := make([]float32, ch)
		for j := 0; j < ch; j += C {
			copy(t[j:j+C], x)
		}
		out[i] = t
	}
	return out
}

// scratchLen is the scratch runRange needs for chunks of ch elements.
func (p *Pointwise) scratchLen(ch int) int { return max(1, len(p.Nodes)-1) * ch }

// runRange sets dst (length e-s) to elements [s, e) of the program's result on inputs of size
// n, on the calling goroutine (s a multiple of RowC with row inputs), using scratch of at least
// scratchLen(e-s) elements for the intermediate nodes.
func (p *Pointwise) runRange(dst []float32, in [][]float32, n, s, e int, scratch []float32) {
	p.runRangeTo(dst, nil, in, n, s, e, scratch)
}

// runRangeTo is runRange writing node i to nodeDst[i] instead of the scratch where nodeDst[i]
// is not nil (side outputs); nodeDst may be nil.
func (p *Pointwise) runRangeTo(dst []float32, nodeDst [][]float32, in [][]float32, n, s, e int, scratch []float32) {
	last := len(p.Nodes) - 1
	ch := e - s
	var small [8][]float32
	vals := small[:0]
	if len(p.Nodes) > len(small) {
		vals = make([][]float32, 0, len(p.Nodes))
	}
	get := func(r PWRef) []float32 {
		if !r.Input {
			return vals[r.Idx]
		}
		switch x := in[r.Idx]; {
		case len(x) == n:
			return x[s:e]
		case len(x) == 1:
			return x // scalar
		default:
			return x[:e-s] // row tiled to the chunk by tileRows
		}
	}
	for i, nd := range p.Nodes {
		d := dst
		if i != last {
			if nodeDst != nil && nodeDst[i] != nil {
				d = nodeDst[i]
			} else {
				d = scratch[i*ch:][:ch]
			}
		}
		a := get(nd.Args[0])
		switch nd.Kind {
		case PWBinary:
			binaryF32(nd.Op, d, a, get(nd.Args[1]))
		case PWCol: // one value per row of RowC elements; the chunk starts at a whole row
			C := p.RowC
			col := in[nd.Args[1].Idx][s/C : e/C]
			for r := range col {
				if nd.Flag {
					binaryF32(nd.Op, d[r*C:][:C], col[r:r+1], a[r*C:][:C])
				} else {
					binaryF32(nd.Op, d[r*C:][:C], a[r*C:][:C], col[r:r+1])
				}
			}
		case PWRow: // the row is tiled to the chunk (tileRows)
			if row := get(nd.Args[1]); nd.Flag {
				binaryF32(nd.Op, d, row, a)
			} else {
				binaryF32(nd.Op, d, a, row)
			}
		case PWSqrt:
			sqrtF32(d, a)
		case PWRelu:
			reluF32(d, a)
		case PWReluGrad:
			reluGradF32(d, a, get(nd.Args[1]), nd.Flag)
		case PWMaskLE:
			maskLE(d, a, get(nd.Args[1]), nd.C, nd.Flag)
		default:
			unaryMath(nd.Kind, d, a)
		}
		vals = append(vals, d)
	}
}

// SumRows sets out[c] (C = len(out)) to the sum over the rows of the program's result viewed as
// [n/C, C], without storing the result: the rows are split between workers and added in the
// order of the SumRows kernel (rows in order within a worker, then the workers' partial sums in
// worker order), so the sums are bitwise those of Run followed by SumRows.
func (p *Pointwise) SumRows(out []float32, in [][]float32, n int) {
	C := len(out)
	rows := n / C
	w := gemm.Workers()
	partial := make([][]float32, w)
	chunk := (rows + w - 1) / w
	rowsPer := max(1, pwChunk/C)
	in = p.tileRows(in, n, rowsPer*C)
	gemm.ParallelFor(w, func(start, end int) {
		tmp := gemm.Scratch(rowsPer * C)
		defer gemm.Release(tmp)
		scratch := gemm.Scratch(p.scratchLen(rowsPer * C))
		defer gemm.Release(scratch)
		for wi := start; wi < end; wi++ {
			acc := make([]float32, C)
			for r0 := wi * chunk; r0 < min(rows, (wi+1)*chunk); r0 += rowsPer {
				r1 := min(rows, (wi+1)*chunk, r0+rowsPer)
				p.runRange(tmp[:(r1-r0)*C], in, n, r0*C, r1*C, scratch)
				for r := range r1 - r0 {
					addF32(acc, acc, tmp[r*C:(r+1)*C])
				}
			}
			partial[wi] = acc
		}
	})
	clear(out)
	for _, q := range partial {
		if q != nil {
			addF32(out, out, q)
		}
	}
}

// ReduceLast sets out[r] (len(out) = n/L rows) to the sum (or, with isMax, the maximum) of
// elements [r*L, (r+1)*L) of the program's result on inputs of size n, without storing the
// result. Each row is accumulated sequentially from 0 (the maximum from lowest, with Go's max,
// which propagates NaN), the order of GoMLX's go backend, so the values are bitwise its own.
// Rows are split between workers.
func (p *Pointwise) ReduceLast(out []float32, in [][]float32, n, L int, isMax bool, lowest float32) {
	rows := n / L
	rowsPer := max(1, pwChunk/L)
	in = p.tileRows(in, n, rowsPer*L)
	gemm.ParallelFor((rows+rowsPer-1)/rowsPer, func(c0, c1 int) {
		var tmp, scratch []float32
		if len(p.Nodes) > 0 {
			tmp = gemm.Scratch(rowsPer * L)
			defer gemm.Release(tmp)
			scratch = gemm.Scratch(p.scratchLen(rowsPer * L))
			defer gemm.Release(scratch)
		}
		for c := c0; c < c1; c++ {
			r0, r1 := c*rowsPer, min(rows, (c+1)*rowsPer)
			var vals []float32
			if len(p.Nodes) == 0 {
				vals = in[0][r0*L : r1*L]
			} else {
				vals = tmp[:(r1-r0)*L]
				p.runRange(vals, in, n, r0*L, r1*L, scratch)
			}
			for r := range r1 - r0 {
				row := vals[r*L:][:L]
				if isMax {
					acc := lowest
					for _, v := range row {
						acc = max(acc, v)
					}
					out[r0+r] = acc
				} else {
					var acc float32
					for _, v := range row {
						acc += v
					}
					out[r0+r] = acc
				}
			}
		}
	})
}

// maskLE sets out[i] = v[i] where (u[i] <= c) == keepWhenLE, else +0: the go backend's
// Where(LessOrEqual(u, c), ...) with a zero branch (a NaN u is not <= c).
func maskLE(out, u, v []float32, c float32, keepWhenLE bool) {
	gemm.ClearUpper()
	u, v = u[:len(out)], v[:len(out)]
	for i, x := range u {
		if (x <= c) == keepWhenLE {
			out[i] = v[i]
		} else {
			out[i] = 0
		}
	}
}
