//go:build goexperiment.simd && amd64

package kernels

import (
	"math"
	"simd/archsimd"
	"unsafe"
)

// erfF32 sets out[i] = float32(math.Erf(float64(x[i]))), bitwise (test), four lanes at a time
// for |x| in [2^-28, 1.25) (the two rational approximations of math.Erf that need no exp,
// evaluated with math.Erf's constants in its order of operations; about 90% of GELU arguments),
// other lanes with math.Erf. Not under GOAMD64=v3 and above, where the compiler may
// fuse math.Erf's multiply-adds and the separate vector operations would round differently.
func erfF32(out, x []float32) {
	x = x[:len(out)]
	i := 0
	if !compilerFusesFMA && (useAVX2 || useAVX512) {
		for ; i+4 <= len(out); i += 4 {
			v := archsimd.LoadFloat32x4((*[4]float32)(unsafe.Pointer(&x[i]))).ConvertToFloat64()
			r, in := erf64x4(v)
			rv := r.ConvertToFloat32()
			if in == 0xF {
				rv.Store((*[4]float32)(unsafe.Pointer(&out[i])))
				continue
			}
			storeFixingLanes(out[i:i+4], x[i:i+4], rv, in, math.Erf)
		}
		archsimd.ClearAVXUpperBits()
	}
	mathF32(out[i:], x[i:], math.Erf)
}

// storeFixingLanes stores the four vector results rv in out, except for the lanes not marked in
// the bits of in, which get float32(f(float64(x))) instead. x is read before out is written (out
// may be x), and f, scalar SSE code, runs after VZEROUPPER (ClearAVXUpperBits keeps rv's 128
// bits; with dirty upper halves each SSE instruction paid a state transition, ~10x here).
func storeFixingLanes(out, x []float32, rv archsimd.Float32x4, in uint8, f func(float64) float64) {
	var fix [4]float32
	archsimd.ClearAVXUpperBits()
	for j := range 4 {
		if in&(1<<j) == 0 {
			fix[j] = float32(f(float64(x[j])))
		}
	}
	rv.Store((*[4]float32)(unsafe.Pointer(&out[0])))
	for j := range 4 {
		if in&(1<<j) == 0 {
			out[j] = fix[j]
		}
	}
}

// erfC holds math.Erf's constants broadcast to four lanes (set by init on AVX2 machines).
var erfC struct {
	pp, qq        [6]archsimd.Float64x4 // pp0..pp4; qq1..qq5 at 1..5
	pa, qa        [7]archsimd.Float64x4 // pa0..pa6; qa1..qa6 at 1..6
	one, erx      archsimd.Float64x4
	small, c125   archsimd.Float64x4
	c084, signBit archsimd.Float64x4
}

func init() {
	if !(useAVX2 || useAVX512) {
		return
	}
	b := archsimd.BroadcastFloat64x4
	for i, v := range []float64{1.28379167095512558561e-01, -3.25042107247001499370e-01, -2.84817495755985104766e-02,
		-5.77027029648944159157e-03, -2.37630166566501626084e-05} {
		erfC.pp[i] = b(v)
	}
	for i, v := range []float64{3.97917223959155352819e-01, 6.50222499887672944485e-02, 5.08130628187576562776e-03,
		1.32494738004321644526e-04, -3.96022827877536812320e-06} {
		erfC.qq[i+1] = b(v)
	}
	for i, v := range []float64{-2.36211856075265944077e-03, 4.14856118683748331666e-01, -3.72207876035701323847e-01,
		3.18346619901161753674e-01, -1.10894694282396677476e-01, 3.54783043256182359371e-02, -2.16637559486879084300e-03} {
		erfC.pa[i] = b(v)
	}
	for i, v := range []float64{1.06420880400844228286e-01, 5.40397917702171048937e-01, 7.18286544141962662868e-02,
		1.26171219808761642112e-01, 1.36370839120290507362e-02, 1.19844998467991074170e-02} {
		erfC.qa[i+1] = b(v)
	}
	erfC.one, erfC.erx = b(1), b(8.45062911510467529297e-01)
	erfC.small, erfC.c125, erfC.c084 = b(1.0/(1<<28)), b(1.25), b(0.84375)
	erfC.signBit = archsimd.BroadcastUint64x4(1 << 63).AsFloat64x4()
}

// erf64x4 is math.Erf of four lanes (constants of math/erf.go, its order of operations) for
// the lanes whose |x| is in [2^-28, 1.25), marked in the bits of in (other lanes: garbage).
func erf64x4(x archsimd.Float64x4) (archsimd.Float64x4, uint8) {
	c := &erfC
	bits := x.AsUint64x4()
	signBit := c.signBit.AsUint64x4()
	sign := bits.And(signBit)
	a := bits.AndNot(signBit).AsFloat64x4() // |x|
	in := a.GreaterEqual(c.small).And(a.Less(c.c125)).ToBits()
	// |x| < 0.84375: x + x*(r/s), r and s polynomials in z = x*x.
	z := a.Mul(a)
	r := c.pp[0].Add(z.Mul(c.pp[1].Add(z.Mul(c.pp[2].Add(z.Mul(c.pp[3].Add(z.Mul(c.pp[4]))))))))
	s := c.one.Add(z.Mul(c.qq[1].Add(z.Mul(c.qq[2].Add(z.Mul(c.qq[3].Add(z.Mul(c.qq[4].Add(z.Mul(c.qq[5]))))))))))
	low := a.Add(a.Mul(r.Div(s)))
	// 0.84375 <= |x| < 1.25: erx + P/Q, P and Q polynomials in t = |x| - 1.
	t := a.Sub(c.one)
	p := c.pa[0].Add(t.Mul(c.pa[1].Add(t.Mul(c.pa[2].Add(t.Mul(c.pa[3].Add(t.Mul(c.pa[4].Add(t.Mul(c.pa[5].Add(t.Mul(c.pa[6]))))))))))))
	q := c.one.Add(t.Mul(c.qa[1].Add(t.Mul(c.qa[2].Add(t.Mul(c.qa[3].Add(t.Mul(c.qa[4].Add(t.Mul(c.qa[5].Add(t.Mul(c.qa[6]))))))))))))
	mid := c.erx.Add(p.Div(q))
	res := low.Merge(mid, a.Less(c.c084))
	// math.Erf negates the result for negative x (-erx - P/Q rounds as -(erx + P/Q)).
	return res.AsUint64x4().Xor(sign).AsFloat64x4(), in
}
