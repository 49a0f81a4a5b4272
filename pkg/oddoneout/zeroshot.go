package oddoneout

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/coarsealign/coarsealign/pkg/stats"
)

// Ties selects how a tie for the most similar pair is scored.
type Ties int

const (
	// TiesWrong scores a triplet 0 whenever the human pair's similarity is not the
	// unique maximum (the study's rule; the zero value).
	TiesWrong Ties = iota
	// TiesSplit scores the expected accuracy under random tie-breaking: 1/m when the
	// human pair is among m pairs tied for the maximum (ZeroShot, AccuracyFromSimilarity).
	TiesSplit
)

// Credits returns the credit of each triplet under the similarity matrix s (n x n):
// 1 if its human pair (I, J) is the unique most similar pair, 0 if another pair is
// more similar, and for a tie 0 (TiesWrong) or 1/m (TiesSplit). Indices must be valid.
func Credits(s mat.Symmetric, triplets []Triplet, ties Ties) []float64 {
	out := make([]float64, len(triplets))
	for k, t := range triplets {
		c := score(s.At(t.I, t.J), s.At(t.I, t.Odd), s.At(t.J, t.Odd))
		if ties == TiesWrong && c < 1 {
			c = 0
		}
		out[k] = c
	}
	return out
}

// Options configure Evaluate and Bootstrap. The zero value is the study's rules
// (cosine similarity, ties wrong) with 1000 resamples and 95% intervals.
type Options struct {
	Similarity Similarity
	Ties       Ties
	// Boot is the number of bootstrap resamples (0 means 1000; negative: no intervals).
	Boot int
	// Level is the coverage of the percentile intervals (0 means 0.95).
	Level float64
	// Seed fixes the resamples; the same seed and data give the same intervals.
	Seed uint64
}

func (o Options) withDefaults() Options {
	if o.Boot == 0 {
		o.Boot = 1000
	}
	if o.Level == 0 {
		o.Level = 0.95
	}
	return o
}

// CI is a percentile bootstrap interval; NaN bounds when no resample was usable.
type CI struct {
	Low, High float64
}

func (c CI) String() string { return fmt.Sprintf("[%.4f, %.4f]", c.Low, c.High) }

// Result is a triplet accuracy with bootstrap intervals.
type Result struct {
	// Accuracy is the mean credit over the triplets (chance 1/3).
	Accuracy float64
	// Triplets is the number of triplets scored, Stimuli the number of distinct stimuli in them.
	Triplets, Stimuli int
	// ByTriplets resamples triplets; ByStimuli resamples stimuli (see Bootstrap).
	ByTriplets, ByStimuli CI
	// Boot and Level are the resamples drawn and the coverage (0 when no intervals).
	Boot  int
	Level float64
}

// Evaluate returns the zero-shot odd-one-out accuracy of embedding x (n x d, row i is
// stimulus i) on the triplets under the study's rules by default (Muttenthaler et al.
// 2023, LukasMut/human_alignment): similarity opt.Similarity (cosine unless set), the odd
// one is the item outside the most similar pair, and a tie for the most similar pair
// counts as wrong (opt.Ties). Intervals come from Bootstrap. It returns an error for
// NaN/Inf entries, no triplets, or an index outside 0..n-1.
func Evaluate(x mat.Matrix, triplets []Triplet, opt Options) (*Result, error) {
	n, _ := x.Dims()
	if err := checkInput(x, triplets, n); err != nil {
		return nil, err
	}
	credits := Credits(SimilarityMatrix(x, opt.Similarity), triplets, opt.Ties)
	return Bootstrap(credits, triplets, opt), nil
}

// Bootstrap summarises per-triplet credits (one per triplet, e.g. from Credits) with two
// percentile bootstrap intervals, each from opt.Boot resamples with seed opt.Seed:
//
//   - ByTriplets draws len(triplets) triplets with replacement and averages their credits.
//   - ByStimuli draws, with replacement, as many stimuli as there are distinct stimuli in
//     the triplets, from those stimuli. Stimulus i drawn c_i times keeps every triplet whose
//     three stimuli were all drawn, with weight c_I * c_J * c_Odd (the number of copies of
//     the triplet the resampled stimulus set contains); the resample's accuracy is the
//     weighted mean credit. A resample that keeps no triplet is dropped. This interval
//     also counts the variability due to which stimuli were shown, and is wider.
//
// Indices must be non-negative. It panics if len(credits) != len(triplets) or both are empty.
func Bootstrap(credits []float64, triplets []Triplet, opt Options) *Result {
	if len(credits) != len(triplets) || len(credits) == 0 {
		panic(fmt.Sprintf("oddoneout: Bootstrap with %d credits for %d triplets", len(credits), len(triplets)))
	}
	opt = opt.withDefaults()
	m := len(triplets)
	// Stimuli in the triplets, renumbered 0..ns-1.
	id := map[int]int{}
	local := make([][3]int, m)
	for k, t := range triplets {
		for a, i := range [3]int{t.I, t.J, t.Odd} {
			v, ok := id[i]
			if !ok {
				v = len(id)
				id[i] = v
			}
			local[k][a] = v
		}
	}
	ns := len(id)
	res := &Result{Accuracy: stats.Mean(credits), Triplets: m, Stimuli: ns,
		ByTriplets: CI{math.NaN(), math.NaN()}, ByStimuli: CI{math.NaN(), math.NaN()}}
	if opt.Boot < 0 {
		return res
	}
	res.Boot, res.Level = opt.Boot, opt.Level
	rt := stats.NewRand(opt.Seed ^ 0x74726970)
	rs := stats.NewRand(opt.Seed ^ 0x7374696d)
	byT := make([]float64, opt.Boot)
	byS := make([]float64, opt.Boot)
	counts := make([]float64, ns)
	for b := 0; b < opt.Boot; b++ {
		sum := 0.0
		for k := 0; k < m; k++ {
			sum += credits[rt.IntN(m)]
		}
		byT[b] = sum / float64(m)

		clear(counts)
		for k := 0; k < ns; k++ {
			counts[rs.IntN(ns)]++
		}
		num, den := 0.0, 0.0
		for k, l := range local {
			w := counts[l[0]] * counts[l[1]] * counts[l[2]]
			num += w * credits[k]
			den += w
		}
		byS[b] = math.NaN()
		if den > 0 {
			byS[b] = num / den
		}
	}
	res.ByTriplets.Low, res.ByTriplets.High = stats.PercentileCI(byT, opt.Level)
	res.ByStimuli.Low, res.ByStimuli.High = stats.PercentileCI(byS, opt.Level)
	return res
}
