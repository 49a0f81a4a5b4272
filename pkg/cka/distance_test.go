package cka

import (
	"math"
	"math/rand/v2"
	"testing"
)

// Kernels rebuilt from squared distances equal the kernels of the patterns, so CKA through
// DistanceGram (and CentredCKA) equals CKA on the patterns for every kernel and estimator.
func TestDistanceGramEqualsPatternKernels(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	x, y := randn(rng, 30, 50), randn(rng, 30, 7) // dual form for x, feature-space form for y
	for _, opt := range allOpts {
		want, err := CKA(x, y, opt)
		if err != nil {
			t.Fatal(err)
		}
		kx, err := DistanceGram(SqDistances(x), opt.Kernel, 0)
		if err != nil {
			t.Fatal(err)
		}
		ky, err := DistanceGram(SqDistances(y), opt.Kernel, 0)
		if err != nil {
			t.Fatal(err)
		}
		got, err := GramCKA(kx, ky, opt.Estimator)
		if err != nil {
			t.Fatal(err)
		}
		c, err := CentredCKA(CenterGram(kx, opt.Estimator), CenterGram(ky, opt.Estimator))
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(got-want) > 1e-10 || math.Abs(c-want) > 1e-10 {
			t.Errorf("%v %v: DistanceGram %.15f, CentredCKA %.15f, CKA %.15f", opt.Kernel, opt.Estimator, got, c, want)
		}
	}
	if _, err := DistanceGram(SqDistances(x), RBF, -1); err == nil {
		t.Error("negative RBF factor: no error")
	}
	if _, err := DistanceGram(SqDistances(x), Kernel(9), 0); err == nil {
		t.Error("unknown kernel: no error")
	}
}

// The median of a distance matrix's n^2 entries from its upper triangle equals the full sort.
func TestSymMedian(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 6))
	for _, n := range []int{1, 2, 3, 4, 7, 10} {
		d := SqDistances(randn(rng, n, 3))
		all := make([]float64, 0, n*n)
		for i := 0; i < n; i++ {
			for j := 0; j < n; j++ {
				all = append(all, d.At(i, j))
			}
		}
		if got, want := symMedian(d), median(all); got != want {
			t.Errorf("n=%d: %v, want %v", n, got, want)
		}
	}
}
