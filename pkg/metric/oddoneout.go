package metric

import (
	"fmt"

	"gonum.org/v1/gonum/mat"

	"github.com/coarsealign/coarsealign/pkg/oddoneout"
)

// OddOneOut is zero-shot odd-one-out accuracy (pkg/oddoneout): the fraction of the target's
// triplets whose most similar pair under the layer's similarity is the pair that stays
// (ties split; chance 1/3). The target's triplets are its own, or those implied by its RDM
// (oddoneout.TripletsFromRDM: the least dissimilar pair stays; Settings.MaxTriplets caps
// them with a seeded sample). A model without patterns uses minus its RDM as similarity. On
// a subset, only the triplets whose three stimuli are in it count.
type OddOneOut struct {
	Similarity oddoneout.Similarity
}

func init() {
	Register(OddOneOut{Similarity: oddoneout.Cosine}, "odd-one-out")
	Register(OddOneOut{Similarity: oddoneout.Dot}, "odd-one-out-dot")
}

// Name returns "oddoneout" (cosine similarity) or "oddoneout-dot".
func (o OddOneOut) Name() string {
	if o.Similarity == oddoneout.Dot {
		return "oddoneout-dot"
	}
	return "oddoneout"
}

// Needs returns Triplets.
func (OddOneOut) Needs() Input { return Triplets }

// HigherIsBetter returns true.
func (OddOneOut) HigherIsBetter() bool { return true }

// Prepare computes the models' similarity matrices and the targets' triplets.
func (o OddOneOut) Prepare(models, targets []*Rep, s Settings) (Prepared, error) {
	n, err := checkSizes(o, models, targets)
	if err != nil {
		return nil, err
	}
	if n < 3 {
		return nil, fmt.Errorf("metric %s: %d stimuli; need at least 3", o.Name(), n)
	}
	p := &oooPrepared{n: n}
	for _, m := range models {
		if m.X != nil {
			p.sims = append(p.sims, oddoneout.SimilarityMatrix(mat.NewDense(m.N, m.D, m.X), o.Similarity))
			continue
		}
		if m.RDM == nil {
			return nil, fmt.Errorf("metric %s: model %q has neither patterns nor an RDM", o.Name(), m.Name)
		}
		sim := mat.NewSymDense(n, nil)
		for i := 0; i < n; i++ {
			for j := i + 1; j < n; j++ {
				sim.SetSym(i, j, -m.RDM.At(i, j))
			}
		}
		p.sims = append(p.sims, sim)
	}
	for _, t := range targets {
		trip := t.Triplets
		if trip == nil {
			r, err := t.Dissimilarity()
			if err != nil {
				return nil, fmt.Errorf("metric %s: %w", o.Name(), err)
			}
			if trip, _, err = oddoneout.TripletsFromRDM(r, oddoneout.TripletOptions{Max: s.MaxTriplets, Seed: s.Seed}); err != nil {
				return nil, fmt.Errorf("metric %s: target %q: %w", o.Name(), t.Name, err)
			}
		}
		for k, tr := range trip {
			if tr.I < 0 || tr.J < 0 || tr.Odd < 0 || tr.I >= n || tr.J >= n || tr.Odd >= n {
				return nil, fmt.Errorf("metric %s: target %q triplet %d has an index outside 0..%d", o.Name(), t.Name, k, n-1)
			}
		}
		if len(trip) == 0 {
			return nil, fmt.Errorf("metric %s: target %q has no triplets", o.Name(), t.Name)
		}
		p.triplets = append(p.triplets, trip)
	}
	return p, nil
}

type oooPrepared struct {
	n        int
	sims     []*mat.SymDense
	triplets [][]oddoneout.Triplet
}

func (p *oooPrepared) NewScorer() Scorer { return &oooScorer{p: p, in: make([]bool, p.n)} }

type oooScorer struct {
	p    *oooPrepared
	in   []bool
	kept []oddoneout.Triplet
}

func (s *oooScorer) Score(idx []int, out [][]float64) {
	all := len(idx) == s.p.n
	for _, i := range idx {
		s.in[i] = true
	}
	for j, trip := range s.p.triplets {
		if !all {
			s.kept = s.kept[:0]
			for _, t := range trip {
				if s.in[t.I] && s.in[t.J] && s.in[t.Odd] {
					s.kept = append(s.kept, t)
				}
			}
			trip = s.kept
		}
		for i, sim := range s.p.sims {
			out[i][j] = oddoneout.AccuracyFromSimilarity(sim, trip)
		}
	}
	for _, i := range idx {
		s.in[i] = false
	}
}
