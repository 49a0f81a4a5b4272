package fastgo

import (
	"fmt"
	"os"

	"github.com/coarsealign/coarsealign/internal/gemm"
	"github.com/coarsealign/coarsealign/pkg/fastconv/kernels"
	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
)

const (
	// minNativeDotFlops: products with fewer multiply-adds (over the whole batch) stay in the
	// wrapped backend.
	minNativeDotFlops = 1 << 20
	// minParallelDotFlops: batch elements with at least this many multiply-adds each run one after
	// the other on the parallel GEMM (rows split between workers); smaller ones are split between
	// workers by batch element, each on the serial GEMM. BenchmarkBatchedDot (2 workers): by batch
	// element is 2.4-4x faster for the ViT's attention products (65 x 65 x 16 or 64) and for
	// 128^3, and as fast at 256^3 = 2^24.
	minParallelDotFlops = 1 << 24
)

// dotRank2Only (COARSEALIGN_DOT=rank2, read once at start-up) restores the former rule: only
// rank-2 products without batch axes run natively. For before/after comparisons.
var dotRank2Only = os.Getenv("COARSEALIGN_DOT") == "rank2"

// dotLayout is a DotGeneral seen as batch independent products C_b[m, n] = A_b[m, k] B_b[k, n],
// b < batch, of row-major matrices stored one after the other (A_b from lhs[b*m*k:], B_b from
// rhs[b*k*n:], C_b at out[b*m*n:]). transA: A_b is stored as [k, m]; transB: B_b as [n, k].
type dotLayout struct {
	batch, m, n, k int
	transA, transB bool
}

// dotOperand splits one operand's axes (shape dims, its contracting and batch axes): the batch
// axes must be the leading ones in order (0, 1, ..., nb-1) and the remaining axes one contiguous
// group of free axes and one contiguous group of contracting axes, in either order, the
// contracting axes listed in increasing order. It returns the product of the free and of the
// contracting dimensions and whether the contracting group comes first.
func dotOperand(dims, contracting, batch []int) (free, k int, contractFirst, ok bool) {
	nb := len(batch)
	if nb > len(dims) {
		return 0, 0, false, false
	}
	for i, a := range batch {
		if a != i {
			return 0, 0, false, false
		}
	}
	free, k = 1, 1
	isContracting := make([]bool, len(dims))
	if len(contracting) > 0 {
		c0, cEnd := contracting[0], contracting[0]+len(contracting)
		if c0 < nb || cEnd > len(dims) || (c0 != nb && cEnd != len(dims)) {
			return 0, 0, false, false // contracting axes between two free groups
		}
		for i, a := range contracting {
			if a != c0+i {
				return 0, 0, false, false // not contiguous, or not in increasing order
			}
			isContracting[a] = true
		}
		contractFirst = c0 == nb && cEnd != len(dims)
	}
	for a := nb; a < len(dims); a++ {
		if isContracting[a] {
			k *= dims[a]
		} else {
			free *= dims[a]
		}
	}
	return free, k, contractFirst, true
}

// nativeDotLayout returns the layout of a float32 DotGeneral that runs on the native GEMM, or
// false if it must be delegated. The output of DotGeneral is [batch axes..., lhs free axes...,
// rhs free axes...] (each group in the operands' axis order; compute.Function.DotGeneral), i.e.
// exactly the row-major [batch, m, n] the layout writes.
func nativeDotLayout(l, r shapes.Shape, lc, lb, rc, rb []int) (dotLayout, bool) {
	if l.DType != dtypes.Float32 || r.DType != dtypes.Float32 || l.IsDynamic() || r.IsDynamic() ||
		len(lc) != len(rc) || len(lb) != len(rb) || l.Size() == 0 || r.Size() == 0 {
		return dotLayout{}, false
	}
	if dotRank2Only && (l.Rank() != 2 || r.Rank() != 2 || len(lb) != 0 || len(lc) != 1) {
		return dotLayout{}, false
	}
	m, k, lFirst, okL := dotOperand(l.Dimensions, lc, lb)
	n, kr, rFirst, okR := dotOperand(r.Dimensions, rc, rb)
	if !okL || !okR || k != kr {
		return dotLayout{}, false
	}
	batch := 1
	for i, a := range lb {
		if l.Dimensions[a] != r.Dimensions[rb[i]] {
			return dotLayout{}, false
		}
		batch *= l.Dimensions[a]
	}
	for i, a := range lc {
		if l.Dimensions[a] != r.Dimensions[rc[i]] {
			return dotLayout{}, false
		}
	}
	// lhs [m, k] unless its contracting group comes first; rhs [k, n] when its contracting group
	// comes first, [n, k] (transposed) otherwise. With a single free or contracting axis of size
	// 1 both readings are the same matrix; the transposes are then dropped.
	d := dotLayout{batch: batch, m: m, n: n, k: k, transA: lFirst && m > 1 && k > 1, transB: !rFirst && n > 1 && k > 1}
	return d, true
}

// DotGeneral implements compute.Function. Float32 products whose operands are, after leading
// batch axes, one group of free and one group of contracting axes each (a matrix per batch
// element, possibly transposed: the layouts of dense layers on [B, T, D] and their gradients,
// x W, x^T dy contracting {B, T}, dy W^T, and of batched attention products) run on the native
// GEMM when the whole product has at least minNativeDotFlops multiply-adds, without the
// transposes the wrapped backend would materialize. Everything else is delegated (listed on
// stderr at graph building when FASTCONV_TRACE is set).
func (f *function) DotGeneral(lhs compute.Value, lhsContractingAxes, lhsBatchAxes []int, rhs compute.Value,
	rhsContractingAxes, rhsBatchAxes []int, config compute.DotGeneralConfig) (compute.Value, error) {
	l, r := lhs.(*value), rhs.(*value)
	okDType := func(d dtypes.DType) bool { return d == dtypes.InvalidDType || d == dtypes.Float32 }
	if f.isMain() && okDType(config.AccumulatorDType) && okDType(config.OutputDType) {
		d, ok := nativeDotLayout(l.shape, r.shape, lhsContractingAxes, lhsBatchAxes, rhsContractingAxes, rhsBatchAxes)
		if ok && d.batch*d.m*d.n*d.k >= minNativeDotFlops {
			dims := make([]int, 0, l.shape.Rank()+r.shape.Rank())
			for _, a := range lhsBatchAxes {
				dims = append(dims, l.shape.Dimensions[a])
			}
			dims = append(dims, freeDims(l.shape.Dimensions, lhsContractingAxes, lhsBatchAxes)...)
			dims = append(dims, freeDims(r.shape.Dimensions, rhsContractingAxes, rhsBatchAxes)...)
			name := "matmul"
			if d.batch > 1 {
				name = "batchmatmul"
			}
			out := f.b.addDot(name, l, r, d, shapes.Make(dtypes.Float32, dims...))
			if d.batch == 1 && len(dims) == 2 {
				out.dotOf = &dotProv{l: l, r: r, d: d}
			}
			return out, nil
		}
	}
	if traceConv {
		fmt.Fprintf(os.Stderr, "fastconv: DotGeneral delegated: %s x %s, contracting %v x %v, batch %v x %v\n",
			l.shape, r.shape, lhsContractingAxes, rhsContractingAxes, lhsBatchAxes, rhsBatchAxes)
	}
	return f.delegate2(l, r, func(g compute.Function, il, ir compute.Value) (compute.Value, error) {
		return g.DotGeneral(il, lhsContractingAxes, lhsBatchAxes, ir, rhsContractingAxes, rhsBatchAxes, config)
	})
}

// dotProv records a native rank-2 product C = A B (operands l, r, layout d) on its output, so
// that a Transpose of C can be computed as the product C^T = B^T A^T instead (Transpose).
type dotProv struct {
	l, r *value
	d    dotLayout
}

// addDot appends a native step computing the product of l and r with layout d.
func (b *builder) addDot(name string, l, r *value, d dotLayout, shape shapes.Shape) *value {
	return b.addNative(name, []*value{l, r}, shape, func(c []float32, in [][]float32) {
		d.run(c, in[0], in[1])
	})
}

// transposed returns the layout of C^T = B^T A^T for the product C = A B of layout d (batch 1),
// with B as the left operand and A as the right one: the same multiply-adds per element, in
// the same order over k, written transposed.
func (d dotLayout) transposed() dotLayout {
	// B is stored [k, n] (or [n, k] if transB): as the left operand of an [n, k] product it is
	// transposed exactly when it was not. Likewise A [m, k] (or [k, m]) as the right operand.
	t := dotLayout{batch: 1, m: d.n, n: d.m, k: d.k, transA: !d.transB, transB: !d.transA}
	// Drop transposes of vectors, as nativeDotLayout does.
	t.transA = t.transA && t.m > 1 && t.k > 1
	t.transB = t.transB && t.n > 1 && t.k > 1
	return t
}

// freeDims lists the dimensions of the axes that are neither contracting nor batch, in order.
func freeDims(dims, contracting, batch []int) []int {
	used := make([]bool, len(dims))
	for _, a := range contracting {
		used[a] = true
	}
	for _, a := range batch {
		used[a] = true
	}
	var out []int
	for a, d := range dims {
		if !used[a] {
			out = append(out, d)
		}
	}
	return out
}

// run computes c [batch, m, n] from a and b (see dotLayout).
func (d dotLayout) run(c, a, b []float32) {
	if d.batch == 1 || d.m*d.n*d.k >= minParallelDotFlops {
		d.runByRows(c, a, b)
	} else {
		d.runByBatch(c, a, b)
	}
}

// runByRows runs the batch elements one after the other, each on the parallel GEMM.
func (d dotLayout) runByRows(c, a, b []float32) {
	M, N, K := d.m, d.n, d.k
	for i := range d.batch {
		matmul2D(c[i*M*N:][:M*N], a[i*M*K:][:M*K], b[i*K*N:][:K*N], M, N, K, d.transA, d.transB)
	}
}

// runByBatch splits the batch elements between workers, each product on the serial GEMM. A
// transposed operand is copied (serially) into the worker's scratch, as the serial kernel takes
// row-major [m, k] and [k, n].
func (d dotLayout) runByBatch(c, a, b []float32) {
	M, N, K := d.m, d.n, d.k
	gemm.ParallelFor(d.batch, func(start, end int) {
		var at, bt []float32
		if d.transA {
			at = gemm.Scratch(M * K)
			defer gemm.Release(at)
		}
		if d.transB {
			bt = gemm.Scratch(K * N)
			defer gemm.Release(bt)
		}
		for i := start; i < end; i++ {
			ai, bi := a[i*M*K:][:M*K], b[i*K*N:][:K*N]
			if d.transA {
				transposeSerial(at, ai, K, M)
				ai = at
			}
			if d.transB {
				transposeSerial(bt, bi, N, K)
				bi = bt
			}
			gemm.MulF32Serial(M, N, K, ai, K, bi, N, c[i*M*N:][:M*N], N, false)
		}
	})
}

// matmul2D sets c [m, n] = A B for a [m, k] (or [k, m] if transA) and b [k, n] (or [n, k] if
// transB), on the parallel GEMM.
func matmul2D(c, a, b []float32, M, N, K int, transA, transB bool) {
	if transB && !transA && M*(K+N) < N*K {
		// C = A B^T with B [N,K] large: C^T = B A^T, transposing only the small
		// A [M,K] and the result [N,M].
		at := gemm.Scratch(K * M)
		defer gemm.Release(at)
		kernels.Transpose2D(at, a, M, K)
		ct := gemm.Scratch(N * M)
		defer gemm.Release(ct)
		gemm.MulF32(N, M, K, b, K, at, M, ct, M)
		kernels.Transpose2D(c, ct, N, M)
		return
	}
	if transB {
		bt := gemm.Scratch(K * N)
		defer gemm.Release(bt)
		kernels.Transpose2D(bt, b, N, K)
		b = bt
	}
	if transA {
		gemm.MulF32TA(M, N, K, a, M, b, N, c, N)
	} else {
		gemm.MulF32(M, N, K, a, K, b, N, c, N)
	}
}

// transposeSerial writes dst[cols, rows] = src[rows, cols]^T on the calling goroutine.
func transposeSerial(dst, src []float32, rows, cols int) {
	for i := range rows {
		row := src[i*cols : (i+1)*cols]
		for j, v := range row {
			dst[j*rows+i] = v
		}
	}
}

// Transpose implements compute.Function: native (tiled, parallel) for large float32 tensors of
// rank 2 to 4; else delegated.
func (f *function) Transpose(x compute.Value, permutation ...int) (compute.Value, error) {
	xv := x.(*value)
	rank := xv.shape.Rank()
	if p := xv.dotOf; p != nil && f.isMain() && rank == 2 && len(permutation) == 2 && permutation[0] == 1 {
		// The transpose of a native product (GoMLX's weight gradient dy^T x, transposed to the
		// weights' [in, out]): compute the transposed product instead; the original product is
		// then dead code unless something else reads it.
		return f.b.addDot("matmul-t", p.r, p.l, p.d.transposed(), shapes.Make(dtypes.Float32, xv.shape.Dimensions[1], xv.shape.Dimensions[0])), nil
	}
	if f.nativeOK(xv) && rank >= 2 && rank <= 4 && len(permutation) == rank {
		inDims := xv.shape.Dimensions
		outDims := make([]int, rank)
		for i, p := range permutation {
			outDims[i] = inDims[p]
		}
		srcStrides := kernels.Strides(inDims)
		// Pad to 4 axes on the left (size 1, stride 0).
		var d, ss [4]int
		for i := range 4 - rank {
			d[i], ss[i] = 1, 0
		}
		for i, p := range permutation {
			d[4-rank+i], ss[4-rank+i] = outDims[i], srcStrides[p]
		}
		return f.b.addNative("transpose", []*value{xv}, shapes.Make(dtypes.Float32, outDims...), func(out []float32, in [][]float32) {
			if rank == 2 && permutation[0] == 1 {
				kernels.Transpose2D(out, in[0], inDims[0], inDims[1])
			} else {
				kernels.Permute4(out, d, in[0], ss)
			}
		}), nil
	}
	return f.delegate1(x, func(g compute.Function, ix compute.Value) (compute.Value, error) {
		return g.Transpose(ix, permutation...)
	})
}
