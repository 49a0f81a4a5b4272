//go:build goexperiment.simd

package gemm

import (
	"simd/archsimd"
	"unsafe"
)

// SIMD intrinsics micro-kernels (see kernel), used where the assembly kernels are masked or
// forced off (select.go): AVX-512 (4 x 32 float32, 4 x 16 float64), or AVX2 with FMA (4 x 16
// float32, so that the 16- and 48-channel layers of the small networks fill their panels;
// 4 x 16 float64 as two halves).
//
// Pointers are formed from in-bounds offsets of the base pointers on every iteration: a pointer
// advanced past the last element could point into a free span when the GC scans the stack, which
// the runtime reports as "found bad pointer in Go heap". Bounds are checked once per call.

// simdSets returns the intrinsics kernels this CPU runs, fastest first.
func simdSets() []kernelSet {
	var sets []kernelSet
	if archsimd.X86.AVX512() {
		sets = append(sets, kernelSet{name: "avx512-simd", f32: microF32AVX512, nr32: nr32, f64: microF64AVX512})
	}
	if archsimd.X86.AVX2() && archsimd.X86.FMA() {
		sets = append(sets, kernelSet{name: "avx2-simd", f32: microF32AVX2, nr32: 16, f64: microF64AVX2})
	}
	return sets
}

// checkBounds panics unless every element the kernel reads or writes is in range.
func checkBounds[T float](nr int, a []T, rows *[mr]int, aStrideK int, b []T, bOff, ldb, kc int, c []T, cRows *[mr]int) {
	for r := range mr {
		_ = a[rows[r]+(kc-1)*aStrideK]
		_ = c[cRows[r]+nr-1]
	}
	_ = b[bOff+(kc-1)*ldb+nr-1]
}

func microF32AVX512(a []float32, rows *[mr]int, aStrideK int, b []float32, bOff, ldb, kc int, c []float32, cRows *[mr]int, accumulate bool) {
	checkBounds(nr32, a, rows, aStrideK, b, bOff, ldb, kc, c, cRows)
	p0 := unsafe.Pointer(&a[rows[0]])
	p1 := unsafe.Pointer(&a[rows[1]])
	p2 := unsafe.Pointer(&a[rows[2]])
	p3 := unsafe.Pointer(&a[rows[3]])
	bp := unsafe.Pointer(&b[bOff])
	bStride := uintptr(ldb) * 4
	aStride := uintptr(aStrideK) * 4
	var c00, c01, c10, c11, c20, c21, c30, c31 archsimd.Float32x16
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
	storeF32x16(c, cRows[0], c00, c01, accumulate)
	storeF32x16(c, cRows[1], c10, c11, accumulate)
	storeF32x16(c, cRows[2], c20, c21, accumulate)
	storeF32x16(c, cRows[3], c30, c31, accumulate)
}

func storeF32x16(c []float32, off int, v0, v1 archsimd.Float32x16, accumulate bool) {
	p := (*[16]float32)(unsafe.Pointer(&c[off]))
	q := (*[16]float32)(unsafe.Pointer(&c[off+16]))
	if accumulate {
		v0 = v0.Add(archsimd.LoadFloat32x16(p))
		v1 = v1.Add(archsimd.LoadFloat32x16(q))
	}
	v0.Store(p)
	v1.Store(q)
}

func microF64AVX512(a []float64, rows *[mr]int, aStrideK int, b []float64, bOff, ldb, kc int, c []float64, cRows *[mr]int, accumulate bool) {
	checkBounds(nr64, a, rows, aStrideK, b, bOff, ldb, kc, c, cRows)
	p0 := unsafe.Pointer(&a[rows[0]])
	p1 := unsafe.Pointer(&a[rows[1]])
	p2 := unsafe.Pointer(&a[rows[2]])
	p3 := unsafe.Pointer(&a[rows[3]])
	bp := unsafe.Pointer(&b[bOff])
	bStride := uintptr(ldb) * 8
	aStride := uintptr(aStrideK) * 8
	var c00, c01, c10, c11, c20, c21, c30, c31 archsimd.Float64x8
	for k := 0; k < kc; k++ {
		bo := uintptr(k) * bStride
		ao := uintptr(k) * aStride
		b0 := archsimd.LoadFloat64x8((*[8]float64)(unsafe.Add(bp, bo)))
		b1 := archsimd.LoadFloat64x8((*[8]float64)(unsafe.Add(bp, bo+64)))
		a0 := archsimd.BroadcastFloat64x8(*(*float64)(unsafe.Add(p0, ao)))
		c00 = a0.MulAdd(b0, c00)
		c01 = a0.MulAdd(b1, c01)
		a1 := archsimd.BroadcastFloat64x8(*(*float64)(unsafe.Add(p1, ao)))
		c10 = a1.MulAdd(b0, c10)
		c11 = a1.MulAdd(b1, c11)
		a2 := archsimd.BroadcastFloat64x8(*(*float64)(unsafe.Add(p2, ao)))
		c20 = a2.MulAdd(b0, c20)
		c21 = a2.MulAdd(b1, c21)
		a3 := archsimd.BroadcastFloat64x8(*(*float64)(unsafe.Add(p3, ao)))
		c30 = a3.MulAdd(b0, c30)
		c31 = a3.MulAdd(b1, c31)
	}
	storeF64x8(c, cRows[0], c00, c01, accumulate)
	storeF64x8(c, cRows[1], c10, c11, accumulate)
	storeF64x8(c, cRows[2], c20, c21, accumulate)
	storeF64x8(c, cRows[3], c30, c31, accumulate)
}

func storeF64x8(c []float64, off int, v0, v1 archsimd.Float64x8, accumulate bool) {
	p := (*[8]float64)(unsafe.Pointer(&c[off]))
	q := (*[8]float64)(unsafe.Pointer(&c[off+8]))
	if accumulate {
		v0 = v0.Add(archsimd.LoadFloat64x8(p))
		v1 = v1.Add(archsimd.LoadFloat64x8(q))
	}
	v0.Store(p)
	v1.Store(q)
}

// microF32AVX2 is the 4 x 16 float32 kernel.
func microF32AVX2(a []float32, rows *[mr]int, aStrideK int, b []float32, bOff, ldb, kc int, c []float32, cRows *[mr]int, accumulate bool) {
	checkBounds(16, a, rows, aStrideK, b, bOff, ldb, kc, c, cRows)
	f32AVX2Half(a, rows, aStrideK, b, bOff, ldb, kc, c, cRows, 0, accumulate)
}

// f32AVX2Half computes columns [col, col+16) of a 4-row tile (bounds checked by the caller).
func f32AVX2Half(a []float32, rows *[mr]int, aStrideK int, b []float32, bOff, ldb, kc int, c []float32, cRows *[mr]int, col int, accumulate bool) {
	p0 := unsafe.Pointer(&a[rows[0]])
	p1 := unsafe.Pointer(&a[rows[1]])
	p2 := unsafe.Pointer(&a[rows[2]])
	p3 := unsafe.Pointer(&a[rows[3]])
	bp := unsafe.Pointer(&b[bOff+col])
	bStride := uintptr(ldb) * 4
	aStride := uintptr(aStrideK) * 4
	var c00, c01, c10, c11, c20, c21, c30, c31 archsimd.Float32x8
	for k := 0; k < kc; k++ {
		bo := uintptr(k) * bStride
		ao := uintptr(k) * aStride
		b0 := archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(bp, bo)))
		b1 := archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(bp, bo+32)))
		a0 := archsimd.BroadcastFloat32x8(*(*float32)(unsafe.Add(p0, ao)))
		c00 = a0.MulAdd(b0, c00)
		c01 = a0.MulAdd(b1, c01)
		a1 := archsimd.BroadcastFloat32x8(*(*float32)(unsafe.Add(p1, ao)))
		c10 = a1.MulAdd(b0, c10)
		c11 = a1.MulAdd(b1, c11)
		a2 := archsimd.BroadcastFloat32x8(*(*float32)(unsafe.Add(p2, ao)))
		c20 = a2.MulAdd(b0, c20)
		c21 = a2.MulAdd(b1, c21)
		a3 := archsimd.BroadcastFloat32x8(*(*float32)(unsafe.Add(p3, ao)))
		c30 = a3.MulAdd(b0, c30)
		c31 = a3.MulAdd(b1, c31)
	}
	storeF32x8(c, cRows[0]+col, c00, c01, accumulate)
	storeF32x8(c, cRows[1]+col, c10, c11, accumulate)
	storeF32x8(c, cRows[2]+col, c20, c21, accumulate)
	storeF32x8(c, cRows[3]+col, c30, c31, accumulate)
}

func storeF32x8(c []float32, off int, v0, v1 archsimd.Float32x8, accumulate bool) {
	p := (*[8]float32)(unsafe.Pointer(&c[off]))
	q := (*[8]float32)(unsafe.Pointer(&c[off+8]))
	if accumulate {
		v0 = v0.Add(archsimd.LoadFloat32x8(p))
		v1 = v1.Add(archsimd.LoadFloat32x8(q))
	}
	v0.Store(p)
	v1.Store(q)
}

func microF64AVX2(a []float64, rows *[mr]int, aStrideK int, b []float64, bOff, ldb, kc int, c []float64, cRows *[mr]int, accumulate bool) {
	checkBounds(nr64, a, rows, aStrideK, b, bOff, ldb, kc, c, cRows)
	f64AVX2Half(a, rows, aStrideK, b, bOff, ldb, kc, c, cRows, 0, accumulate)
	f64AVX2Half(a, rows, aStrideK, b, bOff, ldb, kc, c, cRows, 8, accumulate)
}

// f64AVX2Half computes columns [col, col+8) of the 4 x 16 tile (bounds checked by the caller).
func f64AVX2Half(a []float64, rows *[mr]int, aStrideK int, b []float64, bOff, ldb, kc int, c []float64, cRows *[mr]int, col int, accumulate bool) {
	p0 := unsafe.Pointer(&a[rows[0]])
	p1 := unsafe.Pointer(&a[rows[1]])
	p2 := unsafe.Pointer(&a[rows[2]])
	p3 := unsafe.Pointer(&a[rows[3]])
	bp := unsafe.Pointer(&b[bOff+col])
	bStride := uintptr(ldb) * 8
	aStride := uintptr(aStrideK) * 8
	var c00, c01, c10, c11, c20, c21, c30, c31 archsimd.Float64x4
	for k := 0; k < kc; k++ {
		bo := uintptr(k) * bStride
		ao := uintptr(k) * aStride
		b0 := archsimd.LoadFloat64x4((*[4]float64)(unsafe.Add(bp, bo)))
		b1 := archsimd.LoadFloat64x4((*[4]float64)(unsafe.Add(bp, bo+32)))
		a0 := archsimd.BroadcastFloat64x4(*(*float64)(unsafe.Add(p0, ao)))
		c00 = a0.MulAdd(b0, c00)
		c01 = a0.MulAdd(b1, c01)
		a1 := archsimd.BroadcastFloat64x4(*(*float64)(unsafe.Add(p1, ao)))
		c10 = a1.MulAdd(b0, c10)
		c11 = a1.MulAdd(b1, c11)
		a2 := archsimd.BroadcastFloat64x4(*(*float64)(unsafe.Add(p2, ao)))
		c20 = a2.MulAdd(b0, c20)
		c21 = a2.MulAdd(b1, c21)
		a3 := archsimd.BroadcastFloat64x4(*(*float64)(unsafe.Add(p3, ao)))
		c30 = a3.MulAdd(b0, c30)
		c31 = a3.MulAdd(b1, c31)
	}
	storeF64x4(c, cRows[0]+col, c00, c01, accumulate)
	storeF64x4(c, cRows[1]+col, c10, c11, accumulate)
	storeF64x4(c, cRows[2]+col, c20, c21, accumulate)
	storeF64x4(c, cRows[3]+col, c30, c31, accumulate)
}

func storeF64x4(c []float64, off int, v0, v1 archsimd.Float64x4, accumulate bool) {
	p := (*[4]float64)(unsafe.Pointer(&c[off]))
	q := (*[4]float64)(unsafe.Pointer(&c[off+4]))
	if accumulate {
		v0 = v0.Add(archsimd.LoadFloat64x4(p))
		v1 = v1.Add(archsimd.LoadFloat64x4(q))
	}
	v0.Store(p)
	v1.Store(q)
}
