// Package eval scores a model's layers against brain and behavioural targets on a
// common stimulus set (the 92 images of Kriegeskorte et al. 2008 by default) and
// returns tidy rows ready for tables and plots. It never imports GoMLX.
//
// # What is computed
//
// Every layer is compared with every target under each of Options.Metrics, metrics of the
// pkg/metric registry (default: Spearman's rho and Kendall's tau-a, rsatoolbox's
// definitions as rsa.Compare; also corr, kendall, cosine, the whitened comparisons, CKA,
// ridge encoding and odd-one-out). The model RDM of a layer is 1 - Pearson correlation
// between the stimulus patterns (rsa.RDMFromPatternSlice with rsa.Correlation).
//
// Targets are single RDMs (e.g. macaque IT, "mIT"), response matrices (stimuli x units,
// e.g. a user's recordings: Target.Responses, or LoadTarget for a .npy file; their RDM is
// the correlation distance, as the layers'), and groups of subjects' RDMs (human IT "hIT"
// with 4 subjects, behaviour "behav" with 16). A metric scores the targets that provide
// what it needs (metric.Applies): RDM comparisons every target, encoding only response
// matrices. A group gives
//
//   - "G/S" rows: the comparison with subject S's RDM (S = 1..), with that subject's
//     noise-ceiling bounds (leave-one-subject-out lower bound, all-subjects upper
//     bound; rsa.NoiseCeilingDetail, rank-pooled for rank methods);
//   - a "G-mean" row: the comparison with the group-mean RDM (no ceiling);
//   - a "G-subjects" row: the mean over subjects of the per-subject comparisons
//     (rsatoolbox's evaluation against a subject set), with the group noise ceiling
//     (rsa.NoiseCeiling) in CeilLow/CeilHigh.
//
// Noise ceilings exist for the metrics that define one (metric.Ceiling: the RDM
// comparisons); other metrics' rows have NaN ceilings.
//
// # Uncertainty
//
// Profile rows (Split "all") hold the value on all stimuli and a percentile
// interval (Options.Level, default 95%) over Options.Draws (default 1000) subsamples
// of Options.Fraction (default 90%) of the stimuli without replacement, the scheme
// of the coarse-label study. The same subsample index sets are used for every layer,
// target and metric, so differences between layers are paired. The "G-subjects" draws are
// the means of the per-subject draws. For one layer and target the interval equals
// rsa.SubsampleStimuli with the same Seed and Draws (tested).
//
// # Layer selection without double dipping
//
// Choosing the best layer and reporting its score on the same data inflates the
// score. Selected rows (Selected true, Split "half") use Options.Splits (default 100)
// seeded random splits of the stimuli into two halves (floor(n/2) and the rest): the
// layer with the best score on the first half (the highest, or the lowest for a metric
// whose HigherIsBetter is false; ties: the earlier layer) is scored on the other half.
// A selected row reports the mean held-out score over splits (Value), the percentile
// interval (CILow, CIHigh) and SD over splits, and, in Layer, the layer chosen most often
// (Note gives how often). Scores of a half (46 of 92 stimuli) are lower and noisier than
// full-set scores; compare selected rows only with selected rows. Their noise ceilings are
// computed on the held-out halves too (averaged over the first 20 splits).
//
// # Odd-one-out
//
// For groups with OddOneOut set (behaviour), the triplets implied by each subject's
// RDM and by the group-mean RDM (oddoneout.TripletsFromRDM: the least dissimilar
// pair of a triplet stays, ties skipped; all C(92,3) = 125,580 triplets unless
// Options.MaxTriplets) are predicted zero-shot from each layer's features by cosine
// (or dot) similarity: rows "oddoneout-G/S", "oddoneout-G-mean" and
// "oddoneout-G-subjects", Metric "accuracy" (chance 1/3), whatever Options.Metrics say.
// Ceilings: for subject S the lower bound is the accuracy of the mean RDM of the other
// subjects on S's triplets and the upper bound that of the mean RDM of all subjects;
// "oddoneout-G-subjects" carries their means. These rows have no interval and no layer
// selection. (The registry's "oddoneout" metric, when listed, scores every target the
// same way, with intervals and selection.)
//
// # Speed
//
// Model RDMs and every metric's subset-independent work are prepared once
// (metric.Metric.Prepare; for the RDM comparisons rsa.SubsetScorer, whose ranks and
// Kendall counts on a subsample need no sorting); draws are spread over Options.Workers
// goroutines.
package eval

import (
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"

	"gonum.org/v1/gonum/mat"

	"github.com/coarsealign/coarsealign/pkg/metric"
	"github.com/coarsealign/coarsealign/pkg/oddoneout"
	"github.com/coarsealign/coarsealign/pkg/rdm"
	"github.com/coarsealign/coarsealign/pkg/rsa"
	"github.com/coarsealign/coarsealign/pkg/stats"
)

// Features are one layer's activations for the stimuli: X is N x D, row-major,
// row i is stimulus i in the order of the targets' RDMs.
type Features struct {
	Layer string
	X     []float64
	N, D  int
}

// Target is one target to compare with every layer: an RDM, a response matrix, or both.
type Target struct {
	Name string
	// RDM is the target's dissimilarity matrix; nil for a response matrix, whose RDM is
	// then 1 - Pearson correlation between its rows (as a layer's).
	RDM *rdm.RDM
	// Responses, if set, is the N x Units response matrix (row-major; row i is stimulus i):
	// recorded units, voxels, any measurement per stimulus. Metrics on raw patterns (CKA,
	// encoding) use it.
	Responses []float64
	Units     int
}

// Group is a set of subjects' RDMs over the same stimuli.
type Group struct {
	// Name prefixes the row targets ("hIT" gives "hIT/1", "hIT-mean", "hIT-subjects").
	Name string
	// Subjects are the subjects' RDMs; row names are Name/1, Name/2, ... in this order.
	Subjects []*rdm.RDM
	// Mean is the group-mean RDM; nil means rdm.Mean of Subjects.
	Mean *rdm.RDM
	// OddOneOut adds odd-one-out rows on the triplets implied by these RDMs.
	OddOneOut bool
}

// Data are the evaluation targets. All targets must cover the same N stimuli
// (same IDs when set) without NaN.
type Data struct {
	Targets []Target
	Groups  []Group
}

// Options configure Evaluate. The zero value means the defaults.
type Options struct {
	// Metrics are the comparisons (pkg/metric; metric.LookupAll resolves names); nil means
	// metric.Default(), Spearman and tau-a.
	Metrics []metric.Metric
	// Draws is the number of stimulus subsamples (default 1000; negative: no intervals).
	Draws int
	// Fraction of stimuli per subsample (default 0.9); Level the interval coverage (default 0.95).
	Fraction, Level float64
	// Splits is the number of half splits for layer selection (default 100; negative: none).
	Splits int
	// Seed fixes subsamples, splits, triplet samples and the metrics' own random choices.
	Seed uint64
	// DotSimilarity makes the groups' odd-one-out rows use the dot product instead of cosine similarity.
	DotSimilarity bool
	// MaxTriplets caps the triplets per RDM (0: all; else a seeded sample).
	MaxTriplets int
	// Workers is the number of goroutines for the subsamples (default GOMAXPROCS).
	Workers int
	// KeepDraws keeps every row's resampled values in Row.Draws (profile rows: one value per
	// subsample; selected rows: the held-out score of each split), so that two models evaluated
	// with the same Seed can be compared draw by draw (paired differences).
	KeepDraws bool
}

// Quick returns options for a fast look: 100 subsamples, 20 splits, 20,000 triplets per RDM.
func Quick() Options { return Options{Draws: 100, Splits: 20, MaxTriplets: 20000} }

func (o Options) withDefaults() Options {
	if o.Metrics == nil {
		o.Metrics = metric.Default()
	}
	if o.Draws == 0 {
		o.Draws = rsa.DefaultDraws
	}
	if o.Fraction <= 0 || o.Fraction > 1 {
		o.Fraction = rsa.DefaultFraction
	}
	if o.Level <= 0 || o.Level >= 1 {
		o.Level = rsa.DefaultLevel
	}
	if o.Splits == 0 {
		o.Splits = 100
	}
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	return o
}

// Row is one tidy result.
type Row struct {
	Layer  string // layer name (selected rows: the layer chosen most often)
	Target string // "mIT", "hIT-mean", "hIT/1", "hIT-subjects", "behav/3", "oddoneout-behav-mean", ...
	Metric string // the metric's name ("spearman", "tau-a", "cka-linear", ...) or "accuracy" (group odd-one-out)
	Value  float64
	// CILow, CIHigh: percentile interval over subsamples (profile rows) or splits (selected rows); NaN if none.
	CILow, CIHigh float64
	// SD: standard deviation over subsamples or splits (NaN if none).
	SD float64
	// CeilLow, CeilHigh: noise-ceiling bounds for the target (NaN if none).
	CeilLow, CeilHigh float64
	// Selected marks layer-selection rows; Split is "all" (profile) or "half" (selected).
	Selected bool
	Split    string
	// N is the number of stimuli (profile), stimuli per held-out half (selected) or triplets (odd-one-out).
	N int
	// Note: for selected rows, how often the reported layer was chosen.
	Note string
	// Draws, with Options.KeepDraws, are the values behind the interval: per subsample
	// (profile rows, Options.Draws values in draw order) or per split (selected rows, the
	// held-out score, Options.Splits values in split order); nil otherwise. The subsample and
	// split index sets depend only on Options.Seed, Draws, Fraction, Splits and the number of
	// stimuli, so equal options give the same sets for every model.
	Draws []float64
}

// column is one target row (a base target or a subject average).
type column struct {
	name    string
	base    int   // index into the base targets, -1 for an average
	members []int // base indices averaged (average columns)
	// group is the index of the subject group whose ceiling applies (-1: none);
	// subj the subject index, -1 for the group's subject-average column.
	group, subj int
}

// plan is one metric's part of an evaluation.
type plan struct {
	m       metric.Metric
	targets []int // base targets it scores, in base order
	pos     []int // pos[b]: index of base target b in targets, -1 if not scored
	applies []bool
	prep    metric.Prepared
	// ceilLow, ceilHigh per column (NaN: none).
	ceilLow, ceilHigh []float64
}

// evaluator holds what every subset's scoring needs.
type evaluator struct {
	plans  []*plan
	cols   []column
	layers int
}

// Evaluate compares every layer with every target as described in the package doc.
// Rows come in the order: profile rows by target, metric and layer; then selected
// rows; then odd-one-out rows. It returns an error naming the layer, target or metric for
// mismatched sizes or IDs, NaN targets, patterns whose RDM is undefined (a constant
// row), duplicate layer or metric names, or a metric that no target can be scored with.
func Evaluate(layers []Features, data *Data, opt Options) ([]Row, error) {
	opt = opt.withDefaults()
	if len(layers) == 0 {
		return nil, fmt.Errorf("eval: no layers")
	}
	seenMetric := map[string]bool{}
	for _, m := range opt.Metrics {
		if seenMetric[m.Name()] {
			return nil, fmt.Errorf("eval: metric %s listed twice", m.Name())
		}
		seenMetric[m.Name()] = true
	}
	base, cols, err := targetColumns(data)
	if err != nil {
		return nil, err
	}
	n := base[0].Size()
	if n < 8 {
		return nil, fmt.Errorf("eval: %d stimuli; need at least 8", n)
	}
	// Models: patterns and their RDM, computed once for every metric.
	var ids []string
	for _, b := range base {
		if b.RDM != nil && b.RDM.IDs != nil {
			ids = b.RDM.IDs
			break
		}
	}
	seen := map[string]bool{}
	models := make([]*metric.Rep, len(layers))
	for l, f := range layers {
		if seen[f.Layer] {
			return nil, fmt.Errorf("eval: duplicate layer name %q", f.Layer)
		}
		seen[f.Layer] = true
		if f.N != n {
			return nil, fmt.Errorf("eval: layer %q has %d stimuli, targets have %d", f.Layer, f.N, n)
		}
		r, err := rsa.RDMFromPatternSlice(f.Layer, f.X, f.N, f.D, rsa.Correlation, ids)
		if err != nil {
			return nil, fmt.Errorf("eval: layer %q: %w", f.Layer, err)
		}
		models[l] = &metric.Rep{Name: f.Layer, X: f.X, N: f.N, D: f.D, RDM: r}
	}
	ev := &evaluator{cols: cols, layers: len(layers)}
	settings := metric.Settings{Seed: opt.Seed, MaxTriplets: opt.MaxTriplets}
	for _, m := range opt.Metrics {
		p, err := newPlan(m, models, base, cols, data.Groups, settings)
		if err != nil {
			return nil, err
		}
		ev.plans = append(ev.plans, p)
	}

	var rows []Row
	// Full-set values and subsample draws: [draw][plan][layer][column].
	full := ev.parallel(1, [][]int{metric.All(n)})[0]
	var draws [][][][]float64
	if opt.Draws > 0 {
		r := stats.NewRand(opt.Seed)
		k := stats.SubsampleSize(n, opt.Fraction)
		sets := make([][]int, opt.Draws)
		for d := range sets {
			sets[d] = stats.SubsampleIndices(r, n, k)
		}
		draws = ev.parallel(opt.Workers, sets)
	}
	for c, col := range cols {
		for p, pl := range ev.plans {
			if !pl.applies[c] {
				continue
			}
			for l, f := range layers {
				row := Row{Layer: f.Layer, Target: col.name, Metric: pl.m.Name(), Value: full[p][l][c],
					CILow: math.NaN(), CIHigh: math.NaN(), SD: math.NaN(),
					CeilLow: pl.ceilLow[c], CeilHigh: pl.ceilHigh[c], Split: "all", N: n}
				if draws != nil {
					s := make([]float64, len(draws))
					for d := range draws {
						s[d] = draws[d][p][l][c]
					}
					row.CILow, row.CIHigh = stats.PercentileCI(s, opt.Level)
					row.SD = sd(s)
					if opt.KeepDraws {
						row.Draws = s
					}
				}
				rows = append(rows, row)
			}
		}
	}
	// Layer selection on half splits.
	if opt.Splits > 0 {
		r := stats.NewRand(opt.Seed ^ 0x73706c6974) // "split"
		half := n / 2
		sets := make([][]int, 2*opt.Splits)
		for s := 0; s < opt.Splits; s++ {
			perm := r.Perm(n)
			a, b := slices.Clone(perm[:half]), slices.Clone(perm[half:])
			slices.Sort(a)
			slices.Sort(b)
			sets[2*s], sets[2*s+1] = a, b
		}
		vals := ev.parallel(opt.Workers, sets)
		halfCeil, err := ev.halfCeilings(data.Groups, sets)
		if err != nil {
			return nil, err
		}
		for c, col := range cols {
			for p, pl := range ev.plans {
				if !pl.applies[c] {
					continue
				}
				rows = append(rows, selectedRow(layers, col, pl, halfCeil[p], vals, p, c, n-half, opt))
			}
		}
	}
	ooo, err := oddOneOutRows(layers, data, opt)
	if err != nil {
		return nil, err
	}
	return append(rows, ooo...), nil
}

// targetColumns returns the base targets (single targets, then per group the mean and the
// subjects) and the row columns (the base targets plus one subject average per group).
func targetColumns(data *Data) ([]*metric.Rep, []column, error) {
	var base []*metric.Rep
	var cols []column
	addBase := func(r *metric.Rep) int {
		base = append(base, r)
		cols = append(cols, column{name: r.Name, base: len(base) - 1, group: -1})
		return len(cols) - 1
	}
	for _, t := range data.Targets {
		rep, err := targetRep(t)
		if err != nil {
			return nil, nil, err
		}
		addBase(rep)
	}
	for gi, g := range data.Groups {
		if len(g.Subjects) < 2 {
			return nil, nil, fmt.Errorf("eval: group %q needs at least 2 subjects, has %d", g.Name, len(g.Subjects))
		}
		mean := g.Mean
		if mean == nil {
			var err error
			if mean, err = rdm.Mean(g.Name+"-mean", g.Subjects); err != nil {
				return nil, nil, fmt.Errorf("eval: group %q: %w", g.Name, err)
			}
		}
		addBase(metric.NewRDM(g.Name+"-mean", mean))
		avg := column{name: g.Name + "-subjects", base: -1, group: gi, subj: -1}
		for s, r := range g.Subjects {
			c := addBase(metric.NewRDM(fmt.Sprintf("%s/%d", g.Name, s+1), r))
			cols[c].group, cols[c].subj = gi, s
			avg.members = append(avg.members, cols[c].base)
		}
		cols = append(cols, avg)
	}
	if len(base) == 0 {
		return nil, nil, fmt.Errorf("eval: no targets")
	}
	var ref *rdm.RDM
	for _, b := range base {
		if b.Size() != base[0].Size() {
			return nil, nil, fmt.Errorf("eval: target %q has %d stimuli, %q has %d", b.Name, b.Size(), base[0].Name, base[0].Size())
		}
		if b.RDM == nil {
			continue
		}
		if ref == nil {
			ref = b.RDM
		}
		if err := rdm.Check(ref, b.RDM); err != nil {
			return nil, nil, fmt.Errorf("eval: target %q: %w", b.Name, err)
		}
		if b.RDM.HasNaN() {
			return nil, nil, fmt.Errorf("eval: target %q has NaN pairs; complete RDMs are required", b.Name)
		}
	}
	return base, cols, nil
}

// targetRep checks a single target and returns it as a metric.Rep (a response matrix with
// its correlation-distance RDM when none is given).
func targetRep(t Target) (*metric.Rep, error) {
	if t.Responses == nil {
		if t.RDM == nil {
			return nil, fmt.Errorf("eval: target %q has neither an RDM nor responses", t.Name)
		}
		return metric.NewRDM(t.Name, t.RDM), nil
	}
	if t.Units <= 0 || len(t.Responses)%t.Units != 0 {
		return nil, fmt.Errorf("eval: target %q: %d response values are not a stimuli x %d-units matrix", t.Name, len(t.Responses), t.Units)
	}
	n := len(t.Responses) / t.Units
	for k, v := range t.Responses {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("eval: target %q: response of stimulus %d, unit %d is %g", t.Name, k/t.Units+1, k%t.Units+1, v)
		}
	}
	rep := &metric.Rep{Name: t.Name, X: t.Responses, N: n, D: t.Units, RDM: t.RDM}
	if t.RDM == nil {
		r, err := rsa.RDMFromPatternSlice(t.Name, t.Responses, n, t.Units, rsa.Correlation, nil)
		if err != nil {
			return nil, fmt.Errorf("eval: target %q: %w", t.Name, err)
		}
		rep.RDM = r
	} else if t.RDM.N != n {
		return nil, fmt.Errorf("eval: target %q: RDM of %d stimuli, responses of %d", t.Name, t.RDM.N, n)
	}
	return rep, nil
}

// newPlan prepares metric m for the base targets it applies to, with the groups' ceilings.
func newPlan(m metric.Metric, models, base []*metric.Rep, cols []column, groups []Group, s metric.Settings) (*plan, error) {
	p := &plan{m: m, pos: make([]int, len(base)), applies: make([]bool, len(cols)),
		ceilLow: nans(len(cols)), ceilHigh: nans(len(cols))}
	var reps []*metric.Rep
	for b, r := range base {
		p.pos[b] = -1
		if metric.Applies(m, r) {
			p.pos[b] = len(p.targets)
			p.targets = append(p.targets, b)
			reps = append(reps, r)
		}
	}
	if len(reps) == 0 {
		return nil, fmt.Errorf("eval: metric %s needs %s; no target provides it (response matrices give patterns, all targets an RDM and triplets)", m.Name(), m.Needs())
	}
	for c, col := range cols {
		if col.base >= 0 {
			p.applies[c] = p.pos[col.base] >= 0
			continue
		}
		p.applies[c] = true
		for _, b := range col.members {
			p.applies[c] = p.applies[c] && p.pos[b] >= 0
		}
	}
	var err error
	if p.prep, err = m.Prepare(models, reps, s); err != nil {
		return nil, fmt.Errorf("eval: %w", err)
	}
	if ce, ok := m.(metric.Ceiling); ok {
		for gi, g := range groups {
			ceil, err := ce.NoiseCeiling(g.Subjects)
			if err != nil {
				return nil, fmt.Errorf("eval: %s noise ceiling of group %q: %w", m.Name(), g.Name, err)
			}
			for c, col := range cols {
				switch {
				case col.group != gi:
				case col.subj < 0:
					p.ceilLow[c], p.ceilHigh[c] = ceil.Lower, ceil.Upper
				default:
					p.ceilLow[c], p.ceilHigh[c] = ceil.LowerEach[col.subj], ceil.UpperEach[col.subj]
				}
			}
		}
	}
	return p, nil
}

func nans(n int) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = math.NaN()
	}
	return v
}

// selectedRow chooses, per split, the best layer on the first half and scores it on the
// second (vals[2s], vals[2s+1]: [plan][layer][column]).
func selectedRow(layers []Features, col column, pl *plan, halfCeil []rsa.Ceiling, vals [][][][]float64, p, c, heldN int, opt Options) Row {
	splits := len(vals) / 2
	held := make([]float64, splits)
	count := make([]int, len(layers))
	higher := pl.m.HigherIsBetter()
	for s := 0; s < splits; s++ {
		sel, bv := 0, math.Inf(-1)
		if !higher {
			bv = math.Inf(1)
		}
		for l := range layers {
			if v := vals[2*s][p][l][c]; (higher && v > bv) || (!higher && v < bv) {
				sel, bv = l, v
			}
		}
		count[sel]++
		held[s] = vals[2*s+1][p][sel][c]
	}
	mode := 0
	for l := range count {
		if count[l] > count[mode] {
			mode = l
		}
	}
	lo, hi := stats.PercentileCI(held, opt.Level)
	cl, ch := math.NaN(), math.NaN()
	if col.group >= 0 && halfCeil != nil {
		hc := halfCeil[col.group]
		if col.subj < 0 {
			cl, ch = hc.Lower, hc.Upper
		} else {
			cl, ch = hc.LowerEach[col.subj], hc.UpperEach[col.subj]
		}
	}
	row := Row{Layer: layers[mode].Layer, Target: col.name, Metric: pl.m.Name(),
		Value: stats.Mean(held), CILow: lo, CIHigh: hi, SD: sd(held),
		CeilLow: cl, CeilHigh: ch, Selected: true, Split: "half",
		N: heldN, Note: fmt.Sprintf("chosen in %d/%d splits", count[mode], splits)}
	if opt.KeepDraws {
		row.Draws = held
	}
	return row
}

// halfCeilSplits caps the number of splits over which held-out-half noise ceilings are averaged.
const halfCeilSplits = 20

// halfCeilings returns, per plan (nil for metrics without a ceiling) and group, the noise
// ceiling on the held-out halves (sets[2s+1]) averaged over the first
// min(splits, halfCeilSplits) splits, so that the ceilings of selected rows refer to the
// same number of stimuli as their values.
func (ev *evaluator) halfCeilings(groups []Group, sets [][]int) ([][]rsa.Ceiling, error) {
	ns := min(len(sets)/2, halfCeilSplits)
	out := make([][]rsa.Ceiling, len(ev.plans))
	for p, pl := range ev.plans {
		ce, ok := pl.m.(metric.Ceiling)
		if !ok {
			continue
		}
		out[p] = make([]rsa.Ceiling, len(groups))
		for g, grp := range groups {
			acc := rsa.Ceiling{LowerEach: make([]float64, len(grp.Subjects)), UpperEach: make([]float64, len(grp.Subjects))}
			for s := 0; s < ns; s++ {
				subs := make([]*rdm.RDM, len(grp.Subjects))
				for k, r := range grp.Subjects {
					subs[k] = r.Subset(sets[2*s+1])
				}
				c, err := ce.NoiseCeiling(subs)
				if err != nil {
					return nil, fmt.Errorf("eval: half-split %s noise ceiling of group %q: %w", pl.m.Name(), grp.Name, err)
				}
				acc.Lower += c.Lower / float64(ns)
				acc.Upper += c.Upper / float64(ns)
				for k := range subs {
					acc.LowerEach[k] += c.LowerEach[k] / float64(ns)
					acc.UpperEach[k] += c.UpperEach[k] / float64(ns)
				}
			}
			out[p][g] = acc
		}
	}
	return out, nil
}

func sd(x []float64) float64 {
	m := stats.Mean(x)
	ss, c := 0.0, 0
	for _, v := range x {
		if !math.IsNaN(v) {
			ss += (v - m) * (v - m)
			c++
		}
	}
	if c < 2 {
		return math.NaN()
	}
	return math.Sqrt(ss / float64(c-1))
}

// worker holds one goroutine's scorers and buffers.
type worker struct {
	scorers []metric.Scorer
	out     [][][]float64 // [plan][layer][target of the plan]
}

func (ev *evaluator) newWorker() *worker {
	w := &worker{}
	for _, p := range ev.plans {
		w.scorers = append(w.scorers, p.prep.NewScorer())
		o := make([][]float64, ev.layers)
		for l := range o {
			o[l] = make([]float64, len(p.targets))
		}
		w.out = append(w.out, o)
	}
	return w
}

// score returns [plan][layer][column] on the stimuli idx (NaN where a plan does not apply).
func (ev *evaluator) score(idx []int, w *worker) [][][]float64 {
	res := make([][][]float64, len(ev.plans))
	for p, pl := range ev.plans {
		w.scorers[p].Score(idx, w.out[p])
		res[p] = make([][]float64, ev.layers)
		for l := range res[p] {
			v := make([]float64, len(ev.cols))
			src := w.out[p][l]
			for c, col := range ev.cols {
				switch {
				case !pl.applies[c]:
					v[c] = math.NaN()
				case col.base >= 0:
					v[c] = src[pl.pos[col.base]]
				default:
					a := 0.0
					for _, b := range col.members {
						a += src[pl.pos[b]]
					}
					v[c] = a / float64(len(col.members))
				}
			}
			res[p][l] = v
		}
	}
	return res
}

// parallel scores every index set with nw goroutines: [set][plan][layer][column].
func (ev *evaluator) parallel(nw int, sets [][]int) [][][][]float64 {
	out := make([][][][]float64, len(sets))
	var wg sync.WaitGroup
	next := make(chan int)
	for range min(nw, len(sets)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := ev.newWorker()
			for d := range next {
				out[d] = ev.score(sets[d], w)
			}
		}()
	}
	for d := range sets {
		next <- d
	}
	close(next)
	wg.Wait()
	return out
}

// oddOneOutRows scores zero-shot odd-one-out accuracy for groups with OddOneOut.
func oddOneOutRows(layers []Features, data *Data, opt Options) ([]Row, error) {
	var groups []Group
	for _, g := range data.Groups {
		if g.OddOneOut {
			groups = append(groups, g)
		}
	}
	if len(groups) == 0 {
		return nil, nil
	}
	sim := oddoneout.Cosine
	if opt.DotSimilarity {
		sim = oddoneout.Dot
	}
	sims := make([]*mat.SymDense, len(layers))
	for l, f := range layers {
		x := mat.NewDense(f.N, f.D, f.X)
		sims[l] = oddoneout.SimilarityMatrix(x, sim)
	}
	negSq := func(r *rdm.RDM) *mat.SymDense {
		s := mat.NewSymDense(r.N, nil)
		for i := 0; i < r.N; i++ {
			for j := i + 1; j < r.N; j++ {
				s.SetSym(i, j, -r.At(i, j))
			}
		}
		return s
	}
	topt := oddoneout.TripletOptions{Max: opt.MaxTriplets, Seed: opt.Seed}
	var rows []Row
	for _, g := range groups {
		mean := g.Mean
		if mean == nil {
			var err error
			if mean, err = rdm.Mean(g.Name+"-mean", g.Subjects); err != nil {
				return nil, err
			}
		}
		meanTrip, _, err := oddoneout.TripletsFromRDM(mean, topt)
		if err != nil {
			return nil, fmt.Errorf("eval: group %q mean: %w", g.Name, err)
		}
		name := "oddoneout-" + g.Name
		for l, f := range layers {
			rows = append(rows, oooRow(f.Layer, name+"-mean", oddoneout.AccuracyFromSimilarity(sims[l], meanTrip), math.NaN(), math.NaN(), len(meanTrip)))
		}
		allSim := negSq(mean)
		nsub := len(g.Subjects)
		acc := make([][]float64, len(layers))
		for l := range acc {
			acc[l] = make([]float64, nsub)
		}
		lows, highs := make([]float64, nsub), make([]float64, nsub)
		var subjRows []Row
		for s, r := range g.Subjects {
			trip, _, err := oddoneout.TripletsFromRDM(r, topt)
			if err != nil {
				return nil, fmt.Errorf("eval: group %q subject %d: %w", g.Name, s+1, err)
			}
			others := make([]*rdm.RDM, 0, nsub-1)
			for o, q := range g.Subjects {
				if o != s {
					others = append(others, q)
				}
			}
			loo, err := rdm.Mean("loo", others)
			if err != nil {
				return nil, err
			}
			lows[s] = oddoneout.AccuracyFromSimilarity(negSq(loo), trip)
			highs[s] = oddoneout.AccuracyFromSimilarity(allSim, trip)
			for l, f := range layers {
				acc[l][s] = oddoneout.AccuracyFromSimilarity(sims[l], trip)
				subjRows = append(subjRows, oooRow(f.Layer, fmt.Sprintf("%s/%d", name, s+1), acc[l][s], lows[s], highs[s], len(trip)))
			}
		}
		rows = append(rows, subjRows...)
		for l, f := range layers {
			rows = append(rows, oooRow(f.Layer, name+"-subjects", stats.Mean(acc[l]), stats.Mean(lows), stats.Mean(highs), 0))
		}
	}
	return rows, nil
}

func oooRow(layer, target string, v, lo, hi float64, n int) Row {
	return Row{Layer: layer, Target: target, Metric: "accuracy", Value: v,
		CILow: math.NaN(), CIHigh: math.NaN(), SD: math.NaN(), CeilLow: lo, CeilHigh: hi, Split: "all", N: n}
}
