package rsa

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/coarsealign/coarsealign/pkg/rdm"
	"github.com/coarsealign/coarsealign/pkg/stats"
)

// levelRDM draws a random RDM; levels > 0 rounds the values to that many levels (ties).
func levelRDM(rng *rand.Rand, n, levels int) *rdm.RDM {
	v := make([]float64, rdm.NumPairs(n))
	for k := range v {
		v[k] = rng.Float64()
		if levels > 0 {
			v[k] = math.Floor(v[k] * float64(levels))
		}
	}
	r, _ := rdm.FromVector("r", v, nil)
	return r
}

// The subset scorer equals Compare on rdm.Subset for every method, with and without ties,
// on small subsets (kept-pair paths) and large ones (the complement path of tau-a and tau-b).
func TestSubsetScorerMatchesCompare(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const n = 20
	complement := 0
	for trial := 0; trial < 48; trial++ {
		models := []*rdm.RDM{levelRDM(rng, n, []int{0, 3, 7}[trial%3]), levelRDM(rng, n, 0)}
		targets := []*rdm.RDM{levelRDM(rng, n, []int{0, 0, 4, 2}[trial%4]), levelRDM(rng, n, 5)}
		k := 4 + rng.IntN(n-4)
		if trial == 0 {
			k = n
		}
		idx := stats.SubsampleIndices(stats.NewRand(uint64(trial)), n, k)
		if 2*rdm.NumPairs(k) > rdm.NumPairs(n) {
			complement++
		}
		for _, m := range Methods() {
			sc, err := NewSubsetScorer(models, targets, m)
			if err != nil {
				t.Fatal(err)
			}
			out := [][]float64{make([]float64, 2), make([]float64, 2)}
			scratch := sc.NewScratch()
			for rep := 0; rep < 2; rep++ { // scratch reuse must not change the result
				sc.Score(idx, out, scratch)
				for l, a := range models {
					for tg, b := range targets {
						want, err := Compare(a.Subset(idx), b.Subset(idx), m)
						if err != nil {
							t.Fatal(err)
						}
						if got := out[l][tg]; !(math.Abs(got-want) <= 1e-12) && !(math.IsNaN(got) && math.IsNaN(want)) {
							t.Errorf("trial %d k=%d %v model %d target %d: %.15f, Compare %.15f", trial, k, m, l, tg, got, want)
						}
					}
				}
			}
		}
	}
	if complement < 10 {
		t.Errorf("complement path checked in %d trials only", complement)
	}
}

func TestSubsetScorerErrorsAndTinySubsets(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	a, b := levelRDM(rng, 10, 0), levelRDM(rng, 12, 0)
	if _, err := NewSubsetScorer([]*rdm.RDM{a}, []*rdm.RDM{b}, Spearman); err == nil {
		t.Error("different sizes: no error")
	}
	c := levelRDM(rng, 10, 0)
	c.Vec[2] = math.NaN()
	c.Name = "holey"
	if _, err := NewSubsetScorer([]*rdm.RDM{a}, []*rdm.RDM{c}, TauA); err == nil {
		t.Error("NaN pairs: no error")
	}
	if _, err := NewSubsetScorer([]*rdm.RDM{a}, []*rdm.RDM{a}, Method(99)); err == nil {
		t.Error("bad method: no error")
	}
	sc, err := NewSubsetScorer([]*rdm.RDM{a}, []*rdm.RDM{levelRDM(rng, 10, 0)}, Kendall)
	if err != nil {
		t.Fatal(err)
	}
	out := [][]float64{{0}}
	sc.Score([]int{3}, out, sc.NewScratch())
	if !math.IsNaN(out[0][0]) {
		t.Errorf("one stimulus: %v, want NaN", out[0][0])
	}
}

// The subsample interval of SubsampleStimuli (subset scorer) equals the one computed with
// Compare on rdm.Subset, as before the scorer existed.
func TestSubsampleStimuliUsesSameValues(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 8))
	a, b := levelRDM(rng, 30, 0), levelRDM(rng, 30, 6)
	for _, m := range []Method{Spearman, TauA, Corr, CosineCov} {
		res, err := SubsampleStimuli(a, b, m, BootOptions{Draws: 40, Seed: 3})
		if err != nil {
			t.Fatal(err)
		}
		r := stats.NewRand(3)
		for d, got := range res.Samples {
			want := compareSubset(a, b, stats.SubsampleIndices(r, 30, stats.SubsampleSize(30, DefaultFraction)), m)
			if math.Abs(got-want) > 1e-12 {
				t.Fatalf("%v draw %d: %.15f, Compare %.15f", m, d, got, want)
			}
		}
	}
}

// BenchmarkSubsetTauA: tau-a of one model and one target on a 90% subsample of 92 stimuli
// (3403 of 4186 pairs), the unit of work of the subsample intervals.
func BenchmarkSubsetTauA(b *testing.B) {
	benchSubset(b, TauA)
}

// BenchmarkSubsetSpearman: the same for Spearman.
func BenchmarkSubsetSpearman(b *testing.B) {
	benchSubset(b, Spearman)
}

func benchSubset(b *testing.B, m Method) {
	rng := rand.New(rand.NewPCG(1, 1))
	sc, err := NewSubsetScorer([]*rdm.RDM{levelRDM(rng, 92, 0)}, []*rdm.RDM{levelRDM(rng, 92, 0)}, m)
	if err != nil {
		b.Fatal(err)
	}
	idx := stats.SubsampleIndices(stats.NewRand(1), 92, 83)
	scratch, out := sc.NewScratch(), [][]float64{{0}}
	for b.Loop() {
		sc.Score(idx, out, scratch)
	}
}
