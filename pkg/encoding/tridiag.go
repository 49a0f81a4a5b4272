package encoding

import (
	"gonum.org/v1/gonum/blas/gonum"
	lapack "gonum.org/v1/gonum/lapack/gonum"
	"gonum.org/v1/gonum/mat"

	"github.com/coarsealign/coarsealign/internal/gemm"
)

// trdBlock is the panel width (reflectors per block) of the tridiagonal reduction and of
// the formation of Q (LAPACK's and gonum's Ilaenv block size for DSYTRD and DORGQR).
const trdBlock = 32

// tridiag reduces the symmetric n x n matrix s to tridiagonal form T = Q^T S Q. It returns
// the diagonal d, the off-diagonal e (e[i] couples d[i] and d[i+1]; e[n-1] = 0) and Q
// row-major in q (q[i*n+k] = Q_ik). n must be positive.
//
// It is LAPACK's blocked DSYTRD for the lower triangle of a column-major matrix (Dongarra,
// Hammarling & Sorensen 1989, "Block reduction of matrices to condensed forms for eigenvalue
// computations", J. Comput. Appl. Math. 27; routines DSYTRD, DLATRD, DORGQR, DLARFT), run on
// the upper triangle of the row-major matrix, which is the same memory: every Householder
// vector, every row of the symmetric matrix-vector product and every operand of the rank-2k
// update of the trailing matrix is then a contiguous row (gonum's row-major Dsytrd works on
// strided columns). The rank-2k updates and the block reflectors that form Q run on
// internal/gemm. Q = H(0) H(1) ... H(n-2) with H(g) = I - tau_g v_g v_g^T, v_g zero up to g,
// v_g[g+1] = 1.
func tridiag(s *mat.SymDense) (d, e, q []float64) {
	n := s.SymmetricDim()
	raw := s.RawSymmetric()
	a := make([]float64, n*n) // upper triangle: row r holds S_rc for c >= r
	for i := 0; i < n; i++ {
		copy(a[i*n+i:(i+1)*n], raw.Data[i*raw.Stride+i:i*raw.Stride+n])
	}
	d, e = make([]float64, n), make([]float64, n)
	tau := make([]float64, n)
	w := make([]float64, trdBlock*2*n) // rows of W (one per reduced column), global column index
	var buf syr2kBuf
	for i0 := 0; i0 < n; {
		b := min(trdBlock, n-i0)
		if n-i0-b < trdBlock { // the last block reduces every remaining column
			b = n - i0
			if cap(w) < b*n {
				w = make([]float64, b*n)
			}
		}
		latrd(a, n, i0, b, e, tau, w[:b*n])
		if r0 := i0 + b; r0 < n {
			buf.update(a, n, i0, b, w, r0)
		}
		for j := i0; j < i0+b; j++ {
			if j+1 < n {
				a[j*n+j+1] = e[j]
			}
			d[j] = a[j*n+j]
		}
		i0 += b
	}
	e[n-1] = 0
	return d, e, orgtr(a, n, tau)
}

// latrd reduces the b columns i0 .. i0+b-1 (rows of a, upper triangle, row stride n) as
// LAPACK's DLATRD (lower, column-major): for each column g it applies the pending updates of
// the previous columns of the block, generates the reflector that annihilates a[g][g+2:],
// stores its vector in a[g][g+1:] (unit first entry) and tau[g], e[g], and computes row g-i0
// of w, W(:, g) = tau (A v - ...) - (tau/2)(w^T v) v, over global columns g+1 .. n-1. The
// trailing matrix (rows >= i0+b) is not updated.
func latrd(a []float64, n, i0, b int, e, tau, w []float64) {
	var bl gonum.Implementation
	t1 := make([]float64, b)
	for l := 0; l < b; l++ {
		g := i0 + l
		row := a[g*n+g : g*n+n]
		for k := 0; k < l; k++ { // A(g:, g) -= V_k W_k[g] + W_k V_k[g]
			vk, wk := a[(i0+k)*n:(i0+k+1)*n], w[k*n:(k+1)*n]
			bl.Daxpy(n-g, -wk[g], vk[g:], 1, row, 1)
			bl.Daxpy(n-g, -vk[g], wk[g:], 1, row, 1)
		}
		if g == n-1 {
			break
		}
		beta, tg := lapack.Implementation{}.Dlarfg(n-g-1, row[1], row[2:], 1)
		e[g], tau[g] = beta, tg
		row[1] = 1
		v := row[1:]
		wl := w[l*n+g+1 : (l+1)*n]
		symvUpper(a, n, g+1, v, wl)
		for k := 0; k < l; k++ {
			t1[k] = bl.Ddot(n-g-1, w[k*n+g+1:(k+1)*n], 1, v, 1)
		}
		for k := 0; k < l; k++ {
			bl.Daxpy(n-g-1, -t1[k], a[(i0+k)*n+g+1:(i0+k+1)*n], 1, wl, 1)
		}
		for k := 0; k < l; k++ {
			t1[k] = bl.Ddot(n-g-1, a[(i0+k)*n+g+1:(i0+k+1)*n], 1, v, 1)
		}
		for k := 0; k < l; k++ {
			bl.Daxpy(n-g-1, -t1[k], w[k*n+g+1:(k+1)*n], 1, wl, 1)
		}
		bl.Dscal(n-g-1, tg, wl, 1)
		alpha := -0.5 * tg * bl.Ddot(n-g-1, wl, 1, v, 1)
		bl.Daxpy(n-g-1, alpha, v, 1, wl, 1)
	}
}

// symvUpper sets y = A v for the symmetric trailing matrix A = S[r0:, r0:] whose upper
// triangle is in the rows of a (row stride n); v and y have length n-r0. Each row is read
// once, by a fused dot product and update (dotAxpy).
func symvUpper(a []float64, n, r0 int, v, y []float64) {
	clear(y)
	for r := r0; r < n; r++ {
		i := r - r0
		row := a[r*n+r : r*n+n]
		vr := v[i]
		y[i] += row[0]*vr + dotAxpy(row[1:], v[i+1:], y[i+1:], vr)
	}
}

// dotAxpyScalar returns sum_k x[k] v[k] and adds alpha x to y (len(v), len(y) >= len(x)).
// It sums in the vector kernel's order (eight partial sums over blocks of 8, combined as the
// kernel's lanes, then the tail), so both give the same bits.
func dotAxpyScalar(x, v, y []float64, alpha float64) float64 {
	v, y = v[:len(x)], y[:len(x)]
	var acc [8]float64
	k := 0
	for ; k+8 <= len(x); k += 8 {
		xs, vs, ys := (*[8]float64)(x[k:k+8]), (*[8]float64)(v[k:k+8]), (*[8]float64)(y[k:k+8])
		for l := range 8 {
			acc[l] += float64(xs[l] * vs[l])
			ys[l] += float64(alpha * xs[l])
		}
	}
	t := 0.0
	for ; k < len(x); k++ {
		t += float64(x[k] * v[k])
		y[k] += float64(alpha * x[k])
	}
	if len(x) < 8 {
		return t
	}
	return ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7])) + t
}

// syr2kBuf holds the operands of the rank-2k update between blocks.
type syr2kBuf struct{ l, r, p []float64 }

// update subtracts V^T W + W^T V from the trailing matrix (rows and columns >= r0, upper
// triangle of a) after the block of b columns from i0 was reduced: V_k is row i0+k of a and
// W_k row k of w, both over columns r0 .. n-1 (LAPACK DSYR2K, lower, alpha = -1, beta = 1),
// through one product on internal/gemm: P = [V; W]^T [W; V].
func (bf *syr2kBuf) update(a []float64, n, i0, b int, w []float64, r0 int) {
	m, k2 := n-r0, 2*b
	bf.l, bf.r, bf.p = grow(bf.l, k2*m), grow(bf.r, k2*m), grow(bf.p, m*m)
	for k := 0; k < b; k++ {
		vk, wk := a[(i0+k)*n+r0:(i0+k+1)*n], w[k*n+r0:(k+1)*n]
		copy(bf.l[k*m:(k+1)*m], vk)
		copy(bf.l[(b+k)*m:(b+k+1)*m], wk)
		copy(bf.r[k*m:(k+1)*m], wk)
		copy(bf.r[(b+k)*m:(b+k+1)*m], vk)
	}
	gemm.MulF64TA(m, m, k2, bf.l, m, bf.r, m, bf.p, m)
	for i := 0; i < m; i++ {
		ci, pi := a[(r0+i)*n+r0+i:(r0+i+1)*n], bf.p[i*m+i:(i+1)*m]
		for j, v := range pi {
			ci[j] -= v
		}
	}
}

// orgtr forms Q = H(0) ... H(n-2) (row-major n x n) from the reflectors left in a by tridiag
// (vector g in a[g][g+2:], unit entry at g+1, scalar tau[g]), as LAPACK's DORGTR/DORGQR with
// block reflectors I - V^T T V (DLARFT, forward) of trdBlock reflectors each, applied from the
// last block to the first on internal/gemm.
func orgtr(a []float64, n int, tau []float64) []float64 {
	q := make([]float64, n*n)
	for i := 0; i < n; i++ {
		q[i*n+i] = 1
	}
	nr := n - 1 // reflectors 0 .. n-2
	if nr <= 0 {
		return q
	}
	var bl gonum.Implementation
	nblk := (nr + trdBlock - 1) / trdBlock
	var vr, y, p []float64
	t := make([]float64, trdBlock*trdBlock)
	z := make([]float64, trdBlock)
	for blk := nblk - 1; blk >= 0; blk-- {
		s := blk * trdBlock
		b := min(trdBlock, nr-s)
		m := n - s - 1 // the block acts on rows and columns s+1 .. n-1
		vr = grow(vr, b*m)
		clear(vr)
		for j := 0; j < b; j++ { // row j: reflector s+j over columns s+1 .., zero before local j
			g := s + j
			vj := vr[j*m : (j+1)*m]
			vj[j] = 1
			copy(vj[j+1:], a[g*n+g+2:(g+1)*n])
		}
		// T (b x b, upper): T_jj = tau_j, T[0:j, j] = -tau_j T[0:j, 0:j] (V_0..j-1 . v_j).
		clear(t)
		for j := 0; j < b; j++ {
			tj := tau[s+j]
			for i := 0; i < j; i++ {
				z[i] = bl.Ddot(m-j, vr[i*m+j:(i+1)*m], 1, vr[j*m+j:(j+1)*m], 1)
			}
			for i := 0; i < j; i++ {
				acc := 0.0
				for k := i; k < j; k++ {
					acc += t[i*trdBlock+k] * z[k]
				}
				t[i*trdBlock+j] = -tj * acc
			}
			t[j*trdBlock+j] = tj
		}
		// Q_sub = Q[s+1:, s+1:] -= V^T (T (V Q_sub)).
		qs := q[(s+1)*n+s+1:]
		y, p = grow(y, b*m), grow(p, m*m)
		gemm.MulF64(b, m, m, vr, m, qs, n, y, m)
		for i := 0; i < b; i++ { // y = T y, rows in increasing order (T upper)
			yi := y[i*m : (i+1)*m]
			bl.Dscal(m, t[i*trdBlock+i], yi, 1)
			for k := i + 1; k < b; k++ {
				bl.Daxpy(m, t[i*trdBlock+k], y[k*m:(k+1)*m], 1, yi, 1)
			}
		}
		gemm.MulF64TA(m, m, b, vr, m, y, m, p, m)
		for i := 0; i < m; i++ {
			qi, pi := qs[i*n:i*n+m], p[i*m:(i+1)*m]
			for j, v := range pi {
				qi[j] -= v
			}
		}
	}
	return q
}

func grow(s []float64, n int) []float64 {
	if cap(s) < n {
		return make([]float64, n)
	}
	return s[:n]
}
