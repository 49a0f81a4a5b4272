//go:build goexperiment.simd

package encoding

import (
	"runtime"
	"simd/archsimd"
	"sync"
	"sync/atomic"
	"unsafe"

	"gonum.org/v1/gonum/mat"
)

const (
	mulMR = 4   // rows of C per micro-kernel call
	mulNR = 16  // columns of C per panel: two 8-lane vectors
	mulKC = 256 // inner-dimension block
)

// mulFast sets dst = A B for row-major A (m x k) and B (k x n) with an AVX-512 FMA
// micro-kernel (4 x 16 block of C held in registers, B rows read directly), parallel
// over 16-column panels of C. It reports false, leaving dst untouched, when the CPU
// lacks AVX-512 or the shape is too small to benefit; callers then use mat.Dense.Mul.
// The summation order over k differs from gonum's, so results agree to rounding.
func mulFast(dst *mat.Dense, a, b *mat.Dense) bool {
	c, ok := mulRaw(a, b, false)
	if ok {
		_, n := b.Dims()
		*dst = *mat.NewDense(len(c)/n, n, c)
	}
	return ok
}

// gramFast returns Z Z^T (n x n) for row-major z (n x p), given zt = Z^T (p x n),
// computing only the 16-column panels' rows on or above the diagonal (about half the
// flops of a full product) with the kernel of mulFast. ok is false when mulFast would be.
func gramFast(z, zt *mat.Dense) (g *mat.SymDense, ok bool) {
	c, ok := mulRaw(z, zt, true)
	if !ok {
		return nil, false
	}
	n, _ := z.Dims()
	return mat.NewSymDense(n, c), true
}

// mulRaw returns the row-major m x n product A B; with upper set, only entries on or
// above the diagonal are guaranteed (A B must then be square and symmetric).
func mulRaw(a, b *mat.Dense, upper bool) ([]float64, bool) {
	m, k := a.Dims()
	kb, n := b.Dims()
	if !useAVX512 || k != kb || m < mulMR || n < mulNR || k < 1 {
		return nil, false
	}
	if n%mulNR != 0 {
		// Pad B with zero columns to a multiple of 16 and crop the product: the kernel
		// then covers every column (a strided scalar tail was ~10% of the ridge time).
		n16 := (n + mulNR - 1) / mulNR * mulNR
		bp := mat.NewDense(k, n16, nil)
		for l := 0; l < k; l++ {
			copy(bp.RawRowView(l), b.RawRowView(l))
		}
		c16, _ := mulRaw(a, bp, upper)
		c := make([]float64, m*n)
		for i := 0; i < m; i++ {
			copy(c[i*n:(i+1)*n], c16[i*n16:i*n16+n])
		}
		return c, true
	}
	ra, rb := a.RawMatrix(), b.RawMatrix()
	c := make([]float64, m*n)
	panels := n / mulNR
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), panels) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				p := int(next.Add(1)) - 1
				if p >= panels {
					return
				}
				j0 := p * mulNR
				iEnd := m
				if upper {
					iEnd = min(m, j0+mulNR)
				}
				for k0 := 0; k0 < k; k0 += mulKC {
					kc := min(mulKC, k-k0)
					for i := 0; i+mulMR <= iEnd; i += mulMR {
						mulKernel(ra.Data, i*ra.Stride+k0, ra.Stride, rb.Data, k0*rb.Stride+j0, rb.Stride, kc, c, i*n+j0, n)
					}
				}
			}
		}()
	}
	wg.Wait()
	// Rows past the last multiple of 4: plain loops (n is a multiple of 16 here).
	for i := 0; i < m; i++ {
		j1 := panels * mulNR
		if i >= m/mulMR*mulMR {
			j1 = 0
		}
		arow := ra.Data[i*ra.Stride : i*ra.Stride+k]
		crow := c[i*n : (i+1)*n]
		if upper && i >= m/mulMR*mulMR {
			j1 = i // remainder rows: the upper part suffices
		}
		for j := j1; j < n; j++ {
			s := 0.0
			for l, av := range arow {
				s += av * rb.Data[l*rb.Stride+j]
			}
			crow[j] = s
		}
	}
	return c, true
}

// mulKernel adds to c[co + r*ldc + j] (r < 4, j < 16) the sums over l < kc of
// a[ao + r*lda + l] * b[bo + l*ldb + j].
func mulKernel(a []float64, ao, lda int, b []float64, bo, ldb, kc int, c []float64, co, ldc int) {
	// Bounds: every address used below is checked here once.
	_ = a[ao+3*lda+kc-1]
	_ = b[bo+(kc-1)*ldb+mulNR-1]
	_ = c[co+3*ldc+mulNR-1]
	p0 := unsafe.Pointer(&a[ao])
	p1 := unsafe.Pointer(&a[ao+lda])
	p2 := unsafe.Pointer(&a[ao+2*lda])
	p3 := unsafe.Pointer(&a[ao+3*lda])
	bp := unsafe.Pointer(&b[bo])
	cr := func(r, h int) *[8]float64 { return (*[8]float64)(c[co+r*ldc+8*h : co+r*ldc+8*h+8]) }
	c00, c01 := archsimd.LoadFloat64x8(cr(0, 0)), archsimd.LoadFloat64x8(cr(0, 1))
	c10, c11 := archsimd.LoadFloat64x8(cr(1, 0)), archsimd.LoadFloat64x8(cr(1, 1))
	c20, c21 := archsimd.LoadFloat64x8(cr(2, 0)), archsimd.LoadFloat64x8(cr(2, 1))
	c30, c31 := archsimd.LoadFloat64x8(cr(3, 0)), archsimd.LoadFloat64x8(cr(3, 1))
	bstep := uintptr(ldb) * 8
	for l := 0; l < kc; l++ {
		off := uintptr(l) * 8
		brow := unsafe.Add(bp, uintptr(l)*bstep)
		b0 := archsimd.LoadFloat64x8((*[8]float64)(brow))
		b1 := archsimd.LoadFloat64x8((*[8]float64)(unsafe.Add(brow, 64)))
		a0 := archsimd.BroadcastFloat64x8(*(*float64)(unsafe.Add(p0, off)))
		c00 = a0.MulAdd(b0, c00)
		c01 = a0.MulAdd(b1, c01)
		a1 := archsimd.BroadcastFloat64x8(*(*float64)(unsafe.Add(p1, off)))
		c10 = a1.MulAdd(b0, c10)
		c11 = a1.MulAdd(b1, c11)
		a2 := archsimd.BroadcastFloat64x8(*(*float64)(unsafe.Add(p2, off)))
		c20 = a2.MulAdd(b0, c20)
		c21 = a2.MulAdd(b1, c21)
		a3 := archsimd.BroadcastFloat64x8(*(*float64)(unsafe.Add(p3, off)))
		c30 = a3.MulAdd(b0, c30)
		c31 = a3.MulAdd(b1, c31)
	}
	c00.Store(cr(0, 0))
	c01.Store(cr(0, 1))
	c10.Store(cr(1, 0))
	c11.Store(cr(1, 1))
	c20.Store(cr(2, 0))
	c21.Store(cr(2, 1))
	c30.Store(cr(3, 0))
	c31.Store(cr(3, 1))
}
