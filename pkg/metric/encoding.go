package metric

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/coarsealign/coarsealign/pkg/encoding"
)

// Encoding is a cross-validated ridge encoding model (pkg/encoding): from the layer's
// patterns to every unit of a response-matrix target, the alpha chosen per unit by inner
// cross-validation; the score is encoding.Result.Score, the mean over units of the Pearson r
// between the out-of-fold predictions and the responses. On a subset the model is refitted
// on the subset's stimuli alone (folds seeded by Settings.Seed).
type Encoding struct {
	// Options are passed to encoding.Ridge (zero: 5 outer and 5 inner folds, 20 alphas
	// 1e-10..1e10); Seed and Workers are set by the metric.
	Options encoding.Options
}

func init() { Register(Encoding{}, "ridge") }

// Name returns "encoding".
func (Encoding) Name() string { return "encoding" }

// Needs returns Patterns: the target must be a response matrix.
func (Encoding) Needs() Input { return Patterns }

// HigherIsBetter returns true.
func (Encoding) HigherIsBetter() bool { return true }

// Prepare checks that models and targets have patterns.
func (e Encoding) Prepare(models, targets []*Rep, s Settings) (Prepared, error) {
	if _, err := checkSizes(e, models, targets); err != nil {
		return nil, err
	}
	for _, m := range models {
		if m.X == nil {
			return nil, fmt.Errorf("metric %s: model %q has no patterns", e.Name(), m.Name)
		}
	}
	opt := e.Options
	opt.Seed, opt.Workers = s.Seed, 1 // pkg/eval parallelises over subsets
	return &encPrepared{models: models, targets: targets, opt: opt}, nil
}

type encPrepared struct {
	models, targets []*Rep
	opt             encoding.Options
}

func (p *encPrepared) NewScorer() Scorer { return p }

// Score fits every (model, target) pair on the subset; it keeps no state, so one value
// serves all goroutines.
func (p *encPrepared) Score(idx []int, out [][]float64) {
	xs := make([]*mat.Dense, len(p.models))
	for i, m := range p.models {
		xs[i] = rows(m, idx)
	}
	for j, t := range p.targets {
		y := rows(t, idx)
		for i := range p.models {
			out[i][j] = math.NaN()
			if res, err := encoding.Ridge(xs[i], y, p.opt); err == nil {
				out[i][j] = res.Score
			}
		}
	}
}

// rows returns the rows idx of r's patterns as a dense matrix.
func rows(r *Rep, idx []int) *mat.Dense {
	out := mat.NewDense(len(idx), r.D, nil)
	for a, i := range idx {
		copy(out.RawRowView(a), r.X[i*r.D:(i+1)*r.D])
	}
	return out
}
