package rsa

import (
	"fmt"
	"math"

	"github.com/coarsealign/coarsealign/pkg/rdm"
	"github.com/coarsealign/coarsealign/pkg/stats"
)

// Resampling parameters of the coarse-label study (methods.md §1): 1000 subsamples
// of 90% of the stimuli without replacement, percentile 95% interval.
const (
	DefaultDraws    = 1000
	DefaultLevel    = 0.95
	DefaultFraction = 0.9
)

// BootOptions configure a resampling estimate. Zero fields take the defaults
// (Draws 1000, Level 0.95, Fraction 0.9); Seed 0 is a valid seed.
type BootOptions struct {
	Draws    int     // number of resamples
	Level    float64 // coverage of the percentile interval, e.g. 0.95
	Fraction float64 // share of stimuli kept by Subsample (without replacement)
	Seed     uint64  // seed of the PCG generator; equal seeds give equal samples
}

func (o BootOptions) withDefaults() BootOptions {
	if o.Draws <= 0 {
		o.Draws = DefaultDraws
	}
	if o.Level <= 0 || o.Level >= 1 {
		o.Level = DefaultLevel
	}
	if o.Fraction <= 0 || o.Fraction > 1 {
		o.Fraction = DefaultFraction
	}
	return o
}

// BootResult is a resampling estimate of a similarity.
type BootResult struct {
	Method   Method
	Estimate float64   // the value on the full data
	Samples  []float64 // one value per draw (NaN when a draw was degenerate)
	Low      float64   // lower percentile bound (numpy.percentile, linear)
	High     float64   // upper percentile bound
	Level    float64   // coverage of [Low, High]
	SD       float64   // standard deviation of the non-NaN samples (bootstrap SE)
}

func finish(res *BootResult, level float64) {
	res.Level = level
	res.Low, res.High = stats.PercentileCI(res.Samples, level)
	mean := stats.Mean(res.Samples)
	ss, c := 0.0, 0
	for _, v := range res.Samples {
		if !math.IsNaN(v) {
			ss += (v - mean) * (v - mean)
			c++
		}
	}
	if c > 1 {
		res.SD = math.Sqrt(ss / float64(c-1))
	} else {
		res.SD = math.NaN()
	}
}

// compareSubset compares a and b restricted to the stimuli idx; a draw left with
// fewer than 2 pairs gives NaN.
func compareSubset(a, b *rdm.RDM, idx []int, m Method) float64 {
	v, err := Compare(a.Subset(idx), b.Subset(idx), m)
	if err != nil {
		return math.NaN()
	}
	return v
}

// BootstrapStimuli resamples the stimuli with replacement (rsatoolbox
// bootstrap_sample_pattern) and compares a and b on each draw. The pairs of a
// stimulus with its own copy are NaN after rdm.Subset and are left out, as in
// rsatoolbox.
func BootstrapStimuli(a, b *rdm.RDM, m Method, opt BootOptions) (BootResult, error) {
	opt = opt.withDefaults()
	est, err := Compare(a, b, m)
	if err != nil {
		return BootResult{}, err
	}
	res := BootResult{Method: m, Estimate: est, Samples: make([]float64, opt.Draws)}
	r := stats.NewRand(opt.Seed)
	for d := range res.Samples {
		res.Samples[d] = compareSubset(a, b, stats.BootstrapIndices(r, a.N), m)
	}
	finish(&res, opt.Level)
	return res, nil
}

// SubsampleStimuli draws round(Fraction*n) stimuli without replacement (default 90%)
// Draws times (default 1000) and compares a and b on each subsample: the
// uncertainty estimate of the coarse-label study, with a percentile interval.
func SubsampleStimuli(a, b *rdm.RDM, m Method, opt BootOptions) (BootResult, error) {
	opt = opt.withDefaults()
	est, err := Compare(a, b, m)
	if err != nil {
		return BootResult{}, err
	}
	k := stats.SubsampleSize(a.N, opt.Fraction)
	res := BootResult{Method: m, Estimate: est, Samples: make([]float64, opt.Draws)}
	r := stats.NewRand(opt.Seed)
	score := func(idx []int) float64 { return compareSubset(a, b, idx, m) }
	if !a.HasNaN() && !b.HasNaN() {
		// Complete RDMs: the subset scorer (the same as pkg/eval's) gives the same values faster.
		sc, err := NewSubsetScorer([]*rdm.RDM{a}, []*rdm.RDM{b}, m)
		if err != nil {
			return BootResult{}, err
		}
		scratch, out := sc.NewScratch(), [][]float64{{0}}
		score = func(idx []int) float64 {
			sc.Score(idx, out, scratch)
			return out[0][0]
		}
	}
	for d := range res.Samples {
		res.Samples[d] = score(stats.SubsampleIndices(r, a.N, k))
	}
	finish(&res, opt.Level)
	return res, nil
}

// BootstrapSubjects evaluates model against each subject's RDM, takes the mean over
// subjects as the estimate, and resamples subjects with replacement (rsatoolbox
// bootstrap_sample_rdm followed by the mean evaluation). Samples are the means over
// the drawn subjects.
func BootstrapSubjects(model *rdm.RDM, subjects []*rdm.RDM, m Method, opt BootOptions) (BootResult, error) {
	opt = opt.withDefaults()
	if len(subjects) == 0 {
		return BootResult{}, fmt.Errorf("rsa: bootstrap over zero subjects")
	}
	vals := make([]float64, len(subjects))
	for i, s := range subjects {
		v, err := Compare(model, s, m)
		if err != nil {
			return BootResult{}, err
		}
		vals[i] = v
	}
	res := BootResult{Method: m, Estimate: meanOf(vals), Samples: make([]float64, opt.Draws)}
	r := stats.NewRand(opt.Seed)
	for d := range res.Samples {
		s := 0.0
		for _, i := range stats.BootstrapIndices(r, len(vals)) {
			s += vals[i]
		}
		res.Samples[d] = s / float64(len(vals))
	}
	finish(&res, opt.Level)
	return res, nil
}

// PermResult is the outcome of a permutation test.
type PermResult struct {
	Method   Method
	Observed float64   // similarity of the unpermuted RDMs
	P        float64   // one-sided p-value: (1 + #{null >= observed}) / (1 + draws)
	Null     []float64 // similarities under permuted stimulus labels
}

// PermutationTest tests whether the similarity of a and b exceeds chance by
// permuting the stimulus labels of a (rows and columns together) draws times and
// comparing with b. The p-value counts the observed value as one of the draws, so
// it is never 0. Seeded and reproducible.
func PermutationTest(a, b *rdm.RDM, m Method, draws int, seed uint64) (PermResult, error) {
	if draws < 1 {
		return PermResult{}, fmt.Errorf("rsa: permutation test needs at least 1 draw, have %d", draws)
	}
	obs, err := Compare(a, b, m)
	if err != nil {
		return PermResult{}, err
	}
	res := PermResult{Method: m, Observed: obs, Null: make([]float64, draws)}
	r := stats.NewRand(seed)
	// b is compared with a relabelled copy of a; IDs of the copy are dropped because
	// the stimuli are deliberately mismatched.
	bb := &rdm.RDM{Name: b.Name, N: b.N, Vec: b.Vec}
	ge := 0
	for d := range res.Null {
		pa := a.Subset(r.Perm(a.N))
		pa.IDs = nil
		v, err := Compare(pa, bb, m)
		if err != nil {
			v = math.NaN()
		}
		res.Null[d] = v
		if v >= obs {
			ge++
		}
	}
	res.P = float64(1+ge) / float64(1+draws)
	return res, nil
}
