// Package encoding fits cross-validated ridge regression encoding models: from
// model features X (n x p, rows are stimuli) to many targets Y (n x t, e.g. voxels
// or recorded units), and scores each target by the Pearson correlation of its
// held-out predictions with the measurements.
//
// # Scheme
//
//   - Outer k-fold CV (Options.Folds, default 5) over stimuli, with a seeded
//     random fold assignment (fold sizes differ by at most one).
//   - In each outer training set, features are z-scored with the training means
//     and standard deviations (a feature with zero training variance is only
//     centred) and the test rows are transformed with the same statistics;
//     targets are centred with the training means (the fitted intercept).
//   - The penalty alpha is chosen per target by an inner k-fold CV
//     (Options.InnerFolds, default 5) on the outer training set, minimising the
//     summed squared error of the inner held-out predictions. Inner folds use the
//     outer-fold z-scoring (as a StandardScaler fit on the outer training set in
//     front of a cross-validated ridge) and re-centre features and targets with
//     their own inner training means. Ties go to the larger alpha.
//     With Options.InnerLOO the inner CV is replaced by exact leave-one-out errors
//     from the hat matrix of a single decomposition of the outer training set.
//   - Every fit (each inner fold and the outer refit) uses ONE spectral
//     decomposition for all alphas: with the centred training features
//     A = U S V^T, the ridge prediction for test features B is
//     B V diag(s/(s^2+alpha)) U^T Y. Depending on the shape it is computed in the
//     dual form (n_train <= p: eigendecomposition of A A^T = U S^2 U^T, with
//     B V S = B A^T U, so the prediction is (B A^T) U diag(1/(s^2+alpha)) U^T Y)
//     or the primal form (eigendecomposition of A^T A = V S^2 V^T). Components with
//     s^2 <= n * eps * max(s^2) are dropped, as the null space of A.
//     In the dual form the Gram matrix Z Z^T of the z-scored features is computed
//     once per outer fold; centring by any subset's means is applied to it exactly.
//     The symmetric eigendecomposition of the smaller Gram or covariance matrix gives
//     the same U, s, V as an SVD of A at lower cost (here an 800 x 800 gonum
//     mat.EigenSym took 1.3 s against 3.5 s for mat.SVD of 800 x 4096); eigSym
//     (eig.go, tridiag.go: a blocked tridiagonal reduction on contiguous rows with its
//     products on internal/gemm, then implicit QL with its rotations applied in batches to
//     column panels by all cores) takes 0.33-0.40 s against 1.7-2.0 s for mat.EigenSym
//     (BenchmarkEig800, 2 cores, load average 1.4-1.9). The large products (Gram, projections, fitted values) use
//     internal/gemm (FMA kernels in GOEXPERIMENT=simd builds on AVX2/AVX-512 CPUs).
//   - InnerLOO reuses the outer training set's decomposition for the refit, and
//     computes the fitted values of all alphas from one product U [D_1 B | D_2 B | ...].
//     Outer folds run concurrently (Options.Workers); results do not depend on it.
//   - Score: out-of-fold predictions from the k outer folds are concatenated and
//     correlated (Pearson) with Y per target (Result.R, as sklearn's
//     cross_val_predict). Result.FoldR also holds the per-fold correlations and
//     Result.MeanFoldR their mean (Brain-Score's per-split scheme).
//     Result.Score is the mean of R over targets.
//   - Ceiling normalisation (Brain-Score style): when Options.Ceiling > 0,
//     Result.Normalized = Score / Ceiling, clamped to 1 with Result.Clamped set.
//
// The default alpha grid is 20 values log-spaced from 1e-10 to 1e10
// (the main study's grid, docs/methods.md). The package never imports GoMLX.
package encoding

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sort"
	"sync"

	"gonum.org/v1/gonum/mat"

	"github.com/coarsealign/coarsealign/internal/gemm"
	"github.com/coarsealign/coarsealign/pkg/stats"
)

// Options configure Ridge. The zero value means the defaults.
type Options struct {
	// Alphas is the penalty grid; nil means DefaultAlphas().
	Alphas []float64
	// Folds is the number of outer folds (default 5); InnerFolds the number of
	// inner folds used to choose alpha (default 5).
	Folds, InnerFolds int
	// Seed fixes the fold assignments.
	Seed uint64
	// InnerLOO chooses alpha by efficient leave-one-out on the outer training set
	// (one decomposition per outer fold, as sklearn's RidgeCV with cv=None) instead of
	// InnerFolds-fold CV. Faster; InnerFolds is then ignored and Result.InnerFold is nil per fold.
	InnerLOO bool
	// Ceiling, if > 0, is the noise ceiling of the mean score (same units as Pearson r).
	Ceiling float64
	// Workers is the number of outer folds fitted concurrently (default GOMAXPROCS).
	// Results do not depend on it.
	Workers int
}

// DefaultAlphas returns 20 penalties log-spaced from 1e-10 to 1e10.
func DefaultAlphas() []float64 { return LogSpace(-10, 10, 20) }

// LogSpace returns m values 10^lo .. 10^hi, log-spaced (numpy.logspace).
func LogSpace(lo, hi float64, m int) []float64 {
	out := make([]float64, m)
	for i := range out {
		e := lo
		if m > 1 {
			e = lo + (hi-lo)*float64(i)/float64(m-1)
		}
		out[i] = math.Pow(10, e)
	}
	return out
}

// Result holds the cross-validated scores. t is the number of targets, k the number of folds.
type Result struct {
	// R is the Pearson r per target between the concatenated out-of-fold predictions and Y (length t).
	R []float64
	// FoldR[f][j] is the Pearson r of target j within outer fold f (k x t);
	// MeanFoldR[j] its mean over folds.
	FoldR     [][]float64
	MeanFoldR []float64
	// Alpha[f][j] is the penalty chosen for target j in outer fold f (k x t).
	Alpha [][]float64
	// Pred is the n x t matrix of out-of-fold predictions.
	Pred *mat.Dense
	// Fold[i] is the outer fold of stimulus i. InnerFold[f][r] is the inner fold of the
	// r-th training stimulus (in increasing index order) of outer fold f.
	Fold      []int
	InnerFold [][]int
	// Score is the mean of R over targets (NaN entries, from constant targets, skipped).
	Score float64
	// Normalized is Score/Ceiling (clamped to 1) when a ceiling was given, else NaN;
	// Clamped reports that Score/Ceiling exceeded 1.
	Normalized float64
	Clamped    bool
}

// Folds returns a seeded random assignment of n items to k folds (values 0..k-1),
// fold sizes differing by at most one. It panics if k < 2 or k > n.
func Folds(n, k int, seed uint64) []int {
	if k < 2 || k > n {
		panic(fmt.Sprintf("encoding: %d folds for %d items", k, n))
	}
	rng := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	perm := rng.Perm(n)
	f := make([]int, n)
	for pos, i := range perm {
		f[i] = pos % k
	}
	return f
}

// Ridge fits cross-validated ridge regressions from x (n x p) to every column of
// y (n x t) as described in the package doc. It returns an error for mismatched
// rows, NaN or infinite entries (naming the matrix and entry), non-positive alphas,
// or too few stimuli for the folds (each inner training set needs >= 2 rows).
func Ridge(x, y mat.Matrix, opt Options) (*Result, error) {
	n, p := x.Dims()
	ny, t := y.Dims()
	if n != ny {
		return nil, fmt.Errorf("encoding: X has %d rows but Y has %d", n, ny)
	}
	if p == 0 || t == 0 {
		return nil, fmt.Errorf("encoding: X is %dx%d and Y is %dx%d; need features and targets", n, p, ny, t)
	}
	alphas := opt.Alphas
	if alphas == nil {
		alphas = DefaultAlphas()
	}
	for i, a := range alphas {
		if !(a > 0) || math.IsInf(a, 0) {
			return nil, fmt.Errorf("encoding: alpha[%d] = %g must be positive and finite", i, a)
		}
	}
	k, ki := opt.Folds, opt.InnerFolds
	if k == 0 {
		k = 5
	}
	if ki == 0 {
		ki = 5
	}
	if k < 2 || ki < 2 {
		return nil, fmt.Errorf("encoding: need at least 2 folds, got Folds=%d InnerFolds=%d", k, ki)
	}
	if n/k*(k-1)/ki*(ki-1) < 2 || n < k {
		return nil, fmt.Errorf("encoding: %d stimuli are too few for %d outer x %d inner folds", n, k, ki)
	}
	xd, yd := asDense(x), asDense(y)
	if err := finite("X", xd); err != nil {
		return nil, err
	}
	if err := finite("Y", yd); err != nil {
		return nil, err
	}

	fold := Folds(n, k, opt.Seed)
	res := &Result{
		FoldR: make([][]float64, k), Alpha: make([][]float64, k),
		Pred: mat.NewDense(n, t, nil), Fold: fold, Normalized: math.NaN(),
	}
	res.InnerFold = make([][]int, k)
	workers := opt.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range min(workers, k) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for f := range jobs {
				res.outerFold(f, xd, yd, alphas, ki, opt.InnerLOO, opt.Seed)
			}
		}()
	}
	for f := 0; f < k; f++ {
		jobs <- f
	}
	close(jobs)
	wg.Wait()
	res.R = make([]float64, t)
	res.MeanFoldR = make([]float64, t)
	col := make([]float64, n)
	pc := make([]float64, n)
	for j := 0; j < t; j++ {
		mat.Col(col, j, yd)
		mat.Col(pc, j, res.Pred)
		res.R[j] = pearson(pc, col)
		s := 0.0
		for f := 0; f < k; f++ {
			s += res.FoldR[f][j]
		}
		res.MeanFoldR[j] = s / float64(k)
	}
	res.Score = stats.Mean(res.R)
	if opt.Ceiling > 0 {
		res.Normalized = res.Score / opt.Ceiling
		if res.Normalized > 1 {
			res.Normalized, res.Clamped = 1, true
		}
	}
	return res, nil
}

// outerFold fits outer fold f: z-scoring, alpha choice by inner k-fold CV (or LOO),
// refit, out-of-fold predictions. Folds write disjoint parts of res, so they may run
// concurrently.
func (res *Result) outerFold(f int, xd, yd *mat.Dense, alphas []float64, ki int, loo bool, seed uint64) {
	_, t := yd.Dims()
	var train, test []int
	for i, fi := range res.Fold {
		if fi == f {
			test = append(test, i)
		} else {
			train = append(train, i)
		}
	}
	z := zscore(xd, train)
	fe := newFitter(z, yd)
	// Summed squared error per (alpha, target) of the inner held-out predictions.
	var sse [][]float64
	var fit *fitted
	if loo {
		d := fe.decompose(train) // shared by the LOO errors and the refit
		sse = fe.looSSE(d, alphas)
		fit = d.at(test)
	} else {
		innerFold := Folds(len(train), ki, seed^(uint64(f+1)*0xbf58476d1ce4e5b9))
		res.InnerFold[f] = innerFold
		sse = fe.kfoldSSE(train, innerFold, ki, alphas)
		fit = fe.fit(train, test)
	}
	best := make([]int, t)
	chosen := make([]float64, t)
	for j := 0; j < t; j++ {
		b := 0
		for a := 1; a < len(alphas); a++ {
			if sse[a][j] < sse[b][j] || (sse[a][j] == sse[b][j] && alphas[a] > alphas[b]) {
				b = a
			}
		}
		best[j] = b
		chosen[j] = alphas[b]
	}
	res.Alpha[f] = chosen
	// Outer refit: one decomposition, targets grouped by their alpha.
	byAlpha := map[int][]int{}
	for j, b := range best {
		byAlpha[b] = append(byAlpha[b], j)
	}
	for b, cols := range byAlpha {
		pr := fit.predict(alphas[b], cols)
		for r, i := range test {
			row := pr.RawRowView(r)
			for c, j := range cols {
				res.Pred.Set(i, j, row[c])
			}
		}
	}
	fr := make([]float64, t)
	for j := 0; j < t; j++ {
		a, b := make([]float64, len(test)), make([]float64, len(test))
		for r, i := range test {
			a[r], b[r] = res.Pred.At(i, j), yd.At(i, j)
		}
		fr[j] = pearson(a, b)
	}
	res.FoldR[f] = fr
}

// kfoldSSE returns sse[alpha][target], the summed squared errors of the predictions for
// the inner held-out rows over ki inner folds of the rows train (innerFold[r] is the
// fold of train[r]), one decomposition per inner fold.
func (fe *fitter) kfoldSSE(train, innerFold []int, ki int, alphas []float64) [][]float64 {
	_, t := fe.y.Dims()
	sse := make([][]float64, len(alphas))
	for a := range sse {
		sse[a] = make([]float64, t)
	}
	for g := 0; g < ki; g++ {
		var itr, ite []int
		for j, gi := range innerFold {
			if gi == g {
				ite = append(ite, train[j])
			} else {
				itr = append(itr, train[j])
			}
		}
		fit := fe.fit(itr, ite)
		for a, al := range alphas {
			pr := fit.predict(al, nil)
			for r, i := range ite {
				row := pr.RawRowView(r)
				yr := fe.y.RawRowView(i)
				s := sse[a]
				for j := range row {
					d := yr[j] - row[j]
					s[j] += d * d
				}
			}
		}
	}
	return sse
}

// looSSE returns sse[alpha][target], the summed squared leave-one-out errors on the
// training rows of d, from its one decomposition (Golub, Heath & Wahba 1979; sklearn
// RidgeCV with cv=None, gcv_mode "eigen"/"svd"): with the centred training features
// A = U S V^T and the unpenalised intercept, the hat matrix is
// H = 11^T/n + U diag(s^2/(s^2+alpha)) U^T and the LOO residual of row i is
// (y_i - yhat_i) / (1 - H_ii). The fitted values for several alphas come from one
// matrix product U [D_1 U^T Y_c | D_2 U^T Y_c | ...] (D_a = diag(s^2/(s^2+alpha_a))).
func (fe *fitter) looSSE(d *decomp, alphas []float64) [][]float64 {
	_, t := fe.y.Dims()
	tr := d.tr
	u, uty := d.leftVectors()
	ntr, r := u.Dims()
	na := len(alphas)
	// dm[c][a] = s_c^2/(s_c^2+alpha_a); h[i][a] = 1/n + sum_c U_ic^2 dm[c][a].
	dm := mat.NewDense(r, na, nil)
	for c, l := range d.lambda {
		for a, al := range alphas {
			if !math.IsInf(l, 1) { // +Inf marks all-zero features (eigKeep): no fit, d = 0
				dm.Set(c, a, l/(l+al))
			}
		}
	}
	u2 := mat.NewDense(ntr, r, nil)
	for i := 0; i < ntr; i++ {
		src, dst := u.RawRowView(i), u2.RawRowView(i)
		for c, v := range src {
			dst[c] = v * v
		}
	}
	var h mat.Dense
	h.Mul(u2, dm)
	sse := make([][]float64, na)
	// Alphas per product: bounds the ntr x (chunk*t) buffer (~16 MB at ntr=800, t=500).
	chunk := max(1, min(na, (2<<20)/max(1, ntr*t)))
	rhsBuf, yhatBuf := make([]float64, r*chunk*t), make([]float64, ntr*chunk*t) // reused by every chunk
	ur := u.RawMatrix()
	for a0 := 0; a0 < na; a0 += chunk {
		m := min(chunk, na-a0)
		rhs := mat.NewDense(r, m*t, rhsBuf[:r*m*t])
		for c := 0; c < r; c++ {
			src, dst := uty.RawRowView(c), rhs.RawRowView(c)
			for k := 0; k < m; k++ {
				dc := dm.At(c, a0+k)
				out := dst[k*t : (k+1)*t]
				for j, v := range src {
					out[j] = v * dc
				}
			}
		}
		yhat := mat.NewDense(ntr, m*t, yhatBuf[:ntr*m*t])
		gemm.MulF64(ntr, m*t, r, ur.Data, ur.Stride, rhsBuf, m*t, yhatBuf, m*t)
		for k := 0; k < m; k++ {
			s := make([]float64, t)
			for row, i := range tr {
				yr, pr := fe.y.RawRowView(i), yhat.RawRowView(row)[k*t:(k+1)*t]
				w := 1 / (1 - (1/float64(ntr) + h.At(row, a0+k)))
				for j := range s {
					e := (yr[j] - d.ymean[j] - pr[j]) * w
					s[j] += e * e
				}
			}
			sse[a0+k] = s
		}
	}
	return sse
}

// asDense returns m itself if it is a *mat.Dense (Ridge only reads its inputs), else a copy.
func asDense(m mat.Matrix) *mat.Dense {
	if d, ok := m.(*mat.Dense); ok {
		return d
	}
	return mat.DenseCopyOf(m)
}

func finite(name string, m *mat.Dense) error {
	r, _ := m.Dims()
	for i := 0; i < r; i++ {
		for j, v := range m.RawRowView(i) {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("encoding: %s[%d,%d] is %g", name, i, j, v)
			}
		}
	}
	return nil
}

// zscore returns x with every column standardised by the mean and standard deviation
// (ddof 0, as sklearn's StandardScaler) over the rows in train; zero-variance columns are only centred.
func zscore(x *mat.Dense, train []int) *mat.Dense {
	n, p := x.Dims()
	mu := make([]float64, p)
	sd := make([]float64, p)
	for _, i := range train {
		for j, v := range x.RawRowView(i) {
			mu[j] += v
		}
	}
	for j := range mu {
		mu[j] /= float64(len(train))
	}
	for _, i := range train {
		for j, v := range x.RawRowView(i) {
			d := v - mu[j]
			sd[j] += d * d
		}
	}
	for j := range sd {
		sd[j] = math.Sqrt(sd[j] / float64(len(train)))
		if sd[j] <= 1e-12*math.Max(math.Abs(mu[j]), 1) {
			sd[j] = 1
		}
	}
	z := mat.NewDense(n, p, nil)
	for i := 0; i < n; i++ {
		src, dst := x.RawRowView(i), z.RawRowView(i)
		for j, v := range src {
			dst[j] = (v - mu[j]) / sd[j]
		}
	}
	return z
}

// fitter holds the z-scored features of one outer fold and, in the dual form,
// their full Gram matrix.
type fitter struct {
	z, y *mat.Dense
	gram *mat.SymDense // n x n, nil in the primal form
}

func newFitter(z, y *mat.Dense) *fitter {
	n, p := z.Dims()
	fe := &fitter{z: z, y: y}
	if n*4/5 <= p { // training sets are at least ~4/5 of n with >= 5 folds; dual when n_train <= p
		fe.gram = gemm.Gram(z)
	}
	return fe
}

// fitted is one decomposition: prediction(alpha) = P diag(1/(lambda+alpha)) Q + ymean.
type fitted struct {
	p      *mat.Dense // n_test x r
	q      *mat.Dense // r x t
	lambda []float64  // length r, the retained s^2
	ymean  []float64  // length t
	dual   bool       // p = K_te,tr U (dual) or B V (primal)
}

// leftVectors returns the left singular vectors U (n_train x r) of the centred training
// features and U^T Y_c (r x t): the eigenvectors and q themselves in the dual form;
// U = A V S^-1 and S^-1 V^T A^T Y_c in the primal form.
func (d *decomp) leftVectors() (u, uty *mat.Dense) {
	if d.dual {
		return d.basis, d.q
	}
	av := d.at(d.tr).p
	n, r := av.Dims()
	_, t := d.q.Dims()
	u = mat.NewDense(n, r, nil)
	uty = mat.NewDense(r, t, nil)
	scale := make([]float64, r)
	for c, l := range d.lambda {
		scale[c] = 1 / math.Sqrt(l)
	}
	for i := 0; i < n; i++ {
		src, dst := av.RawRowView(i), u.RawRowView(i)
		for c, v := range src {
			dst[c] = v * scale[c]
		}
	}
	for c := 0; c < r; c++ {
		src, dst := d.q.RawRowView(c), uty.RawRowView(c)
		for j, v := range src {
			dst[j] = v * scale[c]
		}
	}
	return u, uty
}

// decomp is one spectral decomposition of the centred training features of rows tr.
type decomp struct {
	fe     *fitter
	tr     []int
	basis  *mat.Dense // dual: U (ntr x r); primal: V (p x r)
	lambda []float64  // length r, the retained s^2
	ymean  []float64  // length t
	q      *mat.Dense // r x t: U^T Y_c (dual) or V^T A^T Y_c (primal)
	dual   bool
	gtr    []float64 // dual: mean over tr of the Gram row of each training row
	c      float64   // dual: grand mean of the Gram block tr x tr
	mu     []float64 // primal: training means of the z-scored features
}

// fit decomposes the centred training features of rows tr and prepares predictions for rows te.
func (fe *fitter) fit(tr, te []int) *fitted { return fe.decompose(tr).at(te) }

// decompose centres the training rows tr (features and targets) and decomposes them once;
// predictions for any test rows follow from decomp.at.
func (fe *fitter) decompose(tr []int) *decomp {
	_, t := fe.y.Dims()
	ntr := len(tr)
	d := &decomp{fe: fe, tr: tr, ymean: make([]float64, t)}
	ymean := d.ymean
	for _, i := range tr {
		for j, v := range fe.y.RawRowView(i) {
			ymean[j] += v
		}
	}
	for j := range ymean {
		ymean[j] /= float64(ntr)
	}
	yc := mat.NewDense(ntr, t, nil)
	for r, i := range tr {
		src, dst := fe.y.RawRowView(i), yc.RawRowView(r)
		for j, v := range src {
			dst[j] = v - ymean[j]
		}
	}
	d.dual = fe.gram != nil && ntr <= fe.z.RawMatrix().Cols
	if d.dual {
		// Centred kernel entries: G_ij - g_i - g_j + c with g_i = mean_{l in tr} G_il.
		d.gtr = make([]float64, ntr)
		for r, i := range tr {
			d.gtr[r] = d.rowMean(i)
			d.c += d.gtr[r]
		}
		d.c /= float64(ntr)
		kc := mat.NewSymDense(ntr, nil)
		for a, i := range tr {
			for b := a; b < ntr; b++ {
				kc.SetSym(a, b, fe.gram.At(i, tr[b])-d.gtr[a]-d.gtr[b]+d.c)
			}
		}
		d.basis, d.lambda = eigKeep(kc)
		d.q = gemm.MulTA(d.basis, yc)
	} else {
		_, p := fe.z.Dims()
		d.mu = make([]float64, p)
		for _, i := range tr {
			for j, v := range fe.z.RawRowView(i) {
				d.mu[j] += v
			}
		}
		for j := range d.mu {
			d.mu[j] /= float64(ntr)
		}
		a := d.centredRows(tr)
		at := mat.DenseCopyOf(a.T())
		d.basis, d.lambda = eigKeep(gemm.Gram(at))
		d.q = gemm.MulTA(d.basis, gemm.Mul(at, yc))
	}
	return d
}

// rowMean returns the mean over the training rows of the Gram row of row i (dual form).
func (d *decomp) rowMean(i int) float64 {
	s := 0.0
	for _, l := range d.tr {
		s += d.fe.gram.At(i, l)
	}
	return s / float64(len(d.tr))
}

// centredRows returns the z-scored features of rows minus the training means (primal form).
func (d *decomp) centredRows(rows []int) *mat.Dense {
	_, p := d.fe.z.Dims()
	m := mat.NewDense(len(rows), p, nil)
	for r, i := range rows {
		src, dst := d.fe.z.RawRowView(i), m.RawRowView(r)
		for j, v := range src {
			dst[j] = v - d.mu[j]
		}
	}
	return m
}

// at prepares predictions for the rows te from the decomposition.
func (d *decomp) at(te []int) *fitted {
	var pm *mat.Dense
	if d.dual {
		ntr := len(d.tr)
		kte := mat.NewDense(len(te), ntr, nil)
		for a, i := range te {
			gi := d.rowMean(i)
			row := kte.RawRowView(a)
			for b, l := range d.tr {
				row[b] = d.fe.gram.At(i, l) - gi - d.gtr[b] + d.c
			}
		}
		pm = gemm.Mul(kte, d.basis)
	} else {
		pm = gemm.Mul(d.centredRows(te), d.basis)
	}
	return &fitted{p: pm, q: d.q, lambda: d.lambda, ymean: d.ymean, dual: d.dual}
}

// eigKeep returns the eigenvectors (columns) and eigenvalues of s, keeping eigenvalues
// above n*eps*max (the numerical null space is dropped).
func eigKeep(s *mat.SymDense) (*mat.Dense, []float64) {
	vals, vec, ok := eigSym(s)
	if !ok {
		var e mat.EigenSym
		if !e.Factorize(s, true) {
			panic("encoding: eigendecomposition failed to converge")
		}
		vals = e.Values(nil)
		vec = new(mat.Dense)
		e.VectorsTo(vec)
	}
	n := len(vals)
	mx := 0.0
	for _, v := range vals {
		mx = math.Max(mx, v)
	}
	tol := float64(n) * 2.220446049250313e-16 * mx // machine epsilon for float64
	var keep []int
	for i, v := range vals {
		if v > tol {
			keep = append(keep, i)
		}
	}
	out := mat.NewDense(n, max(len(keep), 1), nil)
	lam := make([]float64, len(keep))
	for c, i := range keep {
		lam[c] = vals[i]
	}
	ro, rv := out.RawMatrix(), vec.RawMatrix()
	for r := 0; r < n; r++ {
		src, dst := rv.Data[r*rv.Stride:r*rv.Stride+n], ro.Data[r*ro.Stride:r*ro.Stride+len(keep)]
		for c, i := range keep {
			dst[c] = src[i]
		}
	}
	if len(keep) == 0 { // all-zero features: predict the training mean
		return out, []float64{math.Inf(1)}
	}
	return out, lam
}

// predict returns the n_test x len(cols) predictions for penalty alpha (cols nil = all targets).
func (f *fitted) predict(alpha float64, cols []int) *mat.Dense {
	nte, r := f.p.Dims()
	sc := mat.NewDense(nte, r, nil)
	for i := 0; i < nte; i++ {
		src, dst := f.p.RawRowView(i), sc.RawRowView(i)
		for c, v := range src {
			dst[c] = v / (f.lambda[c] + alpha)
		}
	}
	var q mat.Matrix = f.q
	ym := f.ymean
	if cols != nil {
		qs := mat.NewDense(r, len(cols), nil)
		for a := 0; a < r; a++ {
			src, dst := f.q.RawRowView(a), qs.RawRowView(a)
			for c, j := range cols {
				dst[c] = src[j]
			}
		}
		q = qs
		ym = make([]float64, len(cols))
		for c, j := range cols {
			ym[c] = f.ymean[j]
		}
	}
	out := gemm.Mul(sc, q.(*mat.Dense))
	for i := 0; i < nte; i++ {
		row := out.RawRowView(i)
		for j := range row {
			row[j] += ym[j]
		}
	}
	return out
}

// pearson returns the Pearson correlation of a and b (NaN if either is constant).
func pearson(a, b []float64) float64 {
	n := float64(len(a))
	ma, mb := 0.0, 0.0
	for i := range a {
		ma += a[i]
		mb += b[i]
	}
	ma /= n
	mb /= n
	var sab, saa, sbb float64
	for i := range a {
		da, db := a[i]-ma, b[i]-mb
		sab += da * db
		saa += da * da
		sbb += db * db
	}
	if saa == 0 || sbb == 0 {
		return math.NaN()
	}
	return sab / math.Sqrt(saa*sbb)
}

// Median returns the median of the non-NaN values of v (NaN if none); useful for
// Brain-Score style aggregation over targets.
func Median(v []float64) float64 {
	w := make([]float64, 0, len(v))
	for _, x := range v {
		if !math.IsNaN(x) {
			w = append(w, x)
		}
	}
	if len(w) == 0 {
		return math.NaN()
	}
	sort.Float64s(w)
	m := len(w)
	if m%2 == 1 {
		return w[m/2]
	}
	return (w[m/2-1] + w[m/2]) / 2
}
