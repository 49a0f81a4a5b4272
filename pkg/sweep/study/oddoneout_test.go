package study

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// topPCs keeps the geometry the probe sees: with all n-1 components the pairwise distances of
// the standardised rows are preserved, and the scores' columns have decreasing variance.
func TestTopPCsKeepDistances(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	const n, d = 12, 30
	x := mat.NewDense(n, d, nil)
	for i := 0; i < n; i++ {
		for j := 0; j < d; j++ {
			x.Set(i, j, rng.NormFloat64()*float64(j+1)+float64(j))
		}
	}
	z := topPCs(x, n-1)
	if r, c := z.Dims(); r != n || c != n-1 {
		t.Fatalf("%d x %d scores", r, c)
	}
	std := topPCs(x, d) // k > n-1 is capped
	if _, c := std.Dims(); c != n-1 {
		t.Fatalf("k not capped: %d columns", c)
	}
	// Standardised data, computed directly.
	s := mat.DenseCopyOf(x)
	for j := 0; j < d; j++ {
		m, ss := 0.0, 0.0
		for i := 0; i < n; i++ {
			m += s.At(i, j) / n
		}
		for i := 0; i < n; i++ {
			ss += (s.At(i, j) - m) * (s.At(i, j) - m)
		}
		for i := 0; i < n; i++ {
			s.Set(i, j, (s.At(i, j)-m)/math.Sqrt(ss/n))
		}
	}
	dist := func(a *mat.Dense, i, k int) float64 {
		v := 0.0
		_, c := a.Dims()
		for j := 0; j < c; j++ {
			v += (a.At(i, j) - a.At(k, j)) * (a.At(i, j) - a.At(k, j))
		}
		return math.Sqrt(v)
	}
	for i := 0; i < n; i++ {
		for k := i + 1; k < n; k++ {
			if a, b := dist(z, i, k), dist(s, i, k); math.Abs(a-b) > 1e-9*b {
				t.Fatalf("distance %d-%d: %v after PCA, %v before", i, k, a, b)
			}
		}
	}
	prev := math.Inf(1)
	for j := 0; j < n-1; j++ {
		v := 0.0
		for i := 0; i < n; i++ {
			v += z.At(i, j) * z.At(i, j)
		}
		if v > prev*(1+1e-12) {
			t.Fatalf("component %d has more variance than %d", j, j-1)
		}
		prev = v
	}
}
