package chronology

import (
	"fmt"
	"math"

	"github.com/coarsealign/coarsealign/pkg/eval"
	"github.com/coarsealign/coarsealign/pkg/metric"
	"github.com/coarsealign/coarsealign/pkg/rsa"
	"github.com/coarsealign/coarsealign/pkg/stats"
)

// SubsampleFraction is the fraction of the stimuli each bootstrap subsample keeps (without
// replacement), as the main study's CIs (methods.md section 1: 90%).
const SubsampleFraction = 0.9

// Curves are the scores of every layer at every checkpoint against every target, on all
// stimuli (Full) and on Draws seeded stimulus subsamples shared by all layers, steps and
// targets (paired draws). NaN marks a score that is undefined (e.g. a layer whose pattern is
// constant for some stimulus at that step).
type Curves struct {
	Metric  string
	Higher  bool // the metric's HigherIsBetter
	Steps   []int
	Layers  []string // in network order
	Targets []Target
	// Full[t][l][s] is the score of layer l at step s against target t on all stimuli.
	Full [][][]float64
	// Draws[d][t][l][s] is the same on subsample d.
	Draws [][][][]float64
}

// Score computes Curves: feats[s] are the layers of the checkpoint at steps[s] (the same layer
// names in the same order at every step; N stimuli each), targets their RDMs over the same N
// stimuli, m the metric (an RDM metric, e.g. metric.Lookup("spearman")), draws the number of
// subsamples (90% of the stimuli; the same for every layer and step), seed their seed.
func Score(steps []int, feats [][]eval.Features, targets []Target, m metric.Metric, draws int, seed uint64) (*Curves, error) {
	if len(steps) == 0 || len(steps) != len(feats) {
		return nil, fmt.Errorf("chronology: %d steps for %d feature sets", len(steps), len(feats))
	}
	if len(targets) == 0 {
		return nil, fmt.Errorf("chronology: no target")
	}
	c := &Curves{Metric: m.Name(), Higher: m.HigherIsBetter(), Steps: steps, Targets: targets}
	for _, f := range feats[0] {
		c.Layers = append(c.Layers, f.Layer)
	}
	n := targets[0].RDM.N
	var models []*metric.Rep
	type at struct{ l, s int }
	var where []at
	for s, fs := range feats {
		if len(fs) != len(c.Layers) {
			return nil, fmt.Errorf("chronology: step %d has %d layers, step %d has %d", steps[s], len(fs), steps[0], len(c.Layers))
		}
		for l, f := range fs {
			if f.Layer != c.Layers[l] {
				return nil, fmt.Errorf("chronology: step %d layer %d is %q, want %q", steps[s], l, f.Layer, c.Layers[l])
			}
			if f.N != n {
				return nil, fmt.Errorf("chronology: step %d layer %q has %d stimuli, targets %d", steps[s], f.Layer, f.N, n)
			}
			if _, constant := eval.ConstantStimulus(f); constant {
				continue // undefined correlation RDM: NaN
			}
			r, err := rsa.RDMFromPatternSlice(f.Layer, f.X, f.N, f.D, rsa.Correlation, nil)
			if err != nil {
				return nil, fmt.Errorf("chronology: step %d layer %q: %w", steps[s], f.Layer, err)
			}
			models = append(models, &metric.Rep{Name: f.Layer, X: f.X, N: f.N, D: f.D, RDM: r})
			where = append(where, at{l, s})
		}
	}
	tr := make([]*metric.Rep, len(targets))
	for i, t := range targets {
		if t.RDM == nil || t.RDM.N != n {
			return nil, fmt.Errorf("chronology: target %q has no RDM over %d stimuli", t.Name, n)
		}
		tr[i] = metric.NewRDM(t.Name, t.RDM)
	}
	if len(models) == 0 {
		return nil, fmt.Errorf("chronology: every layer has a constant stimulus pattern")
	}
	p, err := m.Prepare(models, tr, metric.Settings{Seed: seed})
	if err != nil {
		return nil, fmt.Errorf("chronology: %w", err)
	}
	sc := p.NewScorer()
	out := make([][]float64, len(models))
	for i := range out {
		out[i] = make([]float64, len(tr))
	}
	fill := func(idx []int) [][][]float64 {
		sc.Score(idx, out)
		res := nanCube(len(tr), len(c.Layers), len(steps))
		for i, w := range where {
			for t := range tr {
				res[t][w.l][w.s] = out[i][t]
			}
		}
		return res
	}
	c.Full = fill(metric.All(n))
	rng := stats.NewRand(seed)
	k := stats.SubsampleSize(n, SubsampleFraction)
	for range draws {
		c.Draws = append(c.Draws, fill(stats.SubsampleIndices(rng, n, k)))
	}
	return c, nil
}

func nanCube(a, b, c int) [][][]float64 {
	out := make([][][]float64, a)
	for i := range out {
		out[i] = make([][]float64, b)
		for j := range out[i] {
			out[i][j] = make([]float64, c)
			for k := range out[i][j] {
				out[i][j][k] = math.NaN()
			}
		}
	}
	return out
}

// Pool averages the curves of several runs of one design (e.g. seeds) element by element:
// the same steps, layers, targets and number of draws, whose subsamples are paired (the same
// seed and stimuli give the same subsamples), so each pooled draw is the mean of the runs'
// scores on one subsample.
func Pool(cs []*Curves) (*Curves, error) {
	if len(cs) == 0 {
		return nil, fmt.Errorf("chronology: nothing to pool")
	}
	a := cs[0]
	for _, b := range cs[1:] {
		if len(b.Steps) != len(a.Steps) || len(b.Layers) != len(a.Layers) || len(b.Targets) != len(a.Targets) || len(b.Draws) != len(a.Draws) {
			return nil, fmt.Errorf("chronology: pooling curves of different designs (%d/%d steps, %d/%d layers, %d/%d targets, %d/%d draws)",
				len(a.Steps), len(b.Steps), len(a.Layers), len(b.Layers), len(a.Targets), len(b.Targets), len(a.Draws), len(b.Draws))
		}
		for i := range a.Steps {
			if a.Steps[i] != b.Steps[i] {
				return nil, fmt.Errorf("chronology: pooling curves with steps %v and %v", a.Steps, b.Steps)
			}
		}
	}
	mean := func(get func(c *Curves) [][][]float64) [][][]float64 {
		out := nanCube(len(a.Targets), len(a.Layers), len(a.Steps))
		for t := range out {
			for l := range out[t] {
				for s := range out[t][l] {
					sum := 0.0
					for _, c := range cs {
						sum += get(c)[t][l][s]
					}
					out[t][l][s] = sum / float64(len(cs))
				}
			}
		}
		return out
	}
	p := &Curves{Metric: a.Metric, Higher: a.Higher, Steps: a.Steps, Layers: a.Layers, Targets: a.Targets}
	p.Full = mean(func(c *Curves) [][][]float64 { return c.Full })
	for d := range a.Draws {
		p.Draws = append(p.Draws, mean(func(c *Curves) [][][]float64 { return c.Draws[d] }))
	}
	return p, nil
}

// best returns, per step, the best score over layers of cube[t] and its layer index (-1 when
// every layer is NaN at that step).
func (c *Curves) best(cube [][][]float64, t int) (score []float64, layer []int) {
	score = make([]float64, len(c.Steps))
	layer = make([]int, len(c.Steps))
	for s := range c.Steps {
		score[s], layer[s] = math.NaN(), -1
		for l := range c.Layers {
			v := cube[t][l][s]
			if math.IsNaN(v) {
				continue
			}
			if layer[s] < 0 || (c.Higher && v > score[s]) || (!c.Higher && v < score[s]) {
				score[s], layer[s] = v, l
			}
		}
	}
	return score, layer
}

// HalfLife returns the step at which scores (at increasing steps, steps[0] = 0 the
// initialisation) first reach half of their final gain over the first score: the smallest
// step where score >= y0 + (yF - y0)/2, interpolated linearly in log(1 + step) between the
// two checkpoints around the crossing (step 0 sits at log 1 = 0). higher tells the metric's
// direction (for lower-is-better metrics gains are decreases). It returns NaN when the final
// gain is not positive or a score is NaN: no half-life without a gain.
func HalfLife(steps []int, scores []float64, higher bool) float64 {
	if len(steps) < 2 || len(steps) != len(scores) {
		return math.NaN()
	}
	y := make([]float64, len(scores))
	for i, v := range scores {
		if math.IsNaN(v) {
			return math.NaN()
		}
		y[i] = v
		if !higher {
			y[i] = -v
		}
	}
	gain := y[len(y)-1] - y[0]
	if !(gain > 0) {
		return math.NaN()
	}
	thr := y[0] + gain/2
	for i := 1; i < len(y); i++ {
		if y[i] >= thr {
			u0, u1 := math.Log1p(float64(steps[i-1])), math.Log1p(float64(steps[i]))
			f := (thr - y[i-1]) / (y[i] - y[i-1])
			return math.Expm1(u0 + f*(u1-u0))
		}
	}
	return math.NaN() // unreachable: the last score reaches the threshold
}

// Estimate is a value with its percentile 95% bootstrap interval; Defined is the fraction of
// draws where the value is defined.
type Estimate struct {
	Value, Low, High, Defined float64
}

func estimate(full float64, draws []float64) Estimate {
	e := Estimate{Value: full, Low: math.NaN(), High: math.NaN()}
	ok := 0
	for _, v := range draws {
		if !math.IsNaN(v) {
			ok++
		}
	}
	if len(draws) > 0 {
		e.Defined = float64(ok) / float64(len(draws))
		e.Low, e.High = stats.PercentileCI(draws, 0.95)
	}
	return e
}

// TargetChronology is a target's chronology: the best layer's score at each step (the maximum
// over layers, recomputed on each subsample), its half-life, the relative depth (0 = first
// layer, 1 = last) of the best layer at each step, and every layer's half-life.
type TargetChronology struct {
	Target Target
	// Score[s] and Depth[s] are at Curves.Steps[s].
	Score, Depth []Estimate
	HalfLife     Estimate
	// LayerHalfLife[l] is layer l's own half-life (its curve alone).
	LayerHalfLife []Estimate
}

// Analyze returns the chronology of every target of c, in c.Targets' order.
func (c *Curves) Analyze() []TargetChronology {
	depth := func(l int) float64 {
		if l < 0 {
			return math.NaN()
		}
		if len(c.Layers) == 1 {
			return 0
		}
		return float64(l) / float64(len(c.Layers)-1)
	}
	out := make([]TargetChronology, len(c.Targets))
	for t := range c.Targets {
		tc := TargetChronology{Target: c.Targets[t]}
		full, fl := c.best(c.Full, t)
		ds := make([][]float64, len(c.Draws))
		dl := make([][]int, len(c.Draws))
		hl := make([]float64, len(c.Draws))
		for d := range c.Draws {
			ds[d], dl[d] = c.best(c.Draws[d], t)
			hl[d] = HalfLife(c.Steps, ds[d], c.Higher)
		}
		for s := range c.Steps {
			v := make([]float64, len(c.Draws))
			dep := make([]float64, len(c.Draws))
			for d := range c.Draws {
				v[d], dep[d] = ds[d][s], depth(dl[d][s])
			}
			tc.Score = append(tc.Score, estimate(full[s], v))
			tc.Depth = append(tc.Depth, estimate(depth(fl[s]), dep))
		}
		tc.HalfLife = estimate(HalfLife(c.Steps, full, c.Higher), hl)
		for l := range c.Layers {
			v := make([]float64, len(c.Draws))
			for d := range c.Draws {
				v[d] = HalfLife(c.Steps, c.Draws[d][t][l], c.Higher)
			}
			tc.LayerHalfLife = append(tc.LayerHalfLife, estimate(HalfLife(c.Steps, c.Full[t][l], c.Higher), v))
		}
		out[t] = tc
	}
	return out
}

// LevelTrend returns the Spearman correlation between the targets' processing levels and
// their half-lives (the study's claim: positive), with its bootstrap interval over the
// subsamples (targets without a half-life on a draw are left out of that draw; NaN when fewer
// than 3 remain or the levels are all equal).
func (c *Curves) LevelTrend() Estimate {
	corr := func(cube func(t int) []float64) float64 {
		var lv, hl []float64
		for t := range c.Targets {
			if h := HalfLife(c.Steps, cube(t), c.Higher); !math.IsNaN(h) {
				lv = append(lv, float64(c.Targets[t].Level))
				hl = append(hl, h)
			}
		}
		if len(lv) < 3 {
			return math.NaN()
		}
		return stats.Spearman(lv, hl)
	}
	full := corr(func(t int) []float64 { s, _ := c.best(c.Full, t); return s })
	draws := make([]float64, len(c.Draws))
	for d := range c.Draws {
		draws[d] = corr(func(t int) []float64 { s, _ := c.best(c.Draws[d], t); return s })
	}
	return estimate(full, draws)
}
