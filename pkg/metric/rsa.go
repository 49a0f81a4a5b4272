package metric

import (
	"github.com/coarsealign/coarsealign/pkg/rdm"
	"github.com/coarsealign/coarsealign/pkg/rsa"
)

// RSA is an RDM comparison of pkg/rsa (rsatoolbox's definitions): the model RDM (1 - Pearson
// correlation of the layer's patterns) against the target RDM, on subsets by
// rsa.SubsetScorer.
type RSA struct{ Method rsa.Method }

var rsaAliases = map[rsa.Method][]string{
	rsa.Corr: {"pearson", "correlation"}, rsa.RhoA: {"rhoa"}, rsa.Kendall: {"tau-b", "taub"}, rsa.TauA: {"taua"},
}

func init() {
	for _, m := range rsa.Methods() {
		Register(RSA{m}, rsaAliases[m]...)
	}
}

// Name returns rsatoolbox's name of the method.
func (r RSA) Name() string { return r.Method.String() }

// Needs returns RDM.
func (RSA) Needs() Input { return RDM }

// HigherIsBetter returns true: all comparisons are similarities.
func (RSA) HigherIsBetter() bool { return true }

// NoiseCeiling returns rsatoolbox's noise ceiling of the subjects' RDMs under the method.
func (r RSA) NoiseCeiling(subjects []*rdm.RDM) (rsa.Ceiling, error) {
	return rsa.NoiseCeilingDetail(subjects, r.Method)
}

// Prepare builds an rsa.SubsetScorer over the models' and targets' RDMs.
func (r RSA) Prepare(models, targets []*Rep, _ Settings) (Prepared, error) {
	if _, err := checkSizes(r, models, targets); err != nil {
		return nil, err
	}
	ms, err := dissimilarities(models)
	if err != nil {
		return nil, err
	}
	ts, err := dissimilarities(targets)
	if err != nil {
		return nil, err
	}
	sc, err := rsa.NewSubsetScorer(ms, ts, r.Method)
	if err != nil {
		return nil, err
	}
	return rsaPrepared{sc}, nil
}

type rsaPrepared struct{ sc *rsa.SubsetScorer }

func (p rsaPrepared) NewScorer() Scorer { return &rsaScorer{p.sc, p.sc.NewScratch()} }

type rsaScorer struct {
	sc      *rsa.SubsetScorer
	scratch *rsa.SubsetScratch
}

func (s *rsaScorer) Score(idx []int, out [][]float64) { s.sc.Score(idx, out, s.scratch) }
