package rsa

import (
	"fmt"
	"math"

	"github.com/coarsealign/coarsealign/pkg/rdm"
	"github.com/coarsealign/coarsealign/pkg/stats"
)

// Pool returns the RDM that best represents rdms under method m, as rsatoolbox's
// pool_rdm: the mean of the RDMs after a method-specific normalisation:
//   - corr, corr_cov: each RDM z-scored over its non-NaN pairs (population SD), then
//     the mean shifted so that its minimum is 0;
//   - cosine, cosine_cov: each RDM divided by its root mean square;
//   - spearman, rho-a, kendall, tau-a: each RDM rank-transformed (average ties).
//
// A pair that is NaN in any input is NaN in the result (rsatoolbox's _nan_mean keeps
// the first RDM's NaN positions and propagates the others'). All RDMs must pass rdm.Check
// against the first.
func Pool(name string, rdms []*rdm.RDM, m Method) (*rdm.RDM, error) {
	if len(rdms) == 0 {
		return nil, fmt.Errorf("rsa: pooling zero RDMs")
	}
	if !m.valid() {
		return nil, fmt.Errorf("rsa: invalid method %v", m)
	}
	for _, r := range rdms {
		if err := rdm.Check(rdms[0], r); err != nil {
			return nil, err
		}
		if err := checkFinite(r); err != nil {
			return nil, err
		}
	}
	np := len(rdms[0].Vec)
	sum := make([]float64, np)
	for _, r := range rdms {
		v := normalise(r.Vec, m)
		for k := range sum {
			sum[k] += v[k]
		}
	}
	for k := range sum {
		sum[k] /= float64(len(rdms))
	}
	if m == Corr || m == CorrCov {
		lo := math.Inf(1)
		for _, v := range sum {
			if v < lo { // NaN compares false
				lo = v
			}
		}
		for k := range sum {
			sum[k] -= lo
		}
	}
	return &rdm.RDM{Name: name, IDs: rdms[0].IDs, N: rdms[0].N, Vec: sum}, nil
}

// normalise applies pool_rdm's per-RDM transform for method m to a copy of v.
func normalise(v []float64, m Method) []float64 {
	if m.IsRank() {
		return stats.Ranks(v)
	}
	out := make([]float64, len(v))
	var s, ss float64
	c := 0
	for _, x := range v {
		if !math.IsNaN(x) {
			s += x
			ss += x * x
			c++
		}
	}
	switch m {
	case Cosine, CosineCov:
		rms := math.Sqrt(ss / float64(c))
		for k, x := range v {
			out[k] = x / rms
		}
	default: // Corr, CorrCov
		mean := s / float64(c)
		vr := 0.0
		for _, x := range v {
			if !math.IsNaN(x) {
				vr += (x - mean) * (x - mean)
			}
		}
		sd := math.Sqrt(vr / float64(c))
		for k, x := range v {
			out[k] = (x - mean) / sd
		}
	}
	return out
}

// Ceiling is a noise ceiling: Lower is the mean over subjects of the comparison of a
// subject's RDM with the pooled RDM of the other subjects (leave one out); Upper is
// the mean of the comparison with the pooled RDM of all subjects. LowerEach and
// UpperEach hold the per-subject values, in the order of the input.
type Ceiling struct {
	Lower, Upper         float64
	LowerEach, UpperEach []float64
}

// NoiseCeiling returns the lower and upper noise-ceiling bounds of subjects' RDMs
// under method m, as rsatoolbox's boot_noise_ceiling (each RDM its own group): the
// pooled RDMs are built with Pool, so for rank methods the subject RDMs are ranked
// before averaging. At least 2 subjects are needed.
func NoiseCeiling(subjects []*rdm.RDM, m Method) (lower, upper float64, err error) {
	c, err := NoiseCeilingDetail(subjects, m)
	return c.Lower, c.Upper, err
}

// NoiseCeilingDetail is NoiseCeiling with the per-subject values.
func NoiseCeilingDetail(subjects []*rdm.RDM, m Method) (Ceiling, error) {
	nan := Ceiling{Lower: math.NaN(), Upper: math.NaN()}
	if len(subjects) < 2 {
		return nan, fmt.Errorf("rsa: noise ceiling needs at least 2 subject RDMs, have %d", len(subjects))
	}
	all, err := Pool("pooled", subjects, m)
	if err != nil {
		return nan, err
	}
	c := Ceiling{LowerEach: make([]float64, len(subjects)), UpperEach: make([]float64, len(subjects))}
	others := make([]*rdm.RDM, 0, len(subjects)-1)
	for i, s := range subjects {
		others = others[:0]
		for j, o := range subjects {
			if j != i {
				others = append(others, o)
			}
		}
		loo, err := Pool("pooled-without-"+s.Name, others, m)
		if err != nil {
			return nan, err
		}
		if c.LowerEach[i], err = Compare(loo, s, m); err != nil {
			return nan, err
		}
		if c.UpperEach[i], err = Compare(all, s, m); err != nil {
			return nan, err
		}
	}
	c.Lower = meanOf(c.LowerEach)
	c.Upper = meanOf(c.UpperEach)
	return c, nil
}

func meanOf(x []float64) float64 {
	s := 0.0
	for _, v := range x {
		s += v
	}
	return s / float64(len(x))
}

// SplitHalf is a split-half reliability estimate.
type SplitHalf struct {
	// Reliability is the mean over splits of the Spearman–Brown corrected split-half
	// similarity 2r/(1+r): the expected similarity of two full-size replications.
	Reliability float64
	// Raw is the mean uncorrected half-vs-half similarity r.
	Raw float64
	// Splits holds the corrected value of each split.
	Splits []float64
}

// SplitHalfCeiling estimates the reliability of an RDM measured as repetitions
// (sessions, trials or subjects), Brain-Score style: the repetitions are shuffled
// and split into two halves (sizes floor(k/2) and ceil(k/2)), each half pooled with
// Pool, the halves compared under m, and the similarity r corrected with the
// Spearman–Brown formula for doubled length, 2r/(1+r). This is repeated nSplits
// times with a generator seeded by seed and averaged. With 2 repetitions there is
// a single split. At least 2 repetitions are needed.
func SplitHalfCeiling(reps []*rdm.RDM, m Method, nSplits int, seed uint64) (SplitHalf, error) {
	out := SplitHalf{Reliability: math.NaN(), Raw: math.NaN()}
	k := len(reps)
	if k < 2 {
		return out, fmt.Errorf("rsa: split-half reliability needs at least 2 repetitions, have %d", k)
	}
	if nSplits < 1 {
		return out, fmt.Errorf("rsa: split-half reliability needs at least 1 split, have %d", nSplits)
	}
	if k == 2 {
		nSplits = 1
	}
	r := stats.NewRand(seed)
	raw := 0.0
	for s := 0; s < nSplits; s++ {
		perm := r.Perm(k)
		h1 := make([]*rdm.RDM, 0, k/2)
		h2 := make([]*rdm.RDM, 0, k-k/2)
		for i, p := range perm {
			if i < k/2 {
				h1 = append(h1, reps[p])
			} else {
				h2 = append(h2, reps[p])
			}
		}
		a, err := Pool("half1", h1, m)
		if err != nil {
			return out, err
		}
		b, err := Pool("half2", h2, m)
		if err != nil {
			return out, err
		}
		v, err := Compare(a, b, m)
		if err != nil {
			return out, err
		}
		raw += v
		out.Splits = append(out.Splits, stats.SpearmanBrown(v, 2))
	}
	out.Raw = raw / float64(nSplits)
	out.Reliability = meanOf(out.Splits)
	return out, nil
}
