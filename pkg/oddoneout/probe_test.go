package oddoneout

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/coarsealign/coarsealign/pkg/rdm"
)

// distorted returns triplets implied by a true embedding (n x d, dot similarity) and an
// observed embedding: the true one times a known linear map (axes rescaled 3 .. 0.05 and
// rotated) plus a little noise, so zero-shot choices are poor but a linear probe can undo it.
func distorted(t *testing.T, seed uint64, n, d, m int) (*mat.Dense, []Triplet) {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 9))
	truth := randn(rng, n, d, 1)
	trip, _, err := TripletsFromRDM(rdmFromSimilarity(t, SimilarityMatrix(truth, Dot)), TripletOptions{Max: m, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	var qr mat.QR
	qr.Factorize(randn(rng, d, d, 1))
	var q mat.Dense
	qr.QTo(&q)
	diag := []float64{3, 1, 0.3, 0.1, 0.05}
	a := mat.NewDense(d, d, nil)
	a.Mul(mat.NewDiagDense(d, diag[:d]), &q)
	var x mat.Dense
	x.Mul(truth, a)
	x.Add(&x, randn(rng, n, d, 0.002))
	return &x, trip
}

// On held-out objects the probe must beat zero-shot by 0.1 and its interval must lie
// above the zero-shot one; the same seed gives the same result.
func TestProbeBeatsZeroShotOnHeldOutObjects(t *testing.T) {
	x, trip := distorted(t, 8, 90, 5, 6000)
	opt := ProbeOptions{Seed: 1, Steps: 200, LR: 0.05, Lambdas: []float64{1e-1, 1e-3, 1e-5}, Boot: 200}
	res, err := Probe(x, trip, opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("zero-shot %.3f %v, probed %.3f %v (by stimuli %v), test %v, train %v, lambda %v",
		res.HeldZeroShot.Accuracy, res.HeldZeroShot.ByTriplets, res.Held.Accuracy, res.Held.ByTriplets,
		res.Held.ByStimuli, res.NTest, res.NTrain, res.Lambda)
	if !(res.Accuracy > res.ZeroShot+0.1) || !(res.Held.Accuracy > res.HeldZeroShot.Accuracy+0.1) {
		t.Errorf("probed %.3f vs zero-shot %.3f; want +0.1", res.Held.Accuracy, res.HeldZeroShot.Accuracy)
	}
	if !(res.Held.ByTriplets.Low > res.HeldZeroShot.ByTriplets.High) {
		t.Errorf("intervals overlap: probed %v, zero-shot %v", res.Held.ByTriplets, res.HeldZeroShot.ByTriplets)
	}
	// Each test triplet is scored once: the pooled count is the sum over folds.
	sum := 0
	for _, k := range res.NTest {
		sum += k
	}
	if res.Held.Triplets != sum {
		t.Errorf("pooled %d test triplets, folds sum to %d", res.Held.Triplets, sum)
	}
	again, _ := Probe(x, trip, opt)
	key := func(r *ProbeResult) string {
		return fmt.Sprint(*r.Held, *r.HeldZeroShot, r.FoldAccuracy, r.FoldZeroShot, r.NTest, r.Lambda)
	}
	if key(again) != key(res) {
		t.Error("same seed, different probe results")
	}
	// The triplet split also works (test objects seen in training).
	opt.Split = ByTriplets
	opt.Lambdas = []float64{1e-3}
	rt, err := Probe(x, trip[:3000], opt)
	if err != nil || !(rt.Accuracy > rt.ZeroShot+0.1) {
		t.Errorf("triplet split: %+v, %v", rt, err)
	}
}

// Object-disjoint folds: no test object occurs in a training triplet, every test
// triplet lies inside the fold, and no usable triplet is lost.
func TestSplitByObjectsDisjoint(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	n, k := 50, 3
	var trip []Triplet
	for len(trip) < 4000 {
		i, j, o := rng.IntN(n), rng.IntN(n), rng.IntN(n)
		if i != j && i != o && j != o {
			trip = append(trip, Triplet{i, j, o})
		}
	}
	fold := ObjectFolds(n, k, 11)
	size := make([]int, k)
	for _, f := range fold {
		size[f]++
	}
	if fmt.Sprint(size) != "[17 17 16]" {
		t.Errorf("fold sizes %v, want [17 17 16]", size)
	}
	for f := 0; f < k; f++ {
		train, test := SplitByObjects(trip, fold, f)
		inTest := map[int]bool{}
		for _, tr := range test {
			for _, i := range []int{tr.I, tr.J, tr.Odd} {
				if fold[i] != f {
					t.Fatalf("fold %d: test triplet %v has object %d of fold %d", f, tr, i, fold[i])
				}
				inTest[i] = true
			}
		}
		for _, tr := range train {
			for _, i := range []int{tr.I, tr.J, tr.Odd} {
				if fold[i] == f || inTest[i] {
					t.Fatalf("fold %d: training triplet %v has held-out object %d", f, tr, i)
				}
			}
		}
		want := 0
		for _, tr := range trip {
			if (fold[tr.I] == f) == (fold[tr.J] == f) && (fold[tr.J] == f) == (fold[tr.Odd] == f) {
				want++
			}
		}
		if len(train)+len(test) != want || len(test) == 0 {
			t.Errorf("fold %d: %d train + %d test, want %d usable", f, len(train), len(test), want)
		}
	}
}

// A huge Frobenius penalty towards the identity keeps W at the identity from a
// Gaussian start (Adam's steps are about LR, so the tolerance is a few LR).
func TestFitPenaltyToIdentity(t *testing.T) {
	x, trip := distorted(t, 2, 30, 3, 500)
	m, err := Fit(x, trip, ProbeOptions{Lambda: 100, ToIdentity: true, Steps: 300, LR: 0.01})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		for j := 0; j < 3; j++ {
			want := 0.0
			if i == j {
				want = 1
			}
			if v := m.W.At(i, j); math.Abs(v-want) > 0.05 {
				t.Errorf("W[%d,%d] = %.3f, want %g", i, j, v, want)
			}
		}
	}
	// Standardize: all entries have mean 0 and standard deviation 1 (one scalar each).
	xs := normalise(x, m.Mean, m.Scale)
	s, ss := 0.0, 0.0
	for _, v := range xs.RawMatrix().Data {
		s += v
		ss += v * v
	}
	N := float64(len(xs.RawMatrix().Data))
	if math.Abs(s/N) > 1e-12 || math.Abs(ss/N-1) > 1e-12 || m.Mean[0] != m.Mean[2] {
		t.Errorf("standardised mean %g, mean square %g", s/N, ss/N)
	}
	if _, err := Fit(x, trip, ProbeOptions{Dim: 2, Init: InitIdentity}); err == nil {
		t.Error("identity start with Dim != d: no error")
	}
	// Mini-batches are seeded: same seed, same W.
	a, _ := Fit(x, trip, ProbeOptions{BatchSize: 64, Steps: 5, Seed: 2})
	b, _ := Fit(x, trip, ProbeOptions{BatchSize: 64, Steps: 5, Seed: 2})
	if !mat.Equal(a.W, b.W) {
		t.Error("same seed, different mini-batch fits")
	}
}

func ExampleProbe() {
	// Human choices follow the first embedding dimension only; the observed embedding
	// adds a larger irrelevant second dimension, which misleads zero-shot choices.
	rng := rand.New(rand.NewPCG(1, 2))
	n := 60
	x := mat.NewDense(n, 2, nil)
	truth := mat.NewDense(n, 1, nil)
	for i := 0; i < n; i++ {
		v := rng.NormFloat64()
		truth.Set(i, 0, v)
		x.Set(i, 0, v)
		x.Set(i, 1, 3*rng.NormFloat64())
	}
	s := SimilarityMatrix(truth, Dot)
	vec := make([]float64, 0, rdm.NumPairs(n))
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			vec = append(vec, -s.At(i, j))
		}
	}
	r, _ := rdm.FromVector("human", vec, nil)
	trip, _, _ := TripletsFromRDM(r, TripletOptions{Max: 4000, Seed: 1})
	res, _ := Probe(x, trip, ProbeOptions{Seed: 1, Steps: 200, Lambdas: []float64{1e-3}, Boot: -1})
	fmt.Println("probing beats zero-shot on held-out objects:", res.Accuracy > res.ZeroShot+0.1)
	// Output: probing beats zero-shot on held-out objects: true
}

// The analytic gradient of the probe loss matches central finite differences
// (step 1e-6, tolerance 1e-6 relative to the largest gradient entry), for both
// penalties, towards zero and towards the identity, with a non-square W.
func TestLossGradient(t *testing.T) {
	x, trip := distorted(t, 4, 20, 3, 200)
	rng := rand.New(rand.NewPCG(7, 7))
	for _, tc := range []struct {
		pen  Penalty
		toID bool
		dp   int
	}{{PenaltyFrobenius, false, 2}, {PenaltySquared, false, 2}, {PenaltyFrobenius, true, 3}} {
		n, d := x.Dims()
		w := randn(rng, d, tc.dp, 0.5)
		var w0 *mat.Dense
		if tc.toID {
			w0 = mat.NewDense(d, d, nil)
			for i := 0; i < d; i++ {
				w0.Set(i, i, 1)
			}
		}
		z, gz := mat.NewDense(n, tc.dp, nil), mat.NewDense(n, tc.dp, nil)
		gw, diff, scratch := mat.NewDense(d, tc.dp, nil), mat.NewDense(d, tc.dp, nil), mat.NewDense(d, tc.dp, nil)
		lossGrad(x, w, w0, trip, 0.3, tc.pen, z, gz, gw, diff)
		const h = 1e-6
		maxG, maxErr := 0.0, 0.0
		for i := 0; i < d; i++ {
			for j := 0; j < tc.dp; j++ {
				v := w.At(i, j)
				w.Set(i, j, v+h)
				lp := lossGrad(x, w, w0, trip, 0.3, tc.pen, z, gz, scratch, diff)
				w.Set(i, j, v-h)
				lm := lossGrad(x, w, w0, trip, 0.3, tc.pen, z, gz, scratch, diff)
				w.Set(i, j, v)
				maxErr = math.Max(maxErr, math.Abs((lp-lm)/(2*h)-gw.At(i, j)))
				maxG = math.Max(maxG, math.Abs(gw.At(i, j)))
			}
		}
		if maxErr > 1e-6*math.Max(1, maxG) {
			t.Errorf("penalty %d, identity %v: gradient error %.2g (max entry %.2g)", tc.pen, tc.toID, maxErr, maxG)
		}
	}
}
