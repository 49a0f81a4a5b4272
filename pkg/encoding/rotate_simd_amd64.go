//go:build goexperiment.simd

package encoding

import "simd/archsimd"

// useAVX512 selects the AVX-512 sweep kernel (GOEXPERIMENT=simd builds on CPUs with AVX-512),
// useAVX2 the 4-lane one.
var (
	useAVX512 = archsimd.X86.AVX512()
	useAVX2   = archsimd.X86.AVX2()
)

// sweepPanel applies one QL sweep to a panel (see sweepPanelScalar), the carried row in
// two 8-lane (AVX-512) or four 4-lane (AVX2) registers; separate multiplies and adds, as
// the scalar loop: the same bits.
func sweepPanel(p []float64, top int, cs []float64) {
	switch {
	case useAVX512:
		sweepPanelAVX512(p, top, cs)
	case useAVX2:
		sweepPanelAVX2(p, top, cs)
	default:
		sweepPanelScalar(p, top, cs)
	}
}

func sweepPanelAVX2(p []float64, top int, cs []float64) {
	y := (*[qlPanel]float64)(p[(top+1)*qlPanel : (top+2)*qlPanel])
	k0 := archsimd.LoadFloat64x4((*[4]float64)(y[0:4]))
	k1 := archsimd.LoadFloat64x4((*[4]float64)(y[4:8]))
	k2 := archsimd.LoadFloat64x4((*[4]float64)(y[8:12]))
	k3 := archsimd.LoadFloat64x4((*[4]float64)(y[12:16]))
	i := top
	for j := 0; j+1 < len(cs); j += 2 {
		cv, sv := archsimd.BroadcastFloat64x4(cs[j]), archsimd.BroadcastFloat64x4(cs[j+1])
		x := (*[qlPanel]float64)(p[i*qlPanel : (i+1)*qlPanel])
		// One vector at a time, so that few registers are live (Go spills otherwise).
		x0 := archsimd.LoadFloat64x4((*[4]float64)(x[0:4]))
		sv.Mul(x0).Add(cv.Mul(k0)).Store((*[4]float64)(y[0:4]))
		k0 = cv.Mul(x0).Sub(sv.Mul(k0))
		x1 := archsimd.LoadFloat64x4((*[4]float64)(x[4:8]))
		sv.Mul(x1).Add(cv.Mul(k1)).Store((*[4]float64)(y[4:8]))
		k1 = cv.Mul(x1).Sub(sv.Mul(k1))
		x2 := archsimd.LoadFloat64x4((*[4]float64)(x[8:12]))
		sv.Mul(x2).Add(cv.Mul(k2)).Store((*[4]float64)(y[8:12]))
		k2 = cv.Mul(x2).Sub(sv.Mul(k2))
		x3 := archsimd.LoadFloat64x4((*[4]float64)(x[12:16]))
		sv.Mul(x3).Add(cv.Mul(k3)).Store((*[4]float64)(y[12:16]))
		k3 = cv.Mul(x3).Sub(sv.Mul(k3))
		y = x
		i--
	}
	k0.Store((*[4]float64)(y[0:4]))
	k1.Store((*[4]float64)(y[4:8]))
	k2.Store((*[4]float64)(y[8:12]))
	k3.Store((*[4]float64)(y[12:16]))
	archsimd.ClearAVXUpperBits() // the scalar QL code that follows runs slowly behind dirty uppers
}

func sweepPanelAVX512(p []float64, top int, cs []float64) {
	y := (*[qlPanel]float64)(p[(top+1)*qlPanel : (top+2)*qlPanel])
	k0 := archsimd.LoadFloat64x8((*[8]float64)(y[0:8]))
	k1 := archsimd.LoadFloat64x8((*[8]float64)(y[8:16]))
	i := top
	for j := 0; j+1 < len(cs); j += 2 {
		cv, sv := archsimd.BroadcastFloat64x8(cs[j]), archsimd.BroadcastFloat64x8(cs[j+1])
		x := (*[qlPanel]float64)(p[i*qlPanel : (i+1)*qlPanel])
		x0 := archsimd.LoadFloat64x8((*[8]float64)(x[0:8]))
		sv.Mul(x0).Add(cv.Mul(k0)).Store((*[8]float64)(y[0:8]))
		k0 = cv.Mul(x0).Sub(sv.Mul(k0))
		x1 := archsimd.LoadFloat64x8((*[8]float64)(x[8:16]))
		sv.Mul(x1).Add(cv.Mul(k1)).Store((*[8]float64)(y[8:16]))
		k1 = cv.Mul(x1).Sub(sv.Mul(k1))
		y = x
		i--
	}
	k0.Store((*[8]float64)(y[0:8]))
	k1.Store((*[8]float64)(y[8:16]))
	archsimd.ClearAVXUpperBits()
}

// dotAxpy returns sum_k x[k] v[k] and adds alpha x to y (len(v), len(y) >= len(x)), 8 values
// per step with AVX2 (two 4-lane partial sums) and the scalar loop on other CPUs and the tail;
// separate multiplies and adds in dotAxpyScalar's order: the same bits.
func dotAxpy(x, v, y []float64, alpha float64) float64 {
	if !useAVX2 || len(x) < 8 {
		return dotAxpyScalar(x, v, y, alpha)
	}
	v, y = v[:len(x)], y[:len(x)]
	av := archsimd.BroadcastFloat64x4(alpha)
	var s0, s1 archsimd.Float64x4
	k := 0
	for ; k+8 <= len(x); k += 8 {
		xs, vs, ys := (*[8]float64)(x[k:k+8]), (*[8]float64)(v[k:k+8]), (*[8]float64)(y[k:k+8])
		x0 := archsimd.LoadFloat64x4((*[4]float64)(xs[0:4]))
		x1 := archsimd.LoadFloat64x4((*[4]float64)(xs[4:8]))
		s0 = s0.Add(x0.Mul(archsimd.LoadFloat64x4((*[4]float64)(vs[0:4]))))
		s1 = s1.Add(x1.Mul(archsimd.LoadFloat64x4((*[4]float64)(vs[4:8]))))
		archsimd.LoadFloat64x4((*[4]float64)(ys[0:4])).Add(av.Mul(x0)).Store((*[4]float64)(ys[0:4]))
		archsimd.LoadFloat64x4((*[4]float64)(ys[4:8])).Add(av.Mul(x1)).Store((*[4]float64)(ys[4:8]))
	}
	var sum [4]float64
	s0.Add(s1).Store(&sum)
	archsimd.ClearAVXUpperBits()
	return (sum[0] + sum[1]) + (sum[2] + sum[3]) + dotAxpyScalar(x[k:], v[k:], y[k:], alpha)
}
