package encoding

import (
	"math"
	"sort"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/lapack/gonum"
	"gonum.org/v1/gonum/mat"

	"github.com/coarsealign/coarsealign/internal/gemm"
)

// eigSym returns the eigenvalues (ascending) and eigenvectors (columns of vecs) of the
// symmetric matrix s. It reduces s to tridiagonal form T = Q^T S Q with LAPACK's Dsytrd
// and Dorgtr (gonum), then diagonalises T by the implicit QL method with Wilkinson-type
// shifts (Bowdler, Martin, Reinsch & Wilkinson 1968, "The QR and QL algorithms for
// symmetric matrices", Numer. Math. 11; EISPACK tql2), accumulating the plane rotations
// into the rows of W = Q^T. The rotations depend on T alone, so tql records them in
// batches and panels.apply applies each batch to column panels of W (panels.go): the
// columns of W are independent, a panel stays in cache for the whole batch, and the
// panels are split between workers. Every element sees the same multiplies and adds in
// the same order as rotating whole rows one rotation at a time, so the result does not
// depend on the batching, the panel width or the number of workers.
// ok is false if an eigenvalue did not converge in 30 iterations (the caller then falls
// back to mat.EigenSym).
func eigSym(s *mat.SymDense) (vals []float64, vecs *mat.Dense, ok bool) {
	return eigSymWorkers(s, gemm.Workers())
}

// eigSymWorkers is eigSym with the rotations applied by at most workers goroutines.
func eigSymWorkers(s *mat.SymDense, workers int) (vals []float64, vecs *mat.Dense, ok bool) {
	n := s.SymmetricDim()
	if n == 0 {
		return nil, mat.NewDense(1, 1, nil), false
	}
	d, e, a := tridiag(s)
	// W = Q^T (row k of W is column k of Q, a[i*n+k] = Q_ik) in column panels.
	w := newPanels(n)
	for i := 0; i < n; i++ {
		pi := w.data[(i/qlPanel)*n*qlPanel+i%qlPanel:]
		for k, v := range a[i*n : (i+1)*n] {
			pi[k*qlPanel] = v
		}
	}
	rot := &qlRotations{}
	if !tql(d, e, rot, func(r *qlRotations) { w.apply(r, workers) }) {
		return nil, nil, false
	}
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(x, y int) bool { return d[idx[x]] < d[idx[y]] })
	vals = make([]float64, n)
	for c, i := range idx {
		vals[c] = d[i]
	}
	// vecs[r][c] = W[idx[c]][r].
	vecs = mat.NewDense(n, n, nil)
	vr := vecs.RawMatrix()
	for r := 0; r < n; r++ {
		src := w.data[(r/qlPanel)*n*qlPanel+r%qlPanel:]
		dst := vr.Data[r*vr.Stride : r*vr.Stride+n]
		for c, i := range idx {
			dst[c] = src[i*qlPanel]
		}
	}
	return vals, vecs, true
}

// tridiag reduces the symmetric n x n matrix s to tridiagonal form T = Q^T S Q. It returns
// the diagonal d, the off-diagonal e (e[i] couples d[i] and d[i+1]; e[n-1] = 0) and Q
// row-major in q (q[i*n+k] = Q_ik). n must be positive. The reduction is gonum's blocked
// Dsytrd (upper triangle, panels of trdBlock columns by Dlatrd) with its rank-2k update of
// the trailing matrix on internal/gemm (syr2k) instead of gonum's reference Dsyr2k; Q is
// formed by gonum's Dorgtr.
func tridiag(s *mat.SymDense) (d, e, q []float64) {
	n := s.SymmetricDim()
	raw := s.RawSymmetric()
	a := make([]float64, n*n)
	for i := 0; i < n; i++ {
		copy(a[i*n+i:(i+1)*n], raw.Data[i*raw.Stride+i:i*raw.Stride+n])
	}
	var impl gonum.Implementation
	d = make([]float64, n)
	e = make([]float64, n)
	tau := make([]float64, max(1, n-1))
	// Dsytrd, upper, as gonum v0.17.0 lapack/gonum/dsytrd.go with nb = nx = trdBlock.
	nb := trdBlock
	kk := n
	if nb < n {
		kk = n - ((n-nb+nb-1)/nb)*nb
		w := make([]float64, n*nb)
		var buf syr2kBuf
		for i := n - nb; i >= kk; i -= nb {
			impl.Dlatrd(blas.Upper, i+nb, nb, a, n, e, tau, w, nb)
			buf.update(i, nb, a[i:], n, w, nb, a, n)
			for j := i; j < i+nb; j++ {
				a[(j-1)*n+j] = e[j-1]
				d[j] = a[j*n+j]
			}
		}
	}
	impl.Dsytd2(blas.Upper, kk, a, n, d, e, tau)
	lq := make([]float64, 1)
	impl.Dorgtr(blas.Upper, n, a, n, tau, lq, -1)
	work := make([]float64, max(int(lq[0]), 1))
	impl.Dorgtr(blas.Upper, n, a, n, tau, work, len(work))
	e[n-1] = 0
	return d, e, a
}

// trdBlock is the panel width of the tridiagonal reduction (gonum's Ilaenv for DSYTRD).
const trdBlock = 32

// syr2kBuf holds the operands of syr2k between calls.
type syr2kBuf struct{ l, r, p []float64 }

// update sets the upper triangle of the m x m matrix c (row stride ldc) to
// c - a w^T - w a^T for a and w m x k (row strides lda, ldw), as BLAS Dsyr2k(Upper, NoTrans,
// alpha = -1, beta = 1), through one product on internal/gemm: P = [a | w] [w | a]^T.
func (b *syr2kBuf) update(m, k int, a []float64, lda int, w []float64, ldw int, c []float64, ldc int) {
	if m == 0 {
		return
	}
	k2 := 2 * k
	grow := func(s []float64, n int) []float64 {
		if cap(s) < n {
			return make([]float64, n)
		}
		return s[:n]
	}
	b.l, b.r, b.p = grow(b.l, m*k2), grow(b.r, k2*m), grow(b.p, m*m)
	for i := 0; i < m; i++ {
		li := b.l[i*k2 : (i+1)*k2]
		copy(li[:k], a[i*lda:i*lda+k])
		copy(li[k:], w[i*ldw:i*ldw+k])
		for j := 0; j < k; j++ {
			b.r[j*m+i] = w[i*ldw+j]
			b.r[(k+j)*m+i] = a[i*lda+j]
		}
	}
	gemm.MulF64(m, m, k2, b.l, k2, b.r, m, b.p, m)
	for i := 0; i < m; i++ {
		ci, pi := c[i*ldc+i:i*ldc+m], b.p[i*m+i:i*m+m]
		for j, v := range pi {
			ci[j] -= v
		}
	}
}

// qlRotations is a batch of recorded QL sweeps. Sweep k applies, for j = 0, 1, ...,
// the plane rotation (c, s) = (cs[2(off[k]+j)], cs[2(off[k]+j)+1]) to rows top[k]-j
// and top[k]-j+1, for off[k] <= off[k]+j < off[k+1].
type qlRotations struct {
	top []int
	off []int // len(top)+1 entries once a sweep is closed
	cs  []float64
}

// qlBatch is the number of rotations recorded before they are applied: their (c, s)
// (256 KB) and one panel of W (n x qlPanel, 100 KB at n = 800) fit in a 512 KB L2 cache.
const qlBatch = 1 << 14

func (r *qlRotations) reset() {
	r.top, r.off, r.cs = r.top[:0], append(r.off[:0], 0), r.cs[:0]
}

// count is the number of recorded rotations.
func (r *qlRotations) count() int { return len(r.cs) / 2 }

// tql diagonalises the symmetric tridiagonal matrix with diagonal d and off-diagonal e
// (e[i] couples d[i], d[i+1]; e[n-1] = 0) in place by implicit QL iterations. It records
// the plane rotations in rot and calls apply with the batch whenever it holds at least
// qlBatch rotations, and once at the end; applying every batch in order to the rows of W
// (rows i, i+1 for a rotation at i) gives, in row i, the (transposed) eigenvector for d[i].
func tql(d, e []float64, rot *qlRotations, apply func(*qlRotations)) bool {
	n := len(d)
	rot.reset()
	for l := 0; l < n; l++ {
		for iter := 0; ; iter++ {
			m := l
			for ; m < n-1; m++ {
				dd := math.Abs(d[m]) + math.Abs(d[m+1])
				if math.Abs(e[m])+dd == dd {
					break
				}
			}
			if m == l {
				break
			}
			if iter == 30 {
				return false
			}
			g := (d[l+1] - d[l]) / (2 * e[l])
			r := math.Hypot(g, 1)
			g = d[m] - d[l] + e[l]/(g+math.Copysign(r, g))
			s, c, p := 1.0, 1.0, 0.0
			deflated := false
			for i := m - 1; i >= l; i-- {
				f := s * e[i]
				b := c * e[i]
				r = math.Hypot(f, g)
				e[i+1] = r
				if r == 0 { // underflow: split the matrix and restart
					d[i+1] -= p
					e[m] = 0
					deflated = true
					break
				}
				s, c = f/r, g/r
				g = d[i+1] - p
				r = (d[i]-g)*s + 2*c*b
				p = s * r
				d[i+1] = g + p
				g = c*r - b
				rot.cs = append(rot.cs, c, s)
			}
			if k := rot.count(); k > rot.off[len(rot.off)-1] { // close a non-empty sweep
				rot.top = append(rot.top, m-1)
				rot.off = append(rot.off, k)
				if k >= qlBatch {
					apply(rot)
					rot.reset()
				}
			}
			if deflated {
				continue
			}
			d[l] -= p
			e[l] = g
			e[m] = 0
		}
	}
	if rot.count() > 0 {
		apply(rot)
	}
	return true
}
