package temporal

import (
	"fmt"
	"io"
	"math"
	"runtime"
	"sync"

	"github.com/coarsealign/coarsealign/pkg/metric"
	"github.com/coarsealign/coarsealign/pkg/stats"
)

// Map is the layer x time map of one metric: Scores[l][t] compares layer l's RDM with the brain
// RDM at Times[t] (NaN where the metric is undefined).
type Map struct {
	Metric         string
	HigherIsBetter bool
	Layers         []string
	Times          []float64
	TimeUnit       string // the unit of Times, from the series ("" if unknown)
	Scores         [][]float64
}

// targets returns the series' time points as metric targets.
func (s *Series) targets() []*metric.Rep {
	out := make([]*metric.Rep, len(s.RDMs))
	for t, r := range s.RDMs {
		out[t] = metric.NewRDM(r.Name, r)
	}
	return out
}

// prepare checks the inputs and prepares m for every layer against every time point.
func prepare(s *Series, layers []*metric.Rep, m metric.Metric, set metric.Settings) (metric.Prepared, error) {
	if s == nil || s.Len() == 0 {
		return nil, fmt.Errorf("temporal: empty series")
	}
	if len(layers) == 0 {
		return nil, fmt.Errorf("temporal: series %q: no model layers", s.Name)
	}
	for _, l := range layers {
		if l.Size() != s.N {
			return nil, fmt.Errorf("temporal: layer %q has %d stimuli, series %q has %d", l.Name, l.Size(), s.Name, s.N)
		}
	}
	p, err := m.Prepare(layers, s.targets(), set)
	if err != nil {
		return nil, fmt.Errorf("temporal: series %q: %w", s.Name, err)
	}
	return p, nil
}

// Compare scores every layer (patterns or RDMs, with the series' stimuli in the same order)
// against the series' RDM at every time point under m, any metric of the registry that reads
// RDMs (metric.Lookup("spearman"), ...). The result is len(layers) x s.Len().
func Compare(s *Series, layers []*metric.Rep, m metric.Metric, set metric.Settings) (*Map, error) {
	p, err := prepare(s, layers, m, set)
	if err != nil {
		return nil, err
	}
	mp := newMap(s, layers, m)
	p.NewScorer().Score(metric.All(s.N), mp.Scores)
	return mp, nil
}

func newMap(s *Series, layers []*metric.Rep, m metric.Metric) *Map {
	mp := &Map{Metric: m.Name(), HigherIsBetter: m.HigherIsBetter(), Times: s.Times, TimeUnit: s.TimeUnit, Scores: make([][]float64, len(layers))}
	for l, r := range layers {
		mp.Layers = append(mp.Layers, r.Name)
		mp.Scores[l] = make([]float64, s.Len())
	}
	return mp
}

// Defaults of Options.
const (
	DefaultDraws         = 1000
	DefaultFraction      = 0.9
	DefaultLevel         = 0.95
	DefaultOnsetFraction = 0.5
	DefaultOnsetRun      = 3
)

// Options of Analyze. The zero value means the defaults.
type Options struct {
	// Draws is the number of resamples (0: DefaultDraws; negative: none, CIs are NaN).
	Draws int
	// Fraction of the stimuli kept in each resample (0: DefaultFraction, the study's 90%).
	Fraction float64
	// Level is the coverage of the percentile intervals (0: DefaultLevel).
	Level float64
	// Seed of the resampling; equal seeds give equal results, whatever Workers.
	Seed uint64
	// OnsetFraction and OnsetRun define the onset (see Onset; 0: the defaults, 0.5 and 3).
	OnsetFraction float64
	OnsetRun      int
	// Depths are the layers' depths for the depth-latency correlation (nil: 0, 1, ..., the
	// order of the layers).
	Depths []float64
	// Settings are passed to the metric.
	Settings metric.Settings
	// Workers score resamples in parallel (0: GOMAXPROCS).
	Workers int
}

func (o Options) withDefaults(layers int) Options {
	if o.Draws == 0 {
		o.Draws = DefaultDraws
	}
	if o.Fraction <= 0 || o.Fraction > 1 {
		o.Fraction = DefaultFraction
	}
	if o.Level <= 0 || o.Level >= 1 {
		o.Level = DefaultLevel
	}
	if o.OnsetFraction <= 0 || o.OnsetFraction >= 1 {
		o.OnsetFraction = DefaultOnsetFraction
	}
	if o.OnsetRun <= 0 {
		o.OnsetRun = DefaultOnsetRun
	}
	if o.Depths == nil {
		o.Depths = Times(0, 1, layers)
	}
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	return o
}

// Estimate is a value on all stimuli with its percentile interval over the resamples.
type Estimate struct {
	Value     float64
	Low, High float64
	// Samples holds one value per resample (NaN where undefined, e.g. no onset).
	Samples []float64
}

// Result is the outcome of Analyze.
type Result struct {
	// Map is the layer x time map on all stimuli.
	Map *Map
	// Peak, PeakScore and Onset are per layer: the peak latency (Peak), the score there, and
	// the onset (Onset), in the series' time unit.
	Peak, PeakScore, Onset []Estimate
	// DepthLatency is Spearman's rho between the layers' depths and their peak latencies.
	DepthLatency Estimate
	// Options are those used, defaults filled in.
	Options Options
}

// Analyze compares the layers with the series under m (Compare) and derives, per layer, the
// peak latency and the onset, and across layers the Spearman correlation of depth with peak
// latency. Uncertainty: opt.Draws resamples of round(Fraction x N) stimuli drawn without
// replacement (the study's 90% subsamples; methods.md), the same stimuli for every layer and
// time point (paired draws); each resample restricts every RDM to its stimuli (the metric's
// subset scorer, pkg/rsa), recomputes the map and the latencies, and the percentile intervals
// of the resamples are the CIs. Stimuli are drawn without replacement because a duplicated
// stimulus has no dissimilarity with its copy and the registry's scorers take distinct stimuli.
func Analyze(s *Series, layers []*metric.Rep, m metric.Metric, opt Options) (*Result, error) {
	opt = opt.withDefaults(len(layers))
	if len(opt.Depths) != len(layers) {
		return nil, fmt.Errorf("temporal: %d depths for %d layers", len(opt.Depths), len(layers))
	}
	p, err := prepare(s, layers, m, opt.Settings)
	if err != nil {
		return nil, err
	}
	sign := 1.0
	if !m.HigherIsBetter() {
		sign = -1
	}
	L := len(layers)
	res := &Result{Map: newMap(s, layers, m), Options: opt,
		Peak: make([]Estimate, L), PeakScore: make([]Estimate, L), Onset: make([]Estimate, L)}
	p.NewScorer().Score(metric.All(s.N), res.Map.Scores)
	peaks := make([]float64, L)
	for l, sc := range res.Map.Scores {
		pt := PeakIndex(sc, sign)
		res.Peak[l].Value, res.PeakScore[l].Value = at(s.Times, pt), at(sc, pt)
		res.Onset[l].Value = at(s.Times, Onset(sc, s.Times, sign, opt.OnsetFraction, opt.OnsetRun))
		peaks[l] = res.Peak[l].Value
	}
	res.DepthLatency.Value = depthLatency(opt.Depths, peaks)
	draws := max(opt.Draws, 0)
	for l := range layers {
		res.Peak[l].Samples = make([]float64, draws)
		res.PeakScore[l].Samples = make([]float64, draws)
		res.Onset[l].Samples = make([]float64, draws)
	}
	res.DepthLatency.Samples = make([]float64, draws)
	// The stimuli of every draw come from one generator, so results do not depend on Workers.
	rng := stats.NewRand(opt.Seed)
	k := stats.SubsampleSize(s.N, opt.Fraction)
	idx := make([][]int, draws)
	for b := range idx {
		idx[b] = stats.SubsampleIndices(rng, s.N, k)
	}
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < min(opt.Workers, max(draws, 1)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			scorer := p.NewScorer()
			out := newMap(s, layers, m).Scores
			pk := make([]float64, L)
			for b := range next {
				scorer.Score(idx[b], out)
				for l, sc := range out {
					pt := PeakIndex(sc, sign)
					pk[l] = at(s.Times, pt)
					res.Peak[l].Samples[b], res.PeakScore[l].Samples[b] = pk[l], at(sc, pt)
					res.Onset[l].Samples[b] = at(s.Times, Onset(sc, s.Times, sign, opt.OnsetFraction, opt.OnsetRun))
				}
				res.DepthLatency.Samples[b] = depthLatency(opt.Depths, pk)
			}
		}()
	}
	for b := 0; b < draws; b++ {
		next <- b
	}
	close(next)
	wg.Wait()
	for l := range layers {
		for _, e := range []*Estimate{&res.Peak[l], &res.PeakScore[l], &res.Onset[l]} {
			e.finish(opt.Level)
		}
	}
	res.DepthLatency.finish(opt.Level)
	return res, nil
}

func (e *Estimate) finish(level float64) {
	if len(e.Samples) == 0 {
		e.Low, e.High = math.NaN(), math.NaN()
		return
	}
	e.Low, e.High = stats.PercentileCI(e.Samples, level)
}

// at returns x[i], NaN for i < 0.
func at(x []float64, i int) float64 {
	if i < 0 {
		return math.NaN()
	}
	return x[i]
}

// depthLatency is Spearman's rho of depths and peak latencies (NaN if a peak is undefined or
// all peaks or all depths are equal).
func depthLatency(depths, peaks []float64) float64 {
	if len(depths) < 2 {
		return math.NaN()
	}
	r := stats.Spearman(depths, peaks)
	if math.IsInf(r, 0) {
		return math.NaN()
	}
	return r
}

// PeakIndex returns the index of the best score (the largest of sign*score: sign is +1 when
// higher is better, -1 otherwise), the first one on ties, ignoring NaN; -1 if all are NaN.
func PeakIndex(score []float64, sign float64) int {
	best := -1
	for t, v := range score {
		if !math.IsNaN(v) && (best < 0 || sign*v > sign*score[best]) {
			best = t
		}
	}
	return best
}

// Onset returns the index of the first time point at which a layer's score rises above a
// fraction of its peak and stays there: with s(t) = sign*score(t), the baseline b = the mean of
// s over the pre-stimulus time points (times < 0; b = 0, chance for correlations, when there are
// none), the peak P = max s, and the threshold h = b + fraction*(P - b), the onset is the first
// t with s(t), ..., s(t+run-1) all above h (run consecutive points, NaN counting as below).
// It returns -1 when no run of that length exists or the peak does not rise above the baseline.
//
// This is a fractional-peak criterion (the 50%-peak latency of ERP research, Kiesel et al.
// 2008), chosen over a fixed threshold because layers differ in peak height and metrics in
// scale, so that onsets of different layers and metrics compare; over a significance criterion
// (cluster permutation, as Cichy et al. 2014) because it is defined on every resample at no
// extra cost, which the CIs need. The run of consecutive points keeps a single noisy bin from
// making an onset.
func Onset(score, times []float64, sign, fraction float64, run int) int {
	pt := PeakIndex(score, sign)
	if pt < 0 || run < 1 {
		return -1
	}
	base, nb := 0.0, 0
	for t, v := range score {
		if times[t] < 0 && !math.IsNaN(v) {
			base += sign * v
			nb++
		}
	}
	if nb > 0 {
		base /= float64(nb)
	}
	peak := sign * score[pt]
	if !(peak > base) {
		return -1
	}
	h := base + fraction*(peak-base)
	c := 0
	for t, v := range score {
		if !math.IsNaN(v) && sign*v > h {
			c++
			if c == run {
				return t - run + 1
			}
		} else {
			c = 0
		}
	}
	return -1
}

// Fprint writes a table of the result: per layer, the peak latency, the score there and the onset
// with their CIs, then the depth-latency correlation.
func (r *Result) Fprint(w io.Writer) error {
	pct := int(math.Round(100 * r.Options.Level))
	if _, err := fmt.Fprintf(w, "%-16s %-24s %-24s %s   (%s; %d%% CIs, %d resamples of %.0f%% of the stimuli)\n",
		"layer", "peak latency", "onset", "peak score", r.Map.Metric, pct, max(r.Options.Draws, 0), 100*r.Options.Fraction); err != nil {
		return err
	}
	ci := func(e Estimate, f string) string {
		return fmt.Sprintf(f+" ["+f+", "+f+"]", e.Value, e.Low, e.High)
	}
	for l, name := range r.Map.Layers {
		if _, err := fmt.Fprintf(w, "%-16s %-24s %-24s %s\n", name, ci(r.Peak[l], "%.4g"), ci(r.Onset[l], "%.4g"), ci(r.PeakScore[l], "%.3f")); err != nil {
			return err
		}
	}
	_, err := fmt.Fprintf(w, "Spearman rho of depth and peak latency: %s\n", ci(r.DepthLatency, "%.2f"))
	return err
}
