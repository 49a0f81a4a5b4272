package rsa

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/coarsealign/coarsealign/pkg/stats"
)

// patterns5x7 is X[i][j] = sin(1.3 i + 0.7 j^2) + 0.1 i (5 stimuli x 7 channels).
func patterns5x7() []float64 {
	x := make([]float64, 5*7)
	for i := 0; i < 5; i++ {
		for j := 0; j < 7; j++ {
			x[i*7+j] = math.Sin(1.3*float64(i)+0.7*float64(j*j)) + 0.1*float64(i)
		}
	}
	return x
}

func TestRDMFromPatternsAgainstScipy(t *testing.T) {
	x := patterns5x7()
	// scipy 1.10.1 scipy.spatial.distance.pdist(X, metric) entries 0, 3, 9
	// (pairs (0,1), (0,4), (3,4)).
	sqe := []float64{6.581815409036396, 3.3115871673089394, 3.4606097347909244}
	cases := []struct {
		d    Distance
		want []float64
	}{
		{Correlation, []float64{0.6764744762826455, 0.6555369442646841, 0.5906945558952531}},
		{CosineDist, []float64{0.8801257019195555, 0.6418358267811353, 0.6083841310815153}},
		{L2, []float64{2.5655049033350914, 1.819776680614668, 1.860271414280971}},
		{SqEuclidean, sqe},
		// rsatoolbox calc_rdm_euclidean: squared distance divided by the 7 channels.
		{Euclidean, []float64{sqe[0] / 7, sqe[1] / 7, sqe[2] / 7}},
	}
	for _, c := range cases {
		r, err := RDMFromPatternSlice("x", x, 5, 7, c.d, nil)
		if err != nil {
			t.Fatal(err)
		}
		for k, pos := range []int{0, 3, 9} {
			if !(math.Abs(r.Vec[pos]-c.want[k]) <= 1e-12) {
				t.Errorf("%v pair %d = %.16g, want %.16g", c.d, pos, r.Vec[pos], c.want[k])
			}
		}
	}
	// The *mat.Dense entry point and a non-Dense matrix agree with the slice one.
	a, _ := RDMFromPatterns("x", mat.NewDense(5, 7, x), Correlation, nil)
	b, _ := RDMFromPatterns("x", mat.NewDense(5, 7, x).T().T(), Correlation, nil)
	c, _ := RDMFromPatternSlice("x", x, 5, 7, Correlation, nil)
	for k := range c.Vec {
		if a.Vec[k] != c.Vec[k] || math.Abs(b.Vec[k]-c.Vec[k]) > 1e-15 {
			t.Fatalf("entry points differ at %d", k)
		}
	}
}

func TestRDMFromPatternsBlockedMatchesDirect(t *testing.T) {
	// 600 stimuli span several 256-row tiles, including a ragged last one.
	const n, d = 600, 13
	r := stats.NewRand(11)
	x := make([]float64, n*d)
	for i := range x {
		x[i] = r.NormFloat64()
	}
	got, err := RDMFromPatternSlice("x", x, n, d, SqEuclidean, nil)
	if err != nil {
		t.Fatal(err)
	}
	k := 0
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			s := 0.0
			for c := 0; c < d; c++ {
				v := x[i*d+c] - x[j*d+c]
				s += v * v
			}
			if !(math.Abs(got.Vec[k]-s) <= 1e-10*math.Max(1, s)) {
				t.Fatalf("pair (%d,%d) = %v, want %v", i, j, got.Vec[k], s)
			}
			k++
		}
	}
}

func TestRDMFromPatternsErrors(t *testing.T) {
	x := patterns5x7()
	x[2*7+3] = math.NaN()
	if _, err := RDMFromPatternSlice("layer1", x, 5, 7, Correlation, nil); err == nil || !strings.Contains(err.Error(), "row 3, column 4") {
		t.Errorf("NaN: %v", err)
	}
	flat := patterns5x7()
	for j := 0; j < 7; j++ {
		flat[4*7+j] = 2
	}
	if _, err := RDMFromPatternSlice("layer1", flat, 5, 7, Correlation, nil); err == nil || !strings.Contains(err.Error(), "row 5 has zero variance") {
		t.Errorf("constant row: %v", err)
	}
	if _, err := RDMFromPatternSlice("layer1", flat, 5, 7, Euclidean, nil); err != nil {
		t.Errorf("a constant row is fine for euclidean: %v", err)
	}
	if _, err := RDMFromPatternSlice("layer1", flat, 5, 6, Euclidean, nil); err == nil {
		t.Error("shape mismatch accepted")
	}
	if _, err := DistanceFromString("manhattan"); err == nil {
		t.Error("unknown distance accepted")
	}
	if d, err := DistanceFromString("euclidean"); err != nil || d != Euclidean {
		t.Errorf("euclidean -> %v %v", d, err)
	}
}

func BenchmarkRDMFromPatterns(b *testing.B) {
	for _, size := range [][2]int{{92, 316}, {500, 1024}, {2000, 4096}} {
		n, d := size[0], size[1]
		if testing.Short() && n > 500 {
			continue
		}
		r := stats.NewRand(1)
		x := make([]float64, n*d)
		for i := range x {
			x[i] = r.NormFloat64()
		}
		b.Run(fmt.Sprintf("%dx%d", n, d), func(b *testing.B) {
			for b.Loop() {
				if _, err := RDMFromPatternSlice("x", x, n, d, Correlation, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
