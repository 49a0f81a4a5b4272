package plots

import (
	"github.com/coarsealign/coarsealign/pkg/sweep"
)

// OddOneOutVsK draws odd-one-out accuracy vs K in two panels, zero-shot and after a linear
// probe (the rows of targets zeroShot and probed, metric "accuracy", one selected row per run,
// e.g. from study.OddOneOutRows), the mean over seeds with the mean of the seeds' 95% CIs
// (GranularityFromRows), in the Greens of the behavioural figures. Chance is 1/3.
func OddOneOutVsK(rows []sweep.Row, zeroShot, probed, labelSource string) (*Figure, error) {
	zs, err := GranularityFromRows(rows, zeroShot, "accuracy", labelSource, "odd-one-out, zero-shot", "accuracy (chance 1/3)")
	if err != nil {
		return nil, err
	}
	pr, err := GranularityFromRows(rows, probed, "accuracy", labelSource, "odd-one-out, linear probe (held-out objects)", "accuracy (chance 1/3)")
	if err != nil {
		return nil, err
	}
	zs.Ramp, pr.Ramp = Greens, Greens
	return AlignmentVsK(zs, pr)
}
