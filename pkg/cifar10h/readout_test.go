package cifar10h

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/coarsealign/coarsealign/pkg/stats"
)

// linearData draws n rows of d standard normal features (times scale per column, plus an
// offset, to exercise the standardisation) and labels from softmax(scale * x W) over the
// first k classes; W is d x k with standard normal entries (drawn once per seed).
func linearData(r *rand.Rand, w *mat.Dense, n int, temp float64) (*mat.Dense, []int, *mat.Dense) {
	d, k := w.Dims()
	x := mat.NewDense(n, d, nil)
	raw := mat.NewDense(n, d, nil)
	for i := 0; i < n; i++ {
		for j := 0; j < d; j++ {
			v := r.NormFloat64()
			raw.Set(i, j, v)
			x.Set(i, j, 3*float64(j+1)*v+10)
		}
	}
	prob := mat.NewDense(n, NumClasses, nil)
	y := make([]int, n)
	for i := 0; i < n; i++ {
		row := make([]float64, NumClasses)
		for c := range row {
			row[c] = math.Inf(-1)
		}
		for c := 0; c < k; c++ {
			row[c] = temp * mat.Dot(raw.RowView(i), w.ColView(c))
		}
		softmaxInPlace(row)
		prob.SetRow(i, row)
		u, acc := r.Float64(), 0.0
		y[i] = k - 1
		for c := 0; c < k; c++ {
			if acc += row[c]; u < acc {
				y[i] = c
				break
			}
		}
	}
	return x, y, prob
}

func randomW(r *rand.Rand, d, k int) *mat.Dense {
	w := mat.NewDense(d, k, nil)
	for i := 0; i < d; i++ {
		for c := 0; c < k; c++ {
			w.Set(i, c, r.NormFloat64())
		}
	}
	return w
}

func TestLossGradFiniteDifferences(t *testing.T) {
	r := stats.NewRand(1)
	z := mat.NewDense(7, 3, nil)
	for i := 0; i < 7; i++ {
		for j := 0; j < 3; j++ {
			z.Set(i, j, r.NormFloat64())
		}
	}
	y := []int{0, 3, 9, 1, 1, 5, 2}
	theta := make([]float64, 4*NumClasses)
	for i := range theta {
		theta[i] = 0.5 * r.NormFloat64()
	}
	g := make([]float64, len(theta))
	lossGrad(z, y, 0.3, theta, g)
	tmp := make([]float64, len(theta))
	for k := range theta {
		const h = 1e-6
		p := append([]float64(nil), theta...)
		p[k] += h
		fp := lossGrad(z, y, 0.3, p, tmp)
		p[k] -= 2 * h
		fm := lossGrad(z, y, 0.3, p, tmp)
		if fd := (fp - fm) / (2 * h); math.Abs(fd-g[k]) > 1e-7 {
			t.Errorf("gradient %d: analytic %v, finite difference %v", k, g[k], fd)
		}
	}
	// And the mean cross-entropy equals the loss without penalty.
	if a, b := meanCE(z, y, theta), lossGrad(z, y, 0, theta, tmp); math.Abs(a-b) > 1e-12 {
		t.Errorf("meanCE %v, loss %v", a, b)
	}
}

// TestReadoutRecoversLinearRule: labels drawn from a known softmax rule over 4 classes;
// the fitted readout's distributions on fresh data are close to the true ones and its
// top class matches the rule's.
func TestReadoutRecoversLinearRule(t *testing.T) {
	r := stats.NewRand(2)
	w := randomW(r, 6, 4)
	x, y, _ := linearData(r, w, 3000, 2)
	ro, err := FitReadout(x, y, &ReadoutOptions{Lambdas: []float64{1e-4, 1e-3, 1e-2, 1e-1}, Folds: 3, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	xt, _, pt := linearData(r, w, 1000, 2)
	p := ro.Predict(xt)
	mae, agree := 0.0, 0.0
	for i := 0; i < 1000; i++ {
		pr, tr := p.RawRowView(i), pt.RawRowView(i)
		for c := range pr {
			mae += math.Abs(pr[c]-tr[c]) / 1000
		}
		if firstMax(pr) == firstMax(tr) {
			agree++
		}
		if s := pr[4] + pr[5] + pr[6] + pr[7] + pr[8] + pr[9]; s > 0.01 {
			t.Fatalf("row %d: mass %v on classes never seen", i, s)
		}
	}
	// Sum over classes of the absolute error, averaged over rows.
	if mae > 0.1 || agree < 950 {
		t.Errorf("mean L1 error %.3f (want < 0.1), top class agrees on %v of 1000 (want >= 950); lambda %v, CV %v",
			mae, agree, ro.Lambda, ro.CVLoss)
	}
	t.Logf("L1 error %.4f, agreement %.0f/1000, lambda %v", mae, agree, ro.Lambda)
}

// TestReadoutPenaltyGrowsWithNoise: on few noisy samples (weak rule) cross-validation picks a
// larger penalty than on the same features with a strong rule.
func TestReadoutPenaltyGrowsWithNoise(t *testing.T) {
	r := stats.NewRand(3)
	w := randomW(r, 20, 10)
	for trial := 0; trial < 2; trial++ {
		x, yClean, _ := linearData(stats.NewRand(uint64(10+trial)), w, 200, 3)
		_, yNoisy, _ := linearData(stats.NewRand(uint64(10+trial)), w, 200, 0.15)
		opts := &ReadoutOptions{Lambdas: []float64{1e-3, 1e-2, 1e-1, 1, 10}, Folds: 4, Seed: 4, GradTol: 1e-5}
		clean, err := FitReadout(x, yClean, opts)
		if err != nil {
			t.Fatal(err)
		}
		noisy, err := FitReadout(x, yNoisy, opts)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("trial %d: lambda clean %.3g, noisy %.3g", trial, clean.Lambda, noisy.Lambda)
		if noisy.Lambda <= clean.Lambda {
			t.Errorf("trial %d: lambda on noisy data %v <= on clean data %v (CV %v / %v)", trial, noisy.Lambda, clean.Lambda, noisy.CVLoss, clean.CVLoss)
		}
	}
}

func TestReadoutErrors(t *testing.T) {
	x := mat.NewDense(4, 2, []float64{1, 2, 3, 4, 5, 6, 7, math.NaN()})
	for _, c := range []struct {
		name string
		y    []int
		o    *ReadoutOptions
		want string
	}{
		{"labels", []int{0, 1, 2}, nil, "3 labels for 4 feature rows"},
		{"range", []int{0, 1, 12, 3}, nil, "label 12 of row 2"},
		{"nan", []int{0, 1, 2, 3}, &ReadoutOptions{Lambdas: []float64{1}}, "feature 1 of row 3 is NaN"},
		{"folds", []int{0, 1, 2, 3}, &ReadoutOptions{Folds: 5}, "5 folds for 4 rows"},
		{"penalty", []int{0, 1, 2, 3}, &ReadoutOptions{Lambdas: []float64{-1}}, "penalty -1"},
	} {
		_, err := FitReadout(x, c.y, c.o)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.name, err, c.want)
		}
	}
}
