package oddoneout

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// Three points on which the three similarities choose three different pairs:
// a = (1,0), b = (4,0), c = (1.5,1). Cosine: a,b parallel (1) vs 0.832 twice -> {a,b}.
// Dot: a.b = 4, a.c = 1.5, b.c = 6 -> {b,c}. Euclidean: 3, 1.118, 2.693 -> {a,c}.
func TestEvaluateSimilarities(t *testing.T) {
	x := mat.NewDense(3, 2, []float64{1, 0, 4, 0, 1.5, 1})
	trip := []Triplet{{I: 0, J: 1, Odd: 2}, {I: 1, J: 2, Odd: 0}, {I: 0, J: 2, Odd: 1}}
	for _, tc := range []struct {
		sim  Similarity
		want []float64
	}{
		{Cosine, []float64{1, 0, 0}},
		{Dot, []float64{0, 1, 0}},
		{Euclidean, []float64{0, 0, 1}},
	} {
		got := Credits(SimilarityMatrix(x, tc.sim), trip, TiesWrong)
		if fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("%v: credits %v, want %v", tc.sim, got, tc.want)
		}
		res, err := Evaluate(x, trip, Options{Similarity: tc.sim, Boot: -1})
		if err != nil || math.Abs(res.Accuracy-1.0/3) > 1e-15 {
			t.Errorf("%v: accuracy %v %v, want 1/3", tc.sim, res, err)
		}
	}
	if s, err := ParseSimilarity("euclidean"); err != nil || s != Euclidean {
		t.Errorf("ParseSimilarity(euclidean) = %v, %v", s, err)
	}
	if _, err := ParseSimilarity("l2"); err == nil {
		t.Error("ParseSimilarity(l2): no error")
	}
	var o Options
	if o.Similarity != Cosine || o.Ties != TiesWrong {
		t.Error("zero Options are not the study's rules (cosine, ties wrong)")
	}
}

func TestEvaluateTiesWrong(t *testing.T) {
	// All pairs equal: wrong under the study's rule, 1/3 when split.
	x := mat.NewDense(3, 1, []float64{1, 1, 1})
	res, err := Evaluate(x, []Triplet{{0, 1, 2}}, Options{Similarity: Dot, Boot: -1})
	if err != nil || res.Accuracy != 0 {
		t.Errorf("three-way tie: %v %v, want 0", res, err)
	}
	// Two-way tie including the human pair.
	// 0 = (1,0), 1 = (1,1), 2 = (0,1): cos(0,1) = cos(1,2) = 0.707 > cos(0,2) = 0.
	x = mat.NewDense(3, 2, []float64{1, 0, 1, 1, 0, 1})
	tie := []Triplet{{I: 0, J: 1, Odd: 2}}
	if c := Credits(SimilarityMatrix(x, Cosine), tie, TiesWrong); c[0] != 0 {
		t.Errorf("two-way tie, TiesWrong: credit %g, want 0", c[0])
	}
	if c := Credits(SimilarityMatrix(x, Cosine), tie, TiesSplit); c[0] != 0.5 {
		t.Errorf("two-way tie, TiesSplit: credit %g, want 0.5", c[0])
	}
}

// Credits depend on the stimuli: triplets with a stimulus below 10 are right, the others
// wrong. Resampling stimuli must give a wider interval than resampling triplets, both
// must contain the accuracy, and the same seed must give the same intervals.
func TestBootstrapSchemes(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	n, m := 40, 3000
	trip := make([]Triplet, 0, m)
	credits := make([]float64, 0, m)
	for len(trip) < m {
		i, j, k := rng.IntN(n), rng.IntN(n), rng.IntN(n)
		if i == j || i == k || j == k {
			continue
		}
		trip = append(trip, Triplet{i, j, k})
		c := 0.0
		if i < 10 || j < 10 || k < 10 {
			c = 1
		}
		credits = append(credits, c)
	}
	opt := Options{Boot: 500, Seed: 3}
	a := Bootstrap(credits, trip, opt)
	b := Bootstrap(credits, trip, opt)
	if fmt.Sprint(a) != fmt.Sprint(b) {
		t.Fatal("same seed, different intervals")
	}
	if c := Bootstrap(credits, trip, Options{Boot: 500, Seed: 4}); fmt.Sprint(c) == fmt.Sprint(a) {
		t.Error("different seeds, identical intervals")
	}
	if a.Stimuli != n || a.Triplets != m || a.Boot != 500 || a.Level != 0.95 {
		t.Errorf("result %+v", a)
	}
	for _, ci := range []CI{a.ByTriplets, a.ByStimuli} {
		if !(ci.Low < a.Accuracy && a.Accuracy < ci.High) {
			t.Errorf("interval %v does not contain %.4f", ci, a.Accuracy)
		}
	}
	// Binomial check of the triplet interval: width ~ 2*1.96*sqrt(p(1-p)/m), within 20%.
	p := a.Accuracy
	w := 2 * 1.96 * math.Sqrt(p*(1-p)/float64(m))
	if got := a.ByTriplets.High - a.ByTriplets.Low; math.Abs(got-w) > 0.2*w {
		t.Errorf("triplet interval width %.4f, binomial %.4f", got, w)
	}
	if ws := a.ByStimuli.High - a.ByStimuli.Low; !(ws > 2*w) {
		t.Errorf("stimulus interval width %.4f not wider than 2x the triplet width %.4f", ws, w)
	}
	t.Logf("acc %.4f, by triplets %v, by stimuli %v", a.Accuracy, a.ByTriplets, a.ByStimuli)
}

func ExampleEvaluate() {
	// Stimuli 0 and 1 point the same way, 2 is orthogonal: 2 is the odd one out.
	x := mat.NewDense(3, 2, []float64{1, 0, 2, 0.1, 0, 1})
	res, _ := Evaluate(x, []Triplet{{I: 0, J: 1, Odd: 2}}, Options{Boot: -1})
	fmt.Println(res.Accuracy)
	// Output: 1
}
