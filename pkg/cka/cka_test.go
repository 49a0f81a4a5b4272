package cka

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
)

func randn(rng *rand.Rand, r, c int) *mat.Dense {
	d := make([]float64, r*c)
	for i := range d {
		d[i] = rng.NormFloat64()
	}
	return mat.NewDense(r, c, d)
}

// randomOrthogonal returns a p x p orthogonal matrix (Q of a QR decomposition).
func randomOrthogonal(rng *rand.Rand, p int) *mat.Dense {
	var qr mat.QR
	qr.Factorize(randn(rng, p, p))
	var q mat.Dense
	qr.QTo(&q)
	return &q
}

var allOpts = []Options{
	{Kernel: Linear, Estimator: Biased},
	{Kernel: Linear, Estimator: Unbiased},
	{Kernel: RBF, Estimator: Biased},
	{Kernel: RBF, Estimator: Unbiased},
}

// Rotations (orthogonal maps) and isotropic scaling leave linear and RBF CKA at 1:
// Kornblith et al. 2019, section 3 (invariance properties); RBF with the median
// bandwidth is invariant because distances scale with the median.
func TestInvariances(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, dims := range [][2]int{{50, 10}, {20, 40}} { // feature-space and Gram paths
		n, p := dims[0], dims[1]
		x := randn(rng, n, p)
		var xr, xs mat.Dense
		xr.Mul(x, randomOrthogonal(rng, p))
		xs.Scale(3.7, x)
		for _, opt := range allOpts {
			for name, y := range map[string]mat.Matrix{"rotated": &xr, "scaled": &xs, "self": x} {
				v, err := CKA(x, y, opt)
				if err != nil {
					t.Fatal(err)
				}
				if math.Abs(v-1) > 1e-9 {
					t.Errorf("n=%d p=%d %v/%v %s: CKA = %.12f, want 1", n, p, opt.Kernel, opt.Estimator, name, v)
				}
			}
		}
	}
}

// For independent Gaussian X (n x p) and Y (n x q), biased linear CKA has expectation
// about sqrt(pq)/n for n >> p, q (the Frobenius norm of a p x q cross-covariance of noise);
// the unbiased estimator is centred at 0. Thresholds are several times those values.
func TestIndependentSmall(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	n := 400
	x, y := randn(rng, n, 5), randn(rng, n, 5)
	for _, opt := range allOpts {
		v, err := CKA(x, y, opt)
		if err != nil {
			t.Fatal(err)
		}
		lim := 0.06 // 5/400 = 0.0125 expected for biased linear; 5x margin
		if opt.Estimator == Unbiased {
			lim = 0.02
		}
		if math.Abs(v) > lim {
			t.Errorf("%v/%v: CKA(independent) = %g, want |.| < %g", opt.Kernel, opt.Estimator, v, lim)
		}
	}
}

// naiveHSIC builds K, L and H = I - 11^T/n explicitly: biased tr(KHLH)/(n-1)^2,
// unbiased by Song et al. 2012 eq. 5 term by term.
func naiveHSIC(k, l *mat.Dense, est Estimator) float64 {
	n, _ := k.Dims()
	if est == Biased {
		h := mat.NewDense(n, n, nil)
		for i := 0; i < n; i++ {
			for j := 0; j < n; j++ {
				h.Set(i, j, -1/float64(n))
			}
			h.Set(i, i, 1-1/float64(n))
		}
		var a, b, c mat.Dense
		a.Mul(k, h)
		b.Mul(&a, l)
		c.Mul(&b, h)
		return mat.Trace(&c) / float64((n-1)*(n-1))
	}
	kt, lt := mat.DenseCopyOf(k), mat.DenseCopyOf(l)
	for i := 0; i < n; i++ {
		kt.Set(i, i, 0)
		lt.Set(i, i, 0)
	}
	var kl mat.Dense
	kl.Mul(kt, lt)
	tr := mat.Trace(&kl)
	sk, sl, skl := mat.Sum(kt), mat.Sum(lt), mat.Sum(&kl)
	fn := float64(n)
	return (tr + sk*sl/((fn-1)*(fn-2)) - 2/(fn-2)*skl) / (fn * (fn - 3))
}

func TestAgainstNaiveFormula(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	n := 30
	x := randn(rng, n, 4)
	y := randn(rng, n, 3)
	// y partly depends on x so CKA is far from 0.
	var mix mat.Dense
	mix.Mul(x, randn(rng, 4, 3))
	y.Add(y, &mix)
	gram := func(m mat.Matrix) *mat.Dense { // raw, uncentred X X^T: centring is H's job
		var g mat.Dense
		g.Mul(m, m.T())
		return &g
	}
	for _, est := range []Estimator{Biased, Unbiased} {
		kx, ky := gram(x), gram(y)
		want := naiveHSIC(kx, ky, est) / math.Sqrt(naiveHSIC(kx, kx, est)*naiveHSIC(ky, ky, est))
		got, err := CKA(x, y, Options{Kernel: Linear, Estimator: est}) // n > p, q: feature-space path
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(got-want) > 1e-10 {
			t.Errorf("linear %v: feature-space CKA %.12f, naive %.12f", est, got, want)
		}
		sx := mat.NewSymDense(n, nil)
		sy := mat.NewSymDense(n, nil)
		for i := 0; i < n; i++ {
			for j := i; j < n; j++ {
				sx.SetSym(i, j, kx.At(i, j))
				sy.SetSym(i, j, ky.At(i, j))
			}
		}
		if h, w := HSIC(sx, sy, est), naiveHSIC(kx, ky, est); math.Abs(h-w) > 1e-9*math.Abs(w) {
			t.Errorf("HSIC %v: %g, naive %g", est, h, w)
		}
		g, err := GramCKA(sx, sy, est)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(g-want) > 1e-10 {
			t.Errorf("linear %v: Gram CKA %.12f, naive %.12f", est, g, want)
		}
	}
}

// Reference values from Kornblith et al.'s public cka.py (functions cka, gram_linear,
// gram_rbf(threshold=1), feature_space_linear_cka) run by bench/metrics/cka_peer.py
// --reference on the deterministic matrices built by refData (numpy 1.24.2).
func TestReferenceValues(t *testing.T) {
	x, y := refData()
	cases := []struct {
		opt  Options
		want float64
	}{
		{Options{Kernel: Linear, Estimator: Biased}, refLinearBiased},
		{Options{Kernel: Linear, Estimator: Unbiased}, refLinearUnbiased},
		{Options{Kernel: RBF, Estimator: Biased}, refRBFBiased},
		{Options{Kernel: RBF, Estimator: Unbiased}, refRBFUnbiased},
		{Options{Kernel: RBF, Estimator: Biased, RBFFactor: 0.5}, refRBFHalfBiased},
	}
	for _, c := range cases {
		got, err := CKA(x, y, c.opt)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(got-c.want) > 1e-10 {
			t.Errorf("%+v: %.15f, reference %.15f", c.opt, got, c.want)
		}
	}
}

// refData: x[i][j] = sin(i*(j+1)*0.37) + 0.1*j, i < 12, j < 3;
// y[i][j] = cos(i*0.21*(j+2)) + x[i][j%3]^2, j < 4.
func refData() (*mat.Dense, *mat.Dense) {
	n := 12
	x := mat.NewDense(n, 3, nil)
	y := mat.NewDense(n, 4, nil)
	for i := 0; i < n; i++ {
		for j := 0; j < 3; j++ {
			x.Set(i, j, math.Sin(float64(i*(j+1))*0.37)+0.1*float64(j))
		}
		for j := 0; j < 4; j++ {
			v := x.At(i, j%3)
			y.Set(i, j, math.Cos(float64(i)*0.21*float64(j+2))+v*v)
		}
	}
	return x, y
}

func TestErrors(t *testing.T) {
	x := mat.NewDense(5, 2, []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 1})
	if _, err := CKA(x, mat.NewDense(4, 2, nil), Options{}); err == nil {
		t.Error("row mismatch: no error")
	}
	bad := mat.DenseCopyOf(x)
	bad.Set(2, 1, math.NaN())
	if _, err := CKA(x, bad, Options{}); err == nil {
		t.Error("NaN: no error")
	}
	if _, err := CKA(x, mat.NewDense(5, 2, nil), Options{}); err == nil {
		t.Error("constant Y: no error")
	}
	if _, err := CKA(x.Slice(0, 3, 0, 2), x.Slice(0, 3, 0, 2), Options{Estimator: Unbiased}); err == nil {
		t.Error("n=3 unbiased: no error")
	}
}

func ExampleCKA() {
	x := mat.NewDense(4, 2, []float64{0, 0, 1, 0, 0, 1, 1, 1})
	var y mat.Dense
	y.Scale(2, x) // isotropic scaling: CKA is 1
	v, _ := CKA(x, &y, Options{Kernel: Linear, Estimator: Biased})
	fmt.Printf("%.3f\n", v)
	// Output: 1.000
}

func BenchmarkLinear(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	for _, s := range [][3]int{{92, 100, 100}, {1000, 256, 256}, {1000, 4096, 500}} {
		x, y := randn(rng, s[0], s[1]), randn(rng, s[0], s[2])
		for _, est := range []Estimator{Biased, Unbiased} {
			b.Run(fmt.Sprintf("n%d_p%d_q%d_%v", s[0], s[1], s[2], est), func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					if _, err := CKA(x, y, Options{Estimator: est}); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// Printed by `/usr/bin/python3 bench/metrics/cka_peer.py --reference` (see TestReferenceValues).
const (
	refLinearBiased   = 0.68086752634051018
	refLinearUnbiased = 0.58029795069996537
	refRBFBiased      = 0.73961676516107555
	refRBFUnbiased    = 0.5967803698103461
	refRBFHalfBiased  = 0.81385802620418901
)

// The feature-space path (n > p, q; used by CKA) equals the n x n Gram path for both
// estimators on wider random data, where the p x p products are non-trivial.
func TestFeatureSpaceEqualsGram(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	n, p, q := 200, 150, 120
	x := randn(rng, n, p)
	y := randn(rng, n, q)
	var mix mat.Dense
	mix.Mul(x, randn(rng, p, q))
	y.Add(y, &mix)
	for _, est := range []Estimator{Biased, Unbiased} {
		got, err := CKA(x, y, Options{Estimator: est})
		if err != nil {
			t.Fatal(err)
		}
		want, err := GramCKA(LinearGram(x), LinearGram(y), est)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(got-want) > 1e-10 {
			t.Errorf("%v: feature-space %.15f, Gram %.15f", est, got, want)
		}
	}
}
