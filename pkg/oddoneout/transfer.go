package oddoneout

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/coarsealign/coarsealign/pkg/rdm"
	"github.com/coarsealign/coarsealign/pkg/rsa"
	"github.com/coarsealign/coarsealign/pkg/stats"
)

// The probe-transfer test of the fourth seed study (Muttenthaler et al. 2023): a probe W
// fitted on one triplet source (Fit, e.g. on the 92-image triplets) is applied to the
// embedding of other stimuli (e.g. the CIFAR-10 class means), and the RSA of the probed
// embedding with that set's own human target (e.g. the CIFAR-10H confusions) is compared
// with the RSA of the unprobed one. Both are computed on the embedding normalised with the
// probe's statistics, so W is the only difference.

// TransferOptions configure Transfer. The zero value: correlation distance, Spearman RSA,
// 1000 subsamples of 90% of the target stimuli, 95% interval.
type TransferOptions struct {
	// Distance of the model RDMs (0: rsa.Correlation).
	Distance rsa.Distance
	// Method compares the RDMs (0: rsa.Spearman).
	Method rsa.Method
	// Draws, Level, Seed: the paired subsampling of the target stimuli (rsa.BootOptions).
	Draws int
	Level float64
	Seed  uint64
}

// TransferResult holds the transfer test's numbers.
type TransferResult struct {
	// Raw and Probed are the RSA of the target RDM with the unprobed and the probed
	// embedding's RDM; Gain = Probed - Raw.
	Raw, Probed, Gain float64
	// Low and High bound Gain: percentile interval over subsamples of the target stimuli,
	// the same subsample for both embeddings (paired).
	Low, High float64
	// RawLow, RawHigh, ProbedLow and ProbedHigh bound Raw and Probed over the same subsamples.
	RawLow, RawHigh, ProbedLow, ProbedHigh float64
	// N is the number of target stimuli, Draws the subsamples.
	N, Draws int
}

// Transfer applies probe m (fitted on another stimulus set, same d) to x (n x d, rows the
// target stimuli in target's order) and compares the RSA with target before and after.
func Transfer(m *Model, x mat.Matrix, target *rdm.RDM, opt TransferOptions) (TransferResult, error) {
	n, d := x.Dims()
	if m == nil || m.W == nil {
		return TransferResult{}, fmt.Errorf("oddoneout: transfer: no probe")
	}
	if wd, _ := m.W.Dims(); wd != d || len(m.Mean) != d {
		return TransferResult{}, fmt.Errorf("oddoneout: transfer: probe for %d features, embedding has %d", wd, d)
	}
	if target == nil || target.N != n {
		return TransferResult{}, fmt.Errorf("oddoneout: transfer: target RDM for %v stimuli, embedding has %d rows", rdmN(target), n)
	}
	if n < 4 {
		return TransferResult{}, fmt.Errorf("oddoneout: transfer: %d target stimuli, need at least 4", n)
	}
	if opt.Distance == 0 {
		opt.Distance = rsa.Correlation
	}
	if opt.Method == 0 {
		opt.Method = rsa.Spearman
	}
	raw := normalise(x, m.Mean, m.Scale)
	rawRDM, err := rsa.RDMFromPatterns("raw", raw, opt.Distance, nil)
	if err != nil {
		return TransferResult{}, fmt.Errorf("oddoneout: transfer: %w", err)
	}
	probedRDM, err := rsa.RDMFromPatterns("probed", m.Transform(x), opt.Distance, nil)
	if err != nil {
		return TransferResult{}, fmt.Errorf("oddoneout: transfer: %w", err)
	}
	bo := rsa.BootOptions{Draws: opt.Draws, Level: opt.Level, Seed: opt.Seed}
	a, err := rsa.SubsampleStimuli(rawRDM, target, opt.Method, bo)
	if err != nil {
		return TransferResult{}, fmt.Errorf("oddoneout: transfer: %w", err)
	}
	b, err := rsa.SubsampleStimuli(probedRDM, target, opt.Method, bo) // same seed: same subsamples
	if err != nil {
		return TransferResult{}, fmt.Errorf("oddoneout: transfer: %w", err)
	}
	diff := make([]float64, len(a.Samples))
	for i := range diff {
		diff[i] = b.Samples[i] - a.Samples[i]
	}
	level := opt.Level
	if level <= 0 || level >= 1 {
		level = rsa.DefaultLevel
	}
	lo, hi := stats.PercentileCI(diff, level)
	res := TransferResult{Raw: a.Estimate, Probed: b.Estimate, Gain: b.Estimate - a.Estimate, Low: lo, High: hi, N: n, Draws: len(diff),
		RawLow: a.Low, RawHigh: a.High, ProbedLow: b.Low, ProbedHigh: b.High}
	if math.IsNaN(res.Gain) {
		return res, fmt.Errorf("oddoneout: transfer: RSA undefined (constant RDM?)")
	}
	return res, nil
}

func rdmN(r *rdm.RDM) any {
	if r == nil {
		return "no"
	}
	return r.N
}

// MeansResult is the transfer test on group means (TransferMeans).
type MeansResult struct {
	// TransferResult holds the test on the group means of all items: Raw, Probed, Gain, and
	// Low, High bounding Gain over subsamples of the groups (with few groups, e.g. 10
	// classes, 90% subsamples are only 10 distinct sets of 9: a narrow, optimistic interval).
	TransferResult
	// RawLow ... GainHigh are percentile intervals of Raw, Probed and Gain over a stratified
	// bootstrap of the items (each group's items resampled with replacement; the group means
	// and the target recomputed on each resample; raw and probed on the same resample).
	RawLow, RawHigh, ProbedLow, ProbedHigh, GainLow, GainHigh float64
	// Items is the number of items, ItemDraws the bootstrap resamples that gave a defined RSA.
	Items, ItemDraws int
}

// TransferMeans runs the transfer test on the means of groups of items: x is items x d (rows
// the items, e.g. images), group[i] in 0..G-1 is item i's group (e.g. its class; every group
// needs an item), and target(idx) returns the G x G target RDM computed from the items idx
// (indices into x, with repeats; every group present), e.g. a human confusion structure.
// Transfer is applied to the G x d group means against target(all items), and the items are
// bootstrapped within groups opt.Draws times (seeded by opt.Seed) for the intervals over items.
// Since the normalisation and W are affine, the probed group means are the group means of the
// probed items.
func TransferMeans(m *Model, x mat.Matrix, group []int, target func(idx []int) (*rdm.RDM, error), opt TransferOptions) (MeansResult, error) {
	n, d := x.Dims()
	if len(group) != n {
		return MeansResult{}, fmt.Errorf("oddoneout: transfer: %d group labels for %d items", len(group), n)
	}
	g := 0
	for i, v := range group {
		if v < 0 {
			return MeansResult{}, fmt.Errorf("oddoneout: transfer: item %d has group %d", i, v)
		}
		g = max(g, v+1)
	}
	members := make([][]int, g)
	for i, v := range group {
		members[v] = append(members[v], i)
	}
	for k, ms := range members {
		if len(ms) == 0 {
			return MeansResult{}, fmt.Errorf("oddoneout: transfer: group %d has no items", k)
		}
	}
	all := make([]int, n)
	for i := range all {
		all[i] = i
	}
	tgt, err := target(all)
	if err != nil {
		return MeansResult{}, fmt.Errorf("oddoneout: transfer: target: %w", err)
	}
	xd := mat.DenseCopyOf(x)
	res := MeansResult{Items: n}
	if res.TransferResult, err = Transfer(m, groupMeans(xd, members, nil, d), tgt, opt); err != nil {
		return res, err
	}
	if opt.Distance == 0 {
		opt.Distance = rsa.Correlation
	}
	if opt.Method == 0 {
		opt.Method = rsa.Spearman
	}
	draws := opt.Draws
	if draws <= 0 {
		draws = rsa.DefaultDraws
	}
	level := opt.Level
	if level <= 0 || level >= 1 {
		level = rsa.DefaultLevel
	}
	rng := stats.NewRand(opt.Seed ^ 0x6974656d73) // "items"
	raw, probed, gain := make([]float64, 0, draws), make([]float64, 0, draws), make([]float64, 0, draws)
	idx := make([]int, 0, n)
	for b := 0; b < draws; b++ {
		idx = idx[:0]
		for _, ms := range members {
			for range ms {
				idx = append(idx, ms[rng.IntN(len(ms))])
			}
		}
		t, err := target(idx)
		if err != nil {
			return res, fmt.Errorf("oddoneout: transfer: target of resample %d: %w", b, err)
		}
		means := groupMeans(xd, members, idx, d)
		a, err1 := rsaOf(normalise(means, m.Mean, m.Scale), t, opt)
		p, err2 := rsaOf(m.Transform(means), t, opt)
		if err1 != nil || err2 != nil || math.IsNaN(a) || math.IsNaN(p) {
			continue
		}
		raw, probed, gain = append(raw, a), append(probed, p), append(gain, p-a)
	}
	res.ItemDraws = len(gain)
	res.RawLow, res.RawHigh = stats.PercentileCI(raw, level)
	res.ProbedLow, res.ProbedHigh = stats.PercentileCI(probed, level)
	res.GainLow, res.GainHigh = stats.PercentileCI(gain, level)
	return res, nil
}

// groupMeans returns the G x d means of x's rows per group: over members (idx nil) or over the
// resampled items idx, drawn group by group in members' order (len(members[k]) items each).
func groupMeans(x *mat.Dense, members [][]int, idx []int, d int) *mat.Dense {
	out := mat.NewDense(len(members), d, nil)
	pos := 0
	for k, ms := range members {
		row := out.RawRowView(k)
		for q := range ms {
			i := ms[q]
			if idx != nil {
				i = idx[pos]
				pos++
			}
			for j, v := range x.RawRowView(i) {
				row[j] += v
			}
		}
		for j := range row {
			row[j] /= float64(len(ms))
		}
	}
	return out
}

func rsaOf(x *mat.Dense, target *rdm.RDM, opt TransferOptions) (float64, error) {
	r, err := rsa.RDMFromPatterns("model", x, opt.Distance, nil)
	if err != nil {
		return math.NaN(), err
	}
	return rsa.Compare(r, target, opt.Method)
}
