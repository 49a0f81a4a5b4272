package plots

import (
	"fmt"

	"github.com/coarsealign/coarsealign/pkg/sweep"
)

// AlignmentVsKByArch is AlignmentVsK with one panel per architecture and target (issue 17's
// granularity-full sweep: untrained, K, fine and ssl for each architecture): panels are titled
// "<arch>: <title>", architectures in the table's order, targets[i] titled titles[i]. Each
// panel averages the seeds of that architecture only (GranularityFromRows on its rows); the
// coarse bars of the second architecture use the Greens ramp.
func AlignmentVsKByArch(rows []sweep.Row, metric, labelSource, ylabel string, targets, titles []string) (*Figure, error) {
	if len(targets) != len(titles) {
		return nil, fmt.Errorf("plots: AlignmentVsKByArch: %d targets, %d titles", len(targets), len(titles))
	}
	var archs []string
	byArch := map[string][]sweep.Row{}
	for _, r := range rows {
		if _, ok := byArch[r.Arch]; !ok {
			archs = append(archs, r.Arch)
		}
		byArch[r.Arch] = append(byArch[r.Arch], r)
	}
	var panels []GranularityPanel
	for ai, a := range archs {
		for i, t := range targets {
			pn, err := GranularityFromRows(byArch[a], t, metric, labelSource, a+": "+titles[i], ylabel)
			if err != nil {
				return nil, fmt.Errorf("plots: architecture %s: %w", a, err)
			}
			if ai%2 == 1 {
				pn.Ramp = Greens
			}
			panels = append(panels, pn)
		}
	}
	return AlignmentVsK(panels...)
}
