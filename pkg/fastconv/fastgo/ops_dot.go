package fastgo

import (
	"github.com/coarsealign/coarsealign/internal/gemm"
	"github.com/coarsealign/coarsealign/pkg/fastconv/kernels"
	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
)

// minNativeDotFlops: smaller matrix products stay in the wrapped backend.
const minNativeDotFlops = 1 << 20

// DotGeneral implements compute.Function. Plain float32 matrix products (rank-2 operands, one
// contracting axis each, no batch axes) of at least minNativeDotFlops multiply-adds run on the
// native GEMM, in any of the layouts reverse-mode autodiff produces (x W, x^T dy, dy W^T) without
// the transposes the wrapped backend would materialize. Everything else is delegated.
func (f *function) DotGeneral(lhs compute.Value, lhsContractingAxes, lhsBatchAxes []int, rhs compute.Value,
	rhsContractingAxes, rhsBatchAxes []int, config compute.DotGeneralConfig) (compute.Value, error) {
	l, r := lhs.(*value), rhs.(*value)
	okDType := func(d dtypes.DType) bool { return d == dtypes.InvalidDType || d == dtypes.Float32 }
	if f.isMain() && l.shape.Rank() == 2 && r.shape.Rank() == 2 && l.shape.DType == dtypes.Float32 &&
		r.shape.DType == dtypes.Float32 && len(lhsBatchAxes) == 0 && len(rhsBatchAxes) == 0 &&
		len(lhsContractingAxes) == 1 && len(rhsContractingAxes) == 1 && okDType(config.AccumulatorDType) &&
		okDType(config.OutputDType) && !l.shape.IsDynamic() && !r.shape.IsDynamic() {
		transA := lhsContractingAxes[0] == 0
		transB := rhsContractingAxes[0] == 1
		K := l.shape.Dimensions[lhsContractingAxes[0]]
		M := l.shape.Dimensions[1-lhsContractingAxes[0]]
		N := r.shape.Dimensions[1-rhsContractingAxes[0]]
		if K == r.shape.Dimensions[rhsContractingAxes[0]] && M*N*K >= minNativeDotFlops {
			return f.b.addNative("matmul", []*value{l, r}, shapes.Make(dtypes.Float32, M, N), func(c []float32, in [][]float32) {
				a, b := in[0], in[1]
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
			}), nil
		}
	}
	return f.delegate2(l, r, func(g compute.Function, il, ir compute.Value) (compute.Value, error) {
		return g.DotGeneral(il, lhsContractingAxes, lhsBatchAxes, ir, rhsContractingAxes, rhsBatchAxes, config)
	})
}

// Transpose implements compute.Function: native (tiled, parallel) for large float32 tensors of
// rank 2 to 4; else delegated.
func (f *function) Transpose(x compute.Value, permutation ...int) (compute.Value, error) {
	xv := x.(*value)
	rank := xv.shape.Rank()
	if f.nativeOK(xv) && rank >= 2 && rank <= 4 && len(permutation) == rank {
		inDims := xv.shape.Dimensions
		outDims := make([]int, rank)
		for i, p := range permutation {
			outDims[i] = inDims[p]
		}
		srcStrides := stridesOf(inDims)
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
