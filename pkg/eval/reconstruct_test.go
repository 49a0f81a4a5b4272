package eval

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/coarsealign/coarsealign/pkg/rsa"
	"gonum.org/v1/gonum/mat"
)

// randomFeatures returns an n x d layer with a per-unit offset (so that adding the mean back matters).
func randomFeatures(seed uint64, n, d int) Features {
	rng := rand.New(rand.NewPCG(seed, 2))
	x := make([]float64, n*d)
	for i := range x {
		x[i] = rng.NormFloat64() + float64(i%d)
	}
	return Features{Layer: "conv", X: x, N: n, D: d}
}

// centredRank returns the numerical rank (singular values above tol times the largest) of x minus
// its column means.
func centredRank(f Features, tol float64) int {
	c := mat.NewDense(f.N, f.D, append([]float64(nil), f.X...))
	for j := 0; j < f.D; j++ {
		m := 0.0
		for i := 0; i < f.N; i++ {
			m += c.At(i, j)
		}
		m /= float64(f.N)
		for i := 0; i < f.N; i++ {
			c.Set(i, j, c.At(i, j)-m)
		}
	}
	var svd mat.SVD
	svd.Factorize(c, mat.SVDNone)
	s := svd.Values(nil)
	r := 0
	for _, v := range s {
		if v > tol*s[0] {
			r++
		}
	}
	return r
}

func TestReconstructFullRankIsIdentity(t *testing.T) {
	for _, sz := range [][2]int{{12, 5}, {6, 20}, {92, 30}} {
		f := randomFeatures(1, sz[0], sz[1])
		m := min(sz[0], sz[1])
		g, err := Reconstruct(f, m)
		if err != nil {
			t.Fatal(err)
		}
		if g.N != f.N || g.D != f.D || g.Layer != "conv/pc"+fmt.Sprintf("%02d", m) {
			t.Fatalf("%dx%d: got %q %dx%d", f.N, f.D, g.Layer, g.N, g.D)
		}
		for k := range f.X {
			if d := math.Abs(g.X[k] - f.X[k]); d > 1e-9 {
				t.Fatalf("%dx%d: value %d differs by %g", f.N, f.D, k, d)
			}
		}
		// The model RDMs (1 - Pearson between stimuli) agree too.
		a, err := rsa.RDMFromPatternSlice("x", f.X, f.N, f.D, rsa.Correlation, nil)
		if err != nil {
			t.Fatal(err)
		}
		b, err := rsa.RDMFromPatternSlice("rec", g.X, g.N, g.D, rsa.Correlation, nil)
		if err != nil {
			t.Fatal(err)
		}
		for k := range a.Vec {
			if d := math.Abs(a.Vec[k] - b.Vec[k]); d > 1e-9 {
				t.Fatalf("%dx%d: RDM entry %d differs by %g", f.N, f.D, k, d)
			}
		}
	}
}

func TestReconstructRank(t *testing.T) {
	f := randomFeatures(3, 40, 12)
	recs, err := ReconstructTop(f, 15)
	if err != nil {
		t.Fatal(err)
	}
	// min(40 stimuli, 12 units) = 12 reconstructions.
	if len(recs) != 12 {
		t.Fatalf("%d reconstructions, want 12", len(recs))
	}
	for i, g := range recs {
		m := i + 1
		if r := centredRank(g, 1e-9); r != m {
			t.Errorf("m=%d: centred reconstruction has rank %d", m, r)
		}
		one, err := Reconstruct(f, m)
		if err != nil {
			t.Fatal(err)
		}
		if one.Layer != g.Layer {
			t.Fatalf("m=%d: layer %q vs %q", m, one.Layer, g.Layer)
		}
		for k := range one.X {
			if one.X[k] != g.X[k] {
				t.Fatalf("m=%d: Reconstruct and ReconstructTop differ at %d", m, k)
			}
		}
	}
	// The error of the best rank-m approximation decreases with m (Eckart-Young).
	prev := math.Inf(1)
	for i, g := range recs {
		e := 0.0
		for k := range g.X {
			e += (g.X[k] - f.X[k]) * (g.X[k] - f.X[k])
		}
		if e > prev+1e-9 {
			t.Errorf("m=%d: squared error %g above m-1's %g", i+1, e, prev)
		}
		prev = e
	}
}

// TestReconstructAxes checks a case solvable by hand: points on two axes with spreads a > b around
// the mean (10, 20). PC1 is the first axis, so the top-1 reconstruction moves the b points onto the mean.
func TestReconstructAxes(t *testing.T) {
	a, b := 3.0, 1.0
	f := Features{Layer: "toy", N: 4, D: 2, X: []float64{
		10 + a, 20,
		10 - a, 20,
		10, 20 + b,
		10, 20 - b,
	}}
	g, err := Reconstruct(f, 1)
	if err != nil {
		t.Fatal(err)
	}
	want := []float64{10 + a, 20, 10 - a, 20, 10, 20, 10, 20}
	for k := range want {
		if !(math.Abs(g.X[k]-want[k]) <= 1e-12) {
			t.Fatalf("top-1 reconstruction %v, want %v", g.X, want)
		}
	}
}

func TestReconstructErrors(t *testing.T) {
	good := randomFeatures(1, 5, 3)
	nan := randomFeatures(1, 5, 3)
	nan.X[7] = math.NaN()
	for _, c := range []struct {
		f    Features
		m    int
		want string
	}{
		{good, 0, "m = 0"},
		{good, 4, "need 1..3"},
		{Features{Layer: "short", X: make([]float64, 5), N: 2, D: 3}, 1, `"short": 5 values`},
		{nan, 1, "stimulus 2, unit 1 is NaN"},
	} {
		_, err := Reconstruct(c.f, c.m)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("m=%d: error %v, want one containing %q", c.m, err, c.want)
		}
	}
	if _, err := ReconstructTop(good, 0); err == nil {
		t.Error("ReconstructTop with maxM 0: no error")
	}
}

func ExampleReconstruct() {
	// Two stimuli pairs spread along the unit axes around the mean (10, 20); the top principal
	// component is the first axis (spread 3 > 1).
	f := Features{Layer: "toy", N: 4, D: 2, X: []float64{13, 20, 7, 20, 10, 21, 10, 19}}
	g, _ := Reconstruct(f, 1)
	fmt.Println(g.Layer)
	for i := 0; i < g.N; i++ {
		fmt.Printf("%.1f %.1f\n", g.X[2*i]+0, g.X[2*i+1]+0)
	}
	// Output:
	// toy/pc01
	// 13.0 20.0
	// 7.0 20.0
	// 10.0 20.0
	// 10.0 20.0
}

// BenchmarkReconstructTop rebuilds a 92-stimulus layer from its top 1..15 PCs (notebook 06) at
// three layer widths.
func BenchmarkReconstructTop(b *testing.B) {
	for _, d := range []int{256, 1024, 4096} {
		f := randomFeatures(1, 92, d)
		b.Run(fmt.Sprintf("92x%d", d), func(b *testing.B) {
			for b.Loop() {
				if _, err := ReconstructTop(f, 15); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
