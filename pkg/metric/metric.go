// Package metric is the registry of alignment metrics: every way of scoring a model layer
// against a target (a brain or behavioural measurement of the same stimuli) behind one small
// interface, so that pkg/eval's resampling (subsamples, split-half layer selection, paired
// draws across layers), the sweep config and the CLI work with any of them by name.
//
// A Metric says what it reads of a target (Needs: an RDM, a stimuli x units response
// matrix, or odd-one-out triplets), whether higher is better, and prepares the comparison of
// many models with many targets, whose Scorer then scores any stimulus subset. Registered
// metrics (Names):
//
//   - the eight RDM comparisons of pkg/rsa, by rsatoolbox's names: corr, spearman, rho-a,
//     kendall (tau-b), tau-a, cosine, corr_cov, cosine_cov (rsa.go). The model RDM is
//     1 - Pearson correlation of the layer's patterns, as is the RDM of a response-matrix
//     target. They have rsatoolbox's noise ceilings (Ceiling).
//   - CKA of pkg/cka (cka.go): cka-linear, cka-linear-unbiased, cka-rbf, cka-rbf-unbiased
//     (biased HSIC, and the unbiased estimator of Song et al. that Brain-Score uses). A
//     target known only by its RDM enters through the kernel of points with those squared
//     distances (cka.DistanceGram).
//   - encoding (encoding.go): cross-validated ridge regression from the layer to each unit
//     of a response-matrix target (pkg/encoding, 5 x 5 folds, 20 alphas), the mean over
//     units of the Pearson r of the out-of-fold predictions. Expensive on subsamples: every
//     draw refits every (layer, target) pair.
//   - oddoneout, oddoneout-dot (oddoneout.go): zero-shot odd-one-out accuracy of the
//     layer's cosine (dot) similarities on the target's triplets (given, or implied by its
//     RDM: the least dissimilar pair of a triplet stays); on a subset, the triplets whose
//     three stimuli are in it. Chance is 1/3.
//
// Adding a metric is one file with a type implementing Metric and one Register call in its
// init function. The package never imports GoMLX.
package metric

import (
	"fmt"
	"math"
	"strings"

	"github.com/coarsealign/coarsealign/pkg/oddoneout"
	"github.com/coarsealign/coarsealign/pkg/rdm"
	"github.com/coarsealign/coarsealign/pkg/rsa"
)

// Input is what a metric reads of a target, as a bit set: a metric works from any one of
// the inputs its Needs names.
type Input uint8

const (
	// RDM is a representational dissimilarity matrix.
	RDM Input = 1 << iota
	// Patterns is a stimuli x units matrix (a layer's activations, recorded units, voxels).
	Patterns
	// Triplets are odd-one-out judgements (given, or implied by an RDM).
	Triplets
)

// String lists the inputs, e.g. "RDM or patterns".
func (in Input) String() string {
	var parts []string
	for _, p := range []struct {
		in   Input
		name string
	}{{RDM, "RDM"}, {Patterns, "patterns"}, {Triplets, "triplets"}} {
		if in&p.in != 0 {
			parts = append(parts, p.name)
		}
	}
	if len(parts) == 0 {
		return "nothing"
	}
	return strings.Join(parts, " or ")
}

// Rep is one representation of N stimuli: a model layer or a target. Row i of X, stimulus
// i of the RDM and the indices of the triplets refer to the same stimulus.
type Rep struct {
	Name string
	// X holds the N x D patterns, row-major (row i is stimulus i); nil when only an RDM or
	// triplets are known.
	X    []float64
	N, D int
	// RDM is the dissimilarity matrix; nil means 1 - Pearson correlation of the rows of X
	// (computed by the metrics that need it; callers comparing many metrics set it once).
	RDM *rdm.RDM
	// Triplets are odd-one-out judgements; nil means the triplets implied by the RDM.
	Triplets []oddoneout.Triplet
}

// NewPatterns returns a Rep for an N x D pattern matrix.
func NewPatterns(name string, x []float64, n, d int) *Rep {
	return &Rep{Name: name, X: x, N: n, D: d}
}

// NewRDM returns a Rep for an RDM.
func NewRDM(name string, r *rdm.RDM) *Rep { return &Rep{Name: name, RDM: r, N: r.N} }

// Provides returns what can be read of r: patterns give an RDM (correlation distance) and
// its implied triplets; an RDM gives triplets.
func (r *Rep) Provides() Input {
	var in Input
	if r.X != nil {
		in |= Patterns | RDM | Triplets
	}
	if r.RDM != nil {
		in |= RDM | Triplets
	}
	if r.Triplets != nil {
		in |= Triplets
	}
	return in
}

// Size returns the number of stimuli.
func (r *Rep) Size() int {
	if r.X == nil && r.RDM != nil {
		return r.RDM.N
	}
	return r.N
}

// Dissimilarity returns the RDM, computed from X (1 - Pearson correlation) when not set.
func (r *Rep) Dissimilarity() (*rdm.RDM, error) {
	if r.RDM != nil {
		return r.RDM, nil
	}
	if r.X == nil {
		return nil, fmt.Errorf("metric: %q has neither patterns nor an RDM", r.Name)
	}
	return rsa.RDMFromPatternSlice(r.Name, r.X, r.N, r.D, rsa.Correlation, nil)
}

// Settings are shared by the metrics of one evaluation.
type Settings struct {
	// Seed fixes the random choices inside metrics (encoding folds, sampled triplets).
	Seed uint64
	// MaxTriplets caps the triplets implied by a target's RDM (0: all C(N,3); else a
	// seeded sample).
	MaxTriplets int
}

// Metric is one alignment metric.
type Metric interface {
	// Name is the registry name (e.g. "spearman", "cka-linear"), also the results' metric column.
	Name() string
	// Needs is what the metric reads of a target (any one of the inputs suffices). Models
	// are layers: they have patterns (and hence an RDM).
	Needs() Input
	// HigherIsBetter reports whether a larger score means a closer match (layer selection
	// picks the maximum, else the minimum).
	HigherIsBetter() bool
	// Prepare precomputes what does not depend on the stimulus subset for comparing every
	// model with every target. Targets must provide what Needs names; all Reps must have the
	// same number of stimuli. It returns an error naming the Rep that cannot be used.
	Prepare(models, targets []*Rep, s Settings) (Prepared, error)
}

// Prepared is a metric ready to score stimulus subsets.
type Prepared interface {
	// NewScorer returns a Scorer with its own buffers, for one goroutine.
	NewScorer() Scorer
}

// Scorer scores stimulus subsets.
type Scorer interface {
	// Score writes into out[i][j] the score of models[i] against targets[j] (of Prepare)
	// on the stimuli idx: distinct indices in increasing order. Scores undefined on the
	// subset (too few stimuli, constant patterns) are NaN.
	Score(idx []int, out [][]float64)
}

// Ceiling is implemented by metrics with a noise ceiling for a group of subjects' RDMs
// (the RSA comparisons: rsa.NoiseCeilingDetail).
type Ceiling interface {
	NoiseCeiling(subjects []*rdm.RDM) (rsa.Ceiling, error)
}

// Applies reports whether m can score target (it provides what m needs).
func Applies(m Metric, target *Rep) bool { return m.Needs()&target.Provides() != 0 }

// Score returns the score of model against target under m on the stimuli idx (nil: all).
func Score(m Metric, model, target *Rep, idx []int, s Settings) (float64, error) {
	p, err := m.Prepare([]*Rep{model}, []*Rep{target}, s)
	if err != nil {
		return math.NaN(), err
	}
	if idx == nil {
		idx = All(target.Size())
	}
	out := [][]float64{{0}}
	p.NewScorer().Score(idx, out)
	return out[0][0], nil
}

// All returns the indices 0..n-1.
func All(n int) []int {
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	return idx
}

// checkSizes returns an error unless every Rep has n stimuli, naming the first that does not.
func checkSizes(m Metric, models, targets []*Rep) (int, error) {
	if len(models) == 0 || len(targets) == 0 {
		return 0, fmt.Errorf("metric %s: no models or no targets", m.Name())
	}
	n := targets[0].Size()
	for _, r := range append(append([]*Rep(nil), models...), targets...) {
		if r.Size() != n {
			return 0, fmt.Errorf("metric %s: %q has %d stimuli, %q has %d", m.Name(), r.Name, r.Size(), targets[0].Name, n)
		}
		if r.X != nil && len(r.X) != r.N*r.D {
			return 0, fmt.Errorf("metric %s: %q has %d values for %d x %d patterns", m.Name(), r.Name, len(r.X), r.N, r.D)
		}
	}
	for _, t := range targets {
		if !Applies(m, t) {
			return 0, fmt.Errorf("metric %s needs %s; target %q has %s", m.Name(), m.Needs(), t.Name, t.Provides())
		}
	}
	return n, nil
}

// dissimilarities returns the RDMs of reps.
func dissimilarities(reps []*Rep) ([]*rdm.RDM, error) {
	out := make([]*rdm.RDM, len(reps))
	for i, r := range reps {
		d, err := r.Dissimilarity()
		if err != nil {
			return nil, err
		}
		out[i] = d
	}
	return out, nil
}

// outMatrix returns a rows x cols matrix of zeros.
func outMatrix(rows, cols int) [][]float64 {
	out := make([][]float64, rows)
	for i := range out {
		out[i] = make([]float64, cols)
	}
	return out
}
