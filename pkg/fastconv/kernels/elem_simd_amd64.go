//go:build goexperiment.simd

package kernels

import (
	"os"
	"simd/archsimd"
	"unsafe"
)

// useAVX512 selects the 16-lane AVX-512 loops; else useAVX2 the 8-lane AVX2 loops; tails and
// other CPUs run the scalar ones. All are elementwise, so every path gives the same bits.
// COARSEALIGN_NOAVX512=1 (read at start-up, as internal/gemm does) masks the AVX-512 loops, so
// that AVX-512 machines can test the AVX2 ones (TestAVX2LoopsWhenMasked).
var (
	useAVX512 = archsimd.X86.AVX512() && os.Getenv("COARSEALIGN_NOAVX512") == ""
	useAVX2   = !useAVX512 && archsimd.X86.AVX2()
)

// vzero clears the upper halves of the vector registers (VZEROUPPER) at the end of a vector
// loop. Go emits none after simd/archsimd code, and the scalar float code that follows (the
// tails, the caller's Go code, compiled to legacy SSE) then runs several times slower on AMD EPYC
// and Intel Xeon alike (BenchmarkPointwiseAdamW with 256-element chunks: 7.8 -> 3.1 ns per
// parameter on a Xeon with AVX-512).
func vzero() {
	if useAVX512 || useAVX2 {
		archsimd.ClearAVXUpperBits()
	}
}

// p8 and p16 view 8 or 16 float32s at s[i] as an array pointer for the SIMD loads and stores.
func p8(s []float32, i int) *[8]float32   { return (*[8]float32)(unsafe.Pointer(&s[i])) }
func p16(s []float32, i int) *[16]float32 { return (*[16]float32)(unsafe.Pointer(&s[i])) }

// maxInto sets dst[i] = max(dst[i], src[i]).
func maxInto(dst, src []float32) {
	n := len(dst)
	src = src[:n]
	i := 0
	if useAVX512 {
		for ; i+16 <= n; i += 16 {
			d := (*[16]float32)(unsafe.Pointer(&dst[i]))
			s := archsimd.LoadFloat32x16((*[16]float32)(unsafe.Pointer(&src[i])))
			archsimd.LoadFloat32x16(d).Max(s).Store(d)
		}
	} else if useAVX2 {
		for ; i+8 <= n; i += 8 {
			archsimd.LoadFloat32x8(p8(dst, i)).Max(archsimd.LoadFloat32x8(p8(src, i))).Store(p8(dst, i))
		}
	}
	vzero()
	for ; i < n; i++ {
		if src[i] > dst[i] {
			dst[i] = src[i]
		}
	}
}

// argmaxUpdate: where src[i] > bestV[i], bestV[i] = src[i] and bestIdx[i] = base + i.
func argmaxUpdate(bestV []float32, bestIdx []int32, src []float32, base int32) {
	n := len(bestV)
	src, bestIdx = src[:n], bestIdx[:n]
	i := 0
	if useAVX512 {
		lane := archsimd.LoadInt32x16(&[16]int32{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15})
		for ; i+16 <= n; i += 16 {
			bp := (*[16]float32)(unsafe.Pointer(&bestV[i]))
			ip := (*[16]int32)(unsafe.Pointer(&bestIdx[i]))
			s := archsimd.LoadFloat32x16((*[16]float32)(unsafe.Pointer(&src[i])))
			b := archsimd.LoadFloat32x16(bp)
			notGreater := s.LessEqual(b)     // keep old where src <= best (first max wins)
			b.Merge(s, notGreater).Store(bp) // Merge takes s where the mask is false
			idx := archsimd.BroadcastInt32x16(base + int32(i)).Add(lane)
			archsimd.LoadInt32x16(ip).Merge(idx, notGreater).Store(ip)
		}
	} else if useAVX2 {
		lane := archsimd.LoadInt32x8(&[8]int32{0, 1, 2, 3, 4, 5, 6, 7})
		for ; i+8 <= n; i += 8 {
			ip := (*[8]int32)(unsafe.Pointer(&bestIdx[i]))
			sv := archsimd.LoadFloat32x8(p8(src, i))
			b := archsimd.LoadFloat32x8(p8(bestV, i))
			notGreater := sv.LessEqual(b)
			b.Merge(sv, notGreater).Store(p8(bestV, i))
			idx := archsimd.BroadcastInt32x8(base + int32(i)).Add(lane)
			archsimd.LoadInt32x8(ip).Merge(idx, notGreater).Store(ip)
		}
	}
	vzero()
	for ; i < n; i++ {
		if src[i] > bestV[i] {
			bestV[i] = src[i]
			bestIdx[i] = base + int32(i)
		}
	}
}

// reluF32 sets out[i] = max(x[i], 0).
func reluF32(out, x []float32) {
	n := len(out)
	x = x[:n]
	i := 0
	if useAVX512 {
		// Go's max(x, 0), which the go backend computes: x if x > 0 or x is NaN, else +0.
		// (VMAXPS returns one operand for ties and NaNs, and -0 for max(-0, 0) on AVX-512 here.)
		zero := archsimd.BroadcastFloat32x16(0)
		for ; i+16 <= n; i += 16 {
			xv := archsimd.LoadFloat32x16((*[16]float32)(unsafe.Pointer(&x[i])))
			xv.Masked(xv.Greater(zero).Or(xv.IsNaN())).Store((*[16]float32)(unsafe.Pointer(&out[i])))
		}
	} else if useAVX2 {
		zero := archsimd.BroadcastFloat32x8(0)
		for ; i+8 <= n; i += 8 {
			xv := archsimd.LoadFloat32x8(p8(x, i))
			xv.Masked(xv.Greater(zero).Or(xv.IsNaN())).Store(p8(out, i))
		}
	}
	vzero()
	for ; i < n; i++ {
		out[i] = max(x[i], 0)
	}
}

// reluGradF32 sets out[i] = v[i] where (x[i] >= 0) == keepWhenGE, else 0.
func reluGradF32(out, x, v []float32, keepWhenGE bool) {
	n := len(out)
	x, v = x[:n], v[:n]
	i := 0
	if useAVX512 {
		zero := archsimd.BroadcastFloat32x16(0)
		for ; i+16 <= n; i += 16 {
			xv := archsimd.LoadFloat32x16((*[16]float32)(unsafe.Pointer(&x[i])))
			vv := archsimd.LoadFloat32x16((*[16]float32)(unsafe.Pointer(&v[i])))
			var r archsimd.Float32x16
			if keepWhenGE {
				r = vv.Masked(xv.GreaterEqual(zero))
			} else {
				r = vv.Masked(xv.Less(zero))
			}
			r.Store((*[16]float32)(unsafe.Pointer(&out[i])))
		}
	} else if useAVX2 {
		zero := archsimd.BroadcastFloat32x8(0)
		for ; i+8 <= n; i += 8 {
			xv, vv := archsimd.LoadFloat32x8(p8(x, i)), archsimd.LoadFloat32x8(p8(v, i))
			var r archsimd.Float32x8
			if keepWhenGE {
				r = vv.Masked(xv.GreaterEqual(zero))
			} else {
				r = vv.Masked(xv.Less(zero))
			}
			r.Store(p8(out, i))
		}
	}
	vzero()
	for ; i < n; i++ {
		if (x[i] >= 0) == keepWhenGE {
			out[i] = v[i]
		} else {
			out[i] = 0
		}
	}
}

// addF32 sets out[i] = a[i] + b[i].
func addF32(out, a, b []float32) {
	n := len(out)
	a, b = a[:n], b[:n]
	i := 0
	if useAVX512 {
		for ; i+16 <= n; i += 16 {
			av := archsimd.LoadFloat32x16((*[16]float32)(unsafe.Pointer(&a[i])))
			bv := archsimd.LoadFloat32x16((*[16]float32)(unsafe.Pointer(&b[i])))
			av.Add(bv).Store((*[16]float32)(unsafe.Pointer(&out[i])))
		}
	} else if useAVX2 {
		for ; i+8 <= n; i += 8 {
			archsimd.LoadFloat32x8(p8(a, i)).Add(archsimd.LoadFloat32x8(p8(b, i))).Store(p8(out, i))
		}
	}
	vzero()
	for ; i < n; i++ {
		out[i] = a[i] + b[i]
	}
}

// binaryF32 sets out[i] = a[i] op b[i]; a or b of length 1 is broadcast (a scalar).
func binaryF32(op Op, out, a, b []float32) {
	if op == OpMin {
		binaryF32Go(op, out, a, b)
		return
	}
	i := 0
	if useAVX512 {
		i = binary16(op, out, a, b)
	} else if useAVX2 {
		i = binary8(op, out, a, b)
	}
	vzero()
	binaryF32Go(op, out[i:], tail(a, i), tail(b, i))
}

// binary16 runs binaryF32's 16-lane loops (AVX-512) and returns the number of elements done: one
// loop per operator and operand form, so that no switch runs per vector (the pointwise programs
// call it per node on L1-resident chunks, where the per-vector switch cost about two thirds of
// the time).
func binary16(op Op, out, a, b []float32) int {
	n := len(out)
	i := 0
	switch {
	case len(a) == n && len(b) == n:
		a, b = a[:n], b[:n]
		switch op {
		case OpAdd:
			for ; i+16 <= n; i += 16 {
				archsimd.LoadFloat32x16(p16(a, i)).Add(archsimd.LoadFloat32x16(p16(b, i))).Store(p16(out, i))
			}
		case OpSub:
			for ; i+16 <= n; i += 16 {
				archsimd.LoadFloat32x16(p16(a, i)).Sub(archsimd.LoadFloat32x16(p16(b, i))).Store(p16(out, i))
			}
		case OpMul:
			for ; i+16 <= n; i += 16 {
				archsimd.LoadFloat32x16(p16(a, i)).Mul(archsimd.LoadFloat32x16(p16(b, i))).Store(p16(out, i))
			}
		case OpDiv:
			for ; i+16 <= n; i += 16 {
				archsimd.LoadFloat32x16(p16(a, i)).Div(archsimd.LoadFloat32x16(p16(b, i))).Store(p16(out, i))
			}
		}
	case len(a) == n:
		a = a[:n]
		bv := archsimd.BroadcastFloat32x16(b[0])
		switch op {
		case OpAdd:
			for ; i+16 <= n; i += 16 {
				archsimd.LoadFloat32x16(p16(a, i)).Add(bv).Store(p16(out, i))
			}
		case OpSub:
			for ; i+16 <= n; i += 16 {
				archsimd.LoadFloat32x16(p16(a, i)).Sub(bv).Store(p16(out, i))
			}
		case OpMul:
			for ; i+16 <= n; i += 16 {
				archsimd.LoadFloat32x16(p16(a, i)).Mul(bv).Store(p16(out, i))
			}
		case OpDiv:
			for ; i+16 <= n; i += 16 {
				archsimd.LoadFloat32x16(p16(a, i)).Div(bv).Store(p16(out, i))
			}
		}
	case len(b) == n:
		b = b[:n]
		av := archsimd.BroadcastFloat32x16(a[0])
		switch op {
		case OpAdd:
			for ; i+16 <= n; i += 16 {
				av.Add(archsimd.LoadFloat32x16(p16(b, i))).Store(p16(out, i))
			}
		case OpSub:
			for ; i+16 <= n; i += 16 {
				av.Sub(archsimd.LoadFloat32x16(p16(b, i))).Store(p16(out, i))
			}
		case OpMul:
			for ; i+16 <= n; i += 16 {
				av.Mul(archsimd.LoadFloat32x16(p16(b, i))).Store(p16(out, i))
			}
		case OpDiv:
			for ; i+16 <= n; i += 16 {
				av.Div(archsimd.LoadFloat32x16(p16(b, i))).Store(p16(out, i))
			}
		}
	}
	return i
}

// binary8 is binary16 with the 8-lane AVX2 loops.
func binary8(op Op, out, a, b []float32) int {
	n := len(out)
	i := 0
	switch {
	case len(a) == n && len(b) == n:
		a, b = a[:n], b[:n]
		switch op {
		case OpAdd:
			for ; i+8 <= n; i += 8 {
				archsimd.LoadFloat32x8(p8(a, i)).Add(archsimd.LoadFloat32x8(p8(b, i))).Store(p8(out, i))
			}
		case OpSub:
			for ; i+8 <= n; i += 8 {
				archsimd.LoadFloat32x8(p8(a, i)).Sub(archsimd.LoadFloat32x8(p8(b, i))).Store(p8(out, i))
			}
		case OpMul:
			for ; i+8 <= n; i += 8 {
				archsimd.LoadFloat32x8(p8(a, i)).Mul(archsimd.LoadFloat32x8(p8(b, i))).Store(p8(out, i))
			}
		case OpDiv:
			for ; i+8 <= n; i += 8 {
				archsimd.LoadFloat32x8(p8(a, i)).Div(archsimd.LoadFloat32x8(p8(b, i))).Store(p8(out, i))
			}
		}
	case len(a) == n:
		a = a[:n]
		bv := archsimd.BroadcastFloat32x8(b[0])
		switch op {
		case OpAdd:
			for ; i+8 <= n; i += 8 {
				archsimd.LoadFloat32x8(p8(a, i)).Add(bv).Store(p8(out, i))
			}
		case OpSub:
			for ; i+8 <= n; i += 8 {
				archsimd.LoadFloat32x8(p8(a, i)).Sub(bv).Store(p8(out, i))
			}
		case OpMul:
			for ; i+8 <= n; i += 8 {
				archsimd.LoadFloat32x8(p8(a, i)).Mul(bv).Store(p8(out, i))
			}
		case OpDiv:
			for ; i+8 <= n; i += 8 {
				archsimd.LoadFloat32x8(p8(a, i)).Div(bv).Store(p8(out, i))
			}
		}
	case len(b) == n:
		b = b[:n]
		av := archsimd.BroadcastFloat32x8(a[0])
		switch op {
		case OpAdd:
			for ; i+8 <= n; i += 8 {
				av.Add(archsimd.LoadFloat32x8(p8(b, i))).Store(p8(out, i))
			}
		case OpSub:
			for ; i+8 <= n; i += 8 {
				av.Sub(archsimd.LoadFloat32x8(p8(b, i))).Store(p8(out, i))
			}
		case OpMul:
			for ; i+8 <= n; i += 8 {
				av.Mul(archsimd.LoadFloat32x8(p8(b, i))).Store(p8(out, i))
			}
		case OpDiv:
			for ; i+8 <= n; i += 8 {
				av.Div(archsimd.LoadFloat32x8(p8(b, i))).Store(p8(out, i))
			}
		}
	}
	return i
}

func tail(s []float32, i int) []float32 {
	if len(s) == 1 {
		return s
	}
	return s[i:]
}

// sqrtF32 sets out[i] = sqrt(x[i]).
func sqrtF32(out, x []float32) {
	n := len(out)
	x = x[:n]
	i := 0
	if useAVX512 {
		for ; i+16 <= n; i += 16 {
			archsimd.LoadFloat32x16((*[16]float32)(unsafe.Pointer(&x[i]))).Sqrt().Store((*[16]float32)(unsafe.Pointer(&out[i])))
		}
	} else if useAVX2 {
		for ; i+8 <= n; i += 8 {
			archsimd.LoadFloat32x8(p8(x, i)).Sqrt().Store(p8(out, i))
		}
	}
	vzero()
	sqrtF32Go(out[i:], x[i:])
}

// scatterSelected sets out[c] = src[c] if idx[c] == base+c, else 0.
func scatterSelected(out, src []float32, idx []int32, base int32) {
	n := len(out)
	src, idx = src[:n], idx[:n]
	c := 0
	if useAVX512 {
		lane := archsimd.LoadInt32x16(&[16]int32{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15})
		for ; c+16 <= n; c += 16 {
			want := archsimd.BroadcastInt32x16(base + int32(c)).Add(lane)
			got := archsimd.LoadInt32x16((*[16]int32)(unsafe.Pointer(&idx[c])))
			s := archsimd.LoadFloat32x16((*[16]float32)(unsafe.Pointer(&src[c])))
			s.Masked(got.Equal(want)).Store((*[16]float32)(unsafe.Pointer(&out[c])))
		}
	} else if useAVX2 {
		lane := archsimd.LoadInt32x8(&[8]int32{0, 1, 2, 3, 4, 5, 6, 7})
		for ; c+8 <= n; c += 8 {
			want := archsimd.BroadcastInt32x8(base + int32(c)).Add(lane)
			got := archsimd.LoadInt32x8((*[8]int32)(unsafe.Pointer(&idx[c])))
			archsimd.LoadFloat32x8(p8(src, c)).Masked(got.Equal(want)).Store(p8(out, c))
		}
	}
	vzero()
	for ; c < n; c++ {
		if idx[c] == base+int32(c) {
			out[c] = src[c]
		} else {
			out[c] = 0
		}
	}
}

// VectorLevel names the elementwise loops in use: "avx512", "avx2" or "scalar".
func VectorLevel() string {
	switch {
	case useAVX512:
		return "avx512"
	case useAVX2:
		return "avx2"
	}
	return "scalar"
}
