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
	res := TransferResult{Raw: a.Estimate, Probed: b.Estimate, Gain: b.Estimate - a.Estimate, Low: lo, High: hi, N: n, Draws: len(diff)}
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
