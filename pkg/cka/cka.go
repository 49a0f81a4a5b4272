// Package cka computes centred kernel alignment (CKA) between two representations
// of the same stimuli (Kornblith et al. 2019, "Similarity of neural network
// representations revisited", ICML).
//
// X is n x p and Y is n x q; row i of both is stimulus i. CKA is
//
//	CKA(K, L) = HSIC(K, L) / sqrt(HSIC(K, K) * HSIC(L, L))
//
// with K and L the n x n kernel (Gram) matrices of X and Y. Two kernels are
// provided: Linear (K = X X^T after centring the columns of X) and RBF
// (K_ij = exp(-||x_i - x_j||^2 / (2 sigma^2))), and two HSIC estimators:
//
//   - Biased: HSIC = tr(K H L H) / (n-1)^2, H = I - 11^T/n (Gretton et al. 2005).
//     The (n-1)^2 factor cancels in CKA.
//   - Unbiased: the estimator of Song et al. (2012), "Feature selection via
//     dependence maximization", JMLR 13, eq. 5, with K~ and L~ the kernels with
//     zeroed diagonals:
//     HSIC_u = [tr(K~ L~) + 1^T K~ 1 * 1^T L~ 1 / ((n-1)(n-2)) - 2/(n-2) 1^T K~ L~ 1] / (n(n-3)).
//     CKA with this estimator is the "debiased CKA" of Kornblith et al. (their
//     public code, cka.py) and Nguyen, Raghu & Kornblith (2021); it is
//     Brain-Score's default. It needs n >= 4 and can be slightly negative.
//
// For the RBF kernel, sigma^2 = factor^2 * median of the squared Euclidean
// distances over all n^2 ordered pairs (the zero diagonal included), exactly as
// the reference code of Kornblith et al. (gram_rbf, threshold = factor); factor
// defaults to 1, so sigma is (up to the median of an even count) the median
// pairwise distance.
//
// Linear CKA uses the feature-space form when n exceeds both p and q:
// tr(K H L H) = ||Y_c^T X_c||_F^2, which costs O(n p q) instead of O(n^2 (p+q)).
// The package never imports GoMLX.
package cka

import (
	"fmt"
	"math"
	"sort"
	"sync"

	"gonum.org/v1/gonum/mat"

	"github.com/coarsealign/coarsealign/internal/gemm"
)

// Kernel selects the kernel applied to each representation.
type Kernel int

const (
	// Linear is K = X X^T (columns centred).
	Linear Kernel = iota
	// RBF is the Gaussian kernel with a median-distance bandwidth.
	RBF
)

// String returns "linear" or "rbf".
func (k Kernel) String() string {
	switch k {
	case Linear:
		return "linear"
	case RBF:
		return "rbf"
	}
	return fmt.Sprintf("Kernel(%d)", int(k))
}

// Estimator selects the HSIC estimator.
type Estimator int

const (
	// Biased is tr(KHLH)/(n-1)^2.
	Biased Estimator = iota
	// Unbiased is the estimator of Song et al. (2012) (debiased CKA).
	Unbiased
)

// String returns "biased" or "unbiased".
func (e Estimator) String() string {
	switch e {
	case Biased:
		return "biased"
	case Unbiased:
		return "unbiased"
	}
	return fmt.Sprintf("Estimator(%d)", int(e))
}

// Options configure CKA. The zero value is linear CKA with the biased estimator.
type Options struct {
	Kernel    Kernel
	Estimator Estimator
	// RBFFactor multiplies the median distance to give the RBF bandwidth sigma
	// (Kornblith's "threshold"). Zero means 1.
	RBFFactor float64
}

// CKA returns the centred kernel alignment between x (n x p) and y (n x q),
// whose rows are the same n stimuli. It returns an error if the row counts
// differ, an entry is NaN or infinite, n is too small (n < 2 biased, n < 4
// unbiased), or a representation has zero (or, for the unbiased estimator,
// non-positive) self-HSIC, e.g. constant features.
func CKA(x, y mat.Matrix, opt Options) (float64, error) {
	n, p := x.Dims()
	ny, q := y.Dims()
	if n != ny {
		return 0, fmt.Errorf("cka: X has %d rows but Y has %d", n, ny)
	}
	if err := checkFinite("X", x); err != nil {
		return 0, err
	}
	if err := checkFinite("Y", y); err != nil {
		return 0, err
	}
	minN := 2
	if opt.Estimator == Unbiased {
		minN = 4
	}
	if n < minN {
		return 0, fmt.Errorf("cka: %s estimator needs at least %d stimuli, got %d", opt.Estimator, minN, n)
	}
	switch opt.Kernel {
	case Linear:
		if n > p && n > q {
			return linearFeatureSpace(x, y, opt.Estimator)
		}
		return GramCKA(LinearGram(x), LinearGram(y), opt.Estimator)
	case RBF:
		f := opt.RBFFactor
		if f == 0 {
			f = 1
		}
		if f < 0 || math.IsNaN(f) || math.IsInf(f, 0) {
			return 0, fmt.Errorf("cka: RBFFactor %g must be positive", opt.RBFFactor)
		}
		kx, err := RBFGram(x, f)
		if err != nil {
			return 0, fmt.Errorf("cka: X: %w", err)
		}
		ky, err := RBFGram(y, f)
		if err != nil {
			return 0, fmt.Errorf("cka: Y: %w", err)
		}
		return GramCKA(kx, ky, opt.Estimator)
	}
	return 0, fmt.Errorf("cka: unknown kernel %v", opt.Kernel)
}

func checkFinite(name string, m mat.Matrix) error {
	r, c := m.Dims()
	if d, ok := m.(*mat.Dense); ok { // direct row access instead of At
		for i := 0; i < r; i++ {
			for j, v := range d.RawRowView(i) {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					return fmt.Errorf("cka: %s[%d,%d] is %g", name, i, j, v)
				}
			}
		}
		return nil
	}
	for i := 0; i < r; i++ {
		for j := 0; j < c; j++ {
			if v := m.At(i, j); math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("cka: %s[%d,%d] is %g", name, i, j, v)
			}
		}
	}
	return nil
}

// centred returns a copy of m with each column's mean subtracted. A *mat.Dense is read in place:
// one pass for the means, one writing m - mean (the copy-then-subtract of the general case gives
// the same values).
func centred(m mat.Matrix) *mat.Dense {
	d, ok := m.(*mat.Dense)
	if !ok {
		d = mat.DenseCopyOf(m)
	}
	r, k := d.Dims()
	raw := d.RawMatrix()
	means := make([]float64, k)
	for i := 0; i < r; i++ {
		row := raw.Data[i*raw.Stride : i*raw.Stride+k]
		for j, v := range row {
			means[j] += v
		}
	}
	for j := range means {
		means[j] /= float64(r)
	}
	out := make([]float64, r*k)
	for i := 0; i < r; i++ {
		src, dst := raw.Data[i*raw.Stride:i*raw.Stride+k], out[i*k:(i+1)*k]
		for j, v := range src {
			dst[j] = v - means[j]
		}
	}
	return mat.NewDense(r, k, out)
}

// LinearGram returns K = X_c X_c^T (n x n) with X_c the column-centred x.
func LinearGram(x mat.Matrix) *mat.SymDense {
	return gemm.Gram(centred(x))
}

// RBFGram returns the n x n RBF kernel of the rows of x with
// sigma^2 = factor^2 * median of all n^2 squared distances (Kornblith et al.'s gram_rbf).
// It returns an error if that median is zero (more than half the pairs coincide).
func RBFGram(x mat.Matrix, factor float64) (*mat.SymDense, error) {
	n, _ := x.Dims()
	d2 := sqDistances(x)
	all := make([]float64, 0, n*n)
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			all = append(all, d2.At(i, j))
		}
	}
	med := median(all)
	if !(med > 0) {
		return nil, fmt.Errorf("median squared distance is %g; RBF bandwidth undefined", med)
	}
	s := 2 * factor * factor * med
	k := mat.NewSymDense(n, nil)
	for i := 0; i < n; i++ {
		for j := i; j < n; j++ {
			k.SetSym(i, j, math.Exp(-d2.At(i, j)/s))
		}
	}
	return k, nil
}

// sqDistances returns the n x n squared Euclidean distances between rows (clamped at 0).
func sqDistances(x mat.Matrix) *mat.SymDense {
	xc := centred(x) // centring leaves distances unchanged and improves cancellation
	n, _ := xc.Dims()
	g := gemm.Gram(xc)
	d := mat.NewSymDense(n, nil)
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			v := g.At(i, i) + g.At(j, j) - 2*g.At(i, j)
			if v < 0 {
				v = 0
			}
			d.SetSym(i, j, v)
		}
	}
	return d
}

// median follows numpy: the mean of the two middle values for an even count. It sorts v.
func median(v []float64) float64 {
	sort.Float64s(v)
	m := len(v)
	if m%2 == 1 {
		return v[m/2]
	}
	return (v[m/2-1] + v[m/2]) / 2
}

// CenterGram returns the centred kernel used by the estimator: H K H for Biased;
// for Unbiased, the "U-centred" kernel of Kornblith et al.'s center_gram(unbiased=True)
// (zero diagonal), whose Frobenius inner product with another U-centred kernel is
// n(n-3) times Song et al.'s unbiased HSIC. The input is not modified.
func CenterGram(k mat.Symmetric, est Estimator) *mat.SymDense {
	n := k.SymmetricDim()
	g := mat.NewSymDense(n, nil)
	g.CopySym(k)
	means := make([]float64, n)
	if est == Unbiased {
		for i := 0; i < n; i++ {
			g.SetSym(i, i, 0)
		}
		for j := 0; j < n; j++ {
			s := 0.0
			for i := 0; i < n; i++ {
				s += g.At(i, j)
			}
			means[j] = s / float64(n-2)
		}
		tot := 0.0
		for _, m := range means {
			tot += m
		}
		corr := tot / float64(2*(n-1))
		for j := range means {
			means[j] -= corr
		}
	} else {
		for j := 0; j < n; j++ {
			s := 0.0
			for i := 0; i < n; i++ {
				s += g.At(i, j)
			}
			means[j] = s / float64(n)
		}
		tot := 0.0
		for _, m := range means {
			tot += m
		}
		corr := tot / float64(2*n)
		for j := range means {
			means[j] -= corr
		}
	}
	for i := 0; i < n; i++ {
		for j := i; j < n; j++ {
			g.SetSym(i, j, g.At(i, j)-means[i]-means[j])
		}
	}
	if est == Unbiased {
		for i := 0; i < n; i++ {
			g.SetSym(i, i, 0)
		}
	}
	return g
}

// HSIC returns the HSIC estimate between two n x n kernels: tr(KHLH)/(n-1)^2 (Biased)
// or Song et al.'s unbiased estimator (Unbiased, n >= 4). It panics if the sizes differ.
func HSIC(k, l mat.Symmetric, est Estimator) float64 {
	n := k.SymmetricDim()
	if l.SymmetricDim() != n {
		panic(fmt.Sprintf("cka: kernels are %dx%d and %dx%d", n, n, l.SymmetricDim(), l.SymmetricDim()))
	}
	v := frob(CenterGram(k, est), CenterGram(l, est))
	if est == Unbiased {
		return v / float64(n*(n-3))
	}
	return v / float64((n-1)*(n-1))
}

func frob(a, b *mat.SymDense) float64 {
	n := a.SymmetricDim()
	s := 0.0
	for i := 0; i < n; i++ {
		s += a.At(i, i) * b.At(i, i)
		for j := i + 1; j < n; j++ {
			s += 2 * a.At(i, j) * b.At(i, j)
		}
	}
	return s
}

// GramCKA returns CKA between two precomputed n x n kernels.
func GramCKA(k, l mat.Symmetric, est Estimator) (float64, error) {
	if k.SymmetricDim() != l.SymmetricDim() {
		return 0, fmt.Errorf("cka: kernels are %dx%d and %dx%d", k.SymmetricDim(), k.SymmetricDim(), l.SymmetricDim(), l.SymmetricDim())
	}
	if est == Unbiased && k.SymmetricDim() < 4 {
		return 0, fmt.Errorf("cka: unbiased estimator needs at least 4 stimuli, got %d", k.SymmetricDim())
	}
	kc, lc := CenterGram(k, est), CenterGram(l, est)
	return ratio(frob(kc, lc), frob(kc, kc), frob(lc, lc))
}

func ratio(xy, xx, yy float64) (float64, error) {
	if !(xx > 0) {
		return 0, fmt.Errorf("cka: HSIC(X,X) = %g is not positive (constant features?)", xx)
	}
	if !(yy > 0) {
		return 0, fmt.Errorf("cka: HSIC(Y,Y) = %g is not positive (constant features?)", yy)
	}
	return xy / math.Sqrt(xx*yy), nil
}

// linearFeatureSpace computes linear CKA as ||Yc^T Xc||_F^2 / (||Xc^T Xc||_F ||Yc^T Yc||_F),
// with Kornblith et al.'s debiasing (feature_space_linear_cka) for Unbiased.
func linearFeatureSpace(x, y mat.Matrix, est Estimator) (float64, error) {
	var xc, yc *mat.Dense
	done := make(chan struct{})
	go func() { yc = centred(y); close(done) }()
	xc = centred(x)
	<-done
	n, _ := xc.Dims()
	// X^T X and Y^T Y are symmetric: half-flop Gram products, run concurrently with the
	// general product X^T Y (all three internal/gemm).
	var fxx, fyy float64
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); fxx = symFrobSq(xc) }()
	go func() { defer wg.Done(); fyy = symFrobSq(yc) }()
	fxy := sq(mat.Norm(gemm.MulTA(xc, yc), 2))
	wg.Wait()
	if est == Biased {
		return ratio(fxy, fxx, fyy)
	}
	var rx, ry []float64
	done = make(chan struct{})
	go func() { ry = rowSqNorms(yc); close(done) }()
	rx = rowSqNorms(xc)
	<-done
	nx, ny := sum(rx), sum(ry)
	h := func(dot float64, a, b []float64, na, nb float64) float64 {
		ab := 0.0
		for i := range a {
			ab += a[i] * b[i]
		}
		fn := float64(n)
		return dot - fn/(fn-2)*ab + na*nb/((fn-1)*(fn-2))
	}
	return ratio(h(fxy, rx, ry, nx, ny), h(fxx, rx, rx, nx, nx), h(fyy, ry, ry, ny, ny))
}

func sq(v float64) float64 { return v * v }

// symFrobSq returns ||M^T M||_F^2 for M (n x p), from the upper triangle of M^T M.
func symFrobSq(m *mat.Dense) float64 {
	_, p := m.Dims()
	raw := gemm.GramTA(m).RawSymmetric()
	s := 0.0
	for i := 0; i < p; i++ {
		row := raw.Data[i*raw.Stride : i*raw.Stride+p]
		s += row[i] * row[i]
		off := 0.0
		for _, v := range row[i+1:] {
			off += v * v
		}
		s += 2 * off
	}
	return s
}

// rowSqNorms returns the squared norm of each row of m, summed in column order (a local
// accumulator: with out[i] += v*v the compiler stores and reloads out[i] for every element).
func rowSqNorms(m *mat.Dense) []float64 {
	r, _ := m.Dims()
	out := make([]float64, r)
	for i := range out {
		s := 0.0
		for _, v := range m.RawRowView(i) {
			s += v * v
		}
		out[i] = s
	}
	return out
}

func sum(v []float64) float64 {
	s := 0.0
	for _, x := range v {
		s += x
	}
	return s
}
