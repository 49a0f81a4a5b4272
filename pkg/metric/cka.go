package metric

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/coarsealign/coarsealign/pkg/cka"
)

// CKA is centred kernel alignment (pkg/cka) with a kernel and an HSIC estimator. Patterns
// enter through their squared Euclidean distances, a target known only by its RDM through
// the RDM read as squared distances (cka.DistanceGram: the Gram matrix of points with those
// distances, or the RBF kernel of them). On a subset, each Rep's kernel is rebuilt from the
// distances among the subset's stimuli and centred once; each pair then costs one inner
// product. With patterns on both sides it equals cka.CKA on the subset's rows.
type CKA struct {
	Kernel    cka.Kernel
	Estimator cka.Estimator
	// RBFFactor scales the median-distance bandwidth (0: 1).
	RBFFactor float64
}

func init() {
	for _, k := range []cka.Kernel{cka.Linear, cka.RBF} {
		Register(CKA{Kernel: k})
		Register(CKA{Kernel: k, Estimator: cka.Unbiased}, "cka-"+k.String()+"-debiased")
	}
}

// Name returns "cka-linear", "cka-rbf", with "-unbiased" for the unbiased estimator.
func (c CKA) Name() string {
	s := "cka-" + c.Kernel.String()
	if c.Estimator == cka.Unbiased {
		s += "-unbiased"
	}
	if c.RBFFactor != 0 && c.RBFFactor != 1 {
		s += fmt.Sprintf("-f%g", c.RBFFactor)
	}
	return s
}

// Options returns the metric's pkg/cka options.
func (c CKA) Options() cka.Options {
	return cka.Options{Kernel: c.Kernel, Estimator: c.Estimator, RBFFactor: c.RBFFactor}
}

// Needs returns Patterns or RDM.
func (CKA) Needs() Input { return Patterns | RDM }

// HigherIsBetter returns true.
func (CKA) HigherIsBetter() bool { return true }

// Prepare computes every Rep's squared distances on all stimuli.
func (c CKA) Prepare(models, targets []*Rep, _ Settings) (Prepared, error) {
	n, err := checkSizes(c, models, targets)
	if err != nil {
		return nil, err
	}
	p := &ckaPrepared{c: c, n: n}
	for _, set := range []struct {
		reps []*Rep
		dst  *[]*mat.SymDense
	}{{models, &p.models}, {targets, &p.targets}} {
		for _, r := range set.reps {
			d, err := sqDistances(r)
			if err != nil {
				return nil, fmt.Errorf("metric %s: %w", c.Name(), err)
			}
			*set.dst = append(*set.dst, d)
		}
	}
	return p, nil
}

// sqDistances returns the squared distances of r's patterns, or its RDM read as such.
func sqDistances(r *Rep) (*mat.SymDense, error) {
	if r.X != nil {
		for k, v := range r.X {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("%q: pattern value [%d,%d] is %g", r.Name, k/r.D, k%r.D, v)
			}
		}
		return cka.SqDistances(mat.NewDense(r.N, r.D, r.X)), nil
	}
	if r.RDM == nil {
		return nil, fmt.Errorf("%q has neither patterns nor an RDM", r.Name)
	}
	if r.RDM.HasNaN() {
		return nil, fmt.Errorf("%q: RDM has missing (NaN) pairs", r.Name)
	}
	return mat.NewSymDense(r.RDM.N, r.RDM.Square()), nil
}

type ckaPrepared struct {
	c               CKA
	n               int
	models, targets []*mat.SymDense
}

func (p *ckaPrepared) NewScorer() Scorer { return &ckaScorer{p: p} }

type ckaScorer struct {
	p      *ckaPrepared
	mk, tk []*mat.SymDense // centred kernels of the current subset (nil: undefined)
}

func (s *ckaScorer) Score(idx []int, out [][]float64) {
	p := s.p
	s.mk = s.kernels(p.models, idx, s.mk[:0])
	s.tk = s.kernels(p.targets, idx, s.tk[:0])
	for i, a := range s.mk {
		for j, b := range s.tk {
			out[i][j] = math.NaN()
			if a == nil || b == nil {
				continue
			}
			if v, err := cka.CentredCKA(a, b); err == nil {
				out[i][j] = v
			}
		}
	}
}

// kernels appends to dst the centred kernel on idx of each squared-distance matrix.
func (s *ckaScorer) kernels(ds []*mat.SymDense, idx []int, dst []*mat.SymDense) []*mat.SymDense {
	c := s.p.c
	k := len(idx)
	minN := 2
	if c.Estimator == cka.Unbiased {
		minN = 4
	}
	for _, d := range ds {
		if k < minN {
			dst = append(dst, nil)
			continue
		}
		sub := d
		if k != s.p.n {
			sub = mat.NewSymDense(k, nil)
			for a, i := range idx {
				for b := a + 1; b < k; b++ {
					sub.SetSym(a, b, d.At(i, idx[b]))
				}
			}
		}
		g, err := cka.DistanceGram(sub, c.Kernel, c.RBFFactor)
		if err != nil {
			dst = append(dst, nil)
			continue
		}
		dst = append(dst, cka.CenterGram(g, c.Estimator))
	}
	return dst
}
