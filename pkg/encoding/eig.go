package encoding

import (
	"math"
	"slices"
	"sort"

	"gonum.org/v1/gonum/mat"

	"github.com/coarsealign/coarsealign/internal/gemm"
)

// eigSym returns the eigenvalues (ascending) and eigenvectors (columns of vecs) of the
// symmetric matrix s. It reduces s to tridiagonal form T = Q^T S Q (tridiag.go: LAPACK's
// blocked reduction on contiguous rows, its products on internal/gemm), then diagonalises T
// by the implicit QL method with Wilkinson-type shifts (Bowdler, Martin, Reinsch & Wilkinson
// 1968, "The QR and QL algorithms for symmetric matrices", Numer. Math. 11; EISPACK tql2),
// accumulating the plane rotations into the rows of W = Q^T (up to the reversal below).
// The rotations depend on T alone, so tql records them in batches and panels.apply applies
// each batch to column panels of W (panels.go): the columns of W are independent, a panel
// stays in cache for the whole batch, and the panels are shared between workers. Every
// element sees the same multiplies and adds in the same order as when each rotation is
// applied to two whole rows as soon as it is computed, so the result does not depend on the
// batching, the panel width or the number of workers.
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
	// tridiag reduces from the top, so a low-rank s leaves its large entries at the top of T
	// and a numerically zero tail; QL converges fastest with them at the bottom (as after
	// EISPACK's tred2 or gonum's upper Dsytrd, which reduce from the bottom), so T is
	// reversed, T' = P T P: d'[i] = d[n-1-i], e'[i] = e[n-2-i], and W = (Q P)^T.
	slices.Reverse(d)
	slices.Reverse(e[:n-1])
	// W = (Q P)^T: row k of W is column n-1-k of Q (a[i*n+k] = Q_ik), in column panels.
	w := newPanels(n)
	for i := 0; i < n; i++ {
		pi := w.data[(i/qlPanel)*n*qlPanel+i%qlPanel:]
		for k, v := range a[i*n : (i+1)*n] {
			pi[(n-1-k)*qlPanel] = v
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
