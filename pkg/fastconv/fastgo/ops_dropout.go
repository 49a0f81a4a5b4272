package fastgo

import (
	"github.com/coarsealign/coarsealign/pkg/fastconv/kernels"
	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/pkg/errors"
)

// Native steps for GoMLX's dropout (layers.DropoutNormalize) and RandomUniform on float32:
//
//	u = Min(Abs(ConvertDType(bits uint32, float32) * 2^-32), nextafter(1, 0))
//	y = Where(LessOrEqual(u, rate), 0, x) / (1 - rate)
//
// and the gradient Where(LessOrEqual(u, rate), 0, dy). With RNGBitGenerator native (ops_rng.go),
// the chain ran as go-backend segments (single-threaded, with Bool buffers in between); here the
// conversion is a native step, Abs and Min are pointwise nodes, LessOrEqual is recorded (its Bool
// result is then dead code) and the Where becomes one PWMaskLE node. Each computes what the go
// backend computes (Go's float32(uint32), x < 0 ? -x : x, min, <=), so the values are the same
// bits (tests).

// ConvertDType implements compute.Function: native for large Uint32 -> Float32 (the random bits
// of RandomUniform); delegated otherwise.
func (f *function) ConvertDType(x compute.Value, dtype dtypes.DType) (compute.Value, error) {
	xv := x.(*value)
	if f.isMain() && xv.shape.DType == dtypes.Uint32 && dtype == dtypes.Float32 && !xv.shape.IsDynamic() && xv.shape.Size() >= minNativeSize {
		outShape := xv.shape.Clone()
		outShape.DType = dtypes.Float32
		dims := outShape.Dimensions
		return f.b.addCustom("u32-to-f32", []*value{xv}, []shapes.Shape{outShape}, func(backend compute.Backend, bufs []compute.Buffer) ([]compute.Buffer, error) {
			d, err := bufs[0].Data()
			if err != nil {
				return nil, err
			}
			bits, ok := d.([]uint32)
			if !ok {
				return nil, errors.Errorf("fastconv: ConvertDType input: expected uint32 data, got %T", d)
			}
			buf, out, err := newFloat32Buffer(backend, dims...)
			if err != nil {
				return nil, err
			}
			kernels.Uint32ToFloat32(out, bits)
			return []compute.Buffer{buf}, nil
		})[0], nil
	}
	return f.delegate1(x, func(g compute.Function, ix compute.Value) (compute.Value, error) { return g.ConvertDType(ix, dtype) })
}

// Abs implements compute.Function (native for large float32 operands).
func (f *function) Abs(x compute.Value) (compute.Value, error) {
	return f.unary(kernels.PWAbs, "abs", x, func(g compute.Function, ix compute.Value) (compute.Value, error) { return g.Abs(ix) })
}

// Min implements compute.Function: native for large float32 operands of the same shape, with a
// scalar (RandomUniform's clamp below 1) or a row or column operand, as the other binary ops
// (binary); delegated otherwise.
func (f *function) Min(lhs, rhs compute.Value) (compute.Value, error) {
	return f.binary(kernels.OpMin, lhs, rhs, func(g compute.Function, a, b compute.Value) (compute.Value, error) { return g.Min(a, b) })
}

// LessOrEqual implements compute.Function (delegated; records its operands for Where).
func (f *function) LessOrEqual(lhs, rhs compute.Value) (compute.Value, error) {
	r, err := f.delegate2(lhs, rhs, func(g compute.Function, a, b compute.Value) (compute.Value, error) {
		return g.LessOrEqual(a, b)
	})
	if err != nil {
		return nil, err
	}
	r.(*value).leOf = [2]*value{lhs.(*value), rhs.(*value)}
	return r, nil
}

// whereLE returns the native Where(LessOrEqual(u, c), t, e) for a scalar constant c (or a
// broadcast of one) and one of t, e zero with the other of u's shape, or nil.
func (f *function) whereLE(c, t, e *value) compute.Value {
	u, thr := c.leOf[0], c.leOf[1]
	if u == nil {
		return nil
	}
	thr = scalarSource(thr)
	if thr.scalar == nil || thr.shape.DType != dtypes.Float32 || !(thr.shape.IsScalar() || thr.shape.Equal(u.shape)) {
		return nil
	}
	var v *value
	keepWhenLE := true
	switch {
	case isZero(e) && t.shape.Equal(u.shape):
		v = t
	case isZero(t) && e.shape.Equal(u.shape):
		v, keepWhenLE = e, false
	}
	if v == nil || !f.nativeOK(u, v) {
		return nil
	}
	return f.b.addPointwise("mask-le", []*value{u, v}, v.shape,
		kernels.PWNode{Kind: kernels.PWMaskLE, Flag: keepWhenLE, C: float32(*thr.scalar), Args: pwIn(0, 1)})
}
