//go:build goexperiment.simd

package fastconv

import (
	"simd/archsimd"
	"unsafe"
)

var useAVX512 = archsimd.X86.AVX512()

// microKernel computes tile[r][j] = sum_{k<kc} a[rows[r]+k] * panel[k*32+j] for r < 4, j < 32.
func microKernel(a []float32, rows *[gemmMr]int, panel []float32, kc int, tile *[gemmMr * gemmNr]float32) {
	if !useAVX512 {
		microKernelGo(a, rows, panel, kc, tile)
		return
	}
	// Bounds checks once, then unchecked pointer arithmetic.
	for r := range gemmMr {
		_ = a[rows[r]+kc-1]
	}
	_ = panel[kc*gemmNr-1]
	p0 := unsafe.Pointer(&a[rows[0]])
	p1 := unsafe.Pointer(&a[rows[1]])
	p2 := unsafe.Pointer(&a[rows[2]])
	p3 := unsafe.Pointer(&a[rows[3]])
	bp := unsafe.Pointer(&panel[0])
	var c00, c01, c10, c11, c20, c21, c30, c31 archsimd.Float32x16
	for k := 0; k < kc; k++ {
		off := uintptr(k) * 4
		b0 := archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(bp, off*32)))
		b1 := archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(bp, off*32+64)))
		a0 := archsimd.BroadcastFloat32x16(*(*float32)(unsafe.Add(p0, off)))
		c00 = a0.MulAdd(b0, c00)
		c01 = a0.MulAdd(b1, c01)
		a1 := archsimd.BroadcastFloat32x16(*(*float32)(unsafe.Add(p1, off)))
		c10 = a1.MulAdd(b0, c10)
		c11 = a1.MulAdd(b1, c11)
		a2 := archsimd.BroadcastFloat32x16(*(*float32)(unsafe.Add(p2, off)))
		c20 = a2.MulAdd(b0, c20)
		c21 = a2.MulAdd(b1, c21)
		a3 := archsimd.BroadcastFloat32x16(*(*float32)(unsafe.Add(p3, off)))
		c30 = a3.MulAdd(b0, c30)
		c31 = a3.MulAdd(b1, c31)
	}
	t := unsafe.Pointer(&tile[0])
	c00.Store((*[16]float32)(unsafe.Add(t, 0*128)))
	c01.Store((*[16]float32)(unsafe.Add(t, 0*128+64)))
	c10.Store((*[16]float32)(unsafe.Add(t, 1*128)))
	c11.Store((*[16]float32)(unsafe.Add(t, 1*128+64)))
	c20.Store((*[16]float32)(unsafe.Add(t, 2*128)))
	c21.Store((*[16]float32)(unsafe.Add(t, 2*128+64)))
	c30.Store((*[16]float32)(unsafe.Add(t, 3*128)))
	c31.Store((*[16]float32)(unsafe.Add(t, 3*128+64)))
}
