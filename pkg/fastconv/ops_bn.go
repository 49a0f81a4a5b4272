package fastconv

import (
	"math"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/pkg/errors"
)

// Batch normalization ops (XLA semantics; the wrapped go backend does not implement them, so
// GoMLX's norm.BatchNorm layer cannot train on the plain go backend). Native, float32, any
// feature axis: the operand is seen as [outer, C, inner] with C the feature axis.
//
//   - BatchNormForTraining: mean and biased variance over all axes but the feature axis;
//     y = scale*(x-mean)/sqrt(var+eps) + offset.
//   - BatchNormGradient: with xhat = (x-mean)*rstd, N the count per feature:
//     gradOffset = sum(dy), gradScale = sum(dy*xhat),
//     gradOperand = scale*rstd*(dy - gradOffset/N - xhat*gradScale/N).
//   - BatchNormForInference: y = scale*(x-mean)/sqrt(var+eps) + offset.

type bnGeom struct{ outer, C, inner int }

func newBNGeom(s shapes.Shape, axis int) bnGeom {
	g := bnGeom{outer: 1, C: s.Dimensions[axis], inner: 1}
	for i, d := range s.Dimensions {
		if i < axis {
			g.outer *= d
		} else if i > axis {
			g.inner *= d
		}
	}
	return g
}

// parallelRows calls fn(worker, o) for every outer index o, split among the workers.
func (g bnGeom) parallelRows(fn func(worker, o int)) {
	w := min(numWorkers(), g.outer)
	chunk := (g.outer + w - 1) / w
	parallelFor(w, func(start, end int) {
		for wi := start; wi < end; wi++ {
			for o := wi * chunk; o < min(g.outer, (wi+1)*chunk); o++ {
				fn(wi, o)
			}
		}
	})
}

// sums computes per-feature sum(a) and sum(a*b) (b may be nil: sum(a) only) in float64.
func (g bnGeom) sums(a, b []float32) (sa, sab []float64) {
	w := min(numWorkers(), g.outer)
	pa := make([][]float64, w)
	pab := make([][]float64, w)
	for i := range w {
		pa[i] = make([]float64, g.C)
		pab[i] = make([]float64, g.C)
	}
	g.parallelRows(func(wi, o int) {
		accA, accAB := pa[wi], pab[wi]
		base := o * g.C * g.inner
		if g.inner == 1 {
			ra := a[base : base+g.C]
			for c, v := range ra {
				accA[c] += float64(v)
			}
			if b != nil {
				rb := b[base : base+g.C]
				for c, v := range ra {
					accAB[c] += float64(v) * float64(rb[c])
				}
			}
			return
		}
		for c := range g.C {
			ra := a[base+c*g.inner:][:g.inner]
			var s, sb float64
			if b != nil {
				rb := b[base+c*g.inner:][:g.inner]
				for i, v := range ra {
					s += float64(v)
					sb += float64(v) * float64(rb[i])
				}
			} else {
				for _, v := range ra {
					s += float64(v)
				}
			}
			accA[c] += s
			accAB[c] += sb
		}
	})
	sa, sab = pa[0], pab[0]
	for i := 1; i < w; i++ {
		for c := range g.C {
			sa[c] += pa[i][c]
			sab[c] += pab[i][c]
		}
	}
	return
}

// affine writes out = x*mul[c] + add[c].
func (g bnGeom) affine(out, x []float32, mul, add []float32) {
	g.parallelRows(func(_, o int) {
		base := o * g.C * g.inner
		if g.inner == 1 {
			ro, rx := out[base:base+g.C], x[base:base+g.C]
			for c, v := range rx {
				ro[c] = v*mul[c] + add[c]
			}
			return
		}
		for c := range g.C {
			ro, rx := out[base+c*g.inner:][:g.inner], x[base+c*g.inner:][:g.inner]
			m, a := mul[c], add[c]
			for i, v := range rx {
				ro[i] = v*m + a
			}
		}
	})
}

func (f *function) bnNativeOK(x *value, others ...*value) bool {
	if !f.isMain() || x.shape.DType != dtypes.Float32 || x.shape.IsDynamic() {
		return false
	}
	for _, o := range others {
		if o.shape.DType != dtypes.Float32 {
			return false
		}
	}
	return true
}

func asValues(vs ...compute.Value) ([]*value, error) {
	out := make([]*value, len(vs))
	for i, v := range vs {
		w, ok := v.(*value)
		if !ok {
			return nil, errors.Errorf("fastconv: unknown value type %T", v)
		}
		out[i] = w
	}
	return out, nil
}

// BatchNormForTraining implements compute.Function.
func (f *function) BatchNormForTraining(operand, scale, offset compute.Value, epsilon float32, featureAxis int) (compute.Value, compute.Value, compute.Value, error) {
	vs, err := asValues(operand, scale, offset)
	if err != nil {
		return nil, nil, nil, err
	}
	x := vs[0]
	if !f.bnNativeOK(x, vs[1], vs[2]) {
		return nil, nil, nil, errors.Wrapf(compute.ErrNotImplemented, "fastconv: BatchNormForTraining only for float32 in the main function")
	}
	g := newBNGeom(x.shape, featureAxis)
	cShape := shapes.Make(dtypes.Float32, g.C)
	outs := f.b.addCustom("batchnorm", vs, []shapes.Shape{x.shape, cShape, cShape}, func(backend compute.Backend, in []compute.Buffer) ([]compute.Buffer, error) {
		xd, err := float32Data(in[0])
		if err != nil {
			return nil, err
		}
		sd, err := float32Data(in[1])
		if err != nil {
			return nil, err
		}
		od, err := float32Data(in[2])
		if err != nil {
			return nil, err
		}
		yBuf, y, err := newFloat32Buffer(backend, x.shape.Dimensions...)
		if err != nil {
			return nil, err
		}
		mBuf, mean, err := newFloat32Buffer(backend, g.C)
		if err != nil {
			return nil, err
		}
		vBuf, variance, err := newFloat32Buffer(backend, g.C)
		if err != nil {
			return nil, err
		}
		n := float64(g.outer * g.inner)
		s, ss := g.sums(xd, xd)
		mul, add := make([]float32, g.C), make([]float32, g.C)
		for c := range g.C {
			m := s[c] / n
			v := max(ss[c]/n-m*m, 0)
			mean[c], variance[c] = float32(m), float32(v)
			r := 1 / math.Sqrt(v+float64(epsilon))
			mul[c] = float32(float64(sd[c]) * r)
			add[c] = float32(float64(od[c]) - m*float64(sd[c])*r)
		}
		g.affine(y, xd, mul, add)
		return []compute.Buffer{yBuf, mBuf, vBuf}, nil
	})
	return outs[0], outs[1], outs[2], nil
}

// BatchNormForInference implements compute.Function.
func (f *function) BatchNormForInference(operand, scale, offset, mean, variance compute.Value, epsilon float32, featureAxis int) (compute.Value, error) {
	vs, err := asValues(operand, scale, offset, mean, variance)
	if err != nil {
		return nil, err
	}
	x := vs[0]
	if !f.bnNativeOK(x, vs[1:]...) {
		return nil, errors.Wrapf(compute.ErrNotImplemented, "fastconv: BatchNormForInference only for float32 in the main function")
	}
	g := newBNGeom(x.shape, featureAxis)
	outs := f.b.addCustom("batchnorm-inference", vs, []shapes.Shape{x.shape}, func(backend compute.Backend, in []compute.Buffer) ([]compute.Buffer, error) {
		var d [5][]float32
		for i := range d {
			var err error
			if d[i], err = float32Data(in[i]); err != nil {
				return nil, err
			}
		}
		yBuf, y, err := newFloat32Buffer(backend, x.shape.Dimensions...)
		if err != nil {
			return nil, err
		}
		mul, add := make([]float32, g.C), make([]float32, g.C)
		for c := range g.C {
			r := 1 / math.Sqrt(float64(d[4][c])+float64(epsilon))
			mul[c] = float32(float64(d[1][c]) * r)
			add[c] = float32(float64(d[2][c]) - float64(d[3][c])*float64(d[1][c])*r)
		}
		g.affine(y, d[0], mul, add)
		return []compute.Buffer{yBuf}, nil
	})
	return outs[0], nil
}

// BatchNormGradient implements compute.Function.
func (f *function) BatchNormGradient(operand, scale, mean, variance, gradOutput compute.Value, epsilon float32, featureAxis int) (compute.Value, compute.Value, compute.Value, error) {
	vs, err := asValues(operand, scale, mean, variance, gradOutput)
	if err != nil {
		return nil, nil, nil, err
	}
	x := vs[0]
	if !f.bnNativeOK(x, vs[1:]...) {
		return nil, nil, nil, errors.Wrapf(compute.ErrNotImplemented, "fastconv: BatchNormGradient only for float32 in the main function")
	}
	g := newBNGeom(x.shape, featureAxis)
	cShape := shapes.Make(dtypes.Float32, g.C)
	outs := f.b.addCustom("batchnorm-grad", vs, []shapes.Shape{x.shape, cShape, cShape}, func(backend compute.Backend, in []compute.Buffer) ([]compute.Buffer, error) {
		var d [5][]float32
		for i := range d {
			var err error
			if d[i], err = float32Data(in[i]); err != nil {
				return nil, err
			}
		}
		xd, sd, md, vd, dy := d[0], d[1], d[2], d[3], d[4]
		gxBuf, gx, err := newFloat32Buffer(backend, x.shape.Dimensions...)
		if err != nil {
			return nil, err
		}
		gsBuf, gs, err := newFloat32Buffer(backend, g.C)
		if err != nil {
			return nil, err
		}
		goBuf, gof, err := newFloat32Buffer(backend, g.C)
		if err != nil {
			return nil, err
		}
		n := float64(g.outer * g.inner)
		// sum(dy) and sum(dy*x); sum(dy*xhat) = rstd*(sum(dy*x) - mean*sum(dy)).
		sdy, sdyx := g.sums(dy, xd)
		// gradOperand = k1*dy + k2*x + k3 per feature.
		k1, k2, k3 := make([]float32, g.C), make([]float32, g.C), make([]float32, g.C)
		for c := range g.C {
			r := 1 / math.Sqrt(float64(vd[c])+float64(epsilon))
			m := float64(md[c])
			gOff := sdy[c]
			gScale := r * (sdyx[c] - m*sdy[c])
			gof[c], gs[c] = float32(gOff), float32(gScale)
			a := float64(sd[c]) * r
			// a*(dy - gOff/n - (x-m)*r*gScale/n)
			k1[c] = float32(a)
			k2[c] = float32(-a * r * gScale / n)
			k3[c] = float32(-a*gOff/n + a*m*r*gScale/n)
		}
		g.parallelRows(func(_, o int) {
			base := o * g.C * g.inner
			if g.inner == 1 {
				rg, rd, rx := gx[base:base+g.C], dy[base:base+g.C], xd[base:base+g.C]
				for c := range rg {
					rg[c] = k1[c]*rd[c] + k2[c]*rx[c] + k3[c]
				}
				return
			}
			for c := range g.C {
				off := base + c*g.inner
				rg, rd, rx := gx[off:][:g.inner], dy[off:][:g.inner], xd[off:][:g.inner]
				a, b, cc := k1[c], k2[c], k3[c]
				for i := range rg {
					rg[i] = a*rd[i] + b*rx[i] + cc
				}
			}
		})
		return []compute.Buffer{gxBuf, gsBuf, goBuf}, nil
	})
	return outs[0], outs[1], outs[2], nil
}
