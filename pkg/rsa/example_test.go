package rsa_test

import (
	"fmt"

	"github.com/coarsealign/coarsealign/pkg/rdm"
	"github.com/coarsealign/coarsealign/pkg/rsa"
)

func ExampleCompare() {
	model, _ := rdm.FromVector("model", []float64{1, 2, 3, 4, 5, 6}, nil)
	brain, _ := rdm.FromVector("brain", []float64{1.1, 2.5, 2.4, 4.2, 5.9, 5.5}, nil)
	for _, m := range []rsa.Method{rsa.Corr, rsa.Spearman, rsa.Kendall, rsa.TauA} {
		v, err := rsa.Compare(model, brain, m)
		if err != nil {
			panic(err)
		}
		fmt.Printf("%-8s %.4f\n", m, v)
	}
	// Output:
	// corr     0.9536
	// spearman 0.8857
	// kendall  0.7333
	// tau-a    0.7333
}

func ExampleRDMFromPatternSlice() {
	// 3 stimuli x 4 channels, row-major.
	x := []float64{
		1, 2, 3, 4,
		2, 4, 6, 8.5,
		4, 3, 2, 1,
	}
	r, err := rsa.RDMFromPatternSlice("layer", x, 3, 4, rsa.Correlation, nil)
	if err != nil {
		panic(err)
	}
	fmt.Printf("%.4f\n", r.Vec)
	// Output: [0.0016 2.0000 1.9984]
}

func ExampleNoiseCeiling() {
	s1, _ := rdm.FromVector("s1", []float64{1, 2, 3, 4, 5, 6}, nil)
	s2, _ := rdm.FromVector("s2", []float64{2, 1, 3, 4, 6, 5}, nil)
	s3, _ := rdm.FromVector("s3", []float64{1, 3, 2, 5, 4, 6}, nil)
	lower, upper, err := rsa.NoiseCeiling([]*rdm.RDM{s1, s2, s3}, rsa.Spearman)
	if err != nil {
		panic(err)
	}
	fmt.Printf("lower %.4f upper %.4f\n", lower, upper)
	// Output: lower 0.8630 upper 0.9238
}

func ExampleSubsampleStimuli() {
	a, _ := rdm.FromVector("a", []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, nil)
	b, _ := rdm.FromVector("b", []float64{2, 1, 3, 5, 4, 6, 8, 7, 10, 9}, nil)
	res, err := rsa.SubsampleStimuli(a, b, rsa.Spearman, rsa.BootOptions{Draws: 100, Seed: 1})
	if err != nil {
		panic(err)
	}
	fmt.Printf("estimate %.4f, %d draws, %.0f%% interval contains it: %v\n",
		res.Estimate, len(res.Samples), 100*res.Level, res.Low <= res.Estimate && res.Estimate <= res.High)
	// Output: estimate 0.9515, 100 draws, 95% interval contains it: true
}

func ExampleMethodFromString() {
	m, err := rsa.MethodFromString("tau-b")
	fmt.Println(m, m.IsRank(), err)
	_, err = rsa.MethodFromString("euclid")
	fmt.Println(err != nil)
	// Output:
	// kendall true <nil>
	// true
}

func ExamplePermutationTest() {
	a, _ := rdm.FromVector("a", []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, nil)
	b, _ := rdm.FromVector("b", []float64{1, 3, 2, 4, 6, 5, 7, 9, 8, 10}, nil)
	res, err := rsa.PermutationTest(a, b, rsa.Spearman, 999, 1)
	if err != nil {
		panic(err)
	}
	fmt.Printf("observed %.4f, %d null draws, p <= 0.05: %v\n", res.Observed, len(res.Null), res.P <= 0.05)
	// Output: observed 0.9636, 999 null draws, p <= 0.05: true
}
