package oddoneout

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/coarsealign/coarsealign/pkg/rdm"
)

func randn(rng *rand.Rand, r, c int, sd float64) *mat.Dense {
	d := make([]float64, r*c)
	for i := range d {
		d[i] = sd * rng.NormFloat64()
	}
	return mat.NewDense(r, c, d)
}

// rdmFromSimilarity returns the RDM with dissimilarity = -similarity.
func rdmFromSimilarity(t *testing.T, s *mat.SymDense) *rdm.RDM {
	n := s.SymmetricDim()
	vec := make([]float64, 0, rdm.NumPairs(n))
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			vec = append(vec, -s.At(i, j))
		}
	}
	r, err := rdm.FromVector("sim", vec, nil)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestGeneratingEmbeddingIsPerfect(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	x := randn(rng, 25, 4, 1)
	for _, sim := range []Similarity{Dot, Cosine} {
		trip, skipped, err := TripletsFromRDM(rdmFromSimilarity(t, SimilarityMatrix(x, sim)), TripletOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(trip)+skipped != 25*24*23/6 || skipped != 0 {
			t.Fatalf("%v: %d triplets, %d skipped; want all 2300", sim, len(trip), skipped)
		}
		acc, err := ZeroShot(x, trip, sim)
		if err != nil {
			t.Fatal(err)
		}
		if acc != 1 {
			t.Errorf("%v: generating embedding has accuracy %g, want 1", sim, acc)
		}
	}
}

// A random embedding independent of the choices scores 1/3; tolerance 4 binomial SDs
// sqrt(p(1-p)/m) for m sampled triplets over 300 stimuli (weakly dependent).
func TestRandomEmbeddingChance(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	truth := randn(rng, 300, 5, 1)
	trip, _, err := TripletsFromRDM(rdmFromSimilarity(t, SimilarityMatrix(truth, Dot)), TripletOptions{Max: 6000, Seed: 4})
	if err != nil {
		t.Fatal(err)
	}
	if len(trip) != 6000 {
		t.Fatalf("%d triplets, want 6000", len(trip))
	}
	acc, err := ZeroShot(randn(rng, 300, 5, 1), trip, Cosine)
	if err != nil {
		t.Fatal(err)
	}
	sd := math.Sqrt(1.0 / 3 * 2.0 / 3 / float64(len(trip)))
	if !(math.Abs(acc-1.0/3) <= 4*sd) {
		t.Errorf("random embedding: accuracy %.4f, want 1/3 +- %.4f", acc, 4*sd)
	}
}

func TestTripletsFromRDM(t *testing.T) {
	// 4 stimuli; d(0,1) = 1 is the smallest pair, d(2,3) = 2.
	sq := []float64{
		0, 1, 5, 6,
		1, 0, 7, 8,
		5, 7, 0, 2,
		6, 8, 2, 0,
	}
	r, err := rdm.FromSquare("t", sq, 4, nil)
	if err != nil {
		t.Fatal(err)
	}
	trip, skipped, _ := TripletsFromRDM(r, TripletOptions{})
	want := []Triplet{{0, 1, 2}, {0, 1, 3}, {2, 3, 0}, {2, 3, 1}} // {0,2,3}: d23=2 lowest
	if skipped != 0 || fmt.Sprint(trip) != fmt.Sprint(want) {
		t.Errorf("triplets %v (skipped %d), want %v", trip, skipped, want)
	}
	// A tie for the lowest dissimilarity is skipped.
	sq[1], sq[4] = 5, 5 // d(0,1) = d(0,2) = 5 in triplet {0,1,2}
	r, _ = rdm.FromSquare("t", sq, 4, nil)
	_, skipped, _ = TripletsFromRDM(r, TripletOptions{})
	if skipped != 1 {
		t.Errorf("skipped %d, want 1", skipped)
	}
	// Sampling is seeded.
	big, _ := rdm.FromVector("b", make([]float64, rdm.NumPairs(30)), nil)
	for k := range big.Vec {
		big.Vec[k] = float64(k)
	}
	a, _, _ := TripletsFromRDM(big, TripletOptions{Max: 100, Seed: 7})
	b, _, _ := TripletsFromRDM(big, TripletOptions{Max: 100, Seed: 7})
	if len(a) != 100 || fmt.Sprint(a) != fmt.Sprint(b) {
		t.Errorf("seeded sample: %d triplets, equal=%v", len(a), fmt.Sprint(a) == fmt.Sprint(b))
	}
}

func TestTies(t *testing.T) {
	x := mat.NewDense(3, 1, []float64{1, 1, 1}) // all pairs equally similar
	acc, err := ZeroShot(x, []Triplet{{0, 1, 2}}, Dot)
	if err != nil || math.Abs(acc-1.0/3) > 1e-15 {
		t.Errorf("three-way tie: %g %v, want 1/3", acc, err)
	}
}

func TestErrors(t *testing.T) {
	x := mat.NewDense(3, 2, []float64{1, 2, 3, 4, 5, math.NaN()})
	if _, err := ZeroShot(x, []Triplet{{0, 1, 2}}, Dot); err == nil {
		t.Error("NaN: no error")
	}
	x.Set(2, 1, 0)
	if _, err := ZeroShot(x, []Triplet{{0, 1, 3}}, Dot); err == nil {
		t.Error("index 3 of 3: no error")
	}
	if _, err := ZeroShot(x, []Triplet{{0, 0, 1}}, Dot); err == nil {
		t.Error("repeated index: no error")
	}
	if _, err := ZeroShot(x, nil, Dot); err == nil {
		t.Error("no triplets: no error")
	}
}

func ExampleZeroShot() {
	// Stimuli 0 and 1 point the same way, 2 is orthogonal: 2 is the odd one out.
	x := mat.NewDense(3, 2, []float64{1, 0, 2, 0.1, 0, 1})
	acc, _ := ZeroShot(x, []Triplet{{I: 0, J: 1, Odd: 2}}, Cosine)
	fmt.Println(acc)
	// Output: 1
}

func ExampleTripletsFromRDM() {
	r, _ := rdm.FromSquare("behav", []float64{
		0, 1, 4,
		1, 0, 3,
		4, 3, 0,
	}, 3, nil)
	trip, _, _ := TripletsFromRDM(r, TripletOptions{})
	fmt.Printf("%+v\n", trip)
	// Output: [{I:0 J:1 Odd:2}]
}
