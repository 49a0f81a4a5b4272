//go:build goexperiment.simd

package fastconv

import (
	"simd/archsimd"
	"unsafe"
)

var useAVX512 = archsimd.X86.AVX512()

// microKernel: c[cRows[r]+j] (=, +=) sum_{k<kc} a[rows[r]+k*aStrideK] * b[bOff+k*ldb+j], r < 4, j < 32.
func microKernel(a []float32, rows *[gemmMr]int, aStrideK int, b []float32, bOff, ldb, kc int, c []float32, cRows *[gemmMr]int, accumulate bool) {
	if !useAVX512 {
		microKernelGo(a, rows, aStrideK, b, bOff, ldb, kc, c, cRows, accumulate)
		return
	}
	// Bounds checks once, then unchecked pointer arithmetic.
	for r := range gemmMr {
		_ = a[rows[r]+(kc-1)*aStrideK]
		_ = c[cRows[r]+gemmNr-1]
	}
	_ = b[bOff+(kc-1)*ldb+gemmNr-1]
	p0 := unsafe.Pointer(&a[rows[0]])
	p1 := unsafe.Pointer(&a[rows[1]])
	p2 := unsafe.Pointer(&a[rows[2]])
	p3 := unsafe.Pointer(&a[rows[3]])
	bp := unsafe.Pointer(&b[bOff])
	bStride := uintptr(ldb) * 4
	aStride := uintptr(aStrideK) * 4
	var c00, c01, c10, c11, c20, c21, c30, c31 archsimd.Float32x16
	// Pointers are formed from in-bounds offsets of the base pointers on every iteration: a
	// pointer advanced past the last element could point into a free span when the GC scans
	// the stack, which the runtime reports as "found bad pointer in Go heap".
	for k := 0; k < kc; k++ {
		bo := uintptr(k) * bStride
		ao := uintptr(k) * aStride
		b0 := archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(bp, bo)))
		b1 := archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(bp, bo+64)))
		a0 := archsimd.BroadcastFloat32x16(*(*float32)(unsafe.Add(p0, ao)))
		c00 = a0.MulAdd(b0, c00)
		c01 = a0.MulAdd(b1, c01)
		a1 := archsimd.BroadcastFloat32x16(*(*float32)(unsafe.Add(p1, ao)))
		c10 = a1.MulAdd(b0, c10)
		c11 = a1.MulAdd(b1, c11)
		a2 := archsimd.BroadcastFloat32x16(*(*float32)(unsafe.Add(p2, ao)))
		c20 = a2.MulAdd(b0, c20)
		c21 = a2.MulAdd(b1, c21)
		a3 := archsimd.BroadcastFloat32x16(*(*float32)(unsafe.Add(p3, ao)))
		c30 = a3.MulAdd(b0, c30)
		c31 = a3.MulAdd(b1, c31)
	}
	store2(c, cRows[0], c00, c01, accumulate)
	store2(c, cRows[1], c10, c11, accumulate)
	store2(c, cRows[2], c20, c21, accumulate)
	store2(c, cRows[3], c30, c31, accumulate)
}

func store2(c []float32, off int, v0, v1 archsimd.Float32x16, accumulate bool) {
	p := (*[16]float32)(unsafe.Pointer(&c[off]))
	q := (*[16]float32)(unsafe.Pointer(&c[off+16]))
	if accumulate {
		v0 = v0.Add(archsimd.LoadFloat32x16(p))
		v1 = v1.Add(archsimd.LoadFloat32x16(q))
	}
	v0.Store(p)
	v1.Store(q)
}
