//go:build goexperiment.simd && amd64

package kernels

import (
	"math"
	"simd/archsimd"
	"unsafe"

	"golang.org/x/sys/cpu"
)

// useExpFMA mirrors math's choice of math.Exp's assembly path on amd64 (math/exp_amd64.go:
// useFMA = AVX && FMA); the vector exp reproduces only that path.
var useExpFMA = cpu.X86.HasAVX && cpu.X86.HasFMA && cpu.X86.HasAVX2

// expC holds the constants of math.Exp's assembly (math/exp_amd64.s) broadcast to four lanes.
var expC struct {
	log2e, ln2u, ln2l, sixteenth, two, one, limit, magic archsimd.Float64x4
	taylor                                               [8]archsimd.Float64x4 // 1/8! ... 1/3!, 1/2, 1
}

func init() {
	if !useExpFMA {
		return
	}
	b := archsimd.BroadcastFloat64x4
	expC.log2e = b(1.4426950408889634073599246810018920)
	expC.ln2u = b(0.69314718055966295651160180568695068359375)
	expC.ln2l = b(0.28235290563031577122588448175013436025525412068e-12)
	expC.sixteenth, expC.two, expC.one = b(0.0625), b(2.0), b(1.0)
	expC.limit = b(700)
	expC.magic = b(6755399441055744.0) // 2^52 + 2^51: adding it puts a small integer in the low bits
	for i, v := range []float64{2.4801587301587301587e-5, 1.9841269841269841270e-4, 1.3888888888888888889e-3,
		8.3333333333333333333e-3, 4.1666666666666666667e-2, 1.6666666666666666667e-1, 0.5, 1.0} {
		expC.taylor[i] = b(v)
	}
}

// expF32 sets out[i] = float32(math.Exp(float64(x[i]))), bitwise (test): four lanes at a time
// for |x| <= 700 (every float32 whose exp is finite and normal in float64) on machines where
// math.Exp takes its FMA path, replaying that path's operations (argument reduction by
// round(x log2 e) ln 2 in two fused steps, /16, a fused Taylor polynomial, four squarings of
// (1 + y) written as y (y + 2), a final fused + 1, times 2^k); other lanes with math.Exp.
func expF32(out, x []float32) {
	x = x[:len(out)]
	i := 0
	if useExpFMA && !compilerFusesFMA {
		for ; i+4 <= len(out); i += 4 {
			v := archsimd.LoadFloat32x4((*[4]float32)(unsafe.Pointer(&x[i]))).ConvertToFloat64()
			r, in := exp64x4(v)
			rv := r.ConvertToFloat32()
			if in == 0xF {
				rv.Store((*[4]float32)(unsafe.Pointer(&out[i])))
				continue
			}
			storeFixingLanes(out[i:i+4], x[i:i+4], rv, in, math.Exp)
		}
		archsimd.ClearAVXUpperBits()
	}
	mathF32(out[i:], x[i:], math.Exp)
}

// exp64x4 is math.Exp (FMA path) of the lanes with |x| <= 700, marked in the bits of in.
func exp64x4(x archsimd.Float64x4) (archsimd.Float64x4, uint8) {
	c := &expC
	abs := x.AsUint64x4().AndNot(archsimd.BroadcastUint64x4(1 << 63)).AsFloat64x4()
	in := abs.LessEqual(c.limit).ToBits()
	k := c.log2e.Mul(x).RoundToEven() // CVTSD2SL, CVTSL2SD
	nk := k.AsUint64x4().Xor(archsimd.BroadcastUint64x4(1 << 63)).AsFloat64x4()
	r := nk.MulAdd(c.ln2u, x) // VFNMADD231SD: x - k ln2u, fused
	r = nk.MulAdd(c.ln2l, r)
	r = r.Mul(c.sixteenth)
	p := c.taylor[0]
	for j := 1; j < 8; j++ {
		p = p.MulAdd(r, c.taylor[j]) // VFMADD213SD: p*r + c
	}
	y := r.Mul(p)
	y = y.Mul(y.Add(c.two))
	y = y.Mul(y.Add(c.two))
	y = y.Mul(y.Add(c.two))
	y = y.MulAdd(y.Add(c.two), c.one) // VFMADD213SD 1.0: y*(y+2) + 1, fused
	// times 2^k: k + 2^52 + 2^51 holds k in its low bits.
	kb := k.Add(c.magic).AsUint64x4().Sub(c.magic.AsUint64x4())
	scale := kb.Add(archsimd.BroadcastUint64x4(0x3FF)).ShiftAllLeft(52).AsFloat64x4()
	return y.Mul(scale), in
}
