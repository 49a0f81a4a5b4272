package coarse

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
)

// RowReader is implemented by matrices that can copy a row out quickly
// (e.g. PixelMatrix). Fit uses it, or RawRowView of *mat.Dense, else At.
type RowReader interface {
	RowTo(i int, dst []float64)
}

// rowFunc returns a function copying row i of X into dst.
func rowFunc(X mat.Matrix) func(i int, dst []float64) {
	switch x := X.(type) {
	case *mat.Dense:
		return func(i int, dst []float64) { copy(dst, x.RawRowView(i)) }
	case RowReader:
		return x.RowTo
	}
	return func(i int, dst []float64) {
		for j := range dst {
			dst[j] = X.At(i, j)
		}
	}
}

// prepRow checks row i for NaN/Inf, L2-normalises it (an all-zero row stays
// zero) and subtracts mean if not nil.
func prepRow(i int, row, mean []float64) error {
	var ss float64
	for j, v := range row {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("coarse: row %d column %d is %v", i, j, v)
		}
		ss += v * v
	}
	if ss > 0 {
		floats.Scale(1/math.Sqrt(ss), row)
	}
	if mean != nil {
		floats.Sub(row, mean)
	}
	return nil
}

// forBlocks calls fn with consecutive blocks of prepared rows (normalised, and
// centred if mean is not nil); blk is r x d and only valid during the call.
func forBlocks(X mat.Matrix, blockRows int, mean []float64, fn func(i0 int, blk *mat.Dense)) error {
	n, d := X.Dims()
	row := rowFunc(X)
	buf := make([]float64, min(blockRows, n)*d)
	for i0 := 0; i0 < n; i0 += blockRows {
		r := min(blockRows, n-i0)
		for k := 0; k < r; k++ {
			dst := buf[k*d : (k+1)*d]
			row(i0+k, dst)
			if err := prepRow(i0+k, dst, mean); err != nil {
				return err
			}
		}
		fn(i0, mat.NewDense(r, d, buf[:r*d]))
	}
	return nil
}

// Fit computes the PCA median-split labeling of X (n x d, rows are images).
// opts may be nil. It needs n >= 2 and Bits <= min(n-1, d, 8).
// Errors name the first row holding NaN or Inf.
func Fit(X mat.Matrix, opts *Options) (*Labeling, error) {
	o := opts.withDefaults()
	n, d := X.Dims()
	if n < 2 || o.Bits < 1 || o.Bits > 8 || o.Bits > min(n-1, d) {
		return nil, fmt.Errorf("coarse: cannot fit %d components to a %d x %d matrix (need 1 <= bits <= min(n-1, d, 8))", o.Bits, n, d)
	}
	// Pass 1: mean of the normalised rows and their total sum of squares.
	mean := make([]float64, d)
	var sumSq float64
	err := forBlocks(X, o.BlockRows, nil, func(_ int, blk *mat.Dense) {
		r, _ := blk.Dims()
		for k := 0; k < r; k++ {
			v := blk.RawRowView(k)
			floats.Add(mean, v)
			sumSq += floats.Dot(v, v)
		}
	})
	if err != nil {
		return nil, err
	}
	floats.Scale(1/float64(n), mean)
	total := (sumSq - float64(n)*floats.Dot(mean, mean)) / float64(n-1)
	if !(total > 0) {
		return nil, fmt.Errorf("coarse: the %d normalised rows have no variance (all identical?)", n)
	}

	method := o.Method
	if method == Auto {
		method = Exact
		if min(n, d) > ExactLimit {
			method = Randomized
		}
	}
	var comps [][]float64
	var eig []float64
	switch {
	case method == Randomized:
		comps, eig, err = randomizedPCA(X, mean, o)
	case d <= n:
		comps, eig, err = covariancePCA(X, mean, o)
	default:
		comps, eig, err = gramPCA(X, mean, o)
	}
	if err != nil {
		return nil, err
	}
	l := &Labeling{N: n, D: d, Bits: o.Bits, Method: method, Mean: mean, TotalVariance: total,
		Components: mat.NewDense(o.Bits, d, nil), Variance: make([]float64, o.Bits), Medians: make([]float64, o.Bits)}
	for k := 0; k < o.Bits; k++ {
		fixSign(comps[k])
		l.Components.SetRow(k, comps[k])
		l.Variance[k] = eig[k] / float64(n-1)
	}
	p, err := l.project(X)
	if err != nil {
		return nil, err
	}
	col := make([]float64, n)
	for k := 0; k < o.Bits; k++ {
		mat.Col(col, k, p)
		l.Medians[k] = median(col)
	}
	l.Codes = codesFrom(p, l.Medians)
	return l, nil
}

// project returns the m x Bits projections of the prepared rows of X, one dot
// product per entry so that a row's projection does not depend on the other rows.
func (l *Labeling) project(X mat.Matrix) (*mat.Dense, error) {
	m, _ := X.Dims()
	p := mat.NewDense(m, l.Bits, nil)
	err := forBlocks(X, 1024, l.Mean, func(i0 int, blk *mat.Dense) {
		r, _ := blk.Dims()
		for k := 0; k < r; k++ {
			v := blk.RawRowView(k)
			for j := 0; j < l.Bits; j++ {
				p.Set(i0+k, j, floats.Dot(v, l.Components.RawRowView(j)))
			}
		}
	})
	return p, err
}

// topEigen returns the top `bits` eigenvectors (as slices) and eigenvalues of s, descending.
func topEigen(s *mat.SymDense, bits int) ([][]float64, []float64, error) {
	var es mat.EigenSym
	if !es.Factorize(s, true) {
		return nil, nil, fmt.Errorf("coarse: eigen-decomposition did not converge")
	}
	vals := es.Values(nil) // ascending
	var vecs mat.Dense
	es.VectorsTo(&vecs)
	r, _ := s.Dims()
	comps := make([][]float64, bits)
	eig := make([]float64, bits)
	for k := 0; k < bits; k++ {
		c := r - 1 - k
		comps[k] = mat.Col(nil, c, &vecs)
		eig[k] = max(vals[c], 0)
	}
	return comps, eig, nil
}

// covariancePCA: eigen-decomposition of the d x d scatter matrix of the centred rows.
func covariancePCA(X mat.Matrix, mean []float64, o Options) ([][]float64, []float64, error) {
	_, d := X.Dims()
	s := mat.NewSymDense(d, nil)
	err := forBlocks(X, o.BlockRows, mean, func(_ int, blk *mat.Dense) {
		s.SymRankK(s, 1, blk.T())
	})
	if err != nil {
		return nil, nil, err
	}
	return topEigen(s, o.Bits)
}

// gramPCA: eigen-decomposition of the n x n Gram matrix A A^T of the centred
// rows A; components are A^T u / ||A^T u|| (for n < d).
func gramPCA(X mat.Matrix, mean []float64, o Options) ([][]float64, []float64, error) {
	n, d := X.Dims()
	a := mat.NewDense(n, d, nil)
	err := forBlocks(X, o.BlockRows, mean, func(i0 int, blk *mat.Dense) {
		r, _ := blk.Dims()
		a.Slice(i0, i0+r, 0, d).(*mat.Dense).Copy(blk)
	})
	if err != nil {
		return nil, nil, err
	}
	g := mat.NewSymDense(n, nil)
	g.SymRankK(g, 1, a)
	us, eig, err := topEigen(g, o.Bits)
	if err != nil {
		return nil, nil, err
	}
	comps := make([][]float64, o.Bits)
	for k, u := range us {
		v := mat.NewVecDense(d, nil)
		v.MulVec(a.T(), mat.NewVecDense(n, u))
		nv := mat.Norm(v, 2)
		if nv == 0 {
			return nil, nil, fmt.Errorf("coarse: component %d has zero variance", k+1)
		}
		v.ScaleVec(1/nv, v)
		comps[k] = v.RawVector().Data
	}
	return comps, eig, nil
}

// randomizedPCA: subspace iteration on the covariance, C Q = sum over row blocks
// of B^T (B Q), never forming the centred matrix (Halko, Martinsson & Tropp 2011,
// "Finding structure with randomness", Alg. 4.4 applied to A^T A, followed by a
// Rayleigh-Ritz step: eigen-decomposition of Q^T C Q).
func randomizedPCA(X mat.Matrix, mean []float64, o Options) ([][]float64, []float64, error) {
	n, d := X.Dims()
	l := min(o.Bits+o.Oversample, d, n)
	rng := rand.New(rand.NewPCG(o.Seed, 0x636f61727365)) // "coarse"
	q := mat.NewDense(d, l, nil)
	for i := 0; i < d; i++ {
		for j := 0; j < l; j++ {
			q.Set(i, j, rng.NormFloat64())
		}
	}
	orthonormalise(q, rng)
	y := mat.NewDense(d, l, nil)
	covTimes := func(q *mat.Dense) error {
		y.Zero()
		var t, acc mat.Dense
		return forBlocks(X, o.BlockRows, mean, func(_ int, blk *mat.Dense) {
			t.Reset()
			t.Mul(blk, q)
			acc.Reset()
			acc.Mul(blk.T(), &t)
			y.Add(y, &acc)
		})
	}
	for it := 0; it < o.PowerIters; it++ {
		if err := covTimes(q); err != nil {
			return nil, nil, err
		}
		q.Copy(y)
		orthonormalise(q, rng)
	}
	if err := covTimes(q); err != nil {
		return nil, nil, err
	}
	var m mat.Dense
	m.Mul(q.T(), y)
	s := mat.NewSymDense(l, nil)
	for i := 0; i < l; i++ {
		for j := i; j < l; j++ {
			s.SetSym(i, j, (m.At(i, j)+m.At(j, i))/2)
		}
	}
	us, eig, err := topEigen(s, o.Bits)
	if err != nil {
		return nil, nil, err
	}
	comps := make([][]float64, o.Bits)
	for k, u := range us {
		v := mat.NewVecDense(d, nil)
		v.MulVec(q, mat.NewVecDense(l, u))
		comps[k] = v.RawVector().Data
	}
	return comps, eig, nil
}

// orthonormalise makes the columns of q orthonormal by modified Gram-Schmidt,
// applied twice for stability; a column that vanishes is replaced by a random one.
func orthonormalise(q *mat.Dense, rng *rand.Rand) {
	d, l := q.Dims()
	cols := make([][]float64, l)
	for j := range cols {
		cols[j] = mat.Col(nil, j, q)
	}
	for j := 0; j < l; j++ {
		for attempt := 0; ; attempt++ {
			orig := math.Sqrt(floats.Dot(cols[j], cols[j]))
			for pass := 0; pass < 2; pass++ {
				for k := 0; k < j; k++ {
					floats.AddScaled(cols[j], -floats.Dot(cols[k], cols[j]), cols[k])
				}
			}
			nv := math.Sqrt(floats.Dot(cols[j], cols[j]))
			if nv > 1e-10*orig && nv > 0 || attempt > 3 {
				floats.Scale(1/nv, cols[j])
				break
			}
			for i := 0; i < d; i++ {
				cols[j][i] = rng.NormFloat64()
			}
		}
		q.SetCol(j, cols[j])
	}
}

// MustFit is Fit that panics on error, for notebooks.
func MustFit(X mat.Matrix, opts *Options) *Labeling {
	l, err := Fit(X, opts)
	if err != nil {
		panic(err)
	}
	return l
}
