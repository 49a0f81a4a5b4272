// Package eval scores a model's layers against brain and behavioural targets on a
// common stimulus set (the 92 images of Kriegeskorte et al. 2008 by default) and
// returns tidy rows ready for tables and plots. It never imports GoMLX.
//
// # What is computed
//
// For every layer, the model RDM is 1 - Pearson correlation between the stimulus
// patterns (rsa.RDMFromPatternSlice with rsa.Correlation). It is compared with
// every target RDM by Spearman's rho and Kendall's tau-a (rsa.Spearman, rsa.TauA;
// definitions of rsatoolbox, as rsa.Compare). Targets are single RDMs (e.g. macaque
// IT, "mIT") and groups of subjects (human IT "hIT" with 4 subjects, behaviour
// "behav" with 16). A group gives
//
//   - "G/S" rows: the comparison with subject S's RDM (S = 1..), with that subject's
//     noise-ceiling bounds (leave-one-subject-out lower bound, all-subjects upper
//     bound; rsa.NoiseCeilingDetail, rank-pooled for rank methods);
//   - a "G-mean" row: the comparison with the group-mean RDM (no ceiling);
//   - a "G-subjects" row: the mean over subjects of the per-subject comparisons
//     (rsatoolbox's evaluation against a subject set), with the group noise ceiling
//     (rsa.NoiseCeiling) in CeilLow/CeilHigh.
//
// # Uncertainty
//
// Profile rows (Split "all") hold the value on all stimuli and a percentile
// interval (Options.Level, default 95%) over Options.Draws (default 1000) subsamples
// of Options.Fraction (default 90%) of the stimuli without replacement, the scheme
// of the coarse-label study. The same subsample index sets are used for every layer
// and target, so differences between layers are paired. The "G-subjects" draws are
// the means of the per-subject draws. For one layer and target the interval equals
// rsa.SubsampleStimuli with the same Seed and Draws (tested).
//
// # Layer selection without double dipping
//
// Choosing the best layer and reporting its score on the same data inflates the
// score. Selected rows (Selected true, Split "half") use Options.Splits (default 100)
// seeded random splits of the stimuli into two halves (floor(n/2) and the rest): the
// layer with the highest similarity on the first half (ties: the earlier layer) is
// scored on the other half. A selected row reports the mean held-out score over
// splits (Value), the percentile interval (CILow, CIHigh) and SD over splits, and,
// in Layer, the layer chosen most often (Note gives how often). Scores of a half
// (46 of 92 stimuli) are lower and noisier than full-set scores; compare selected
// rows only with selected rows. Their noise ceilings are computed on the held-out
// halves too (averaged over the first 20 splits).
//
// # Odd-one-out
//
// For groups with OddOneOut set (behaviour), the triplets implied by each subject's
// RDM and by the group-mean RDM (oddoneout.TripletsFromRDM: the least dissimilar
// pair of a triplet stays, ties skipped; all C(92,3) = 125,580 triplets unless
// Options.MaxTriplets) are predicted zero-shot from each layer's features by cosine
// (or dot) similarity: rows "oddoneout-G/S", "oddoneout-G-mean" and
// "oddoneout-G-subjects", Metric "accuracy" (chance 1/3). Ceilings: for subject S the
// lower bound is the accuracy of the mean RDM of the other subjects on S's triplets
// and the upper bound that of the mean RDM of all subjects; "oddoneout-G-subjects"
// carries their means. Odd-one-out rows have no interval and no layer selection.
//
// # Speed
//
// Model RDMs, pair orders and ranks are computed once; on a subsample, Spearman
// ranks come from filtering the precomputed order (no sorting) and tau-a from a
// merge-sort inversion count, with draws spread over Options.Workers goroutines.
package eval

import (
	"fmt"
	"math"
	"runtime"
	"sync"

	"gonum.org/v1/gonum/mat"

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

// Target is one RDM to compare with every layer.
type Target struct {
	Name string
	RDM  *rdm.RDM
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

// Data are the evaluation targets. All RDMs must cover the same N stimuli
// (same IDs when set) without NaN.
type Data struct {
	Targets []Target
	Groups  []Group
}

// Options configure Evaluate. The zero value means the defaults.
type Options struct {
	// Methods are the RDM comparisons; nil means {rsa.Spearman, rsa.TauA}, the only two supported.
	Methods []rsa.Method
	// Draws is the number of stimulus subsamples (default 1000; negative: no intervals).
	Draws int
	// Fraction of stimuli per subsample (default 0.9); Level the interval coverage (default 0.95).
	Fraction, Level float64
	// Splits is the number of half splits for layer selection (default 100; negative: none).
	Splits int
	// Seed fixes subsamples, splits and triplet samples.
	Seed uint64
	// DotSimilarity makes odd-one-out use the dot product instead of cosine similarity.
	DotSimilarity bool
	// MaxTriplets caps the triplets per RDM (0: all; else a seeded sample).
	MaxTriplets int
	// Workers is the number of goroutines for the subsamples (default GOMAXPROCS).
	Workers int
}

// Quick returns options for a fast look: 100 subsamples, 20 splits, 20,000 triplets per RDM.
func Quick() Options { return Options{Draws: 100, Splits: 20, MaxTriplets: 20000} }

func (o Options) withDefaults() Options {
	if o.Methods == nil {
		o.Methods = []rsa.Method{rsa.Spearman, rsa.TauA}
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
	Metric string // "spearman", "tau-a" or "accuracy"
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
}

// column is one target row (a base RDM or a subject average).
type column struct {
	name     string
	base     int   // index into the base targets, -1 for an average
	members  []int // base indices averaged (average columns)
	ceilLow  []float64
	ceilHigh []float64 // per method
	// group is the index of the subject group whose ceiling applies (-1: none);
	// subj the subject index, -1 for the group's subject-average column.
	group, subj int
}

// Evaluate compares every layer with every target as described in the package doc.
// Rows come in the order: profile rows by target, metric and layer; then selected
// rows; then odd-one-out rows. It returns an error naming the layer or target for
// mismatched sizes or IDs, NaN targets, patterns whose RDM is undefined (a constant
// row), duplicate layer names, or unsupported methods.
func Evaluate(layers []Features, data *Data, opt Options) ([]Row, error) {
	opt = opt.withDefaults()
	for _, m := range opt.Methods {
		if m != rsa.Spearman && m != rsa.TauA {
			return nil, fmt.Errorf("eval: method %v not supported (spearman, tau-a)", m)
		}
	}
	if len(layers) == 0 {
		return nil, fmt.Errorf("eval: no layers")
	}
	// Base targets.
	var base []*rdm.RDM
	var cols []column
	nm := len(opt.Methods)
	nanCeil := func() ([]float64, []float64) {
		a, b := make([]float64, nm), make([]float64, nm)
		for i := range a {
			a[i], b[i] = math.NaN(), math.NaN()
		}
		return a, b
	}
	addBase := func(name string, r *rdm.RDM) int {
		base = append(base, r)
		lo, hi := nanCeil()
		cols = append(cols, column{name: name, base: len(base) - 1, ceilLow: lo, ceilHigh: hi, group: -1})
		return len(cols) - 1
	}
	for _, t := range data.Targets {
		if t.RDM == nil {
			return nil, fmt.Errorf("eval: target %q has no RDM", t.Name)
		}
		addBase(t.Name, t.RDM)
	}
	for gi, g := range data.Groups {
		if len(g.Subjects) < 2 {
			return nil, fmt.Errorf("eval: group %q needs at least 2 subjects, has %d", g.Name, len(g.Subjects))
		}
		mean := g.Mean
		if mean == nil {
			var err error
			if mean, err = rdm.Mean(g.Name+"-mean", g.Subjects); err != nil {
				return nil, fmt.Errorf("eval: group %q: %w", g.Name, err)
			}
		}
		addBase(g.Name+"-mean", mean)
		avg := column{name: g.Name + "-subjects", base: -1, group: gi, subj: -1}
		avg.ceilLow, avg.ceilHigh = nanCeil()
		var subjCols []int
		for s, r := range g.Subjects {
			c := addBase(fmt.Sprintf("%s/%d", g.Name, s+1), r)
			subjCols = append(subjCols, c)
			cols[c].group, cols[c].subj = gi, s
			avg.members = append(avg.members, cols[c].base)
		}
		for mi, m := range opt.Methods {
			ceil, err := rsa.NoiseCeilingDetail(g.Subjects, m)
			if err != nil {
				return nil, fmt.Errorf("eval: noise ceiling of group %q: %w", g.Name, err)
			}
			avg.ceilLow[mi], avg.ceilHigh[mi] = ceil.Lower, ceil.Upper
			for s, c := range subjCols {
				cols[c].ceilLow[mi], cols[c].ceilHigh[mi] = ceil.LowerEach[s], ceil.UpperEach[s]
			}
		}
		cols = append(cols, avg)
	}
	if len(base) == 0 {
		return nil, fmt.Errorf("eval: no targets")
	}
	n := base[0].N
	for i, r := range base {
		if err := rdm.Check(base[0], r); err != nil {
			return nil, fmt.Errorf("eval: target %q: %w", cols[colOfBase(cols, i)].name, err)
		}
		if r.HasNaN() {
			return nil, fmt.Errorf("eval: target %q has NaN pairs; complete RDMs are required", cols[colOfBase(cols, i)].name)
		}
	}
	if n < 8 {
		return nil, fmt.Errorf("eval: %d stimuli; need at least 8", n)
	}
	// Model RDMs.
	seen := map[string]bool{}
	models := make([]*rdm.RDM, len(layers))
	for l, f := range layers {
		if seen[f.Layer] {
			return nil, fmt.Errorf("eval: duplicate layer name %q", f.Layer)
		}
		seen[f.Layer] = true
		if f.N != n {
			return nil, fmt.Errorf("eval: layer %q has %d stimuli, targets have %d", f.Layer, f.N, n)
		}
		r, err := rsa.RDMFromPatternSlice(f.Layer, f.X, f.N, f.D, rsa.Correlation, base[0].IDs)
		if err != nil {
			return nil, fmt.Errorf("eval: layer %q: %w", f.Layer, err)
		}
		models[l] = r
	}
	sc := newScorer(models, base, opt.Methods)

	var rows []Row
	// Full-set values and subsample draws.
	all := make([]bool, n)
	for i := range all {
		all[i] = true
	}
	full := sc.expand(sc.score(all, sc.newScratch()), cols)
	var draws [][][][]float64 // [draw][layer][col][method]
	k := stats.SubsampleSize(n, opt.Fraction)
	if opt.Draws > 0 {
		r := stats.NewRand(opt.Seed)
		masks := make([][]bool, opt.Draws)
		for d := range masks {
			masks[d] = make([]bool, n)
			for _, i := range stats.SubsampleIndices(r, n, k) {
				masks[d][i] = true
			}
		}
		draws = make([][][][]float64, opt.Draws)
		sc.parallel(opt.Workers, masks, func(d int, v [][][]float64) { draws[d] = sc.expand(v, cols) })
	}
	for c, col := range cols {
		for mi, m := range opt.Methods {
			for l, f := range layers {
				row := Row{Layer: f.Layer, Target: col.name, Metric: m.String(), Value: full[l][c][mi],
					CILow: math.NaN(), CIHigh: math.NaN(), SD: math.NaN(),
					CeilLow: col.ceilLow[mi], CeilHigh: col.ceilHigh[mi], Split: "all", N: n}
				if draws != nil {
					s := make([]float64, len(draws))
					for d := range draws {
						s[d] = draws[d][l][c][mi]
					}
					row.CILow, row.CIHigh = stats.PercentileCI(s, opt.Level)
					row.SD = sd(s)
				}
				rows = append(rows, row)
			}
		}
	}
	// Layer selection on half splits.
	if opt.Splits > 0 {
		r := stats.NewRand(opt.Seed ^ 0x73706c6974) // "split"
		half := n / 2
		masks := make([][]bool, 2*opt.Splits)
		for s := 0; s < opt.Splits; s++ {
			a, b := make([]bool, n), make([]bool, n)
			for pos, i := range r.Perm(n) {
				if pos < half {
					a[i] = true
				} else {
					b[i] = true
				}
			}
			masks[2*s], masks[2*s+1] = a, b
		}
		vals := make([][][][]float64, len(masks))
		sc.parallel(opt.Workers, masks, func(d int, v [][][]float64) { vals[d] = sc.expand(v, cols) })
		halfCeil, err := halfCeilings(data.Groups, masks, opt)
		if err != nil {
			return nil, err
		}
		for c, col := range cols {
			for mi, m := range opt.Methods {
				held := make([]float64, opt.Splits)
				count := make([]int, len(layers))
				for s := 0; s < opt.Splits; s++ {
					sel, bv := 0, math.Inf(-1)
					for l := range layers {
						if v := vals[2*s][l][c][mi]; v > bv {
							sel, bv = l, v
						}
					}
					count[sel]++
					held[s] = vals[2*s+1][sel][c][mi]
				}
				mode := 0
				for l := range count {
					if count[l] > count[mode] {
						mode = l
					}
				}
				lo, hi := stats.PercentileCI(held, opt.Level)
				cl, ch := math.NaN(), math.NaN()
				if col.group >= 0 {
					hc := halfCeil[col.group][mi]
					if col.subj < 0 {
						cl, ch = hc.Lower, hc.Upper
					} else {
						cl, ch = hc.LowerEach[col.subj], hc.UpperEach[col.subj]
					}
				}
				rows = append(rows, Row{Layer: layers[mode].Layer, Target: col.name, Metric: m.String(),
					Value: stats.Mean(held), CILow: lo, CIHigh: hi, SD: sd(held),
					CeilLow: cl, CeilHigh: ch, Selected: true, Split: "half",
					N: n - half, Note: fmt.Sprintf("chosen in %d/%d splits", count[mode], opt.Splits)})
			}
		}
	}
	ooo, err := oddOneOutRows(layers, data, opt)
	if err != nil {
		return nil, err
	}
	return append(rows, ooo...), nil
}

// halfCeilSplits caps the number of splits over which held-out-half noise ceilings are averaged.
const halfCeilSplits = 20

// halfCeilings returns, per group and method, the noise ceiling on the held-out halves
// (masks[2s+1]) averaged over the first min(splits, halfCeilSplits) splits, so that the
// ceilings of selected rows refer to the same number of stimuli as their values.
func halfCeilings(groups []Group, masks [][]bool, opt Options) ([][]rsa.Ceiling, error) {
	ns := min(len(masks)/2, halfCeilSplits)
	out := make([][]rsa.Ceiling, len(groups))
	for g, grp := range groups {
		out[g] = make([]rsa.Ceiling, len(opt.Methods))
		for mi, m := range opt.Methods {
			acc := rsa.Ceiling{LowerEach: make([]float64, len(grp.Subjects)), UpperEach: make([]float64, len(grp.Subjects))}
			for s := 0; s < ns; s++ {
				var idx []int
				for i, in := range masks[2*s+1] {
					if in {
						idx = append(idx, i)
					}
				}
				subs := make([]*rdm.RDM, len(grp.Subjects))
				for k, r := range grp.Subjects {
					subs[k] = r.Subset(idx)
				}
				c, err := rsa.NoiseCeilingDetail(subs, m)
				if err != nil {
					return nil, fmt.Errorf("eval: half-split noise ceiling of group %q: %w", grp.Name, err)
				}
				acc.Lower += c.Lower / float64(ns)
				acc.Upper += c.Upper / float64(ns)
				for k := range subs {
					acc.LowerEach[k] += c.LowerEach[k] / float64(ns)
					acc.UpperEach[k] += c.UpperEach[k] / float64(ns)
				}
			}
			out[g][mi] = acc
		}
	}
	return out, nil
}

func colOfBase(cols []column, b int) int {
	for c, col := range cols {
		if col.base == b {
			return c
		}
	}
	return 0
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

// scorer compares all layers with all base targets on stimulus subsets.
type scorer struct {
	models, targets []*prepared
	methods         []rsa.Method
	pairs           pairIndex
	// pairTau[l][t] speeds up tau-a on large subsets; nil when both RDMs have ties.
	pairTau [][]*pairTau
}

type scratch struct {
	sub            subset
	mRanks, tRank  [][]float64
	mNorm, tNorm   []float64
	tau            tauScratch
	order, removed targetOrder
}

func newScorer(models, targets []*rdm.RDM, methods []rsa.Method) *scorer {
	sc := &scorer{methods: methods, pairs: newPairIndex(targets[0].N)}
	for _, m := range models {
		sc.models = append(sc.models, prepare(m))
	}
	for _, t := range targets {
		sc.targets = append(sc.targets, prepare(t))
	}
	for _, m := range methods {
		if m != rsa.TauA {
			continue
		}
		sc.pairTau = make([][]*pairTau, len(sc.models))
		for l, y := range sc.models {
			sc.pairTau[l] = make([]*pairTau, len(sc.targets))
			for t, x := range sc.targets {
				if !(x.ties && y.ties) {
					sc.pairTau[l][t] = newPairTau(x, y)
				}
			}
		}
	}
	return sc
}

func (sc *scorer) newScratch() *scratch {
	m := len(sc.pairs.i)
	s := &scratch{mNorm: make([]float64, len(sc.models)), tNorm: make([]float64, len(sc.targets))}
	for range sc.models {
		s.mRanks = append(s.mRanks, make([]float64, m))
	}
	for range sc.targets {
		s.tRank = append(s.tRank, make([]float64, m))
	}
	return s
}

// score returns [layer][base target][method] on the stimuli marked in mask.
func (sc *scorer) score(mask []bool, s *scratch) [][][]float64 {
	sc.pairs.makeSubset(mask, &s.sub)
	sub := &s.sub
	out := make([][][]float64, len(sc.models))
	for l := range out {
		out[l] = make([][]float64, len(sc.targets))
		for t := range out[l] {
			out[l][t] = make([]float64, len(sc.methods))
		}
	}
	for mi, m := range sc.methods {
		switch m {
		case rsa.Spearman:
			for l, p := range sc.models {
				s.mNorm[l] = centredRanks(p, sub, s.mRanks[l])
			}
			for t, p := range sc.targets {
				s.tNorm[t] = centredRanks(p, sub, s.tRank[t])
			}
			for l := range sc.models {
				for t := range sc.targets {
					out[l][t][mi] = spearmanFromRanks(s.mRanks[l][:sub.m], s.tRank[t][:sub.m], s.mNorm[l], s.tNorm[t])
				}
			}
		case rsa.TauA:
			tiesM := make([]int64, len(sc.models))
			for l, p := range sc.models {
				tiesM[l] = tiePairs(p, sub)
			}
			complement := 2*sub.m > len(sc.pairs.i) // most pairs kept: work on the removed ones
			for t, p := range sc.targets {
				tiesT := tiePairs(p, sub)
				var haveKept, haveRemoved bool
				for l, q := range sc.models {
					if complement && sc.pairTau[l][t] != nil {
						if !haveRemoved {
							orderOf(p, sub, false, &s.removed)
							haveRemoved = true
						}
						out[l][t][mi] = tauAComplement(&s.removed, q, sc.pairTau[l][t], sub.m, tiesT, tiesM[l], &s.tau)
						continue
					}
					if !haveKept {
						orderOf(p, sub, true, &s.order)
						haveKept = true
					}
					out[l][t][mi] = tauA(&s.order, q, tiesM[l], &s.tau)
				}
			}
		}
	}
	return out
}

// expand appends the average columns: returns [layer][column][method].
func (sc *scorer) expand(v [][][]float64, cols []column) [][][]float64 {
	out := make([][][]float64, len(v))
	for l := range v {
		out[l] = make([][]float64, len(cols))
		for c, col := range cols {
			if col.base >= 0 {
				out[l][c] = v[l][col.base]
				continue
			}
			a := make([]float64, len(sc.methods))
			for mi := range a {
				for _, b := range col.members {
					a[mi] += v[l][b][mi]
				}
				a[mi] /= float64(len(col.members))
			}
			out[l][c] = a
		}
	}
	return out
}

// parallel scores every mask with w goroutines and hands each result to store (called
// concurrently for distinct d).
func (sc *scorer) parallel(w int, masks [][]bool, store func(d int, v [][][]float64)) {
	var wg sync.WaitGroup
	next := make(chan int)
	for range w {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := sc.newScratch()
			for d := range next {
				store(d, sc.score(masks[d], s))
			}
		}()
	}
	for d := range masks {
		next <- d
	}
	close(next)
	wg.Wait()
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
