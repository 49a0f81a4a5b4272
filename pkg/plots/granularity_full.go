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

// PairedByArch is PairedFigure for each architecture of rows in table order (issue 17): per
// architecture two rows of panels, its absolute bars (untrained, K, fine, ssl) above its paired
// differences against its own fine-label model (untrained, K and "instance (SSL)"), panels
// titled "<arch>: <title>". paired is a sweep.Paired table of the same sweep; an architecture
// without paired rows is an error. The CSV has PairedVsK's columns, one row per point.
func PairedByArch(rows []sweep.Row, paired []sweep.PairedRow, metric string, targets []HeadlineTarget) (*Figure, error) {
	var archs []string
	seen := map[string]bool{}
	for _, r := range rows {
		if !seen[r.Arch] {
			seen[r.Arch] = true
			archs = append(archs, r.Arch)
		}
	}
	var out *Figure
	for _, a := range archs {
		var pa []sweep.PairedRow
		for _, p := range paired {
			if p.Arch == a {
				pa = append(pa, p)
			}
		}
		ts := make([]HeadlineTarget, len(targets))
		for i, t := range targets {
			ts[i] = HeadlineTarget{Target: t.Target, Title: a + ": " + t.Title, Ramp: t.Ramp}
		}
		f, err := PairedFigure(rows, pa, metric, a, ts)
		if err != nil {
			return nil, fmt.Errorf("plots: PairedByArch: architecture %s: %w", a, err)
		}
		if out == nil {
			out = f
			continue
		}
		out.Panels = append(out.Panels, f.Panels...)
		out.Rows = append(out.Rows, f.Rows...)
		out.Height += f.Height
	}
	if out == nil {
		return nil, fmt.Errorf("plots: PairedByArch: no rows")
	}
	return out, nil
}
