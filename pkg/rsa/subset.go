package rsa

import (
	"fmt"
	"math"
	"slices"
	"sort"

	"github.com/coarsealign/coarsealign/pkg/rdm"
	"github.com/coarsealign/coarsealign/pkg/stats"
)

// SubsetScorer compares every model RDM with every target RDM under one method on
// stimulus subsets: the inner loop of 90% subsampling (SubsampleStimuli) and of
// split-half layer selection (pkg/eval, through pkg/metric). Scores equal Compare on
// rdm.Subset of both RDMs (tested for every method, with and without ties).
//
// Each RDM is prepared once: its pairs sorted by value, so the ranks of a subset's pairs
// come from filtering the full order, without sorting. On a subset, each RDM's vector is
// transformed once (average ranks for spearman and rho-a; centred values for corr;
// covariance weighting for corr_cov and cosine_cov) and a model-target pair costs one
// dot product. Kendall's tau-a and tau-b count discordant pairs by merge sort
// (stats.CountInversions) or, when most pairs are kept and the two RDMs do not both have
// ties, from the inversions of the full set minus those of the pairs left out.
//
// RDMs must be complete (no NaN): use Compare on rdm.Subset for RDMs with missing pairs.
// A SubsetScorer is read-only after construction and may be shared by goroutines, each
// with its own SubsetScratch.
type SubsetScorer struct {
	method          Method
	n               int
	models, targets []*sortedRDM
	pairs           pairIndex
	// pairTau[l][t] speeds up tau-a and tau-b on large subsets; nil when both RDMs have ties.
	pairTau [][]*pairTau
}

// NewSubsetScorer prepares the comparison of models with targets under m. It returns an
// error for an invalid method, no RDMs, RDMs of different sizes or stimulus IDs, or an
// RDM holding NaN or an infinite value (naming the RDM).
func NewSubsetScorer(models, targets []*rdm.RDM, m Method) (*SubsetScorer, error) {
	if !m.valid() {
		return nil, fmt.Errorf("rsa: invalid method %v", m)
	}
	if len(models) == 0 || len(targets) == 0 {
		return nil, fmt.Errorf("rsa: subset scorer needs model and target RDMs (have %d and %d)", len(models), len(targets))
	}
	ref := targets[0]
	for _, r := range append(append([]*rdm.RDM(nil), targets...), models...) {
		if err := rdm.Check(ref, r); err != nil {
			return nil, err
		}
		if err := checkFinite(r); err != nil {
			return nil, err
		}
		if r.HasNaN() {
			return nil, fmt.Errorf("rsa: RDM %q has missing (NaN) pairs; the subset scorer needs complete RDMs", r.Name)
		}
	}
	s := &SubsetScorer{method: m, n: ref.N, pairs: newPairIndex(ref.N)}
	sortPairs := m.IsRank()
	for _, r := range models {
		s.models = append(s.models, prepareRDM(r, sortPairs))
	}
	for _, r := range targets {
		s.targets = append(s.targets, prepareRDM(r, sortPairs))
	}
	if m == TauA || m == Kendall {
		s.pairTau = make([][]*pairTau, len(s.models))
		for l, y := range s.models {
			s.pairTau[l] = make([]*pairTau, len(s.targets))
			for t, x := range s.targets {
				if !(x.ties && y.ties) {
					s.pairTau[l][t] = newPairTau(x, y)
				}
			}
		}
	}
	return s, nil
}

// Method returns the comparison method.
func (s *SubsetScorer) Method() Method { return s.method }

// SubsetScratch holds the buffers of one goroutine's Score calls.
type SubsetScratch struct {
	in             []bool
	sub            subset
	mv, tv         [][]float64 // transformed vectors of models and targets
	mNorm, tNorm   []float64
	tiesM          []int64
	tau            tauScratch
	order, removed targetOrder
}

// NewScratch returns buffers for Score.
func (s *SubsetScorer) NewScratch() *SubsetScratch {
	m := len(s.pairs.i) + s.n // covariance-weighted vectors hold the pairs plus n diagonal entries
	sc := &SubsetScratch{in: make([]bool, s.n), mNorm: make([]float64, len(s.models)),
		tNorm: make([]float64, len(s.targets)), tiesM: make([]int64, len(s.models))}
	for range s.models {
		sc.mv = append(sc.mv, make([]float64, 0, m))
	}
	for range s.targets {
		sc.tv = append(sc.tv, make([]float64, 0, m))
	}
	return sc
}

// Score writes into out[l][t] the similarity of model l and target t on the stimuli idx
// (distinct indices; their order does not matter): Compare(models[l].Subset(sorted idx),
// targets[t].Subset(sorted idx), method). Fewer than 2 pairs give NaN. out must be
// len(models) x len(targets).
func (s *SubsetScorer) Score(idx []int, out [][]float64, sc *SubsetScratch) {
	for _, i := range idx {
		sc.in[i] = true
	}
	s.pairs.makeSubset(sc.in, &sc.sub)
	k := 0
	for i := range sc.in {
		if sc.in[i] {
			k++
			sc.in[i] = false
		}
	}
	sub := &sc.sub
	if sub.m < 2 {
		for l := range out {
			for t := range out[l] {
				out[l][t] = math.NaN()
			}
		}
		return
	}
	if s.method == TauA || s.method == Kendall {
		s.kendall(sub, out, sc)
		return
	}
	for l, p := range s.models {
		sc.mv[l], sc.mNorm[l] = s.transform(p, sub, k, sc.mv[l])
	}
	for t, p := range s.targets {
		sc.tv[t], sc.tNorm[t] = s.transform(p, sub, k, sc.tv[t])
	}
	fm := float64(sub.m)
	for l := range s.models {
		for t := range s.targets {
			a, b := sc.mv[l], sc.tv[t]
			d := 0.0
			for i := range a {
				d += a[i] * b[i]
			}
			var v float64
			switch {
			case s.method == RhoA:
				v = d * 12 / (fm*fm*fm - fm)
			case sc.mNorm[l] == 0 || sc.tNorm[t] == 0:
				v = 0 // a constant vector: rsatoolbox's convention, as Compare
			default:
				v = d / (sc.mNorm[l] * sc.tNorm[t])
				if s.method == Spearman {
					v = math.Max(-1, math.Min(1, v))
				}
			}
			out[l][t] = v
		}
	}
}

// transform writes into dst (reused) the vector that the method compares by cosine
// (rho-a: by dot product) for the subset's pairs of r, k stimuli, and returns it with its norm.
func (s *SubsetScorer) transform(r *sortedRDM, sub *subset, k int, dst []float64) ([]float64, float64) {
	switch s.method {
	case Spearman, RhoA:
		dst = dst[:sub.m]
		centredRanks(r, sub, dst)
	default:
		dst = dst[:0]
		for p, v := range r.vec {
			if sub.pos[p] >= 0 {
				dst = append(dst, v)
			}
		}
		switch s.method {
		case Corr:
			centreInPlace(dst)
		case CorrCov:
			centreInPlace(dst)
			dst = append(dst[:0], covWeight(dst, nil, k)...)
		case CosineCov:
			dst = append(dst[:0], covWeight(dst, nil, k)...)
		}
	}
	ss := 0.0
	for _, v := range dst {
		ss += v * v
	}
	return dst, math.Sqrt(ss)
}

// centreInPlace subtracts the mean, computed as centred does.
func centreInPlace(x []float64) {
	mean := 0.0
	for _, v := range x {
		mean += v
	}
	mean /= float64(len(x))
	for i := range x {
		x[i] -= mean
	}
}

// kendall fills out with tau-a or tau-b.
func (s *SubsetScorer) kendall(sub *subset, out [][]float64, sc *SubsetScratch) {
	for l, p := range s.models {
		sc.tiesM[l] = tiePairs(p, sub)
	}
	complement := 2*sub.m > len(s.pairs.i) // most pairs kept: work on the removed ones
	for t, p := range s.targets {
		tiesT := tiePairs(p, sub)
		var haveKept, haveRemoved bool
		for l, q := range s.models {
			var c stats.KendallCounts
			if complement && s.pairTau[l][t] != nil {
				if !haveRemoved {
					orderOf(p, sub, false, &sc.removed)
					haveRemoved = true
				}
				c = kendallComplement(&sc.removed, q, s.pairTau[l][t], sub.m, tiesT, sc.tiesM[l], &sc.tau)
			} else {
				if !haveKept {
					orderOf(p, sub, true, &sc.order)
					haveKept = true
				}
				c = kendallCounts(&sc.order, q, sc.tiesM[l], &sc.tau)
			}
			if s.method == TauA {
				out[l][t] = c.TauA()
			} else {
				out[l][t] = c.TauB()
			}
		}
	}
}

// sortedRDM is an RDM with its pair order precomputed, so that ranks and Kendall's
// counts on any subset of stimuli need no sorting: the sorted order of a subset's pairs
// is the full order filtered by membership.
type sortedRDM struct {
	vec   []float64
	order []int32  // pair indices sorted by value (ties in index order)
	dense []uint32 // dense rank of each pair's value (equal values, equal rank)
	ties  bool     // some values are equal
}

// prepareRDM wraps r; the pair order is computed only when sortPairs is set (rank methods).
func prepareRDM(r *rdm.RDM, sortPairs bool) *sortedRDM {
	p := &sortedRDM{vec: r.Vec}
	if !sortPairs {
		return p
	}
	m := len(r.Vec)
	p.order, p.dense = make([]int32, m), make([]uint32, m)
	for k := range p.order {
		p.order[k] = int32(k)
	}
	sort.SliceStable(p.order, func(a, b int) bool { return r.Vec[p.order[a]] < r.Vec[p.order[b]] })
	rank := uint32(0)
	for a, k := range p.order {
		if a > 0 && r.Vec[k] != r.Vec[p.order[a-1]] {
			rank++
		}
		p.dense[k] = rank
	}
	p.ties = m > 0 && int(rank)+1 < m
	return p
}

// subset describes the pairs of an RDM over n stimuli that lie within a stimulus subset.
type subset struct {
	pos []int32 // pos[k] = position of pair k among the subset's pairs (row-major order), -1 if out
	m   int     // number of pairs in the subset
}

// pairIndex holds the stimulus indices of each pair of the vector form.
type pairIndex struct{ i, j []int32 }

func newPairIndex(n int) pairIndex {
	m := rdm.NumPairs(n)
	p := pairIndex{i: make([]int32, 0, m), j: make([]int32, 0, m)}
	for a := 0; a < n; a++ {
		for b := a + 1; b < n; b++ {
			p.i = append(p.i, int32(a))
			p.j = append(p.j, int32(b))
		}
	}
	return p
}

// makeSubset fills s for the stimuli marked in in (length n). Subset pairs keep the
// row-major order of the full vector, which is the vector order of rdm.Subset for
// increasing stimulus indices.
func (p pairIndex) makeSubset(in []bool, s *subset) {
	if cap(s.pos) < len(p.i) {
		s.pos = make([]int32, len(p.i))
	}
	s.pos = s.pos[:len(p.i)]
	c := int32(0)
	for k := range p.i {
		if in[p.i[k]] && in[p.j[k]] {
			s.pos[k] = c
			c++
		} else {
			s.pos[k] = -1
		}
	}
	s.m = int(c)
}

// centredRanks writes into dst (length s.m) the average ranks (1-based, ties averaged,
// as stats.Ranks) of r's pairs in the subset, minus their mean (m+1)/2.
func centredRanks(r *sortedRDM, s *subset, dst []float64) {
	mean := float64(s.m+1) / 2
	// Walk the full order; runs of equal values among kept pairs share their average rank.
	next := 0 // rank (0-based) of the next kept pair
	runStart := -1
	var runKeys []int32
	flush := func() {
		if len(runKeys) == 0 {
			return
		}
		avg := float64(runStart+next-1)/2 + 1 - mean
		for _, k := range runKeys {
			dst[s.pos[k]] = avg
		}
		runKeys = runKeys[:0]
	}
	prev := math.NaN()
	for _, k := range r.order {
		if s.pos[k] < 0 {
			continue
		}
		v := r.vec[k]
		if v != prev {
			flush()
			runStart = next
			prev = v
		}
		runKeys = append(runKeys, k)
		next++
	}
	flush()
}

// tiePairs returns the number of pairs of subset entries tied in r's values.
func tiePairs(r *sortedRDM, s *subset) int64 {
	var ties, run int64
	prev := uint32(math.MaxUint32)
	for _, k := range r.order {
		if s.pos[k] < 0 {
			continue
		}
		if r.dense[k] == prev {
			run++
		} else {
			ties += run * (run - 1) / 2
			run = 1
			prev = r.dense[k]
		}
	}
	return ties + run*(run-1)/2
}

// tauScratch holds buffers for the Kendall counts.
type tauScratch struct {
	seq, buf []uint32
}

func (sc *tauScratch) grow(m int) ([]uint32, []uint32) {
	if cap(sc.seq) < m {
		sc.seq = make([]uint32, m)
		sc.buf = make([]uint32, m)
	}
	return sc.seq[:m], sc.buf[:m]
}

// targetOrder is a target's subset pairs in increasing target order, with the runs of
// tied target values (only runs longer than one).
type targetOrder struct {
	keys []int32
	runs [][2]int32 // [start, end) into keys
	ties int64      // tied pairs in the target
}

// orderOf fills o with x's subset pairs in x order (keep true), or with the pairs
// outside the subset (keep false).
func orderOf(x *sortedRDM, s *subset, keep bool, o *targetOrder) {
	o.keys = o.keys[:0]
	o.runs = o.runs[:0]
	runStart := int32(0)
	prev := uint32(math.MaxUint32)
	for _, k := range x.order {
		if (s.pos[k] >= 0) != keep {
			continue
		}
		if d := x.dense[k]; d != prev {
			if n := int32(len(o.keys)); n-runStart > 1 {
				o.runs = append(o.runs, [2]int32{runStart, n})
			}
			runStart = int32(len(o.keys))
			prev = d
		}
		o.keys = append(o.keys, k)
	}
	if n := int32(len(o.keys)); n-runStart > 1 {
		o.runs = append(o.runs, [2]int32{runStart, n})
	}
	o.ties = 0
	for _, r := range o.runs {
		l := int64(r[1] - r[0])
		o.ties += l * (l - 1) / 2
	}
}

// kendallCounts returns the concordance counts of target x (given by its subset order o)
// and model y on the subset, as stats.Kendall of the subset vectors. tiesY is the tied
// pair count of y in the subset (tiePairs). The pairs are visited in x order with ties
// broken by y, so the discordant pairs are the strict inversions of the y ranks (Knight
// 1966).
func kendallCounts(o *targetOrder, y *sortedRDM, tiesY int64, sc *tauScratch) stats.KendallCounts {
	m := len(o.keys)
	c := stats.KendallCounts{Total: int64(m) * int64(m-1) / 2, TiesX: o.ties, TiesY: tiesY}
	seq, buf := sc.grow(m)
	for a, k := range o.keys {
		seq[a] = y.dense[k]
	}
	for _, r := range o.runs {
		run := seq[r[0]:r[1]]
		slices.Sort(run)
		var n int64 = 1
		for a := 1; a < len(run); a++ {
			if run[a] == run[a-1] {
				n++
			} else {
				c.TiesXY += n * (n - 1) / 2
				n = 1
			}
		}
		c.TiesXY += n * (n - 1) / 2
	}
	c.Discordant = stats.CountInversions(seq, buf)
	return c
}

// pairTau holds, for one (target x, model y) pair of RDMs on the full stimulus set,
// the inversion counts that let Kendall's counts on a large subset be computed from the
// few pairs left out. The full sequence is y's dense ranks with pairs ordered by x and,
// within tied x, by y. It is only valid when x and y do not both have ties (then no
// pair is tied in both on any subset).
type pairTau struct {
	fullInv int64   // strict inversions of the full sequence
	invWith []int32 // invWith[k]: inversions that pair k takes part in
}

func newPairTau(x, y *sortedRDM) *pairTau {
	m := len(x.order)
	seq := make([]uint32, m)
	keys := make([]int32, m)
	copy(keys, x.order)
	for a, k := range keys {
		seq[a] = y.dense[k]
	}
	if x.ties { // sort runs of tied x by y, keys along
		for a := 0; a < m; {
			b := a + 1
			for b < m && x.dense[keys[b]] == x.dense[keys[a]] {
				b++
			}
			if b-a > 1 {
				run := keys[a:b]
				sort.Slice(run, func(i, j int) bool { return y.dense[run[i]] < y.dense[run[j]] })
				for i, k := range run {
					seq[a+i] = y.dense[k]
				}
			}
			a = b
		}
	}
	// Fenwick tree over dense ranks: earlier elements greater, later elements smaller.
	size := 0
	for _, v := range seq {
		size = max(size, int(v)+1)
	}
	tree := make([]int32, size+1)
	add := func(i int) {
		for i++; i <= size; i += i & -i {
			tree[i]++
		}
	}
	le := func(i int) int32 { // count of values <= i
		var c int32
		for i++; i > 0; i -= i & -i {
			c += tree[i]
		}
		return c
	}
	pt := &pairTau{invWith: make([]int32, m)}
	for a, v := range seq {
		g := int32(a) - le(int(v)) // earlier and greater
		pt.invWith[keys[a]] += g
		pt.fullInv += int64(g)
		add(int(v))
	}
	clear(tree)
	for a := m - 1; a >= 0; a-- {
		v := seq[a]
		var l int32
		if v > 0 {
			l = le(int(v) - 1) // later and smaller
		}
		pt.invWith[keys[a]] += l
		add(int(v))
	}
	return pt
}

// kendallComplement is kendallCounts for the kept pairs computed from the removed pairs:
// o lists the pairs outside the subset (orderOf with keep false), m the kept count,
// tiesX and tiesY the tied pair counts among the kept pairs. Valid only when pt is (x
// and y do not both have ties, so no pair is tied in both).
func kendallComplement(o *targetOrder, y *sortedRDM, pt *pairTau, m int, tiesX, tiesY int64, sc *tauScratch) stats.KendallCounts {
	r := len(o.keys)
	seq, buf := sc.grow(r)
	var with int64
	for a, k := range o.keys {
		seq[a] = y.dense[k]
		with += int64(pt.invWith[k])
	}
	for _, run := range o.runs {
		slices.Sort(seq[run[0]:run[1]])
	}
	dis := pt.fullInv - with + stats.CountInversions(seq, buf)
	return stats.KendallCounts{Total: int64(m) * int64(m-1) / 2, Discordant: dis, TiesX: tiesX, TiesY: tiesY}
}
