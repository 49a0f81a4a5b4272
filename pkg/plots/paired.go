package plots

import (
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/coarsealign/coarsealign/pkg/sweep"
)

// PairedPoint is one paired difference drawn: a model's score minus the fine-label model's,
// split by split on the same held-out halves (sweep.PairedRow).
type PairedPoint struct {
	// Label is the x tick label ("untr.", "2", ..., "64", SSLLabel); Kind and K as in Bar.
	Label string
	Kind  Kind
	K     int
	// Series groups points drawn with one marker (e.g. the architecture); "" is one series.
	Series string
	// Target, Metric, Seeds are written to the CSV.
	Target, Metric, Seeds string
	// Diff is the mean difference, [Low, High] its interval over splits, [SeedLow, SeedHigh]
	// the interval over seeds (NaN: none).
	Diff, Low, High   float64
	SeedLow, SeedHigh float64
}

// PairedPanel is one target's panel of PairedVsK.
type PairedPanel struct {
	Title, YLabel string
	Points        []PairedPoint
	// Ramp colours the coarse points by K; zero value = Blues.
	Ramp [2]color.RGBA
}

// PairedFromRows builds a PairedPanel for target and metric from a paired table: per
// architecture, label source and K the row pooled over the most seeds (the per-seed row when
// there is one seed). Points of different architectures are separate series. labelSource
// restricts the coarse rows ("" = any, but then the table must hold only one).
func PairedFromRows(rows []sweep.PairedRow, target, metric, labelSource, title, ylabel string) (PairedPanel, error) {
	pn := PairedPanel{Title: title, YLabel: ylabel}
	type key struct{ arch, src, k string }
	best := map[key]sweep.PairedRow{}
	var order []key
	archs, sources := map[string]bool{}, map[string]bool{}
	for _, r := range rows {
		if r.Target != target || r.Metric != metric {
			continue
		}
		if labelSource != "" && r.LabelSource != "" && r.LabelSource != labelSource {
			continue
		}
		if r.LabelSource != "" {
			sources[r.LabelSource] = true
		}
		archs[r.Arch] = true
		k := key{r.Arch, r.LabelSource, r.K}
		b, ok := best[k]
		if !ok {
			order = append(order, k)
		}
		if !ok || r.NSeeds > b.NSeeds {
			best[k] = r
		}
	}
	if len(sources) > 1 {
		return pn, fmt.Errorf("plots: paired %s/%s: rows from %d label sources; pass one", target, metric, len(sources))
	}
	if len(order) == 0 {
		return pn, fmt.Errorf("plots: no paired rows for target %q metric %q", target, metric)
	}
	for _, k := range order {
		r := best[k]
		kind, n, err := kindOf(r.K)
		if err != nil {
			return pn, err
		}
		series := ""
		if len(archs) > 1 {
			series = r.Arch
		}
		pn.Points = append(pn.Points, PairedPoint{Label: tickLabel(r.K), Kind: kind, K: n, Series: series,
			Target: r.Target, Metric: r.Metric, Seeds: r.Seeds, Diff: r.Diff, Low: r.Low, High: r.High,
			SeedLow: r.SeedLow, SeedHigh: r.SeedHigh})
	}
	return pn, nil
}

// PairedVsK draws the absolute bars (AlignmentVsK's panels, one row; nil: none) above the
// paired differences against the fine-label model (one panel per target), on the axis order
// untrained, K ascending, ssl (after the fine model's place, labelled SSLLabel): a point per K with
// its interval over splits as a capped error bar, coloured as the bars, one marker shape per
// series (architecture) side by side, and a dashed zero line (no difference). The CSV has one
// row per point.
func PairedVsK(abs []GranularityPanel, paired []PairedPanel) (*Figure, error) {
	if len(paired) == 0 {
		return nil, fmt.Errorf("plots: PairedVsK: no paired panels")
	}
	cols := len(paired)
	var f *Figure
	if len(abs) > 0 {
		if len(abs) != cols {
			return nil, fmt.Errorf("plots: PairedVsK: %d absolute panels for %d paired panels", len(abs), cols)
		}
		a, err := AlignmentVsK(abs...)
		if err != nil {
			return nil, err
		}
		f = &Figure{Panels: a.Panels, Cols: cols, Width: a.Width, Height: 2 * a.Height}
	} else {
		f = &Figure{Cols: cols, Width: vg.Length(cols) * vg.Inch * 4, Height: vg.Inch * 3.4}
	}
	f.Header = []string{"panel", "target", "metric", "series", "seeds", "label", "kind", "k", "diff", "ci_low", "ci_high",
		"seed_ci_low", "seed_ci_high", "beyond_ci"}
	shapes := []draw.GlyphDrawer{draw.CircleGlyph{}, draw.TriangleGlyph{}, draw.SquareGlyph{}, draw.PyramidGlyph{}, draw.CrossGlyph{}}
	for _, pn := range paired {
		if len(pn.Points) == 0 {
			return nil, fmt.Errorf("plots: PairedVsK: panel %q has no points", pn.Title)
		}
		rmp := pn.Ramp
		if rmp == ([2]color.RGBA{}) {
			rmp = Blues
		}
		var labels, series []string
		seenL, seenS := map[string]bool{}, map[string]bool{}
		for _, pt := range pn.Points {
			if math.IsNaN(pt.Diff) {
				return nil, fmt.Errorf("plots: PairedVsK: panel %q point %q: difference is NaN", pn.Title, pt.Label)
			}
			k := pt.Label // back to the table's k, for the axis order
			switch pt.Kind {
			case Untrained:
				k = sweep.Untrained
			case SSL:
				k = sweep.SSL
			}
			if !seenL[k] {
				seenL[k] = true
				labels = append(labels, k)
			}
			if !seenS[pt.Series] {
				seenS[pt.Series] = true
				series = append(series, pt.Series)
			}
		}
		granularityOrder(labels)
		xOf := map[string]int{}
		names := make([]string, len(labels))
		for i, l := range labels {
			xOf[tickLabel(l)] = i
			names[i] = tickLabel(l)
			if l == sweep.SSL {
				names[i] = "instance\n(SSL)" // two lines, as in AlignmentVsK
			}
		}
		p := newPanel(pn.Title, "training labels (K classes)", pn.YLabel)
		zero := &hband{Lo: math.NaN(), Hi: math.NaN(), Mid: 0,
			Line: draw.LineStyle{Color: color.Black, Width: vg.Points(1), Dashes: []vg.Length{vg.Points(4), vg.Points(3)}}}
		p.Add(zero)
		for si, s := range series {
			var pts errPoints
			var colors []color.Color
			for _, pt := range pn.Points {
				if pt.Series != s {
					continue
				}
				off := 0.0
				if len(series) > 1 {
					off = (float64(si) - float64(len(series)-1)/2) * 0.22
				}
				pts = append(pts, errPoint{x: float64(xOf[pt.Label]) + off, y: pt.Diff, lo: pt.Low, hi: pt.High})
				c := color.Color(ColorUntrained)
				switch pt.Kind {
				case Coarse:
					c = ramp(rmp, kShade(pt.K))
				case SSL:
					c = ColorSSL
				}
				colors = append(colors, c)
				f.add(pn.Title, pt.Target, pt.Metric, pt.Series, pt.Seeds, pt.Label, pt.Kind.String(), pt.K, pt.Diff, pt.Low, pt.High,
					pt.SeedLow, pt.SeedHigh, pt.Low > 0 || pt.High < 0)
			}
			eb, err := plotter.NewYErrorBars(pts)
			if err != nil {
				return nil, fmt.Errorf("plots: PairedVsK: panel %q: %w", pn.Title, err)
			}
			eb.LineStyle.Width = vg.Points(1.2)
			eb.CapWidth = vg.Points(6)
			sc, err := plotter.NewScatter(pts)
			if err != nil {
				return nil, fmt.Errorf("plots: PairedVsK: panel %q: %w", pn.Title, err)
			}
			shape := shapes[si%len(shapes)]
			sc.GlyphStyleFunc = func(i int) draw.GlyphStyle {
				return draw.GlyphStyle{Color: colors[i], Radius: vg.Points(4), Shape: shape}
			}
			p.Add(eb, sc)
			if s != "" {
				p.Legend.Add(s, sc)
			}
		}
		p.NominalX(names...)
		p.X.Min, p.X.Max = -0.6, float64(len(names))-0.4
		p.Legend.Top = true
		p.Legend.Left = true
		p.Legend.TextStyle.Font.Size = vg.Points(8)
		f.Panels = append(f.Panels, p)
	}
	return f, nil
}

// HeadlineTarget is one column of a headline figure: the target's name in the results table,
// the panel title and the coarse ramp (zero value: Blues for the first two targets, Greens
// from the third on, the demo's behaviour column).
type HeadlineTarget struct {
	Target, Title string
	Ramp          [2]color.RGBA
}

// PairedFigure draws PairedVsK for targets under metric from a results table (the absolute
// bars: GranularityFromRows of the selected-layer rows) and its paired table (PairedFromRows),
// the third panel and after in Greens (behaviour) unless a target sets its Ramp, as the demo's
// headline figure. With several
// architectures in rows, the absolute bars are those of arch (the first row's when "").
func PairedFigure(rows []sweep.Row, paired []sweep.PairedRow, metric, arch string, targets []HeadlineTarget) (*Figure, error) {
	if arch == "" && len(rows) > 0 {
		arch = rows[0].Arch
	}
	var absRows []sweep.Row
	for _, r := range rows {
		if r.Arch == arch {
			absRows = append(absRows, r)
		}
	}
	var abs []GranularityPanel
	var ps []PairedPanel
	for i, t := range targets {
		a, err := GranularityFromRows(absRows, t.Target, metric, "", t.Title, fmt.Sprintf("%s, held-out half (%s)", metric, arch))
		if err != nil {
			return nil, err
		}
		p, err := PairedFromRows(paired, t.Target, metric, "", t.Title, metric+": model - fine (paired)")
		if err != nil {
			return nil, err
		}
		switch {
		case t.Ramp != [2]color.RGBA{}:
			a.Ramp, p.Ramp = t.Ramp, t.Ramp
		case i >= 2:
			a.Ramp, p.Ramp = Greens, Greens
		}
		abs, ps = append(abs, a), append(ps, p)
	}
	return PairedVsK(abs, ps)
}

// errPoint is a point with an asymmetric interval [lo, hi] around y.
type errPoint struct{ x, y, lo, hi float64 }

type errPoints []errPoint

func (e errPoints) Len() int                    { return len(e) }
func (e errPoints) XY(i int) (float64, float64) { return e[i].x, e[i].y }
func (e errPoints) YError(i int) (float64, float64) {
	lo, hi := e[i].y-e[i].lo, e[i].hi-e[i].y
	if math.IsNaN(lo) || math.IsNaN(hi) {
		return 0, 0
	}
	return max(lo, 0), max(hi, 0)
}

var _ plot.Plotter = (*hband)(nil)
