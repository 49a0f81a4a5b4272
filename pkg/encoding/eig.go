package encoding

import (
	"math"
	"sort"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/lapack/gonum"
	"gonum.org/v1/gonum/mat"
)

// eigSym returns the eigenvalues (ascending) and eigenvectors (columns of vecs) of the
// symmetric matrix s. It reduces s to tridiagonal form T = Q^T S Q with LAPACK's Dsytrd
// and Dorgtr (gonum), then diagonalises T by the implicit QL method with Wilkinson-type
// shifts (Bowdler, Martin, Reinsch & Wilkinson 1968, "The QR and QL algorithms for
// symmetric matrices", Numer. Math. 11; EISPACK tql2), accumulating the plane rotations
// into the ROWS of W = Q^T. In row-major storage each rotation then updates two
// contiguous rows, where gonum's Dsteqr (via Dlasr) updates two strided columns of Q;
// at n = 800 that column access dominated mat.EigenSym. ok is false if an eigenvalue
// did not converge in 30 iterations (the caller then falls back to mat.EigenSym).
func eigSym(s *mat.SymDense) (vals []float64, vecs *mat.Dense, ok bool) {
	n := s.SymmetricDim()
	if n == 0 {
		return nil, mat.NewDense(1, 1, nil), false
	}
	raw := s.RawSymmetric()
	a := make([]float64, n*n)
	for i := 0; i < n; i++ {
		copy(a[i*n+i:(i+1)*n], raw.Data[i*raw.Stride+i:i*raw.Stride+n])
	}
	var impl gonum.Implementation
	d := make([]float64, n)
	e := make([]float64, n) // e[i] couples d[i] and d[i+1]; e[n-1] = 0
	tau := make([]float64, max(1, n-1))
	q := make([]float64, 1)
	impl.Dsytrd(blas.Upper, n, a, n, d, e, tau, q, -1)
	lw := int(q[0])
	impl.Dorgtr(blas.Upper, n, a, n, tau, q, -1)
	lw = max(lw, int(q[0]), 1)
	work := make([]float64, lw)
	impl.Dsytrd(blas.Upper, n, a, n, d, e, tau, work, lw)
	impl.Dorgtr(blas.Upper, n, a, n, tau, work, lw)
	e[n-1] = 0
	// W = Q^T: row i of W is column i of Q.
	w := make([]float64, n*n)
	for i := 0; i < n; i++ {
		for k, v := range a[i*n : (i+1)*n] {
			w[k*n+i] = v
		}
	}
	if !tql(d, e, w, n) {
		return nil, nil, false
	}
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(x, y int) bool { return d[idx[x]] < d[idx[y]] })
	vals = make([]float64, n)
	vecs = mat.NewDense(n, n, nil)
	for c, i := range idx {
		vals[c] = d[i]
		row := w[i*n : (i+1)*n]
		for r, v := range row {
			vecs.Set(r, c, v)
		}
	}
	return vals, vecs, true
}

// tql diagonalises the symmetric tridiagonal matrix with diagonal d and off-diagonal e
// (e[i] couples d[i], d[i+1]; e[n-1] = 0) in place by implicit QL iterations, applying
// each plane rotation to rows i, i+1 of the row-major n x n matrix w. On return d holds
// the eigenvalues and row i of w the (transposed) eigenvector for d[i].
func tql(d, e, w []float64, n int) bool {
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
				rotateRows(w[i*n:(i+1)*n], w[(i+1)*n:(i+2)*n], c, s)
			}
			if deflated {
				continue
			}
			d[l] -= p
			e[l] = g
			e[m] = 0
		}
	}
	return true
}

// rotateRowsScalar applies (x, y) <- (c x - s y, s x + c y) elementwise.
func rotateRowsScalar(x, y []float64, c, s float64) {
	y = y[:len(x)]
	for k, xv := range x {
		yv := y[k]
		y[k] = s*xv + c*yv
		x[k] = c*xv - s*yv
	}
}
