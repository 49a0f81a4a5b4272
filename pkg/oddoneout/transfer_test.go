package oddoneout

import (
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/coarsealign/coarsealign/pkg/rsa"
)

// transferCase plants a linear distortion A (a random rotation scaled by 3, 1, 0.3, 0.1, 0.05,
// as distorted) on a true embedding T of nSrc + nTgt stimuli. The source features are T A and
// the source triplets come from T's dot-product similarities; the target RDM is T's (cosine
// distance) on the target stimuli, whose features are T A when shared, else T itself (the
// target set is not distorted by A).
func transferCase(t *testing.T, shared bool) TransferResult {
	t.Helper()
	const nSrc, nTgt, d = 60, 40, 5
	rng := rand.New(rand.NewPCG(3, 3))
	truth := randn(rng, nSrc+nTgt, d, 1)
	var qr mat.QR
	qr.Factorize(randn(rng, d, d, 1))
	var q mat.Dense
	qr.QTo(&q)
	a := mat.NewDense(d, d, nil)
	a.Mul(mat.NewDiagDense(d, []float64{3, 1, 0.3, 0.1, 0.05}), &q)
	var x mat.Dense
	x.Mul(truth, a)
	x.Add(&x, randn(rng, nSrc+nTgt, d, 0.002))
	src := x.Slice(0, nSrc, 0, d)
	trip, _, err := TripletsFromRDM(rdmFromSimilarity(t, SimilarityMatrix(truth.Slice(0, nSrc, 0, d), Dot)), TripletOptions{Max: 4000, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	m, err := Fit(src, trip, ProbeOptions{Seed: 1, Steps: 300, LR: 0.05, Lambda: 1e-4})
	if err != nil {
		t.Fatal(err)
	}
	tgtTruth := truth.Slice(nSrc, nSrc+nTgt, 0, d)
	target, err := rsa.RDMFromPatterns("target", tgtTruth, rsa.CosineDist, nil)
	if err != nil {
		t.Fatal(err)
	}
	feats := x.Slice(nSrc, nSrc+nTgt, 0, d)
	if !shared {
		feats = tgtTruth
	}
	res, err := Transfer(m, feats, target, TransferOptions{Distance: rsa.CosineDist, Draws: 300, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("shared %v: raw %.3f, probed %.3f, gain %.3f [%.3f, %.3f]", shared, res.Raw, res.Probed, res.Gain, res.Low, res.High)
	return res
}

// With the distortion shared, the probe fitted on the source triplets undoes it on new
// stimuli: the RSA with their target rises, the paired interval above 0.
func TestTransferSharedTransform(t *testing.T) {
	res := transferCase(t, true)
	if !(res.Gain > 0.1 && res.Low > 0) {
		t.Errorf("gain %.3f [%.3f, %.3f]; want > 0.1 with the interval above 0", res.Gain, res.Low, res.High)
	}
	if res.N != 40 || res.Draws != 300 {
		t.Errorf("N %d, draws %d", res.N, res.Draws)
	}
}

// Without it (the target features are already the true geometry), the same probe cannot
// improve the RSA: it distorts the target set, and the interval lies below 0.
func TestTransferTransformNotShared(t *testing.T) {
	res := transferCase(t, false)
	if !(res.High < 0) {
		t.Errorf("gain %.3f [%.3f, %.3f]; want the interval below 0", res.Gain, res.Low, res.High)
	}
}

func TestTransferErrors(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	x := randn(rng, 10, 3, 1)
	m := &Model{W: mat.NewDense(3, 3, []float64{1, 0, 0, 0, 1, 0, 0, 0, 1}), Mean: make([]float64, 3), Scale: []float64{1, 1, 1}}
	target, _ := rsa.RDMFromPatterns("t", randn(rng, 8, 3, 1), rsa.Correlation, nil)
	if _, err := Transfer(m, x, target, TransferOptions{}); err == nil {
		t.Error("8-stimulus target for 10 rows: no error")
	}
	if _, err := Transfer(m, randn(rng, 8, 4, 1), target, TransferOptions{}); err == nil {
		t.Error("4 features for a 3-feature probe: no error")
	}
	if _, err := Transfer(nil, x, target, TransferOptions{}); err == nil {
		t.Error("nil probe: no error")
	}
}
