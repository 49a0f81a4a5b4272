package fastgo

import (
	"slices"

	"github.com/coarsealign/coarsealign/pkg/fastconv/kernels"
	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/pkg/errors"
)

// FusedDense implements compute.Function: y = act(x W (+ bias)) for float32 x [batch..., in] of rank
// >= 3 (or rank 2 with more than maxDelegatedDenseRows rows), W [in, out...]
// (compute.DenseLayoutInputOutputs) or [out..., in] (DenseLayoutOutputsInput), bias [out...] or
// nil, and no activation or the exact GELU, runs as one product [prod(batch), in] x [in, prod(out)]
// on the native GEMM (as DotGeneral), a native bias add and a pointwise GELU, when it has at least
// minNativeDotFlops multiply-adds (GoMLX's layers.Dense builds its forward pass with this op;
// its gradients are DotGenerals). Other cases, and all of them under COARSEALIGN_DOT=rank2, are
// delegated.
func (f *function) FusedDense(x, weight, bias compute.Value, config compute.DenseConfig) (compute.Value, error) {
	xv, wv := x.(*value), weight.(*value)
	var bv *value
	if bias != nil {
		var ok bool
		if bv, ok = bias.(*value); !ok {
			return nil, errors.Errorf("fastconv: FusedDense: unknown bias value type %T", bias)
		}
	}
	if dims, M, N, K, ok := nativeDenseDims(xv, wv, bv, config); ok && f.isMain() && !dotRank2Only {
		transB := config.WeightLayout == compute.DenseLayoutOutputsInput
		inputs := []*value{xv, wv}
		if bv != nil {
			inputs = append(inputs, bv)
		}
		out := f.b.addNative("dense", inputs, shapes.Make(dtypes.Float32, dims...), func(c []float32, in [][]float32) {
			matmul2D(c, in[0], in[1], M, N, K, false, transB)
			if len(in) == 3 {
				kernels.BiasAdd(c, c, in[2])
			}
		})
		if config.Activation == compute.ActivationGelu {
			return f.b.addPointwise("gelu", []*value{out}, out.shape, kernels.PWNode{Kind: kernels.PWGelu, Args: pwIn(0, 0)}), nil
		}
		return out, nil
	}
	g := f.target()
	ix, err := f.in(x)
	if err != nil {
		return nil, err
	}
	iw, err := f.in(weight)
	if err != nil {
		return nil, err
	}
	var ib compute.Value
	if bv != nil {
		if ib, err = f.in(bias); err != nil {
			return nil, err
		}
	}
	r, err := g.FusedDense(ix, iw, ib, config)
	if err != nil {
		return nil, err
	}
	return f.out(r), nil
}

// maxDelegatedDenseRows: rank-2 FusedDense inputs with at most this many rows are delegated.
const maxDelegatedDenseRows = 2048

// nativeDenseDims returns the output dimensions and the product's M, N, K of a FusedDense that
// runs natively (see FusedDense), or false.
func nativeDenseDims(x, w, bias *value, config compute.DenseConfig) (dims []int, M, N, K int, ok bool) {
	for _, v := range []*value{x, w, bias} {
		if v != nil && (v.shape.DType != dtypes.Float32 || v.shape.IsDynamic()) {
			return nil, 0, 0, 0, false
		}
	}
	// Rank-2 inputs with at most maxDelegatedDenseRows rows (the FC layers of AlexNet-BN and
	// vgg-bn at the study's batch sizes) stay delegated, so that their training numbers are
	// bit-identical to those of the committed runs made before this op was native; the ViT's
	// dense layers act on [B, T, D] or on [B*T, D] (thousands of rows).
	act := config.Activation
	if (act != compute.ActivationNone && act != compute.ActivationGelu) || w.shape.Rank() < 2 ||
		x.shape.Rank() < 2 || (x.shape.Rank() == 2 && x.shape.Dimensions[0] <= maxDelegatedDenseRows) {
		return nil, 0, 0, 0, false
	}
	xd, wd := x.shape.Dimensions, w.shape.Dimensions
	K = xd[len(xd)-1]
	var outDims []int
	switch config.WeightLayout {
	case compute.DenseLayoutInputOutputs:
		if wd[0] != K {
			return nil, 0, 0, 0, false
		}
		outDims = wd[1:]
	case compute.DenseLayoutOutputsInput:
		if wd[len(wd)-1] != K {
			return nil, 0, 0, 0, false
		}
		outDims = wd[:len(wd)-1]
	default:
		return nil, 0, 0, 0, false
	}
	M, N = x.shape.Size()/max(K, 1), w.shape.Size()/max(K, 1)
	if bias != nil && !slices.Equal(bias.shape.Dimensions, outDims) {
		return nil, 0, 0, 0, false
	}
	if K == 0 || M*N == 0 || M*N*K < minNativeDotFlops {
		return nil, 0, 0, 0, false
	}
	dims = append(append([]int(nil), xd[:len(xd)-1]...), outDims...)
	return dims, M, N, K, true
}
