package encoding

import (
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"

	"gonum.org/v1/gonum/mat"
)

func randn(rng *rand.Rand, r, c int, sd float64) *mat.Dense {
	d := make([]float64, r*c)
	for i := range d {
		d[i] = sd * rng.NormFloat64()
	}
	return mat.NewDense(r, c, d)
}

// planted returns X (n x p) and Y = X W + noise (n x t).
func planted(seed uint64, n, p, t int, noise float64) (*mat.Dense, *mat.Dense) {
	rng := rand.New(rand.NewPCG(seed, 7))
	x := randn(rng, n, p, 1)
	var y mat.Dense
	y.Mul(x, randn(rng, p, t, 1))
	y.Add(&y, randn(rng, n, t, noise))
	return x, &y
}

func TestPlantedMap(t *testing.T) {
	x, y := planted(1, 200, 20, 8, 0.05)
	res, err := Ridge(x, y, Options{Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	for j, r := range res.R {
		// signal variance 20 (sum of 20 unit-variance terms), noise 0.0025: r ~ 0.9999.
		if r < 0.999 {
			t.Errorf("target %d: held-out r = %.5f, want > 0.999", j, r)
		}
		if res.MeanFoldR[j] < 0.999 {
			t.Errorf("target %d: mean fold r = %.5f", j, res.MeanFoldR[j])
		}
	}
	if !(res.Score > 0.999) || !math.IsNaN(res.Normalized) {
		t.Errorf("score %g normalized %g", res.Score, res.Normalized)
	}
}

// p > n: low-rank features (5 latent factors, 300 noisy mixtures) for 80 stimuli,
// targets driven by the latents; the dual (Gram) path must recover them out of sample.
func TestPGreaterThanN(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	n, p, tg := 80, 300, 6
	f := randn(rng, n, 5, 1)
	var x, y mat.Dense
	x.Mul(f, randn(rng, 5, p, 1))
	x.Add(&x, randn(rng, n, p, 0.1))
	y.Mul(f, randn(rng, 5, tg, 1))
	y.Add(&y, randn(rng, n, tg, 0.05))
	res, err := Ridge(&x, &y, Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	for j, r := range res.R {
		if r < 0.98 {
			t.Errorf("target %d: r = %.4f, want > 0.98", j, r)
		}
	}
}

// The all-alpha spectral predictions equal the normal-equation solution
// w = (A^T A + alpha I)^{-1} A^T y_c on centred data, in both dual and primal forms.
func TestSpectralEqualsNormalEquations(t *testing.T) {
	for _, p := range []int{7, 60} { // primal (n_train > p) and dual (n_train <= p)
		rng := rand.New(rand.NewPCG(uint64(p), 1))
		n := 40
		z := randn(rng, n, p, 1)
		y := randn(rng, n, 3, 1)
		fe := newFitter(z, y)
		tr, te := make([]int, 0), make([]int, 0)
		for i := 0; i < n; i++ {
			if i%4 == 0 {
				te = append(te, i)
			} else {
				tr = append(tr, i)
			}
		}
		fit := fe.fit(tr, te)
		for _, alpha := range []float64{1e-3, 1, 100} {
			got := fit.predict(alpha, nil)
			// Reference by normal equations.
			mu := make([]float64, p)
			ym := make([]float64, 3)
			for _, i := range tr {
				for j := 0; j < p; j++ {
					mu[j] += z.At(i, j) / float64(len(tr))
				}
				for j := 0; j < 3; j++ {
					ym[j] += y.At(i, j) / float64(len(tr))
				}
			}
			a := mat.NewDense(len(tr), p, nil)
			yc := mat.NewDense(len(tr), 3, nil)
			for r, i := range tr {
				for j := 0; j < p; j++ {
					a.Set(r, j, z.At(i, j)-mu[j])
				}
				for j := 0; j < 3; j++ {
					yc.Set(r, j, y.At(i, j)-ym[j])
				}
			}
			var ata, aty, w mat.Dense
			ata.Mul(a.T(), a)
			for j := 0; j < p; j++ {
				ata.Set(j, j, ata.At(j, j)+alpha)
			}
			aty.Mul(a.T(), yc)
			if err := w.Solve(&ata, &aty); err != nil {
				t.Fatal(err)
			}
			for r, i := range te {
				for j := 0; j < 3; j++ {
					want := ym[j]
					for c := 0; c < p; c++ {
						want += (z.At(i, c) - mu[c]) * w.At(c, j)
					}
					if d := math.Abs(got.At(r, j) - want); d > 1e-8*math.Max(1, math.Abs(want)) {
						t.Fatalf("p=%d alpha=%g test row %d target %d: %g vs normal equations %g", p, alpha, r, j, got.At(r, j), want)
					}
				}
			}
		}
	}
}

// More noise in the targets makes the inner CV choose larger penalties.
func TestAlphaShiftsWithNoise(t *testing.T) {
	alphas := LogSpace(-4, 6, 21)
	med := func(noise float64) float64 {
		x, y := planted(5, 60, 30, 10, noise)
		res, err := Ridge(x, y, Options{Alphas: alphas, Seed: 2})
		if err != nil {
			t.Fatal(err)
		}
		var all []float64
		for _, a := range res.Alpha {
			all = append(all, a...)
		}
		return Median(all)
	}
	lo, hi := med(0.01), med(30)
	if !(hi > 100*lo) {
		t.Errorf("median chosen alpha: noise 0.01 -> %g, noise 30 -> %g; want a shift of > 100x", lo, hi)
	}
}

func TestDeterminism(t *testing.T) {
	x, y := planted(9, 50, 10, 4, 1)
	a, err := Ridge(x, y, Options{Seed: 42})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Ridge(x, y, Options{Seed: 42})
	c, _ := Ridge(x, y, Options{Seed: 43})
	serial, _ := Ridge(x, y, Options{Seed: 42, Workers: 1})
	if !reflect.DeepEqual(a.Pred.RawMatrix().Data, serial.Pred.RawMatrix().Data) || !reflect.DeepEqual(a.Alpha, serial.Alpha) {
		t.Error("Workers=1 and default workers differ")
	}
	if !reflect.DeepEqual(a.R, b.R) || !reflect.DeepEqual(a.Alpha, b.Alpha) || !reflect.DeepEqual(a.Fold, b.Fold) {
		t.Error("same seed, different results")
	}
	if reflect.DeepEqual(a.Fold, c.Fold) {
		t.Error("different seeds, same folds")
	}
}

func TestFolds(t *testing.T) {
	f := Folds(23, 5, 1)
	cnt := make([]int, 5)
	for _, v := range f {
		cnt[v]++
	}
	for _, c := range cnt {
		if c < 4 || c > 5 {
			t.Errorf("fold sizes %v", cnt)
		}
	}
}

func TestCeiling(t *testing.T) {
	x, y := planted(1, 100, 5, 3, 0.1)
	res, err := Ridge(x, y, Options{Seed: 1, Ceiling: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	if res.Normalized != 1 || !res.Clamped {
		t.Errorf("score %g with ceiling 0.5: normalized %g clamped %v", res.Score, res.Normalized, res.Clamped)
	}
	res, _ = Ridge(x, y, Options{Seed: 1, Ceiling: 2})
	if math.Abs(res.Normalized-res.Score/2) > 1e-15 || res.Clamped {
		t.Errorf("ceiling 2: normalized %g, score %g", res.Normalized, res.Score)
	}
}

func TestErrors(t *testing.T) {
	x, y := planted(1, 30, 4, 2, 1)
	if _, err := Ridge(x, y.Slice(0, 29, 0, 2), Options{}); err == nil {
		t.Error("row mismatch: no error")
	}
	bad := mat.DenseCopyOf(y)
	bad.Set(3, 1, math.Inf(1))
	if _, err := Ridge(x, bad, Options{}); err == nil {
		t.Error("Inf target: no error")
	}
	if _, err := Ridge(x, y, Options{Alphas: []float64{1, -1}}); err == nil {
		t.Error("negative alpha: no error")
	}
	if _, err := Ridge(x.Slice(0, 6, 0, 4), y.Slice(0, 6, 0, 2), Options{}); err == nil {
		t.Error("6 stimuli, 5x5 folds: no error")
	}
}

func ExampleRidge() {
	// y = 2*x0 - x1 exactly: held-out predictions correlate perfectly.
	n := 50
	x := mat.NewDense(n, 2, nil)
	y := mat.NewDense(n, 1, nil)
	for i := 0; i < n; i++ {
		a, b := math.Sin(float64(i)), math.Cos(float64(3*i))
		x.Set(i, 0, a)
		x.Set(i, 1, b)
		y.Set(i, 0, 2*a-b)
	}
	res, _ := Ridge(x, y, Options{Seed: 1})
	fmt.Printf("r = %.4f\n", res.R[0])
	// Output: r = 1.0000
}

func BenchmarkRidge(b *testing.B) {
	for _, s := range [][3]int{{92, 256, 50}, {500, 1024, 200}} {
		x, y := planted(1, s[0], s[1], s[2], 1)
		b.Run(fmt.Sprintf("n%d_p%d_t%d", s[0], s[1], s[2]), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if _, err := Ridge(x, y, Options{Seed: 1}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// Leave-one-out errors from the hat matrix equal brute-force refits without each row
// (normal equations, centring with the remaining rows), in the dual and primal forms.
func TestLOOMatchesBruteForce(t *testing.T) {
	for _, p := range []int{6, 50} {
		rng := rand.New(rand.NewPCG(uint64(p), 9))
		n := 30
		z := randn(rng, n, p, 1)
		y := randn(rng, n, 2, 1)
		fe := newFitter(z, y)
		tr := make([]int, 0, n)
		for i := 0; i < n; i++ {
			if i%5 != 0 { // 24 training rows
				tr = append(tr, i)
			}
		}
		alphas := []float64{0.01, 1, 100}
		got := fe.looSSE(fe.decompose(tr), alphas)
		for a, alpha := range alphas {
			want := make([]float64, 2)
			for _, out := range tr {
				var rest []int
				for _, i := range tr {
					if i != out {
						rest = append(rest, i)
					}
				}
				pred := fe.fit(rest, []int{out}).predict(alpha, nil)
				for j := 0; j < 2; j++ {
					d := y.At(out, j) - pred.At(0, j)
					want[j] += d * d
				}
			}
			for j := range want {
				if math.Abs(got[a][j]-want[j]) > 1e-8*want[j] {
					t.Errorf("p=%d alpha=%g target %d: LOO SSE %.12g, brute force %.12g", p, alpha, j, got[a][j], want[j])
				}
			}
		}
	}
	x, y := planted(1, 200, 20, 8, 0.05)
	res, err := Ridge(x, y, Options{Seed: 3, InnerLOO: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Score < 0.999 {
		t.Errorf("InnerLOO planted map: score %.5f", res.Score)
	}
}
