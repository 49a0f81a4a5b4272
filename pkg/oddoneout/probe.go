package oddoneout

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"
)

// Split selects how Probe partitions the data into folds.
type Split int

const (
	// ByObjects (the study's scheme, the zero value) assigns stimuli to k folds; for
	// fold f the test triplets are those whose three stimuli are all in fold f and the
	// training triplets those whose three stimuli are all outside it (mixed triplets are
	// unused), so test objects are unseen in training (SplitByObjects).
	ByObjects Split = iota
	// ByTriplets assigns triplets to k folds at random; test objects also occur in training.
	ByTriplets
)

// String returns "objects" or "triplets".
func (s Split) String() string {
	if s == ByTriplets {
		return "triplets"
	}
	return "objects"
}

// Scaling selects how Fit and Probe normalise the embedding before learning W.
type Scaling int

const (
	// Standardize subtracts the mean of all entries and divides by their standard
	// deviation (one scalar each), as the study's main_probing.py does (the zero value).
	Standardize Scaling = iota
	// StandardizeColumns z-scores each feature (column); constant columns become 0.
	StandardizeColumns
	// ScaleRMS multiplies by one factor so the mean squared row norm is 1 (no centring).
	ScaleRMS
)

// Init selects the starting W.
type Init int

const (
	// InitGaussian draws W (d x d') from N(0, Sigma^2) (the study: Sigma = 1e-3; the zero value).
	InitGaussian Init = iota
	// InitIdentity starts at the identity (needs d' = d), i.e. from the zero-shot dot solution.
	InitIdentity
)

// Penalty selects the regulariser on W - W0 (W0 = identity with ToIdentity, else 0).
type Penalty int

const (
	// PenaltyFrobenius is Lambda * ||W - W0||_F, not squared (the study; the zero value).
	PenaltyFrobenius Penalty = iota
	// PenaltySquared is Lambda * ||W - W0||_F^2 (ridge).
	PenaltySquared
)

// StudyLambdas is the study's grid of penalty weights.
var StudyLambdas = []float64{1, 1e-1, 1e-2, 1e-3, 1e-4, 1e-5}

// ProbeOptions configure Fit and Probe. The zero value is the study's probe
// (LukasMut/human_alignment, main_probing.py and utils/probing), except that the
// optimiser is full-batch Adam for a fixed number of steps (see BatchSize, Steps).
type ProbeOptions struct {
	// Dim is d', the output width of W; 0 means d.
	Dim int
	// Lambda is the penalty weight Fit uses (0 means 1e-3, negative no penalty).
	Lambda float64
	// Lambdas is the grid Probe chooses from by inner cross-validation in each outer
	// fold (nil means StudyLambdas); one value skips the inner loop.
	Lambdas []float64
	// InnerFolds is the number of inner folds (default 3), split like the outer ones.
	InnerFolds int
	Penalty    Penalty
	// ToIdentity makes W0 the identity (needs Dim = d); otherwise W0 = 0.
	ToIdentity bool
	Init       Init
	// Sigma is the InitGaussian standard deviation (0 means 1e-3).
	Sigma   float64
	Scaling Scaling
	// Steps is the number of passes over the training triplets (default 500), LR the Adam
	// learning rate (default 0.01). BatchSize 0 means one full-batch step per pass;
	// otherwise each pass visits the triplets in a seeded random order in batches of that size
	// (the study: 256, lr 1e-3, up to 100 epochs with early stopping, not done here).
	Steps     int
	LR        float64
	BatchSize int
	// Folds is the number of outer folds for Probe (default 3); Split the scheme.
	Folds int
	Split Split
	// Seed fixes the folds, the initialisation, the batches and the bootstrap.
	Seed uint64
	// ZeroShot is the similarity of the zero-shot baseline on the raw embedding (cosine by default).
	ZeroShot Similarity
	// Boot and Level configure the held-out intervals (see Options; Boot < 0: none).
	Boot  int
	Level float64
}

func (o ProbeOptions) withDefaults(d int) ProbeOptions {
	if o.Dim == 0 {
		o.Dim = d
	}
	if o.Lambda == 0 {
		o.Lambda = 1e-3
	}
	if o.Lambdas == nil {
		o.Lambdas = StudyLambdas
	}
	if o.InnerFolds == 0 {
		o.InnerFolds = 3
	}
	if o.Sigma == 0 {
		o.Sigma = 1e-3
	}
	if o.Steps == 0 {
		o.Steps = 500
	}
	if o.LR == 0 {
		o.LR = 0.01
	}
	if o.Folds == 0 {
		o.Folds = 3
	}
	return o
}

func (o ProbeOptions) check(d int) error {
	switch {
	case o.Dim < 1:
		return fmt.Errorf("oddoneout: probe Dim %d", o.Dim)
	case (o.ToIdentity || o.Init == InitIdentity) && o.Dim != d:
		return fmt.Errorf("oddoneout: an identity W needs Dim = d = %d, got %d", d, o.Dim)
	case o.Folds < 2 || o.InnerFolds < 2:
		return fmt.Errorf("oddoneout: need at least 2 folds, got %d outer and %d inner", o.Folds, o.InnerFolds)
	case len(o.Lambdas) == 0:
		return fmt.Errorf("oddoneout: empty lambda grid")
	}
	return nil
}

// Model is a fitted probe: the transformed embedding of x (n x d) is ((x - Mean) / Scale) W,
// with Mean and Scale per column (equal across columns for Standardize and ScaleRMS).
type Model struct {
	W           *mat.Dense // d x d'
	Mean, Scale []float64  // length d
	Lambda      float64
}

// Transform returns the probed embedding of x (n x d); it panics if d does not match.
func (m *Model) Transform(x mat.Matrix) *mat.Dense {
	xs := normalise(x, m.Mean, m.Scale)
	var z mat.Dense
	z.Mul(xs, m.W)
	return &z
}

// Fit learns W from the triplets on embedding x (n x d, row i is stimulus i): the loss
// per triplet is the cross-entropy of a softmax (temperature 1) over its three pair
// similarities z_i . z_j, z_i . z_Odd, z_j . z_Odd with z = normalised x times W, the
// human's pair (I, J) being the label; it is averaged over triplets (or a batch) and
// opt.Lambda times the penalty is added. It is minimised with Adam (Kingma & Ba 2015).
func Fit(x mat.Matrix, triplets []Triplet, opt ProbeOptions) (*Model, error) {
	n, d := x.Dims()
	if err := checkInput(x, triplets, n); err != nil {
		return nil, err
	}
	opt = opt.withDefaults(d)
	if err := opt.check(d); err != nil {
		return nil, err
	}
	mean, scale := scaling(x, opt.Scaling)
	xs := normalise(x, mean, scale)
	lambda := max(opt.Lambda, 0)
	return &Model{W: fit(xs, triplets, lambda, opt), Mean: mean, Scale: scale, Lambda: lambda}, nil
}

// FitCV is Fit with lambda chosen from opt.Lambdas by the inner cross-validation that Probe
// runs in each outer fold (opt.InnerFolds folds split as opt.Split: over objects by default,
// validation triplets with all three objects in the held-out fold; the largest lambda wins a
// tie), here over all the triplets and stimuli; W is then fitted on all the triplets. It is
// the probe to transfer to other stimuli (Transfer, TransferMeans): no triplet is held out.
// With one lambda in the grid it equals Fit with that Lambda. Model.Lambda is the choice.
func FitCV(x mat.Matrix, triplets []Triplet, opt ProbeOptions) (*Model, error) {
	n, d := x.Dims()
	if err := checkInput(x, triplets, n); err != nil {
		return nil, err
	}
	opt = opt.withDefaults(d)
	if err := opt.check(d); err != nil {
		return nil, err
	}
	mean, scale := scaling(x, opt.Scaling)
	xs := normalise(x, mean, scale)
	// Every object is in "outer fold 0" and fold -1 is held out: nothing is.
	outer := make([]int, n)
	if opt.Split == ByTriplets {
		outer = make([]int, len(triplets))
	}
	lambda, err := chooseLambda(xs, triplets, outer, -1, opt)
	if err != nil {
		return nil, fmt.Errorf("oddoneout: choosing lambda: %w", err)
	}
	return &Model{W: fit(xs, triplets, lambda, opt), Mean: mean, Scale: scale, Lambda: lambda}, nil
}

// scaling returns the per-column shift and divisor of the chosen normalisation.
func scaling(x mat.Matrix, s Scaling) (mean, scale []float64) {
	n, d := x.Dims()
	mean, scale = make([]float64, d), make([]float64, d)
	switch s {
	case StandardizeColumns:
		for j := 0; j < d; j++ {
			m, ss := 0.0, 0.0
			for i := 0; i < n; i++ {
				m += x.At(i, j)
			}
			m /= float64(n)
			for i := 0; i < n; i++ {
				v := x.At(i, j) - m
				ss += v * v
			}
			mean[j], scale[j] = m, math.Sqrt(ss/float64(n))
		}
	default:
		m, ss := 0.0, 0.0
		if s == Standardize {
			for i := 0; i < n; i++ {
				for j := 0; j < d; j++ {
					m += x.At(i, j)
				}
			}
			m /= float64(n * d)
		}
		for i := 0; i < n; i++ {
			for j := 0; j < d; j++ {
				v := x.At(i, j) - m
				ss += v * v
			}
		}
		c := math.Sqrt(ss / float64(n*d)) // numpy std (ddof 0) of all entries
		if s == ScaleRMS {
			c = math.Sqrt(ss / float64(n))
		}
		for j := range mean {
			mean[j], scale[j] = m, c
		}
	}
	for j := range scale {
		if scale[j] == 0 {
			scale[j] = 1
		}
	}
	return mean, scale
}

func normalise(x mat.Matrix, mean, scale []float64) *mat.Dense {
	xs := mat.DenseCopyOf(x)
	n, d := xs.Dims()
	if d != len(mean) {
		panic(fmt.Sprintf("oddoneout: embedding has %d columns, the probe %d", d, len(mean)))
	}
	for i := 0; i < n; i++ {
		row := xs.RawRowView(i)
		for j := range row {
			row[j] = (row[j] - mean[j]) / scale[j]
		}
	}
	return xs
}

func initW(d int, opt ProbeOptions) *mat.Dense {
	w := mat.NewDense(d, opt.Dim, nil)
	if opt.Init == InitIdentity {
		for i := 0; i < d; i++ {
			w.Set(i, i, 1)
		}
		return w
	}
	rng := rand.New(rand.NewPCG(opt.Seed, 0x70726f6265))
	raw := w.RawMatrix().Data
	for k := range raw {
		raw[k] = opt.Sigma * rng.NormFloat64()
	}
	return w
}

func fit(xs *mat.Dense, triplets []Triplet, lambda float64, opt ProbeOptions) *mat.Dense {
	n, d := xs.Dims()
	dp := opt.Dim
	w := initW(d, opt)
	var w0 *mat.Dense
	if opt.ToIdentity {
		w0 = mat.NewDense(d, d, nil)
		for i := 0; i < d; i++ {
			w0.Set(i, i, 1)
		}
	}
	// Adam with the paper's defaults beta1 0.9, beta2 0.999, eps 1e-8.
	const b1, b2, eps = 0.9, 0.999, 1e-8
	m1 := mat.NewDense(d, dp, nil)
	m2 := mat.NewDense(d, dp, nil)
	z := mat.NewDense(n, dp, nil)
	gz := mat.NewDense(n, dp, nil)
	gw := mat.NewDense(d, dp, nil)
	diff := mat.NewDense(d, dp, nil)
	order := append([]Triplet(nil), triplets...)
	batch := len(order)
	if opt.BatchSize > 0 && opt.BatchSize < batch {
		batch = opt.BatchSize
	}
	rng := rand.New(rand.NewPCG(opt.Seed, 0x6261746368))
	step := 0
	for epoch := 0; epoch < opt.Steps; epoch++ {
		if batch < len(order) {
			rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		}
		for lo := 0; lo < len(order); lo += batch {
			bt := order[lo:min(lo+batch, len(order))]
			step++
			lossGrad(xs, w, w0, bt, lambda, opt.Penalty, z, gz, gw, diff)
			c1 := 1 - math.Pow(b1, float64(step))
			c2 := 1 - math.Pow(b2, float64(step))
			for i := 0; i < d; i++ {
				g, a, b, wr := gw.RawRowView(i), m1.RawRowView(i), m2.RawRowView(i), w.RawRowView(i)
				for j := range g {
					a[j] = b1*a[j] + (1-b1)*g[j]
					b[j] = b2*b[j] + (1-b2)*g[j]*g[j]
					wr[j] -= opt.LR * (a[j] / c1) / (math.Sqrt(b[j]/c2) + eps)
				}
			}
		}
	}
	return w
}

// lossGrad returns the probe loss of W on the triplets (mean cross-entropy plus the
// penalty) and writes its gradient with respect to W into gw; z, gz (n x d') and diff
// (d x d') are scratch space.
func lossGrad(xs, w, w0 *mat.Dense, bt []Triplet, lambda float64, pen Penalty, z, gz, gw, diff *mat.Dense) float64 {
	z.Mul(xs, w)
	gz.Zero()
	inv := 1 / float64(len(bt))
	loss := 0.0
	for _, t := range bt {
		zi, zj, zo := z.RawRowView(t.I), z.RawRowView(t.J), z.RawRowView(t.Odd)
		s0, s1, s2 := dot(zi, zj), dot(zi, zo), dot(zj, zo)
		mx := math.Max(s0, math.Max(s1, s2))
		e0, e1, e2 := expNeg(s0-mx), expNeg(s1-mx), expNeg(s2-mx)
		sum := e0 + e1 + e2
		loss += (mx + math.Log(sum) - s0) * inv
		g0, g1, g2 := (e0/sum-1)*inv, e1/sum*inv, e2/sum*inv
		gi, gj, gO := gz.RawRowView(t.I), gz.RawRowView(t.J), gz.RawRowView(t.Odd)
		for k := range gi {
			gi[k] += g0*zj[k] + g1*zo[k]
			gj[k] += g0*zi[k] + g2*zo[k]
			gO[k] += g1*zi[k] + g2*zj[k]
		}
	}
	gw.Mul(xs.T(), gz)
	if lambda > 0 {
		diff.Copy(w)
		if w0 != nil {
			diff.Sub(diff, w0)
		}
		f := mat.Norm(diff, 2) // Frobenius
		c := 2 * lambda        // d/dW lambda ||D||_F^2
		if pen == PenaltyFrobenius {
			loss += lambda * f
			// d/dW lambda ||D||_F = lambda D / ||D||_F (0 at D = 0, a subgradient).
			c = 0
			if f > 0 {
				c = lambda / f
			}
		} else {
			loss += lambda * f * f
		}
		gw.Add(gw, scaledCopy(diff, c))
	}
	return loss
}

func scaledCopy(a *mat.Dense, c float64) *mat.Dense {
	var out mat.Dense
	out.Scale(c, a)
	return &out
}

// expNeg is exp(v) for v <= 0, flushed to 0 below -60 (e^-60 ~ 1e-26 is negligible
// next to the maximum term 1): this avoids subnormal results, which are very slow on x86.
func expNeg(v float64) float64 {
	if v < -60 {
		return 0
	}
	return math.Exp(v)
}

func dot(a, b []float64) float64 {
	s := 0.0
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

// ObjectFolds assigns n objects to k folds at random (seeded), sizes differing by at most one.
func ObjectFolds(n, k int, seed uint64) []int {
	return foldsOf(rand.New(rand.NewPCG(seed, 0x666f6c6473)), n, k)
}

// SplitByObjects returns the triplets whose three stimuli all have fold[i] != f (train)
// and those whose three stimuli all have fold[i] == f (test); the others are dropped.
// A negative fold[i] excludes stimulus i from both.
func SplitByObjects(triplets []Triplet, fold []int, f int) (train, test []Triplet) {
	for _, t := range triplets {
		a, b, c := fold[t.I], fold[t.J], fold[t.Odd]
		switch {
		case a < 0 || b < 0 || c < 0:
		case a == f && b == f && c == f:
			test = append(test, t)
		case a != f && b != f && c != f:
			train = append(train, t)
		}
	}
	return train, test
}

// ProbeResult holds cross-validated probing accuracies.
type ProbeResult struct {
	// Accuracy is the mean held-out accuracy of the probed embedding over folds (dot
	// product of the transformed embedding, ties wrong); ZeroShot the mean zero-shot
	// accuracy (opt.ZeroShot similarity of the raw embedding, ties wrong) on the same test triplets.
	Accuracy, ZeroShot float64
	// Held pools the held-out credits of all folds (each test triplet once) with bootstrap
	// intervals over triplets and stimuli (Bootstrap); HeldZeroShot the same for zero-shot.
	Held, HeldZeroShot *Result
	// FoldAccuracy, FoldZeroShot, NTest, NTrain and Lambda hold per-fold values: the
	// accuracies, the test and training set sizes, and the lambda chosen by inner CV.
	FoldAccuracy, FoldZeroShot []float64
	NTest, NTrain              []int
	Lambda                     []float64
}

// Probe cross-validates linear probing (Fit) on embedding x (n x d): in each of opt.Folds
// outer folds (opt.Split) it chooses lambda from opt.Lambdas by the mean accuracy of an
// inner cross-validation on the training triplets (split the same way, over the training
// objects for ByObjects; the largest lambda wins a tie), refits W on all training
// triplets with it, and scores the test triplets. The normalisation (opt.Scaling) uses the
// whole embedding, as in the study (it uses no labels). It returns an error for bad input
// or when a fold has no training or no test triplets.
func Probe(x mat.Matrix, triplets []Triplet, opt ProbeOptions) (*ProbeResult, error) {
	n, d := x.Dims()
	if err := checkInput(x, triplets, n); err != nil {
		return nil, err
	}
	opt = opt.withDefaults(d)
	if err := opt.check(d); err != nil {
		return nil, err
	}
	mean, scale := scaling(x, opt.Scaling)
	xs := normalise(x, mean, scale)
	rawSim := SimilarityMatrix(x, opt.ZeroShot)
	var fold []int // fold of each object (ByObjects) or triplet (ByTriplets)
	if opt.Split == ByObjects {
		fold = ObjectFolds(n, opt.Folds, opt.Seed)
	} else {
		fold = foldsOf(rand.New(rand.NewPCG(opt.Seed, 0x666f6c6473)), len(triplets), opt.Folds)
	}
	res := &ProbeResult{}
	var heldTrip []Triplet
	var held, heldZS []float64
	for f := 0; f < opt.Folds; f++ {
		train, test := splitFold(triplets, fold, f, opt.Split)
		if len(train) == 0 || len(test) == 0 {
			return nil, fmt.Errorf("oddoneout: fold %d (%v split) has %d training and %d test triplets", f, opt.Split, len(train), len(test))
		}
		lambda, err := chooseLambda(xs, train, fold, f, opt)
		if err != nil {
			return nil, fmt.Errorf("oddoneout: fold %d: %w", f, err)
		}
		w := fit(xs, train, lambda, opt)
		var z mat.Dense
		z.Mul(xs, w)
		cr := Credits(SimilarityMatrix(&z, Dot), test, TiesWrong)
		zs := Credits(rawSim, test, TiesWrong)
		acc, zacc := mean1(cr), mean1(zs)
		heldTrip = append(heldTrip, test...)
		held = append(held, cr...)
		heldZS = append(heldZS, zs...)
		res.FoldAccuracy = append(res.FoldAccuracy, acc)
		res.FoldZeroShot = append(res.FoldZeroShot, zacc)
		res.NTest = append(res.NTest, len(test))
		res.NTrain = append(res.NTrain, len(train))
		res.Lambda = append(res.Lambda, lambda)
		res.Accuracy += acc / float64(opt.Folds)
		res.ZeroShot += zacc / float64(opt.Folds)
	}
	bo := Options{Boot: opt.Boot, Level: opt.Level, Seed: opt.Seed}
	res.Held = Bootstrap(held, heldTrip, bo)
	res.HeldZeroShot = Bootstrap(heldZS, heldTrip, bo)
	return res, nil
}

func mean1(x []float64) float64 {
	s := 0.0
	for _, v := range x {
		s += v
	}
	return s / float64(len(x))
}

func splitFold(triplets []Triplet, fold []int, f int, split Split) (train, test []Triplet) {
	if split == ByObjects {
		return SplitByObjects(triplets, fold, f)
	}
	for k, t := range triplets {
		if fold[k] == f {
			test = append(test, t)
		} else {
			train = append(train, t)
		}
	}
	return train, test
}

// chooseLambda runs the inner cross-validation of outer fold f on its training triplets.
func chooseLambda(xs *mat.Dense, train []Triplet, outer []int, f int, opt ProbeOptions) (float64, error) {
	if len(opt.Lambdas) == 1 {
		return max(opt.Lambdas[0], 0), nil
	}
	seed := opt.Seed ^ uint64(f+1)*0x9e3779b97f4a7c15
	var inner []int
	if opt.Split == ByObjects {
		// Inner folds over the training objects; the held-out objects are excluded (-1).
		var objs []int
		for i, g := range outer {
			if g != f {
				objs = append(objs, i)
			}
		}
		inner = make([]int, len(outer))
		for i := range inner {
			inner[i] = -1
		}
		for k, g := range ObjectFolds(len(objs), opt.InnerFolds, seed) {
			inner[objs[k]] = g
		}
	} else {
		inner = foldsOf(rand.New(rand.NewPCG(seed, 0x696e6e6572)), len(train), opt.InnerFolds)
	}
	best, bestAcc := 0.0, math.Inf(-1)
	for _, lambda := range opt.Lambdas {
		acc := 0.0
		for g := 0; g < opt.InnerFolds; g++ {
			tr, va := splitFold(train, inner, g, opt.Split)
			if len(tr) == 0 || len(va) == 0 {
				return 0, fmt.Errorf("inner fold %d has %d training and %d validation triplets", g, len(tr), len(va))
			}
			var z mat.Dense
			z.Mul(xs, fit(xs, tr, max(lambda, 0), opt))
			acc += mean1(Credits(SimilarityMatrix(&z, Dot), va, TiesWrong))
		}
		if acc > bestAcc || (acc == bestAcc && lambda > best) {
			best, bestAcc = lambda, acc
		}
	}
	return max(best, 0), nil
}

// foldsOf assigns n items to k folds at random, sizes differing by at most one.
func foldsOf(rng *rand.Rand, n, k int) []int {
	out := make([]int, n)
	for pos, i := range rng.Perm(n) {
		out[i] = pos % k
	}
	return out
}
