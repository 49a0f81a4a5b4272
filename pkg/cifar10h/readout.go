package cifar10h

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"

	"github.com/coarsealign/coarsealign/pkg/stats"
)

// ReadoutOptions configure FitReadout. The zero value gives the defaults.
type ReadoutOptions struct {
	// Lambdas is the grid of L2 penalties searched by cross-validation (nil means
	// DefaultLambdas). The penalty is (lambda/2) ||W||^2 added to the mean cross-entropy
	// over training images; the intercepts are not penalised.
	Lambdas []float64
	// Folds is the number of cross-validation folds (0 means 5); with a single lambda no
	// cross-validation is run.
	Folds int
	// Seed seeds the fold assignment.
	Seed uint64
	// MaxIter caps the L-BFGS iterations of each fit (0 means 500).
	MaxIter int
	// GradTol stops a fit when the gradient's infinity norm is below it (0 means 1e-6).
	GradTol float64
}

// DefaultLambdas is the default penalty grid: 10^-4 to 10^2 in half decades.
var DefaultLambdas = func() []float64 {
	var l []float64
	for e := -4.0; e <= 2.0001; e += 0.5 {
		l = append(l, math.Pow(10, e))
	}
	return l
}()

// Readout is a multinomial logistic regression from standardised features to the 10
// classes: p(c | x) = softmax(((x - Mean) / Std) W + B)_c.
type Readout struct {
	// Lambda is the penalty chosen by cross-validation (the grid's only value without it).
	Lambda float64
	// Lambdas is the grid searched and CVLoss the mean held-out cross-entropy (nats) for
	// each (nil without cross-validation).
	Lambdas, CVLoss []float64
	// W is d x 10, B has 10 values.
	W *mat.Dense
	B []float64
	// Mean and Std are the training features' means and (population) standard deviations;
	// a constant feature gets Std 1.
	Mean, Std []float64
}

// FitReadout fits a Readout on training features x (n x d, one row per image) and labels
// (n values in 0..9), choosing the penalty by K-fold cross-validation over the grid
// (the lambda with the smallest mean held-out cross-entropy; ties go to the larger
// penalty), then refitting on all images. Features are standardised with the training
// statistics. opts may be nil. It returns an error on mismatched shapes, labels out of
// range, non-finite features or an invalid grid.
func FitReadout(x mat.Matrix, labels []int, opts *ReadoutOptions) (*Readout, error) {
	var o ReadoutOptions
	if opts != nil {
		o = *opts
	}
	if o.Lambdas == nil {
		o.Lambdas = DefaultLambdas
	}
	if o.Folds == 0 {
		o.Folds = 5
	}
	if o.MaxIter == 0 {
		o.MaxIter = 500
	}
	if o.GradTol == 0 {
		o.GradTol = 1e-6
	}
	n, d := x.Dims()
	if len(labels) != n {
		return nil, fmt.Errorf("cifar10h: readout: %d labels for %d feature rows", len(labels), n)
	}
	if len(o.Lambdas) == 0 {
		return nil, fmt.Errorf("cifar10h: readout: empty penalty grid")
	}
	for _, l := range o.Lambdas {
		if !(l >= 0) || math.IsInf(l, 0) {
			return nil, fmt.Errorf("cifar10h: readout: penalty %v, want a finite value >= 0", l)
		}
	}
	for i, l := range labels {
		if l < 0 || l >= NumClasses {
			return nil, fmt.Errorf("cifar10h: readout: label %d of row %d outside 0..%d", l, i, NumClasses-1)
		}
	}
	if len(o.Lambdas) > 1 && (o.Folds < 2 || o.Folds > n) {
		return nil, fmt.Errorf("cifar10h: readout: %d folds for %d rows", o.Folds, n)
	}
	r := &Readout{Mean: make([]float64, d), Std: make([]float64, d)}
	for j := 0; j < d; j++ {
		s, ss := 0.0, 0.0
		for i := 0; i < n; i++ {
			v := x.At(i, j)
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("cifar10h: readout: feature %d of row %d is %v", j, i, v)
			}
			s += v
		}
		m := s / float64(n)
		for i := 0; i < n; i++ {
			dv := x.At(i, j) - m
			ss += dv * dv
		}
		sd := math.Sqrt(ss / float64(n))
		if sd == 0 {
			sd = 1
		}
		r.Mean[j], r.Std[j] = m, sd
	}
	z := r.standardise(x)
	// Penalties from the largest down, each fit warm-started from the previous one.
	order := sortedDesc(o.Lambdas)
	r.Lambda = order[0]
	if len(order) > 1 {
		r.Lambdas = order
		r.CVLoss = make([]float64, len(order))
		for _, f := range stats.KFold(stats.NewRand(o.Seed), n, o.Folds) {
			ztr, ytr := rowsOf(z, labels, f.Train)
			zte, yte := rowsOf(z, labels, f.Test)
			var theta []float64
			for k, l := range order {
				theta = fitLogistic(ztr, ytr, l, theta, o)
				r.CVLoss[k] += meanCE(zte, yte, theta) / float64(o.Folds)
			}
		}
		best := 0
		for k := range order {
			if r.CVLoss[k] < r.CVLoss[best] {
				best = k
			}
		}
		r.Lambda = order[best]
	}
	theta := fitLogistic(z, labels, r.Lambda, nil, o)
	r.W = mat.NewDense(d, NumClasses, append([]float64(nil), theta[:d*NumClasses]...))
	r.B = append([]float64(nil), theta[d*NumClasses:]...)
	return r, nil
}

// Predict returns the class distributions (n x 10) for features x (n x d). It panics if x
// does not have d columns.
func (r *Readout) Predict(x mat.Matrix) *mat.Dense {
	d, _ := r.W.Dims()
	if _, c := x.Dims(); c != d {
		panic(fmt.Sprintf("cifar10h: readout fitted on %d features, given %d", d, c))
	}
	z := r.standardise(x)
	n, _ := z.Dims()
	p := mat.NewDense(n, NumClasses, nil)
	p.Mul(z, r.W)
	for i := 0; i < n; i++ {
		row := p.RawRowView(i)
		for c := range row {
			row[c] += r.B[c]
		}
		softmaxInPlace(row)
	}
	return p
}

func (r *Readout) standardise(x mat.Matrix) *mat.Dense {
	n, d := x.Dims()
	z := mat.NewDense(n, d, nil)
	for i := 0; i < n; i++ {
		row := z.RawRowView(i)
		for j := range row {
			row[j] = (x.At(i, j) - r.Mean[j]) / r.Std[j]
		}
	}
	return z
}

func sortedDesc(x []float64) []float64 {
	s := append([]float64(nil), x...)
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] > s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
	return s
}

func rowsOf(z *mat.Dense, y []int, idx []int) (*mat.Dense, []int) {
	_, d := z.Dims()
	out := mat.NewDense(len(idx), d, nil)
	ys := make([]int, len(idx))
	for k, i := range idx {
		copy(out.RawRowView(k), z.RawRowView(i))
		ys[k] = y[i]
	}
	return out, ys
}

func softmaxInPlace(row []float64) {
	m := math.Inf(-1)
	for _, v := range row {
		m = max(m, v)
	}
	s := 0.0
	for c, v := range row {
		row[c] = math.Exp(v - m)
		s += row[c]
	}
	for c := range row {
		row[c] /= s
	}
}

// logits returns z W + b for theta = (W row-major d x 10, b).
func logits(z *mat.Dense, theta []float64) *mat.Dense {
	n, d := z.Dims()
	w := mat.NewDense(d, NumClasses, theta[:d*NumClasses])
	out := mat.NewDense(n, NumClasses, nil)
	out.Mul(z, w)
	b := theta[d*NumClasses:]
	for i := 0; i < n; i++ {
		row := out.RawRowView(i)
		for c := range row {
			row[c] += b[c]
		}
	}
	return out
}

// meanCE is the mean cross-entropy of labels y under the model theta.
func meanCE(z *mat.Dense, y []int, theta []float64) float64 {
	l := logits(z, theta)
	s := 0.0
	for i, c := range y {
		row := l.RawRowView(i)
		s += floats.LogSumExp(row) - row[c]
	}
	return s / float64(len(y))
}

// lossGrad returns the penalised mean cross-entropy and writes its gradient into grad.
func lossGrad(z *mat.Dense, y []int, lambda float64, theta, grad []float64) float64 {
	n, d := z.Dims()
	p := logits(z, theta)
	loss := 0.0
	for i, c := range y {
		row := p.RawRowView(i)
		loss += floats.LogSumExp(row) - row[c]
		softmaxInPlace(row)
		row[c]--
	}
	inv := 1 / float64(n)
	p.Scale(inv, p) // p is now (P - Y) / n
	gw := mat.NewDense(d, NumClasses, grad[:d*NumClasses])
	gw.Mul(z.T(), p)
	reg := 0.0
	for k := 0; k < d*NumClasses; k++ {
		reg += theta[k] * theta[k]
		grad[k] += lambda * theta[k]
	}
	gb := grad[d*NumClasses:]
	for c := range gb {
		gb[c] = 0
	}
	for i := 0; i < n; i++ {
		for c, v := range p.RawRowView(i) {
			gb[c] += v
		}
	}
	return loss*inv + lambda/2*reg
}

// fitLogistic minimises the penalised loss with L-BFGS from theta0 (nil: zeros).
func fitLogistic(z *mat.Dense, y []int, lambda float64, theta0 []float64, o ReadoutOptions) []float64 {
	_, d := z.Dims()
	x := make([]float64, (d+1)*NumClasses)
	if theta0 != nil {
		copy(x, theta0)
	}
	return lbfgs(func(x, g []float64) float64 { return lossGrad(z, y, lambda, x, g) }, x, o.MaxIter, o.GradTol)
}

// lbfgs minimises f (which returns the value and writes the gradient) from x with
// limited-memory BFGS (10 pairs, Nocedal & Wright 2006, algorithm 7.4) and a backtracking
// Armijo line search. It stops when the gradient's infinity norm is below tol, after
// maxIter iterations, or when the line search makes no progress. x is overwritten.
func lbfgs(f func(x, g []float64) float64, x []float64, maxIter int, tol float64) []float64 {
	const mem = 10
	n := len(x)
	g := make([]float64, n)
	fx := f(x, g)
	var sList, yList [][]float64
	var rho []float64
	dir := make([]float64, n)
	alpha := make([]float64, mem)
	xNew := make([]float64, n)
	gNew := make([]float64, n)
	for it := 0; it < maxIter; it++ {
		if infNorm(g) < tol {
			break
		}
		// Two-loop recursion: dir = -H g.
		for i := range dir {
			dir[i] = -g[i]
		}
		for k := len(sList) - 1; k >= 0; k-- {
			alpha[k] = rho[k] * dot(sList[k], dir)
			axpy(-alpha[k], yList[k], dir)
		}
		if k := len(sList) - 1; k >= 0 {
			gamma := dot(sList[k], yList[k]) / dot(yList[k], yList[k])
			for i := range dir {
				dir[i] *= gamma
			}
		} else {
			// First step: unit length along the steepest descent.
			s := 1 / math.Max(math.Sqrt(dot(g, g)), 1e-300)
			for i := range dir {
				dir[i] *= s
			}
		}
		for k := range sList {
			beta := rho[k] * dot(yList[k], dir)
			axpy(alpha[k]-beta, sList[k], dir)
		}
		slope := dot(g, dir)
		if slope >= 0 { // not a descent direction: restart from steepest descent
			sList, yList, rho = nil, nil, nil
			for i := range dir {
				dir[i] = -g[i]
			}
			slope = dot(g, dir)
		}
		step, fNew := 1.0, 0.0
		ok := false
		for ls := 0; ls < 40; ls++ {
			for i := range x {
				xNew[i] = x[i] + step*dir[i]
			}
			fNew = f(xNew, gNew)
			if fNew <= fx+1e-4*step*slope {
				ok = true
				break
			}
			step /= 2
		}
		if !ok {
			break
		}
		s := make([]float64, n)
		yv := make([]float64, n)
		for i := range x {
			s[i] = xNew[i] - x[i]
			yv[i] = gNew[i] - g[i]
		}
		if sy := dot(s, yv); sy > 1e-12 {
			if len(sList) == mem {
				sList, yList, rho = sList[1:], yList[1:], rho[1:]
			}
			sList, yList, rho = append(sList, s), append(yList, yv), append(rho, 1/sy)
		}
		progress := fx - fNew
		copy(x, xNew)
		copy(g, gNew)
		fx = fNew
		if progress <= 1e-15*math.Max(1, math.Abs(fx)) {
			break
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

func axpy(a float64, x, y []float64) {
	for i := range x {
		y[i] += a * x[i]
	}
}

func infNorm(x []float64) float64 {
	m := 0.0
	for _, v := range x {
		m = math.Max(m, math.Abs(v))
	}
	return m
}
