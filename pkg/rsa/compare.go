package rsa

import (
	"errors"
	"fmt"
	"math"

	"github.com/coarsealign/coarsealign/pkg/rdm"
	"github.com/coarsealign/coarsealign/pkg/stats"
)

// ErrTooFewPairs is wrapped by comparison errors when fewer than 2 pairs are left
// after dropping NaN.
var ErrTooFewPairs = errors.New("fewer than 2 dissimilarity pairs left after dropping NaN")

// Compare returns the similarity of two RDMs over the same stimuli under method m,
// with rsatoolbox's definitions (rsatoolbox.rdm.compare). Pairs that are NaN in either
// RDM are left out. It returns an error when the RDMs differ in size or stimulus IDs
// (rdm.Check), when an RDM holds an infinite value (named with its pair), or when fewer
// than 2 pairs are left. As in rsatoolbox, correlation-type similarities of a constant
// vector are 0, and Kendall tau-b of a constant vector is NaN.
func Compare(a, b *rdm.RDM, m Method) (float64, error) {
	if !m.valid() {
		return math.NaN(), fmt.Errorf("rsa: invalid method %v", m)
	}
	if err := rdm.Check(a, b); err != nil {
		return math.NaN(), err
	}
	if err := checkFinite(a); err != nil {
		return math.NaN(), err
	}
	if err := checkFinite(b); err != nil {
		return math.NaN(), err
	}
	x, y, mask := commonPairs(a.Vec, b.Vec)
	if len(x) < 2 {
		return math.NaN(), fmt.Errorf("rsa: comparing %q and %q: %w", a.Name, b.Name, ErrTooFewPairs)
	}
	return compareVectors(x, y, mask, a.N, m), nil
}

// CompareMany returns the len(as) x len(bs) matrix of Compare(as[i], bs[j], m).
func CompareMany(as, bs []*rdm.RDM, m Method) ([][]float64, error) {
	out := make([][]float64, len(as))
	for i, a := range as {
		out[i] = make([]float64, len(bs))
		for j, b := range bs {
			v, err := Compare(a, b, m)
			if err != nil {
				return nil, err
			}
			out[i][j] = v
		}
	}
	return out, nil
}

// checkFinite returns an error naming the RDM and the first pair holding ±Inf.
func checkFinite(r *rdm.RDM) error {
	if len(r.Vec) != rdm.NumPairs(r.N) {
		return fmt.Errorf("rsa: RDM %q has %d values for %d stimuli (want %d)", r.Name, len(r.Vec), r.N, rdm.NumPairs(r.N))
	}
	for k, v := range r.Vec {
		if math.IsInf(v, 0) {
			i, j := pairOf(r.N, k)
			return fmt.Errorf("rsa: RDM %q has an infinite dissimilarity at pair (%d,%d)", r.Name, i+1, j+1)
		}
	}
	return nil
}

// pairOf inverts rdm.Index: the (i, j), i < j, of vector position k.
func pairOf(n, k int) (int, int) {
	i := 0
	for row := n - 1; k >= row; row-- {
		k -= row
		i++
	}
	return i, i + 1 + k
}

// commonPairs returns the entries of x and y where neither is NaN, and the mask of
// kept positions (nil when nothing was dropped, in which case x and y are the inputs).
func commonPairs(x, y []float64) ([]float64, []float64, []bool) {
	drop := 0
	for k := range x {
		if math.IsNaN(x[k]) || math.IsNaN(y[k]) {
			drop++
		}
	}
	if drop == 0 {
		return x, y, nil
	}
	mask := make([]bool, len(x))
	xs := make([]float64, 0, len(x)-drop)
	ys := make([]float64, 0, len(x)-drop)
	for k := range x {
		if !math.IsNaN(x[k]) && !math.IsNaN(y[k]) {
			mask[k] = true
			xs = append(xs, x[k])
			ys = append(ys, y[k])
		}
	}
	return xs, ys, mask
}

// compareVectors compares NaN-free vectors; mask (nil = all pairs) says which pairs
// of the n-stimulus RDM they hold (needed by the whitened methods).
func compareVectors(x, y []float64, mask []bool, n int, m Method) float64 {
	switch m {
	case Corr:
		return stats.Pearson(x, y)
	case Spearman:
		return stats.Spearman(x, y)
	case RhoA:
		return stats.RhoA(x, y)
	case Kendall:
		return stats.Kendall(x, y).TauB()
	case TauA:
		return stats.Kendall(x, y).TauA()
	case Cosine:
		return stats.Cosine(x, y)
	case CorrCov:
		return stats.Cosine(covWeight(centred(x), mask, n), covWeight(centred(y), mask, n))
	case CosineCov:
		return stats.Cosine(covWeight(x, mask, n), covWeight(y, mask, n))
	}
	panic("rsa: unreachable method")
}

func centred(x []float64) []float64 {
	mean := 0.0
	for _, v := range x {
		mean += v
	}
	mean /= float64(len(x))
	c := make([]float64, len(x))
	for i, v := range x {
		c[i] = v - mean
	}
	return c
}

// covWeight maps a dissimilarity vector x (the kept pairs of an n-stimulus RDM,
// mask nil = all pairs) to a representation in which the dissimilarity noise under
// i.i.d. pattern noise is isotropic, as rsatoolbox's _cov_weighting with sigma_k = None:
// the vector of -x/2 extended by n zero diagonal entries is double-centred (with
// missing pairs: the weighted least-squares projection rsatoolbox uses), and the
// off-diagonal entries are scaled by sqrt(2). The cosine of two such vectors equals
// v1' V^-1 v2 / sqrt(v1' V^-1 v1 · v2' V^-1 v2) with V the covariance of the
// dissimilarities (rsatoolbox _get_v). Output length: len(x) + n.
func covWeight(x []float64, mask []bool, n int) []float64 {
	nd := len(x)
	w := make([]float64, nd+n)
	for k, v := range x {
		w[k] = -0.5 * v
	}
	if mask == nil {
		// a_i: sum of the entries in row i of the symmetric matrix (diagonal is 0).
		a := make([]float64, n)
		total := 0.0
		k := 0
		for i := 0; i < n; i++ {
			for j := i + 1; j < n; j++ {
				a[i] += w[k]
				a[j] += w[k]
				total += w[k]
				k++
			}
		}
		fn := float64(n)
		mm := 2 * total / (fn * fn) // overall mean
		k = 0
		for i := 0; i < n; i++ {
			for j := i + 1; j < n; j++ {
				w[k] = (w[k] - a[i]/fn - a[j]/fn + mm) * math.Sqrt2
				k++
			}
		}
		for i := 0; i < n; i++ {
			w[nd+i] = -2*a[i]/fn + mm
		}
		return w
	}
	// Missing pairs: w - D S (S' D S)^-1 S' w with S the row/column indicator of the
	// kept pairs and the diagonal (diagonal rows halved), D = diag(1/2 for pairs, 1 for
	// the diagonal). M = S' D S has M_ii = deg_i/2 + 1 and M_ij = 1/2 for kept pairs.
	pi := make([]int32, 0, nd)
	pj := make([]int32, 0, nd)
	deg := make([]float64, n)
	a := make([]float64, n)
	k, kk := 0, 0
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			if mask[k] {
				pi = append(pi, int32(i))
				pj = append(pj, int32(j))
				deg[i]++
				deg[j]++
				a[i] += w[kk]
				a[j] += w[kk]
				kk++
			}
			k++
		}
	}
	diag := make([]float64, n)
	for i := range diag {
		diag[i] = deg[i]/2 + 1
	}
	apply := func(dst, c []float64) {
		for i := range dst {
			dst[i] = diag[i] * c[i]
		}
		for p := range pi {
			i, j := pi[p], pj[p]
			dst[i] += 0.5 * c[j]
			dst[j] += 0.5 * c[i]
		}
	}
	c := solveCG(apply, diag, a)
	for p := range pi {
		w[p] = (w[p] - 0.5*(c[pi[p]]+c[pj[p]])) * math.Sqrt2
	}
	for i := 0; i < n; i++ {
		w[nd+i] = -c[i]
	}
	return w
}

// solveCG solves M c = b for a symmetric positive definite M given by apply, with
// Jacobi preconditioning (diag = diagonal of M), to a relative residual of 1e-14.
func solveCG(apply func(dst, c []float64), diag, b []float64) []float64 {
	n := len(b)
	x := make([]float64, n)
	r := append([]float64(nil), b...)
	z := make([]float64, n)
	p := make([]float64, n)
	q := make([]float64, n)
	bnorm := 0.0
	for i := range b {
		bnorm += b[i] * b[i]
	}
	if bnorm == 0 {
		return x
	}
	for i := range r {
		z[i] = r[i] / diag[i]
	}
	copy(p, z)
	rz := dot(r, z)
	for it := 0; it < 10*n+100; it++ {
		apply(q, p)
		alpha := rz / dot(p, q)
		for i := range x {
			x[i] += alpha * p[i]
			r[i] -= alpha * q[i]
		}
		if dot(r, r) <= 1e-28*bnorm {
			break
		}
		for i := range z {
			z[i] = r[i] / diag[i]
		}
		rzNew := dot(r, z)
		beta := rzNew / rz
		rz = rzNew
		for i := range p {
			p[i] = z[i] + beta*p[i]
		}
	}
	return x
}

func dot(a, b []float64) float64 {
	s := 0.0
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

// MustCompare is Compare that panics on error, for notebooks.
func MustCompare(a, b *rdm.RDM, m Method) float64 {
	v, err := Compare(a, b, m)
	if err != nil {
		panic(err)
	}
	return v
}
