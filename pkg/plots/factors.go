package plots

import (
	"fmt"
	"math"
	"slices"
	"sort"

	"github.com/coarsealign/coarsealign/pkg/chronology"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// obsXY is observations along an x value, with their subsample CIs.
type obsXY struct {
	x []float64
	e []chronology.Estimate
}

func (o obsXY) Len() int                    { return len(o.x) }
func (o obsXY) XY(i int) (float64, float64) { return o.x[i], o.e[i].Value }
func (o obsXY) YError(i int) (float64, float64) {
	if math.IsNaN(o.e[i].Low) {
		return 0, 0
	}
	return o.e[i].Value - o.e[i].Low, o.e[i].High - o.e[i].Value
}

// meanOverSeeds averages the observations of one cell (the same settings, several seeds).
func meanOverSeeds(obs []chronology.Obs) chronology.Obs {
	m := obs[0]
	m.Draws = slices.Clone(m.Draws)
	for _, o := range obs[1:] {
		m.Value += o.Value
		for d := range m.Draws {
			m.Draws[d] += o.Draws[d]
		}
	}
	m.Value /= float64(len(obs))
	for d := range m.Draws {
		m.Draws[d] /= float64(len(obs))
	}
	return m
}

// FactorsFigure draws the alignment of every trained network with each target (rows: targets)
// against model size (left: log2 parameters, one line per domain and images per class) and
// against training amount (right: log2 images per class, one line per domain and width),
// domains told apart by the line style (solid: the first), error bars the 95% intervals over
// stimulus subsamples (seeds averaged). The CSV has one row per network and target: target,
// width, params, per_class, epochs, domain, seed, the selected layer, the score and its CI.
func FactorsFigure(obs []chronology.Obs, metric string) (*Figure, error) {
	if len(obs) == 0 {
		return nil, fmt.Errorf("plots: FactorsFigure: no observation")
	}
	var targets, domains []string
	for _, o := range obs {
		if !slices.Contains(targets, o.Target) {
			targets = append(targets, o.Target)
		}
		if !slices.Contains(domains, o.Domain) {
			domains = append(domains, o.Domain)
		}
	}
	f := newFigure(2, vg.Inch*11, vg.Inch*3.4*vg.Length(len(targets)), "target", "width", "params", "per_class", "epochs", "domain",
		"seed", "layer", "metric", "value", "ci_low", "ci_high")
	for _, o := range obs {
		e := chronology.CellEstimate(o)
		f.add(o.Target, o.Width, o.Params, o.PerClass, o.Epochs, o.Domain, o.Seed, o.Layer, metric, e.Value, e.Low, e.High)
	}
	dashes := [][]vg.Length{nil, {vg.Points(5), vg.Points(3)}, {vg.Points(1.5), vg.Points(2)}}
	for _, t := range targets {
		for side, key := range []string{"per_class", "width"} {
			xl := "model size: log2(trainable parameters)"
			if side == 1 {
				xl = "training amount: log2(images per class)"
			}
			p := newPanel(fmt.Sprintf("%s: %s vs %s", t, metric, map[int]string{0: "size", 1: "amount"}[side]), xl, metric+" (selected layer)")
			type lineKey struct {
				domain string
				v      float64
			}
			cells := map[lineKey]map[float64][]chronology.Obs{}
			var keys []lineKey
			for _, o := range obs {
				if o.Target != t {
					continue
				}
				k := lineKey{o.Domain, float64(o.PerClass)}
				x := math.Log2(float64(o.Params))
				if key == "width" {
					k.v, x = o.Width, math.Log2(float64(o.PerClass))
				}
				if cells[k] == nil {
					cells[k] = map[float64][]chronology.Obs{}
					keys = append(keys, k)
				}
				cells[k][x] = append(cells[k][x], o)
			}
			sort.SliceStable(keys, func(a, b int) bool {
				if keys[a].domain != keys[b].domain {
					return slices.Index(domains, keys[a].domain) < slices.Index(domains, keys[b].domain)
				}
				return keys[a].v < keys[b].v
			})
			vals := []float64{}
			for _, k := range keys {
				if !slices.Contains(vals, k.v) {
					vals = append(vals, k.v)
				}
			}
			slices.Sort(vals)
			for _, k := range keys {
				var xy obsXY
				for x := range cells[k] {
					xy.x = append(xy.x, x)
				}
				slices.Sort(xy.x)
				for _, x := range xy.x {
					xy.e = append(xy.e, chronology.CellEstimate(meanOverSeeds(cells[k][x])))
				}
				col := ramp(Blues, 0.35+0.65*float64(slices.Index(vals, k.v))/math.Max(1, float64(len(vals)-1)))
				line, pts, err := plotter.NewLinePoints(xy)
				if err != nil {
					continue
				}
				line.Color, pts.Color = col, col
				line.Dashes = dashes[slices.Index(domains, k.domain)%len(dashes)]
				pts.Shape = draw.CircleGlyph{}
				p.Add(line, pts)
				if bars, err := plotter.NewYErrorBars(xy); err == nil {
					bars.Color = col
					p.Add(bars)
				}
				label := fmt.Sprintf("%s, %g per class", k.domain, k.v)
				if key == "width" {
					label = fmt.Sprintf("%s, width %g", k.domain, k.v)
				}
				p.Legend.Add(label, line)
			}
			p.Legend.Top = true
			p.Legend.TextStyle.Font.Size = vg.Points(7)
			f.Panels = append(f.Panels, p)
		}
	}
	return f, nil
}

// coefXY is coefficients along the x axis (one per term), with CIs.
type coefXY = obsXY

// FactorsModel draws the least-squares model alignment ~ log2(params) + log2(images per class)
// + domain (chronology.Model) and the factor effects (chronology.Effects) per target: left the
// model's slopes and domain offsets, right the effects, with their 95% bootstrap intervals over
// stimuli and seeds. The CSV is the table: one row per target and term or effect.
func FactorsModel(coefs []chronology.Coef, effects []chronology.Effect, metric string) (*Figure, error) {
	if len(coefs) == 0 {
		return nil, fmt.Errorf("plots: FactorsModel: no coefficient")
	}
	f := newFigure(2, vg.Inch*12, vg.Inch*4.4, "kind", "target", "term", "from", "to", "cells", "metric", "value", "ci_low", "ci_high")
	var targets, terms, factors []string
	for _, c := range coefs {
		f.add("model", c.Target, c.Term, "", "", "", metric, c.Value, c.Low, c.High)
		if !slices.Contains(targets, c.Target) {
			targets = append(targets, c.Target)
		}
		if c.Term != "intercept" && c.Term != "R2" && !slices.Contains(terms, c.Term) {
			terms = append(terms, c.Term)
		}
	}
	for _, e := range effects {
		f.add("effect", e.Target, e.Factor, e.From, e.To, e.Cells, metric, e.Value, e.Low, e.High)
		if !slices.Contains(factors, e.Factor) {
			factors = append(factors, e.Factor)
		}
	}
	left := newPanel("alignment ~ log2(params) + log2(images/class) + domain", "term", "coefficient ("+metric+" per doubling / offset)")
	right := newPanel("effect of each factor (highest minus lowest level)", "factor", "difference in "+metric)
	for side, p := range []struct {
		names []string
		get   func(t, name string) (chronology.Estimate, bool)
	}{
		{terms, func(t, name string) (chronology.Estimate, bool) {
			for _, c := range coefs {
				if c.Target == t && c.Term == name {
					return c.Estimate, true
				}
			}
			return chronology.Estimate{}, false
		}},
		{factors, func(t, name string) (chronology.Estimate, bool) {
			for _, e := range effects {
				if e.Target == t && e.Factor == name {
					return e.Estimate, true
				}
			}
			return chronology.Estimate{}, false
		}},
	} {
		panel := []*plot.Plot{left, right}[side]
		for ti, t := range targets {
			var xy coefXY
			for i, name := range p.names {
				if e, ok := p.get(t, name); ok {
					xy.x = append(xy.x, float64(i)+0.15*float64(ti)-0.15*float64(len(targets)-1)/2)
					xy.e = append(xy.e, e)
				}
			}
			if xy.Len() == 0 {
				continue
			}
			pts, err := plotter.NewScatter(xy)
			if err != nil {
				continue
			}
			pts.Color, pts.Radius = categorical(ti), vg.Points(3.5)
			panel.Add(pts)
			if bars, err := plotter.NewYErrorBars(xy); err == nil {
				bars.Color = categorical(ti)
				panel.Add(bars)
			}
			panel.Legend.Add(t, pts)
		}
		panel.NominalX(p.names...)
		zero, _ := plotter.NewLine(plotter.XYs{{X: -0.5, Y: 0}, {X: float64(len(p.names)) - 0.5, Y: 0}})
		zero.Color = ColorUntrained
		panel.Add(zero)
		panel.Legend.Top = true
		panel.Legend.TextStyle.Font.Size = vg.Points(8)
	}
	f.Panels = append(f.Panels, left, right)
	return f, nil
}
