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
	// ByTriplets assigns triplets to k folds at random; test objects also occur in training.
	ByTriplets Split = iota
	// ByObjects assigns stimuli to k folds; for fold f the training triplets are those
	// without a stimulus of fold f and the test triplets those whose three stimuli are
	// all in fold f (mixed triplets are unused), so test objects are unseen in training.
	ByObjects
)

// String returns "triplets" or "objects".
func (s Split) String() string {
	if s == ByObjects {
		return "objects"
	}
	return "triplets"
}

// ProbeOptions configure Fit and Probe. Zero values mean the defaults.
type ProbeOptions struct {
	// Dim is d', the output width of W; 0 means d (square W, initialised at the identity).
	Dim int
	// Lambda is the L2 penalty weight on ||W - W0||_F^2 (default 1e-3).
	// A negative value means no penalty.
	Lambda float64
	// ToIdentity makes W0 the identity (needs Dim = d); otherwise W0 = 0.
	ToIdentity bool
	// Steps is the number of full-batch Adam steps (default 500); LR its learning rate (default 0.01).
	Steps int
	LR    float64
	// Folds is the number of cross-validation folds for Probe (default 3); Split the scheme.
	Folds int
	Split Split
	// Seed fixes the folds and a non-square initialisation.
	Seed uint64
}

func (o ProbeOptions) withDefaults(d int) ProbeOptions {
	if o.Dim == 0 {
		o.Dim = d
	}
	if o.Lambda == 0 {
		o.Lambda = 1e-3
	} else if o.Lambda < 0 {
		o.Lambda = 0
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

// Fit learns W (d x d') from the triplets on embedding x (n x d) as in the package doc,
// and returns W together with the global scale c applied to x before fitting
// (similarity of i and j = (c x_i W) . (c x_j W)).
func Fit(x mat.Matrix, triplets []Triplet, opt ProbeOptions) (w *mat.Dense, scale float64, err error) {
	n, d := x.Dims()
	if err := checkInput(x, triplets, n); err != nil {
		return nil, 0, err
	}
	opt = opt.withDefaults(d)
	if opt.Dim < 1 {
		return nil, 0, fmt.Errorf("oddoneout: probe Dim %d", opt.Dim)
	}
	if opt.ToIdentity && opt.Dim != d {
		return nil, 0, fmt.Errorf("oddoneout: ToIdentity needs Dim = d = %d, got %d", d, opt.Dim)
	}
	xs, c := scaled(x)
	w = fit(xs, triplets, opt)
	return w, c, nil
}

// scaled returns c*x with c making the mean squared row norm 1 (c = 1 for an all-zero x).
func scaled(x mat.Matrix) (*mat.Dense, float64) {
	xs := mat.DenseCopyOf(x)
	n, _ := xs.Dims()
	ss := 0.0
	for i := 0; i < n; i++ {
		for _, v := range xs.RawRowView(i) {
			ss += v * v
		}
	}
	c := 1.0
	if ss > 0 {
		c = 1 / math.Sqrt(ss/float64(n))
	}
	xs.Scale(c, xs)
	return xs, c
}

func fit(xs *mat.Dense, triplets []Triplet, opt ProbeOptions) *mat.Dense {
	n, d := xs.Dims()
	dp := opt.Dim
	w := mat.NewDense(d, dp, nil)
	if dp == d {
		for i := 0; i < d; i++ {
			w.Set(i, i, 1)
		}
	} else {
		rng := rand.New(rand.NewPCG(opt.Seed, 0x70726f6265))
		s := 1 / math.Sqrt(float64(d))
		for i := 0; i < d; i++ {
			for j := 0; j < dp; j++ {
				w.Set(i, j, s*rng.NormFloat64())
			}
		}
	}
	var w0 *mat.Dense
	if opt.ToIdentity {
		w0 = mat.NewDense(d, d, nil)
		for i := 0; i < d; i++ {
			w0.Set(i, i, 1)
		}
	}
	// Adam (Kingma & Ba 2015) with the paper's defaults beta1 0.9, beta2 0.999, eps 1e-8.
	const b1, b2, eps = 0.9, 0.999, 1e-8
	m1 := mat.NewDense(d, dp, nil)
	m2 := mat.NewDense(d, dp, nil)
	z := mat.NewDense(n, dp, nil)
	gz := mat.NewDense(n, dp, nil)
	gw := mat.NewDense(d, dp, nil)
	inv := 1 / float64(len(triplets))
	for step := 1; step <= opt.Steps; step++ {
		z.Mul(xs, w)
		gz.Zero()
		for _, t := range triplets {
			zi, zj, zo := z.RawRowView(t.I), z.RawRowView(t.J), z.RawRowView(t.Odd)
			s0, s1, s2 := dot(zi, zj), dot(zi, zo), dot(zj, zo)
			mx := math.Max(s0, math.Max(s1, s2))
			e0, e1, e2 := expNeg(s0-mx), expNeg(s1-mx), expNeg(s2-mx)
			sum := e0 + e1 + e2
			g0, g1, g2 := (e0/sum-1)*inv, e1/sum*inv, e2/sum*inv
			gi, gj, gO := gz.RawRowView(t.I), gz.RawRowView(t.J), gz.RawRowView(t.Odd)
			for k := range gi {
				gi[k] += g0*zj[k] + g1*zo[k]
				gj[k] += g0*zi[k] + g2*zo[k]
				gO[k] += g1*zi[k] + g2*zj[k]
			}
		}
		gw.Mul(xs.T(), gz)
		if opt.Lambda > 0 {
			for i := 0; i < d; i++ {
				row, wr := gw.RawRowView(i), w.RawRowView(i)
				for j := range row {
					t := wr[j]
					if w0 != nil {
						t -= w0.At(i, j)
					}
					row[j] += 2 * opt.Lambda * t
				}
			}
		}
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
	return w
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

// ProbeResult holds cross-validated probing accuracies.
type ProbeResult struct {
	// Accuracy is the mean held-out accuracy of the probed embedding over folds;
	// ZeroShot the mean zero-shot (dot) accuracy of the raw embedding on the same test triplets.
	Accuracy, ZeroShot float64
	// FoldAccuracy, FoldZeroShot and NTest hold the per-fold values and test-set sizes.
	FoldAccuracy, FoldZeroShot []float64
	NTest                      []int
}

// Probe cross-validates linear probing (package doc) on embedding x (n x d): for each
// fold it fits W on the training triplets and scores dot-product accuracy of x W on the
// test triplets. It returns an error for bad input or when a fold has no training or
// no test triplets (e.g. ByObjects with too few triplets).
func Probe(x mat.Matrix, triplets []Triplet, opt ProbeOptions) (*ProbeResult, error) {
	n, d := x.Dims()
	if err := checkInput(x, triplets, n); err != nil {
		return nil, err
	}
	opt = opt.withDefaults(d)
	if opt.Folds < 2 {
		return nil, fmt.Errorf("oddoneout: need at least 2 folds, got %d", opt.Folds)
	}
	if opt.ToIdentity && opt.Dim != d {
		return nil, fmt.Errorf("oddoneout: ToIdentity needs Dim = d = %d, got %d", d, opt.Dim)
	}
	rng := rand.New(rand.NewPCG(opt.Seed, 0x666f6c6473))
	var assign []int // fold of each triplet (ByTriplets) or object (ByObjects)
	m := len(triplets)
	if opt.Split == ByObjects {
		assign = foldsOf(rng, n, opt.Folds)
	} else {
		assign = foldsOf(rng, m, opt.Folds)
	}
	xs, _ := scaled(x)
	res := &ProbeResult{}
	for f := 0; f < opt.Folds; f++ {
		var train, test []Triplet
		for k, t := range triplets {
			if opt.Split == ByObjects {
				in := 0
				for _, i := range []int{t.I, t.J, t.Odd} {
					if assign[i] == f {
						in++
					}
				}
				switch in {
				case 0:
					train = append(train, t)
				case 3:
					test = append(test, t)
				}
			} else if assign[k] == f {
				test = append(test, t)
			} else {
				train = append(train, t)
			}
		}
		if len(train) == 0 || len(test) == 0 {
			return nil, fmt.Errorf("oddoneout: fold %d (%v split) has %d training and %d test triplets", f, opt.Split, len(train), len(test))
		}
		w := fit(xs, train, opt)
		var z mat.Dense
		z.Mul(xs, w)
		acc := AccuracyFromSimilarity(SimilarityMatrix(&z, Dot), test)
		zs := AccuracyFromSimilarity(SimilarityMatrix(xs, Dot), test)
		res.FoldAccuracy = append(res.FoldAccuracy, acc)
		res.FoldZeroShot = append(res.FoldZeroShot, zs)
		res.NTest = append(res.NTest, len(test))
		res.Accuracy += acc / float64(opt.Folds)
		res.ZeroShot += zs / float64(opt.Folds)
	}
	return res, nil
}

// foldsOf assigns n items to k folds at random, sizes differing by at most one.
func foldsOf(rng *rand.Rand, n, k int) []int {
	out := make([]int, n)
	for pos, i := range rng.Perm(n) {
		out[i] = pos % k
	}
	return out
}
