//go:build goexperiment.simd

package encoding

import "simd/archsimd"

// useAVX512 selects the AVX-512 rotation kernel (GOEXPERIMENT=simd builds on CPUs with AVX-512),
// useAVX2 the 4-lane one.
var (
	useAVX512 = archsimd.X86.AVX512()
	useAVX2   = archsimd.X86.AVX2()
)

// rotateRows applies (x, y) <- (c x - s y, s x + c y) elementwise, 8 lanes at a time with
// AVX-512, 4 with AVX2 (separate multiplies and adds, as the scalar loop: the same bits).
func rotateRows(x, y []float64, c, s float64) {
	if !useAVX512 {
		if useAVX2 && len(x) >= 4 {
			rotateRowsAVX2(x, y, c, s)
			return
		}
		rotateRowsScalar(x, y, c, s)
		return
	}
	if len(x) < 8 {
		rotateRowsScalar(x, y, c, s)
		return
	}
	y = y[:len(x)]
	cv, sv := archsimd.BroadcastFloat64x8(c), archsimd.BroadcastFloat64x8(s)
	k := 0
	for ; k+8 <= len(x); k += 8 {
		xp, yp := (*[8]float64)(x[k:k+8]), (*[8]float64)(y[k:k+8])
		xv, yv := archsimd.LoadFloat64x8(xp), archsimd.LoadFloat64x8(yp)
		sv.Mul(xv).Add(cv.Mul(yv)).Store(yp)
		cv.Mul(xv).Sub(sv.Mul(yv)).Store(xp)
	}
	rotateRowsScalar(x[k:], y[k:], c, s)
}

func rotateRowsAVX2(x, y []float64, c, s float64) {
	y = y[:len(x)]
	cv, sv := archsimd.BroadcastFloat64x4(c), archsimd.BroadcastFloat64x4(s)
	k := 0
	for ; k+4 <= len(x); k += 4 {
		xp, yp := (*[4]float64)(x[k:k+4]), (*[4]float64)(y[k:k+4])
		xv, yv := archsimd.LoadFloat64x4(xp), archsimd.LoadFloat64x4(yp)
		sv.Mul(xv).Add(cv.Mul(yv)).Store(yp)
		cv.Mul(xv).Sub(sv.Mul(yv)).Store(xp)
	}
	rotateRowsScalar(x[k:], y[k:], c, s)
}
