package cka

import (
	"fmt"
	"math"
	"sort"

	"gonum.org/v1/gonum/mat"
)

// DistanceGram returns the kernel of points known only by their squared Euclidean
// distances d (n x n, symmetric, zero diagonal), e.g. a target RDM:
//
//   - Linear: the Gram matrix of the centred points, -1/2 H D H with H = I - 11^T/n
//     (classical multidimensional scaling);
//   - RBF: exp(-d_ij / (2 factor^2 median)), the median taken over all n^2 entries (zero
//     diagonal included) as RBFGram; factor 0 means 1.
//
// For patterns X, DistanceGram(SqDistances(X), k, f) equals LinearGram(X) or RBFGram(X, f)
// up to rounding. So CKA between a layer's patterns and a target given as an RDM is CKA
// with any patterns whose squared distances the RDM holds; a correlation-distance RDM
// (1 - Pearson r) is, up to a constant factor, the squared distances of the row-z-scored
// patterns, and CKA ignores that factor. If d is not Euclidean the linear kernel is
// indefinite and CKA is still defined but may leave [0, 1]. RBF returns an error when the
// median is not positive.
func DistanceGram(d mat.Symmetric, k Kernel, factor float64) (*mat.SymDense, error) {
	n := d.SymmetricDim()
	out := mat.NewSymDense(n, nil)
	switch k {
	case Linear:
		means := make([]float64, n)
		tot := 0.0
		for i := 0; i < n; i++ {
			s := 0.0
			for j := 0; j < n; j++ {
				s += d.At(i, j)
			}
			means[i] = s / float64(n)
			tot += s
		}
		tot /= float64(n * n)
		for i := 0; i < n; i++ {
			for j := i; j < n; j++ {
				out.SetSym(i, j, -0.5*(d.At(i, j)-means[i]-means[j]+tot))
			}
		}
		return out, nil
	case RBF:
		if factor == 0 {
			factor = 1
		}
		if factor < 0 || math.IsNaN(factor) || math.IsInf(factor, 0) {
			return nil, fmt.Errorf("cka: RBF factor %g must be positive", factor)
		}
		med := symMedian(d)
		if !(med > 0) {
			return nil, fmt.Errorf("cka: median squared distance is %g; RBF bandwidth undefined", med)
		}
		s := 2 * factor * factor * med
		for i := 0; i < n; i++ {
			for j := i; j < n; j++ {
				out.SetSym(i, j, math.Exp(-d.At(i, j)/s))
			}
		}
		return out, nil
	}
	return nil, fmt.Errorf("cka: unknown kernel %v", k)
}

// symMedian returns the median of all n^2 entries of d, as median (numpy's). For a distance
// matrix (zero diagonal, no negative entry) the sorted entries are the n zeros followed by
// each off-diagonal value twice, so only the n(n-1)/2 values of the upper triangle are sorted.
func symMedian(d mat.Symmetric) float64 {
	n := d.SymmetricDim()
	upper := make([]float64, 0, n*(n-1)/2)
	distances := true
	for i := 0; i < n; i++ {
		distances = distances && d.At(i, i) == 0
		for j := i + 1; j < n; j++ {
			v := d.At(i, j)
			distances = distances && v >= 0
			upper = append(upper, v)
		}
	}
	if !distances {
		all := make([]float64, 0, n*n)
		for i := 0; i < n; i++ {
			for j := 0; j < n; j++ {
				all = append(all, d.At(i, j))
			}
		}
		return median(all)
	}
	sort.Float64s(upper)
	at := func(r int) float64 { // the r-th (0-based) of the n^2 sorted entries
		if r < n {
			return 0
		}
		return upper[(r-n)/2]
	}
	m := n * n
	if m%2 == 1 {
		return at(m / 2)
	}
	return (at(m/2-1) + at(m/2)) / 2
}

// SqDistances returns the n x n squared Euclidean distances between the rows of x
// (computed from the column-centred x, clamped at 0), the input of DistanceGram.
func SqDistances(x mat.Matrix) *mat.SymDense { return sqDistances(x) }

// CentredCKA returns CKA from two kernels already centred by CenterGram with the same
// estimator: <kc, lc>_F / (||kc||_F ||lc||_F). Centring each kernel once and calling
// CentredCKA for every pair is how many representations are compared at once (pkg/metric).
// It returns an error if either kernel has a non-positive self-product (constant features).
func CentredCKA(kc, lc *mat.SymDense) (float64, error) {
	if kc.SymmetricDim() != lc.SymmetricDim() {
		return 0, fmt.Errorf("cka: kernels are %dx%d and %dx%d", kc.SymmetricDim(), kc.SymmetricDim(), lc.SymmetricDim(), lc.SymmetricDim())
	}
	return ratio(frob(kc, lc), frob(kc, kc), frob(lc, lc))
}

// Frob returns the Frobenius inner product <a, b>_F of two symmetric matrices of equal size.
func Frob(a, b *mat.SymDense) float64 { return frob(a, b) }

// PatternGram returns the kernel k of the rows of x: LinearGram, or RBFGram with factor (0: 1).
func PatternGram(x mat.Matrix, k Kernel, factor float64) (*mat.SymDense, error) {
	switch k {
	case Linear:
		return LinearGram(x), nil
	case RBF:
		if factor == 0 {
			factor = 1
		}
		return RBFGram(x, factor)
	}
	return nil, fmt.Errorf("cka: unknown kernel %v", k)
}
