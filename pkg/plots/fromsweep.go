package plots

import (
	"fmt"
	"math"
	"sort"
	"strconv"

	"github.com/coarsealign/coarsealign/pkg/sweep"
)

// kindOf parses a results table's k column.
func kindOf(k string) (Kind, int, error) {
	switch k {
	case sweep.Untrained:
		return Untrained, 0, nil
	case sweep.Fine:
		return Fine, 0, nil
	case sweep.SSL:
		return SSL, 0, nil
	}
	n, err := strconv.Atoi(k)
	if err != nil {
		return 0, 0, fmt.Errorf("plots: k %q is not a number, %q, %q or %q", k, sweep.Fine, sweep.Untrained, sweep.SSL)
	}
	return Coarse, n, nil
}

// granularityOrder sorts k values: untrained, K ascending, fine, ssl (the finest: one class
// per image).
func granularityOrder(ks []string) {
	rank := func(k string) int {
		kind, n, _ := kindOf(k)
		switch kind {
		case Untrained:
			return -1
		case Fine:
			return math.MaxInt - 1
		case SSL:
			return math.MaxInt
		}
		return n
	}
	sort.SliceStable(ks, func(i, j int) bool { return rank(ks[i]) < rank(ks[j]) })
}

func tickLabel(k string) string {
	switch k {
	case sweep.Untrained:
		return "untr."
	case sweep.SSL:
		return SSLLabel
	}
	return k
}

// filter keeps rows of target and metric, and of labelSource for coarse runs ("" = any).
func filter(rows []sweep.Row, target, metric, labelSource string) []sweep.Row {
	var out []sweep.Row
	for _, r := range rows {
		if r.Target != target || r.Metric != metric {
			continue
		}
		if labelSource != "" && r.LabelSource != "" && r.LabelSource != labelSource {
			continue
		}
		out = append(out, r)
	}
	return out
}

// GranularityFromRows builds an AlignmentVsK panel from a sweep's results table: for each
// granularity, the selected layer's score (Row.Selected) of each seed, averaged over seeds; the
// CI drawn is the mean of the seeds' CI bounds (with one seed: that seed's bootstrap CI). The
// ceiling is that of the selected rows (pkg/eval computes it on the same held-out halves). labelSource restricts the coarse runs to one
// label source ("" = any, but then the table must hold only one).
func GranularityFromRows(rows []sweep.Row, target, metric, labelSource, title, ylabel string) (GranularityPanel, error) {
	sel := filter(rows, target, metric, labelSource)
	pn := GranularityPanel{Title: title, YLabel: ylabel, CeilingLow: math.NaN(), CeilingHigh: math.NaN()}
	var drawn []sweep.Row
	sources := map[string]bool{}
	for _, r := range sel {
		if !r.Selected {
			continue
		}
		// The ceiling of the rows drawn (held-out halves have their own ceiling).
		if math.IsNaN(pn.CeilingLow) && !math.IsNaN(r.CeilingLow) {
			pn.CeilingLow, pn.CeilingHigh = r.CeilingLow, r.CeilingHigh
		}
		if r.LabelSource != "" {
			sources[r.LabelSource] = true
		}
		drawn = append(drawn, r)
	}
	if len(sources) > 1 {
		return pn, fmt.Errorf("plots: %s/%s: rows from %d label sources; pass one", target, metric, len(sources))
	}
	if len(drawn) == 0 {
		return pn, fmt.Errorf("plots: no selected-layer rows for target %q metric %q", target, metric)
	}
	var err error
	pn.Bars, err = meanBars(drawn)
	return pn, err
}

// meanBars groups rows by granularity and returns one bar per granularity, in the axis order:
// the mean over the group's rows (seeds) of the value and of the CI bounds.
func meanBars(rows []sweep.Row) ([]Bar, error) {
	type acc struct {
		v, lo, hi float64
		n         int
	}
	groups := map[string]*acc{}
	var order []string
	for _, r := range rows {
		a := groups[r.K]
		if a == nil {
			a = &acc{}
			groups[r.K] = a
			order = append(order, r.K)
		}
		a.v += r.Value
		a.lo += r.CILow
		a.hi += r.CIHigh
		a.n++
	}
	granularityOrder(order)
	var bars []Bar
	for _, k := range order {
		a := groups[k]
		kind, n, err := kindOf(k)
		if err != nil {
			return nil, err
		}
		m := float64(a.n)
		bars = append(bars, Bar{Label: tickLabel(k), Kind: kind, K: n, Value: a.v / m, Low: a.lo / m, High: a.hi / m, N: a.n})
	}
	return bars, nil
}

// ProfilesFromRows builds one LayerProfiles line per granularity (averaged over seeds, layers in
// the table's order) for target and metric from the per-layer rows on all stimuli (split "all";
// the held-out "half" rows of layer selection are left out).
func ProfilesFromRows(rows []sweep.Row, target, metric, labelSource string) ([]Profile, error) {
	var sel []sweep.Row
	for _, r := range filter(rows, target, metric, labelSource) {
		if r.Split != "half" {
			sel = append(sel, r)
		}
	}
	if len(sel) == 0 {
		return nil, fmt.Errorf("plots: no rows for target %q metric %q", target, metric)
	}
	type key struct{ k, layer string }
	type acc struct {
		v, lo, hi float64
		n         int
	}
	sums := map[key]*acc{}
	var ks, layers []string
	seenK, seenL := map[string]bool{}, map[string]bool{}
	for _, r := range sel {
		if !seenK[r.K] {
			seenK[r.K] = true
			ks = append(ks, r.K)
		}
		if !seenL[r.Layer] {
			seenL[r.Layer] = true
			layers = append(layers, r.Layer)
		}
		a := sums[key{r.K, r.Layer}]
		if a == nil {
			a = &acc{}
			sums[key{r.K, r.Layer}] = a
		}
		a.v += r.Value
		a.lo += r.CILow
		a.hi += r.CIHigh
		a.n++
	}
	granularityOrder(ks)
	var out []Profile
	for _, k := range ks {
		kind, n, err := kindOf(k)
		if err != nil {
			return nil, err
		}
		label := k
		switch kind {
		case Coarse:
			label = "K=" + k
		case SSL:
			label = SSLLabel
		}
		pr := Profile{Label: label, Kind: kind, K: n, Layers: layers}
		for _, l := range layers {
			a := sums[key{k, l}]
			if a == nil {
				pr.Value = append(pr.Value, math.NaN())
				pr.Low = append(pr.Low, math.NaN())
				pr.High = append(pr.High, math.NaN())
				continue
			}
			m := float64(a.n)
			pr.Value = append(pr.Value, a.v/m)
			pr.Low = append(pr.Low, a.lo/m)
			pr.High = append(pr.High, a.hi/m)
		}
		out = append(out, pr)
	}
	return out, nil
}

// CurvesFromSweep reads the training curves of the done runs under out (runs without a curve,
// e.g. untrained ones, are left out).
func CurvesFromSweep(out string, runs []sweep.Run) ([]Curve, error) {
	var curves []Curve
	for _, r := range runs {
		if !sweep.IsDone(out, r.ID()) {
			continue
		}
		pts, err := sweep.ReadCurve(out, r.ID())
		if err != nil {
			return nil, err
		}
		if len(pts) == 0 {
			continue
		}
		kind, n, err := kindOf(r.Granularity)
		if err != nil {
			return nil, err
		}
		label := r.Granularity
		switch kind {
		case Coarse:
			label = "K=" + r.Granularity
		case SSL:
			label = SSLLabel
		}
		if len(runs) > 1 && r.Seed != runs[0].Seed {
			label += fmt.Sprintf(" s%d", r.Seed)
		}
		curves = append(curves, Curve{Label: label, Kind: kind, K: n, Points: pts})
	}
	return curves, nil
}
