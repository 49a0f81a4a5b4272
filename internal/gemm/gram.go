package gemm

import (
	"sync"
	"sync/atomic"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
)

// SyrkF64 sets the upper triangle and diagonal of c[n,n] (row stride ldc) to a a^T for a[n,k]
// (row stride lda): about half the flops of a full product. Entries below the diagonal of c may
// be written too (inside diagonal tiles, with their correct values) or left as they were.
func SyrkF64(n, k int, a []float64, lda int, c []float64, ldc int) {
	if n == 0 {
		return
	}
	if k == 0 {
		for i := range n {
			clear(c[i*ldc+i:][:n-i])
		}
		return
	}
	if p := active.p64; p != nil {
		runPacked(p, n, n, k, a, lda, 1, a, 1, lda, c, ldc, false, true, true)
		return
	}
	if active.f64 == nil || n < nr64 {
		syrkBLAS(n, k, a, lda, c, ldc)
		return
	}
	panels := (n + nr64 - 1) / nr64
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(Workers(), panels) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pack := pool64.get(kc * nr64)
			defer pool64.put(pack)
			for {
				p := int(next.Add(1)) - 1
				if p >= panels {
					return
				}
				// Panels further right hold more rows of the triangle: hand them out first.
				syrkPanel(n, k, a, lda, c, ldc, (panels-1-p)*nr64, pack)
			}
		}()
	}
	wg.Wait()
}

// SyrkF64TA sets the upper triangle and diagonal of c[n,n] (row stride ldc) to a^T a for
// a[k,n] (row stride lda), reading a in place (no transposed copy) with the packed kernels;
// without them it transposes a and calls SyrkF64. Entries below the diagonal may be written.
func SyrkF64TA(n, k int, a []float64, lda int, c []float64, ldc int) {
	if p := active.p64; p != nil {
		runPacked(p, n, n, k, a, 1, lda, a, lda, 1, c, ldc, false, true, true)
		return
	}
	at := make([]float64, n*k)
	for l := range k {
		for i, v := range a[l*lda:][:n] {
			at[i*k+l] = v
		}
	}
	SyrkF64(n, k, at, k, c, ldc)
}

// syrkPanel sets c[i][j0:j0+16] (columns < n) for the rows i < min(j0+16, n).
func syrkPanel(n, k int, a []float64, lda int, c []float64, ldc int, j0 int, pack []float64) {
	nj := min(nr64, n-j0)
	iEnd := min(j0+nr64, n)
	var tile [mr * nr64]float64
	tileRows := [mr]int{0, nr64, 2 * nr64, 3 * nr64}
	for k0 := 0; k0 < k; k0 += kc {
		kb := min(kc, k-k0)
		// pack[l*16+jj] = a[j0+jj][k0+l], zero for columns past n.
		for jj := range nr64 {
			if jj < nj {
				for l, v := range a[(j0+jj)*lda+k0:][:kb] {
					pack[l*nr64+jj] = v
				}
			} else {
				for l := range kb {
					pack[l*nr64+jj] = 0
				}
			}
		}
		add := k0 > 0
		for i := 0; i < iEnd; i += mr {
			m := min(mr, iEnd-i)
			var rows [mr]int
			for r := range mr {
				rows[r] = (i+min(r, m-1))*lda + k0 // rows past the end repeat the last one, unstored
			}
			if m == mr && nj == nr64 {
				cRows := [mr]int{i*ldc + j0, (i+1)*ldc + j0, (i+2)*ldc + j0, (i+3)*ldc + j0}
				active.f64(a, &rows, 1, pack, 0, nr64, kb, c, &cRows, add)
				continue
			}
			active.f64(a, &rows, 1, pack, 0, nr64, kb, tile[:], &tileRows, false)
			for r := range m {
				copyOrAdd(c[(i+r)*ldc+j0:][:nj], tile[r*nr64:], add)
			}
		}
	}
}

// syrkBLAS is SyrkF64 with gonum: the 256 x 256 tiles on or above the diagonal are independent
// Dgemm calls, run on Workers goroutines.
func syrkBLAS(n, k int, a []float64, lda int, c []float64, ldc int) {
	const block = 256
	type tile struct{ i0, j0 int }
	work := make(chan tile)
	var wg sync.WaitGroup
	for range Workers() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for t := range work {
				bi, bj := min(block, n-t.i0), min(block, n-t.j0)
				ai := blas64.General{Rows: bi, Cols: k, Stride: lda, Data: a[t.i0*lda:]}
				aj := blas64.General{Rows: bj, Cols: k, Stride: lda, Data: a[t.j0*lda:]}
				ct := blas64.General{Rows: bi, Cols: bj, Stride: ldc, Data: c[t.i0*ldc+t.j0:]}
				blas64.Gemm(blas.NoTrans, blas.Trans, 1, ai, aj, 0, ct)
			}
		}()
	}
	for i0 := 0; i0 < n; i0 += block {
		for j0 := i0; j0 < n; j0 += block {
			work <- tile{i0, j0}
		}
	}
	close(work)
	wg.Wait()
}

// mulBLAS is MulF64 (transA false) or MulF64TA (true) with gonum's Dgemm.
func mulBLAS(transA bool, m, n, k int, a []float64, lda int, b []float64, ldb int, c []float64, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	if k == 0 {
		for i := range m {
			clear(c[i*ldc:][:n])
		}
		return
	}
	ta, am := blas.NoTrans, blas64.General{Rows: m, Cols: k, Stride: lda, Data: a}
	if transA {
		ta, am = blas.Trans, blas64.General{Rows: k, Cols: m, Stride: lda, Data: a}
	}
	blas64.Gemm(ta, blas.NoTrans, 1, am, blas64.General{Rows: k, Cols: n, Stride: ldb, Data: b},
		0, blas64.General{Rows: m, Cols: n, Stride: ldc, Data: c})
}
