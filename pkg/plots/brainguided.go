package plots

import (
	"fmt"
	"image/color"
	"math"
	"slices"
	"strconv"

	bgresult "github.com/coarsealign/coarsealign/pkg/brainguided/result"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// BrainGuided draws a brain-guided training study (pkg/brainguided): four panels against the
// alignment weight beta (the starting model first, then each beta; the permuted-target control
// beside its beta, hollow): human IT on held-out stimuli (held-out subject with its noise-ceiling
// band, and the trained subjects), transfer to macaque IT and behaviour on held-out stimuli, the
// fit on training stimuli, and CIFAR-10 test accuracy. Small dots are splits; large markers
// their mean with a 95% t interval. The CSV has one row per split value and per mean
// (split "mean", with ci_low/ci_high).
func BrainGuided(rows []bgresult.Row) (*Figure, error) {
	var betas []float64
	for _, r := range rows {
		if r.Control == bgresult.ControlNone && !slices.Contains(betas, r.Beta) {
			betas = append(betas, r.Beta)
		}
	}
	if len(betas) == 0 {
		return nil, fmt.Errorf("plots: brain-guided results without fine-tuned conditions")
	}
	slices.Sort(betas)
	xOf := func(r bgresult.Row) float64 {
		if r.Control == bgresult.ControlStart {
			return 0
		}
		x := float64(1 + slices.Index(betas, r.Beta))
		if r.Control == bgresult.ControlPermuted {
			x += 0.3
		}
		return x
	}
	f := newFigure(2, 26*vg.Centimeter, 20*vg.Centimeter, "panel", "beta", "split", "control", "target", "stimuli", "metric", "value", "ci_low", "ci_high")
	type series struct {
		target, stimuli string
		label           string
		color           color.RGBA
		offset          float64
	}
	panel := func(title, ylabel string, ss []series, ceiling bool) (*plot.Plot, error) {
		p := newPanel(title, "alignment weight beta", ylabel)
		ticks := []plot.Tick{{Value: 0, Label: "start"}}
		for i, b := range betas {
			ticks = append(ticks, plot.Tick{Value: float64(i + 1), Label: strconv.FormatFloat(b, 'g', 4, 64)})
		}
		p.X.Tick.Marker = plot.ConstantTicks(ticks)
		p.X.Min, p.X.Max = -0.5, float64(len(betas))+0.7
		if ceiling {
			var lo, hi []float64
			for _, r := range rows {
				switch r.Control {
				case bgresult.CeilingLower:
					lo = append(lo, r.Value)
					f.add(title, "", r.Split, r.Control, r.Target, r.Stimuli, r.Metric, r.Value, "", "")
				case bgresult.CeilingUpper:
					hi = append(hi, r.Value)
					f.add(title, "", r.Split, r.Control, r.Target, r.Stimuli, r.Metric, r.Value, "", "")
				}
			}
			if len(lo) > 0 && len(hi) > 0 {
				l, _, _ := bgresult.MeanCI(lo)
				h, _, _ := bgresult.MeanCI(hi)
				p.Add(&hband{Lo: l, Hi: h, Mid: math.NaN(), Fill: color.NRGBA{0x99, 0x99, 0x99, 0x50}})
				f.add(title, "", "mean", "noise-ceiling", bgresult.TargetHeldOut, "test", "spearman", l, "", h)
			}
		}
		for si, s := range ss {
			for _, control := range []string{bgresult.ControlStart, bgresult.ControlNone, bgresult.ControlPermuted} {
				byX := map[float64][]float64{}
				var xs []float64
				var dots plotter.XYs
				beta := map[float64]float64{}
				for _, r := range rows {
					if r.Control != control || r.Target != s.target || r.Stimuli != s.stimuli {
						continue
					}
					x := xOf(r) + s.offset
					if _, ok := byX[x]; !ok {
						xs = append(xs, x)
					}
					byX[x] = append(byX[x], r.Value)
					beta[x] = r.Beta
					dots = append(dots, plotter.XY{X: x, Y: r.Value})
					f.add(title, r.Beta, r.Split, control, s.target, s.stimuli, r.Metric, r.Value, "", "")
				}
				if len(xs) == 0 {
					continue
				}
				slices.Sort(xs)
				d, err := plotter.NewScatter(dots)
				if err != nil {
					return nil, err
				}
				d.GlyphStyle = draw.GlyphStyle{Color: withAlpha(s.color, 0x70), Radius: vg.Points(1.6), Shape: draw.CircleGlyph{}}
				p.Add(d)
				var means plotter.XYs
				var errs plotter.YErrors
				for _, x := range xs {
					m, lo, hi := bgresult.MeanCI(byX[x])
					means = append(means, plotter.XY{X: x, Y: m})
					if math.IsNaN(lo) {
						lo, hi = m, m
					}
					errs = append(errs, struct{ Low, High float64 }{m - lo, hi - m})
					f.add(title, beta[x], "mean", control, s.target, s.stimuli, "", m, lo, hi)
				}
				eb := &plotter.YErrorBars{XYs: means, YErrors: errs, LineStyle: draw.LineStyle{Color: s.color, Width: vg.Points(1.2)}, CapWidth: vg.Points(5)}
				p.Add(eb)
				glyph := draw.GlyphStyle{Color: s.color, Radius: vg.Points(4), Shape: draw.CircleGlyph{}}
				if control == bgresult.ControlPermuted {
					glyph.Shape = draw.RingGlyph{}
				}
				if control == bgresult.ControlStart {
					glyph.Shape = draw.BoxGlyph{}
				}
				sc, err := plotter.NewScatter(means)
				if err != nil {
					return nil, err
				}
				sc.GlyphStyle = glyph
				p.Add(sc)
				if control == bgresult.ControlNone {
					l, err := plotter.NewLine(means)
					if err != nil {
						return nil, err
					}
					l.LineStyle = draw.LineStyle{Color: s.color, Width: vg.Points(1.5)}
					p.Add(l)
					p.Legend.Add(s.label, l, sc)
				}
				if control == bgresult.ControlPermuted && si == 0 {
					p.Legend.Add("permuted target (hollow)", sc)
				}
			}
		}
		p.Legend.Top = true
		p.Legend.TextStyle.Font.Size = vg.Points(9)
		return p, nil
	}
	specs := []struct {
		title, ylabel string
		ss            []series
		ceiling       bool
	}{
		{"Human IT, held-out stimuli", "RSA (Spearman)", []series{
			{bgresult.TargetHeldOut, "test", "held-out subject", categorical(0), 0},
			{bgresult.TargetTrained, "test", "trained subjects", categorical(1), 0.1}}, true},
		{"Transfer, held-out stimuli", "RSA (Spearman)", []series{
			{bgresult.TargetMIT, "test", "macaque IT", categorical(2), 0},
			{bgresult.TargetBehav, "test", "similarity judgements", categorical(3), 0.1}}, false},
		{"Fit, training stimuli", "RSA (Spearman)", []series{
			{bgresult.TargetTrained, "train", "trained subjects", categorical(1), 0},
			{bgresult.TargetHeldOut, "train", "held-out subject", categorical(0), 0.1}}, false},
		{"Task cost", "CIFAR-10 test accuracy", []series{
			{bgresult.TargetAccuracy, "cifar10-test", "accuracy", categorical(4), 0}}, false},
	}
	for _, s := range specs {
		p, err := panel(s.title, s.ylabel, s.ss, s.ceiling)
		if err != nil {
			return nil, err
		}
		f.Panels = append(f.Panels, p)
	}
	return f, nil
}
