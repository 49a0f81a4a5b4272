package fastconv

import (
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
			outs := f.b.addCustom("matmul", []*value{l, r}, []shapes.Shape{shapes.Make(dtypes.Float32, M, N)},
				func(backend compute.Backend, in []compute.Buffer) ([]compute.Buffer, error) {
					a, err := float32Data(in[0])
					if err != nil {
						return nil, err
					}
					b, err := float32Data(in[1])
					if err != nil {
						return nil, err
					}
					buf, c, err := newFloat32Buffer(backend, M, N)
					if err != nil {
						return nil, err
					}
					if transB && !transA && M*(K+N) < N*K {
						// C = A B^T with B [N,K] large: C^T = B A^T, transposing only the small
						// A [M,K] and the result [N,M].
						at := getScratch(K * M)
						defer putScratch(at)
						transpose2D(at, a, M, K)
						ct := getScratch(N * M)
						defer putScratch(ct)
						gemm(N, M, K, b, K, at, M, ct, M)
						transpose2D(c, ct, N, M)
						return []compute.Buffer{buf}, nil
					}
					if transB {
						bt := getScratch(K * N)
						defer putScratch(bt)
						transpose2D(bt, b, N, K)
						b = bt
					}
					if transA {
						gemmTA(M, N, K, a, M, b, N, c, N)
					} else {
						gemm(M, N, K, a, K, b, N, c, N)
					}
					return []compute.Buffer{buf}, nil
				})
			return outs[0], nil
		}
	}
	g := f.target()
	il, err := f.in(l)
	if err != nil {
		return nil, err
	}
	ir, err := f.in(r)
	if err != nil {
		return nil, err
	}
	res, err := g.DotGeneral(il, lhsContractingAxes, lhsBatchAxes, ir, rhsContractingAxes, rhsBatchAxes, config)
	if err != nil {
		return nil, err
	}
	return f.out(res), nil
}

// transpose2D writes dst[cols, rows] = src[rows, cols]^T, in 32x32 tiles, in parallel.
func transpose2D(dst, src []float32, rows, cols int) {
	const tile = 64
	tilesC := (cols + tile - 1) / tile
	parallelFor(tilesC, func(start, end int) {
		for tc := start; tc < end; tc++ {
			c0, c1 := tc*tile, min(cols, tc*tile+tile)
			for r0 := 0; r0 < rows; r0 += tile {
				r1 := min(rows, r0+tile)
				for c := c0; c < c1; c++ {
					d := dst[c*rows+r0 : c*rows+r1]
					for i := range d {
						d[i] = src[(r0+i)*cols+c]
					}
				}
			}
		}
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
		outShape := shapes.Make(dtypes.Float32, outDims...)
		outs := f.b.addCustom("transpose", []*value{xv}, []shapes.Shape{outShape}, func(backend compute.Backend, in []compute.Buffer) ([]compute.Buffer, error) {
			xd, err := float32Data(in[0])
			if err != nil {
				return nil, err
			}
			buf, out, err := newFloat32Buffer(backend, outDims...)
			if err != nil {
				return nil, err
			}
			if rank == 2 && permutation[0] == 1 {
				transpose2D(out, xd, inDims[0], inDims[1])
			} else {
				permute4(out, d, xd, ss)
			}
			return []compute.Buffer{buf}, nil
		})
		return outs[0], nil
	}
	return f.delegate1(x, func(g compute.Function, ix compute.Value) (compute.Value, error) {
		return g.Transpose(ix, permutation...)
	})
}
