package fastgo

import (
	"fmt"
	"github.com/coarsealign/coarsealign/pkg/fastconv/kernels"
	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"os"
)

// Native elementwise fast paths for the large float32 tensors of CNN training (the wrapped
// backend runs these single-threaded with generic loops):
//
//   - Max(x, broadcast 0)                       -> ReLU
//   - Where(GreaterOrEqual(x, broadcast 0), v, 0) -> ReLU gradient (the Max VJP of vjp.go)
//   - Add(x, BroadcastInDim(bias[C], last axis)) -> bias add
//   - ReduceSum(x[..., C], all axes but the last) -> bias gradient
//
// They apply only in the main function, for float32 tensors of at least minNativeSize elements;
// everything else is delegated.

const minNativeSize = 1 << 15

func (f *function) delegate1(x compute.Value, op func(g compute.Function, ix compute.Value) (compute.Value, error)) (compute.Value, error) {
	g := f.target()
	f.noteCaller()
	ix, err := f.in(x)
	if err != nil {
		return nil, err
	}
	r, err := op(g, ix)
	if err != nil {
		return nil, err
	}
	return f.out(r), nil
}

func (f *function) delegate2(x, y compute.Value, op func(g compute.Function, ix, iy compute.Value) (compute.Value, error)) (compute.Value, error) {
	g := f.target()
	f.noteCaller()
	ix, err := f.in(x)
	if err != nil {
		return nil, err
	}
	iy, err := f.in(y)
	if err != nil {
		return nil, err
	}
	r, err := op(g, ix, iy)
	if err != nil {
		return nil, err
	}
	return f.out(r), nil
}

func isZero(v *value) bool { return v != nil && v.scalar != nil && *v.scalar == 0 }

func (f *function) nativeOK(vs ...*value) bool {
	if !f.isMain() {
		return false
	}
	for _, v := range vs {
		if v == nil || v.shape.DType != dtypes.Float32 || v.shape.IsDynamic() || v.shape.Size() < minNativeSize {
			return false
		}
	}
	return true
}

// BroadcastInDim implements compute.Function: native for large float32 outputs when the source
// is a scalar, or has the output's rank with identity axes and dims 1 or equal to the output's,
// or is a [C] vector along the last axis; delegated otherwise. Records provenance either way.
func (f *function) BroadcastInDim(x compute.Value, outputShape shapes.Shape, broadcastAxes []int) (compute.Value, error) {
	xv := x.(*value)
	var rv *value
	if srcDims := nativeBroadcastDims(xv.shape, outputShape, broadcastAxes); srcDims != nil && f.isMain() &&
		outputShape.DType == dtypes.Float32 && !outputShape.IsDynamic() && outputShape.Size() >= minNativeSize {
		outDims := outputShape.Dimensions
		rv = f.b.addNative("broadcast", []*value{xv}, outputShape, func(out []float32, in [][]float32) {
			kernels.Broadcast(out, in[0], srcDims, outDims)
		})
	} else {
		r, err := f.delegate1(x, func(g compute.Function, ix compute.Value) (compute.Value, error) {
			return g.BroadcastInDim(ix, outputShape, broadcastAxes)
		})
		if err != nil {
			return nil, err
		}
		rv = r.(*value)
	}
	rv.scalar = xv.scalar
	rv.bcastSrc, rv.bcastAxes = xv, append([]int(nil), broadcastAxes...)
	return rv, nil
}

// nativeBroadcastDims returns the source dims, at the output's rank, for the broadcasts
// kernels.Broadcast runs (see BroadcastInDim), or nil.
func nativeBroadcastDims(src, out shapes.Shape, axes []int) []int {
	r := out.Rank()
	if src.DType != out.DType || src.IsDynamic() {
		return nil
	}
	switch {
	case src.IsScalar() && len(axes) == 0:
		d := make([]int, r)
		for i := range d {
			d[i] = 1
		}
		return d
	case src.Rank() == 1 && r >= 1 && len(axes) == 1 && axes[0] == r-1 && src.Dimensions[0] == out.Dimensions[r-1]:
		d := make([]int, r)
		for i := range d {
			d[i] = 1
		}
		d[r-1] = src.Dimensions[0]
		return d
	case src.Rank() == r && isIdentity(axes, r):
		for i, n := range src.Dimensions {
			if n != 1 && n != out.Dimensions[i] {
				return nil
			}
		}
		return append([]int(nil), src.Dimensions...)
	}
	return nil
}

// GreaterOrEqual implements compute.Function (delegated; records provenance).
func (f *function) GreaterOrEqual(lhs, rhs compute.Value) (compute.Value, error) {
	r, err := f.delegate2(lhs, rhs, func(g compute.Function, a, b compute.Value) (compute.Value, error) {
		return g.GreaterOrEqual(a, b)
	})
	if err != nil {
		return nil, err
	}
	r.(*value).geOf = [2]*value{lhs.(*value), rhs.(*value)}
	return r, nil
}

// Max implements compute.Function: native ReLU for Max(x, 0).
func (f *function) Max(lhs, rhs compute.Value) (compute.Value, error) {
	x, z := lhs.(*value), rhs.(*value)
	if isZero(x) {
		x, z = z, x
	}
	if isZero(z) && f.nativeOK(x) && (z.shape.IsScalar() || z.shape.Equal(x.shape)) {
		return f.b.addPointwise("relu", []*value{x}, x.shape, kernels.PWNode{Kind: kernels.PWRelu, Args: pwIn(0, 0)}), nil
	}
	return f.delegate2(lhs, rhs, func(g compute.Function, a, b compute.Value) (compute.Value, error) { return g.Max(a, b) })
}

// Where implements compute.Function: native ReLU gradient for Where(x >= 0, v, 0) and Where(x >= 0, 0, v).
func (f *function) Where(condition, onTrue, onFalse compute.Value) (compute.Value, error) {
	c, t, e := condition.(*value), onTrue.(*value), onFalse.(*value)
	if r := f.whereLE(c, t, e); r != nil {
		return r, nil
	}
	if x, zero := c.geOf[0], c.geOf[1]; x != nil && isZero(zero) && (zero.shape.IsScalar() || zero.shape.Equal(x.shape)) {
		var v *value
		keepWhenGE := true
		switch {
		case isZero(e) && t.shape.Equal(x.shape):
			v = t
		case isZero(t) && e.shape.Equal(x.shape):
			v, keepWhenGE = e, false
		}
		if v != nil && f.nativeOK(x, v) {
			return f.b.addPointwise("relu-grad", []*value{x, v}, v.shape,
				kernels.PWNode{Kind: kernels.PWReluGrad, Flag: keepWhenGE, Args: pwIn(0, 1)}), nil
		}
	}
	g := f.target()
	ic, err := f.in(c)
	if err != nil {
		return nil, err
	}
	it, err := f.in(t)
	if err != nil {
		return nil, err
	}
	ie, err := f.in(e)
	if err != nil {
		return nil, err
	}
	r, err := g.Where(ic, it, ie)
	if err != nil {
		return nil, err
	}
	return f.out(r), nil
}

// lastAxisBias returns the bias (flat size C) if b is x's last-axis row vector: shaped
// [1,...,1,C] (implicit broadcasting), or BroadcastInDim to x's shape of a [C] vector (axes
// [rank-1]) or of a [1,...,1,C] tensor (identity axes), as batch norm and bias adds emit.
func lastAxisBias(x, b *value) *value {
	r := x.shape.Rank()
	if r < 2 || b.shape.DType != dtypes.Float32 {
		return nil
	}
	C := x.shape.Dimensions[r-1]
	isRow := func(v *value) bool {
		return v.shape.Rank() == r && v.shape.Dimensions[r-1] == C && v.shape.Size() == C && !v.shape.Equal(x.shape)
	}
	if isRow(b) {
		return b
	}
	src := b.bcastSrc
	if src == nil || !b.shape.Equal(x.shape) || src.shape.DType != dtypes.Float32 {
		return nil
	}
	switch {
	case src.shape.Rank() == 1 && len(b.bcastAxes) == 1 && b.bcastAxes[0] == r-1 && src.shape.Dimensions[0] == C:
		return src
	case isRow(src) && isIdentity(b.bcastAxes, r):
		return src
	}
	return nil
}

// isIdentity reports whether axes is 0, 1, ..., rank-1.
func isIdentity(axes []int, rank int) bool {
	if len(axes) != rank {
		return false
	}
	for i, a := range axes {
		if a != i {
			return false
		}
	}
	return true
}

// scalarSource returns the rank-0 source of v if v is BroadcastInDim of a scalar, else v.
func scalarSource(v *value) *value {
	if src := v.bcastSrc; src != nil && src.shape.IsScalar() && len(v.bcastAxes) == 0 {
		return src
	}
	return v
}

// Add implements compute.Function: native bias add for Add(x, BroadcastInDim(bias, last axis)).
func (f *function) Add(lhs, rhs compute.Value) (compute.Value, error) {
	x, b := lhs.(*value), rhs.(*value)
	bias := lastAxisBias(x, b)
	if bias == nil {
		x, b = b, x
		bias = lastAxisBias(x, b)
	}
	if bias != nil && f.nativeOK(x) {
		return f.b.addPointwise("bias-add", []*value{x, bias}, x.shape,
			kernels.PWNode{Kind: kernels.PWRow, Op: kernels.OpAdd, Args: pwIn(0, 1)}), nil
	}
	return f.binary(kernels.OpAdd, lhs, rhs, func(g compute.Function, a, b compute.Value) (compute.Value, error) { return g.Add(a, b) })
}

// Mul implements compute.Function (native for large float32 operands).
func (f *function) Mul(lhs, rhs compute.Value) (compute.Value, error) {
	return f.binary(kernels.OpMul, lhs, rhs, func(g compute.Function, a, b compute.Value) (compute.Value, error) { return g.Mul(a, b) })
}

// Sub implements compute.Function (native for large float32 operands).
func (f *function) Sub(lhs, rhs compute.Value) (compute.Value, error) {
	return f.binary(kernels.OpSub, lhs, rhs, func(g compute.Function, a, b compute.Value) (compute.Value, error) { return g.Sub(a, b) })
}

// Div implements compute.Function (native for large float32 operands).
func (f *function) Div(lhs, rhs compute.Value) (compute.Value, error) {
	return f.binary(kernels.OpDiv, lhs, rhs, func(g compute.Function, a, b compute.Value) (compute.Value, error) { return g.Div(a, b) })
}

// binary runs a float32 elementwise op natively when both operands have the same large shape, or
// one is a scalar (rank 0); else it delegates.
func (f *function) binary(op kernels.Op, lhs, rhs compute.Value, delegate func(g compute.Function, a, b compute.Value) (compute.Value, error)) (compute.Value, error) {
	// A broadcast scalar operand is read as the scalar itself (the broadcast is then dead code).
	a, b := scalarSource(lhs.(*value)), scalarSource(rhs.(*value))
	big := a
	if b.shape.Size() > a.shape.Size() {
		big = b
	}
	sameOrScalar := (a.shape.Equal(b.shape) || a.shape.IsScalar() || b.shape.IsScalar()) &&
		a.shape.DType == dtypes.Float32 && b.shape.DType == dtypes.Float32
	// Row broadcast: one operand is a [C] vector along the last axis of the other (shaped
	// [1,...,1,C] or BroadcastInDim of [C]) — batch-norm and bias arithmetic. A broadcast row is
	// read as the row even when the broadcast has the other operand's shape (it is then dead
	// code unless something else uses it).
	if a.shape.DType == dtypes.Float32 && b.shape.DType == dtypes.Float32 && !a.shape.IsScalar() && !b.shape.IsScalar() {
		if row := lastAxisBias(a, b); row != nil && f.nativeOK(a) {
			return f.rowBinary(op, a, row, false), nil
		}
		if row := lastAxisBias(b, a); row != nil && f.nativeOK(b) {
			return f.rowBinary(op, b, row, true), nil
		}
	}
	// Column broadcast: one operand is the other's shape with a last axis of 1 ([..., L] op
	// [..., 1]: layer norm, softmax).
	if !sameOrScalar && a.shape.DType == dtypes.Float32 && b.shape.DType == dtypes.Float32 {
		if isColumnOf(b, a) && f.nativeOK(a) {
			return f.b.addPointwise("elementwise-col", []*value{a, b}, a.shape,
				kernels.PWNode{Kind: kernels.PWCol, Op: op, Args: pwIn(0, 1)}), nil
		}
		if isColumnOf(a, b) && f.nativeOK(b) {
			return f.b.addPointwise("elementwise-col", []*value{b, a}, b.shape,
				kernels.PWNode{Kind: kernels.PWCol, Op: op, Flag: true, Args: pwIn(0, 1)}), nil
		}
	}
	if sameOrScalar && f.nativeOK(big) {
		outShape := big.shape
		return f.b.addPointwise("elementwise", []*value{a, b}, outShape,
			kernels.PWNode{Kind: kernels.PWBinary, Op: op, Args: pwIn(0, 1)}), nil
	}
	if traceConv && f.isMain() && max(a.shape.Size(), b.shape.Size()) >= minNativeSize {
		fmt.Fprintf(os.Stderr, "fastconv: binary op %d delegated: %s, %s (broadcast from %v)\n", op, lhs.(*value).shape, rhs.(*value).shape, srcShape(lhs.(*value), rhs.(*value)))
	}
	return f.delegate2(lhs, rhs, delegate)
}

// Sqrt implements compute.Function (native for large float32 operands).
func (f *function) Sqrt(x compute.Value) (compute.Value, error) {
	xv := x.(*value)
	if f.nativeOK(xv) {
		return f.b.addPointwise("sqrt", []*value{xv}, xv.shape, kernels.PWNode{Kind: kernels.PWSqrt, Args: pwIn(0, 0)}), nil
	}
	return f.delegate1(x, func(g compute.Function, ix compute.Value) (compute.Value, error) { return g.Sqrt(ix) })
}

// unary runs a float32 elementwise function natively (a pointwise step, fusable) on large
// operands, else delegates.
func (f *function) unary(kind kernels.PWKind, name string, x compute.Value, delegate func(g compute.Function, ix compute.Value) (compute.Value, error)) (compute.Value, error) {
	xv := x.(*value)
	if f.nativeOK(xv) {
		return f.b.addPointwise(name, []*value{xv}, xv.shape, kernels.PWNode{Kind: kind, Args: pwIn(0, 0)}), nil
	}
	return f.delegate1(x, delegate)
}

// Neg implements compute.Function (native for large float32 operands).
func (f *function) Neg(x compute.Value) (compute.Value, error) {
	return f.unary(kernels.PWNeg, "neg", x, func(g compute.Function, ix compute.Value) (compute.Value, error) { return g.Neg(ix) })
}

// Exp implements compute.Function (native for large float32 operands, float64 math as the go backend).
func (f *function) Exp(x compute.Value) (compute.Value, error) {
	return f.unary(kernels.PWExp, "exp", x, func(g compute.Function, ix compute.Value) (compute.Value, error) { return g.Exp(ix) })
}

// Log implements compute.Function (native for large float32 operands).
func (f *function) Log(x compute.Value) (compute.Value, error) {
	return f.unary(kernels.PWLog, "log", x, func(g compute.Function, ix compute.Value) (compute.Value, error) { return g.Log(ix) })
}

// Erf implements compute.Function (native for large float32 operands; GELU and its gradient).
func (f *function) Erf(x compute.Value) (compute.Value, error) {
	return f.unary(kernels.PWErf, "erf", x, func(g compute.Function, ix compute.Value) (compute.Value, error) { return g.Erf(ix) })
}

// Tanh implements compute.Function (native for large float32 operands).
func (f *function) Tanh(x compute.Value) (compute.Value, error) {
	return f.unary(kernels.PWTanh, "tanh", x, func(g compute.Function, ix compute.Value) (compute.Value, error) { return g.Tanh(ix) })
}

// Rsqrt implements compute.Function (native for large float32 operands).
func (f *function) Rsqrt(x compute.Value) (compute.Value, error) {
	return f.unary(kernels.PWRsqrt, "rsqrt", x, func(g compute.Function, ix compute.Value) (compute.Value, error) { return g.Rsqrt(ix) })
}

// FusedGelu implements compute.Function: the exact GELU is native (a fusable pointwise step, the
// go backend's formula) for large float32 operands; the tanh approximation is delegated.
func (f *function) FusedGelu(x compute.Value, exact bool) (compute.Value, error) {
	if exact {
		return f.unary(kernels.PWGelu, "gelu", x, func(g compute.Function, ix compute.Value) (compute.Value, error) { return g.FusedGelu(ix, true) })
	}
	return f.delegate1(x, func(g compute.Function, ix compute.Value) (compute.Value, error) { return g.FusedGelu(ix, false) })
}

// FusedSoftmax implements compute.Function: native for large float32 operands (kernels.Softmax,
// bitwise the go backend's fused softmax), else delegated.
func (f *function) FusedSoftmax(x compute.Value, axis int) (compute.Value, error) {
	xv := x.(*value)
	if f.nativeOK(xv) && axis >= 0 && axis < xv.shape.Rank() {
		dims := xv.shape.Dimensions
		outer, inner := 1, 1
		for _, d := range dims[:axis] {
			outer *= d
		}
		for _, d := range dims[axis+1:] {
			inner *= d
		}
		n := dims[axis]
		return f.b.addNative("softmax", []*value{xv}, xv.shape, func(out []float32, in [][]float32) {
			kernels.Softmax(out, in[0], outer, n, inner)
		}), nil
	}
	return f.delegate1(x, func(g compute.Function, ix compute.Value) (compute.Value, error) { return g.FusedSoftmax(ix, axis) })
}

// Reshape implements compute.Function: delegated (the go backend copies), but a large float32
// result remembers its source, so that native consumers read the source's buffer instead
// (resolveReshapes).
func (f *function) Reshape(x compute.Value, dims ...int) (compute.Value, error) {
	r, err := f.delegate1(x, func(g compute.Function, ix compute.Value) (compute.Value, error) { return g.Reshape(ix, dims...) })
	if err != nil {
		return nil, err
	}
	xv, rv := x.(*value), r.(*value)
	if f.isMain() && xv.shape.DType == dtypes.Float32 && xv.shape.Size() == rv.shape.Size() && !xv.shape.IsDynamic() {
		rv.reshapeOf = xv
	}
	return rv, nil
}

// ReduceSum implements compute.Function: native for summing all axes but the last (bias gradient).
func (f *function) ReduceSum(x compute.Value, axes ...int) (compute.Value, error) {
	xv := x.(*value)
	rank := xv.shape.Rank()
	allButLast := rank >= 2 && len(axes) == rank-1
	if allButLast {
		seen := make([]bool, rank)
		for _, a := range axes {
			if a < 0 || a >= rank-1 || seen[a] {
				allButLast = false
				break
			}
			seen[a] = true
		}
	}
	if allButLast && f.nativeOK(xv) {
		return f.b.addSumRows("reduce-rows", xv), nil
	}
	if first, ok := trailingAxes(rank, axes); ok && f.nativeOK(xv) {
		return f.b.addReduceLast("reduce-last", xv, first, false, shapes.Make(dtypes.Float32, xv.shape.Dimensions[:first]...)), nil
	}
	if k, ok := leadingAxes(rank, axes); ok && k < rank-1 && f.nativeOK(xv) {
		outShape := shapes.Make(dtypes.Float32, xv.shape.Dimensions[k:]...)
		return f.b.addNative("reduce-leading", []*value{xv}, outShape, func(out []float32, in [][]float32) {
			kernels.SumLeading(out, in[0])
		}), nil
	}
	return f.delegate1(x, func(g compute.Function, ix compute.Value) (compute.Value, error) { return g.ReduceSum(ix, axes...) })
}

// ReduceMax implements compute.Function: native for reducing trailing axes of a large float32
// tensor (softmax and attention maxima), else delegated.
func (f *function) ReduceMax(x compute.Value, axes ...int) (compute.Value, error) {
	xv := x.(*value)
	if first, ok := trailingAxes(xv.shape.Rank(), axes); ok && f.nativeOK(xv) {
		return f.b.addReduceLast("reduce-max-last", xv, first, true, shapes.Make(dtypes.Float32, xv.shape.Dimensions[:first]...)), nil
	}
	return f.delegate1(x, func(g compute.Function, ix compute.Value) (compute.Value, error) { return g.ReduceMax(ix, axes...) })
}

// leadingAxes reports whether axes are exactly the first k >= 1 axes (in any order, no repeats).
func leadingAxes(rank int, axes []int) (k int, ok bool) {
	k = len(axes)
	if k == 0 || k >= rank {
		return 0, false
	}
	seen := make([]bool, rank)
	for _, a := range axes {
		if a < 0 || a >= k || seen[a] {
			return 0, false
		}
		seen[a] = true
	}
	return k, true
}

// trailingAxes reports whether axes are exactly the last len(axes) >= 1 axes of a tensor of the
// given rank (in any order, no repeats), and the first of them; a reduction of all axes is left
// to the go backend.
func trailingAxes(rank int, axes []int) (first int, ok bool) {
	if len(axes) == 0 || len(axes) >= rank {
		return 0, false
	}
	first = rank - len(axes)
	seen := make([]bool, rank)
	for _, a := range axes {
		if a < first || a >= rank || seen[a] {
			return 0, false
		}
		seen[a] = true
	}
	return first, true
}

// rowBinary computes x op row (or row op x if rowFirst) with row [C] broadcast over the rows of
// x [..., C].
func (f *function) rowBinary(op kernels.Op, x, row *value, rowFirst bool) compute.Value {
	return f.b.addPointwise("elementwise-row", []*value{x, row}, x.shape,
		kernels.PWNode{Kind: kernels.PWRow, Op: op, Flag: rowFirst, Args: pwIn(0, 1)})
}

// pwIn returns the operand references of a node on inputs i and j of its step.
func pwIn(i, j int) [2]kernels.PWRef {
	return [2]kernels.PWRef{{Input: true, Idx: i}, {Input: true, Idx: j}}
}

// srcShape returns the shapes of the BroadcastInDim sources of a and b (for traces).
func srcShape(a, b *value) []string {
	var out []string
	for _, v := range []*value{a, b} {
		if v.bcastSrc != nil {
			out = append(out, fmt.Sprintf("%s axes %v", v.bcastSrc.shape, v.bcastAxes))
		} else {
			out = append(out, "-")
		}
	}
	return out
}

// isColumnOf reports whether col has x's shape but a last axis of 1 (x's last axis > 1).
func isColumnOf(col, x *value) bool {
	r := x.shape.Rank()
	if r < 2 || col.shape.Rank() != r || x.shape.Dimensions[r-1] <= 1 || col.shape.Dimensions[r-1] != 1 {
		return false
	}
	for i := range r - 1 {
		if col.shape.Dimensions[i] != x.shape.Dimensions[i] {
			return false
		}
	}
	return true
}
