// Package kernels holds fastconv's native CPU kernels on plain float32 slices (no GoMLX): 2D
// convolution as im2col + GEMM (internal/gemm), max pooling and its gradient, transposes and the
// elementwise passes of CNN training (ReLU and its gradient, bias add and gradient, binary ops,
// sqrt). Tensors are row-major; image tensors are channels last [B, H, W, C] unless a stride
// array says otherwise. Kernels split their work between internal/gemm.Workers goroutines.
package kernels

import (
	"math"

	"github.com/coarsealign/coarsealign/internal/gemm"
)

// Op is an elementwise binary operation.
type Op int

const (
	OpAdd Op = iota
	OpSub
	OpMul
	OpDiv
	OpMin // Go's min (the go backend's Min): NaN if either is NaN, min(-0, +0) = -0; scalar loops only
)

// Chunk sizes (elements) of the parallel elementwise passes.
const (
	reluChunk   = 4096
	binaryChunk = 8192
)

// chunks runs fn on [s, e) chunks of [0, n) of the given size, in parallel.
func chunks(n, size int, fn func(s, e int)) {
	gemm.ParallelFor((n+size-1)/size, func(start, end int) {
		fn(start*size, min(n, end*size))
	})
}

// Relu sets out[i] = max(x[i], 0).
func Relu(out, x []float32) {
	chunks(len(x), reluChunk, func(s, e int) { reluF32(out[s:e], x[s:e]) })
}

// ReluGrad sets out[i] = v[i] where (x[i] >= 0) == keepWhenGE, else 0.
func ReluGrad(out, x, v []float32, keepWhenGE bool) {
	chunks(len(x), reluChunk, func(s, e int) { reluGradF32(out[s:e], x[s:e], v[s:e], keepWhenGE) })
}

// BiasAdd sets out[r, c] = x[r, c] + bias[c] for x [rows, C], C = len(bias).
func BiasAdd(out, x, bias []float32) {
	C := len(bias)
	gemm.ParallelFor(len(x)/C, func(start, end int) {
		for r := start; r < end; r++ {
			addF32(out[r*C:(r+1)*C], x[r*C:(r+1)*C], bias)
		}
	})
}

// Uint32ToFloat32 sets out[i] = float32(in[i]) (Go's conversion, as the go backend's ConvertDType),
// in parallel.
func Uint32ToFloat32(out []float32, in []uint32) {
	in = in[:len(out)]
	chunks(len(out), binaryChunk, func(s, e int) {
		for i, v := range in[s:e] {
			out[s+i] = float32(v)
		}
	})
}

// Binary sets out[i] = a[i] op b[i]; an operand of length 1 is a scalar (broadcast).
func Binary(op Op, out, a, b []float32) {
	chunks(len(out), binaryChunk, func(s, e int) {
		as, bs := a, b
		if len(as) > 1 {
			as = as[s:e]
		}
		if len(bs) > 1 {
			bs = bs[s:e]
		}
		binaryF32(op, out[s:e], as, bs)
	})
}

// RowBinary sets out[r, c] = x[r, c] op row[c] (row[c] op x[r, c] if rowFirst) for x [rows, C],
// C = len(row).
func RowBinary(op Op, out, x, row []float32, rowFirst bool) {
	C := len(row)
	gemm.ParallelFor(len(x)/C, func(start, end int) {
		for r := start; r < end; r++ {
			if rowFirst {
				binaryF32(op, out[r*C:(r+1)*C], row, x[r*C:(r+1)*C])
			} else {
				binaryF32(op, out[r*C:(r+1)*C], x[r*C:(r+1)*C], row)
			}
		}
	})
}

// Sqrt sets out[i] = sqrt(x[i]).
func Sqrt(out, x []float32) {
	chunks(len(out), binaryChunk, func(s, e int) { sqrtF32(out[s:e], x[s:e]) })
}

// SumRows sets out[c] = sum over r of x[r, c] for x [rows, C], C = len(out) (the bias gradient):
// one partial sum per worker, added in worker order.
func SumRows(out, x []float32) {
	C := len(out)
	rows := len(x) / C
	w := gemm.Workers()
	partial := make([][]float32, w)
	chunk := (rows + w - 1) / w
	gemm.ParallelFor(w, func(start, end int) {
		for wi := start; wi < end; wi++ {
			acc := make([]float32, C)
			for r := wi * chunk; r < min(rows, (wi+1)*chunk); r++ {
				addF32(acc, acc, x[r*C:(r+1)*C])
			}
			partial[wi] = acc
		}
	})
	clear(out)
	for _, p := range partial {
		if p != nil {
			addF32(out, out, p)
		}
	}
}

// binaryF32Go is the scalar out[i] = a[i] op b[i] (a or b of length 1 broadcast), one loop per
// operator and operand form so the compiler sees plain indexed loops.
func binaryF32Go(op Op, out, a, b []float32) {
	n := len(out)
	if op == OpMin {
		gemm.ClearUpper()
		switch {
		case len(a) == 1 && len(b) == 1:
			for i := range out {
				out[i] = min(a[0], b[0])
			}
		case len(b) == 1:
			for i, x := range a[:n] {
				out[i] = min(x, b[0])
			}
		case len(a) == 1:
			for i, y := range b[:n] {
				out[i] = min(a[0], y)
			}
		default:
			b = b[:n]
			for i, x := range a[:n] {
				out[i] = min(x, b[i])
			}
		}
		return
	}
	switch {
	case len(a) == 1 && len(b) == 1:
		x, y := a[0], b[0]
		for i := range out {
			out[i] = scalarOp(op, x, y)
		}
	case len(b) == 1:
		a, y := a[:n], b[0]
		switch op {
		case OpAdd:
			for i, x := range a {
				out[i] = x + y
			}
		case OpSub:
			for i, x := range a {
				out[i] = x - y
			}
		case OpMul:
			for i, x := range a {
				out[i] = x * y
			}
		default:
			for i, x := range a {
				out[i] = x / y
			}
		}
	case len(a) == 1:
		x, b := a[0], b[:n]
		switch op {
		case OpAdd:
			for i, y := range b {
				out[i] = x + y
			}
		case OpSub:
			for i, y := range b {
				out[i] = x - y
			}
		case OpMul:
			for i, y := range b {
				out[i] = x * y
			}
		default:
			for i, y := range b {
				out[i] = x / y
			}
		}
	default:
		a, b = a[:n], b[:n]
		switch op {
		case OpAdd:
			for i := range out {
				out[i] = a[i] + b[i]
			}
		case OpSub:
			for i := range out {
				out[i] = a[i] - b[i]
			}
		case OpMul:
			for i := range out {
				out[i] = a[i] * b[i]
			}
		default:
			for i := range out {
				out[i] = a[i] / b[i]
			}
		}
	}
}

func scalarOp(op Op, x, y float32) float32 {
	switch op {
	case OpMin:
		return min(x, y)
	case OpAdd:
		return x + y
	case OpSub:
		return x - y
	case OpMul:
		return x * y
	default:
		return x / y
	}
}

func sqrtF32Go(out, x []float32) {
	for i, v := range x[:len(out)] {
		out[i] = float32(math.Sqrt(float64(v)))
	}
}

// Broadcast sets out (shape outDims, row-major) to src (shape srcDims, same rank) repeated along
// the axes where srcDims[i] == 1 < outDims[i]; every other axis must match. Parallel over the
// first axis.
func Broadcast(out, src []float32, srcDims, outDims []int) {
	if len(outDims) == 0 {
		out[0] = src[0]
		return
	}
	n0 := outDims[0]
	outStride, srcStride := len(out)/max(1, n0), len(src)/max(1, srcDims[0])
	gemm.ParallelFor(n0, func(start, end int) {
		for i := start; i < end; i++ {
			si := i
			if srcDims[0] == 1 {
				si = 0
			}
			broadcastInto(out[i*outStride:][:outStride], src[si*srcStride:][:srcStride], srcDims[1:], outDims[1:])
		}
	})
}

// broadcastInto is Broadcast on the calling goroutine.
func broadcastInto(out, src []float32, srcDims, outDims []int) {
	switch {
	case len(src) == len(out):
		copy(out, src)
		return
	case len(src) == 1:
		v := src[0]
		for i := range out {
			out[i] = v
		}
		return
	}
	n0 := outDims[0]
	outStride, srcStride := len(out)/n0, len(src)/srcDims[0]
	for i := range n0 {
		si := i
		if srcDims[0] == 1 {
			si = 0
		}
		broadcastInto(out[i*outStride:][:outStride], src[si*srcStride:][:srcStride], srcDims[1:], outDims[1:])
	}
}

// SumLeading sets out[j] (len(out) = C) = sum over r of x[r*C+j] for x [rows, C], adding the rows
// in order to 0 (the go backend's order for a ReduceSum over leading axes, so the values are
// bitwise its own); columns are split between workers.
func SumLeading(out, x []float32) {
	C := len(out)
	rows := len(x) / C
	const colChunk = 2048
	chunks(C, colChunk, func(s, e int) {
		o := out[s:e]
		clear(o)
		for r := range rows {
			addF32(o, o, x[r*C+s:r*C+e])
		}
	})
}
