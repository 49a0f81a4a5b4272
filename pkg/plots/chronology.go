package plots

import (
	"fmt"
	"math"
	"strconv"

	"github.com/coarsealign/coarsealign/pkg/chronology"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// ChronologyRun is one run's chronology for the chronology figures: its label ("seed 1"),
// its settings for the CSV and its curves.
type ChronologyRun struct {
	Label    string
	Width    float64
	Params   int
	PerClass int
	Domain   string
	Curves   *chronology.Curves
}

// logStep maps a training step to the figures' x axis, log2(1 + step), so that step 0 (the
// initialisation) is drawn.
func logStep(s int) float64 { return math.Log2(1 + float64(s)) }

// stepTicks labels the log2(1+step) axis with the steps 0, 1, 3, 7, 15, ... as integers.
type stepTicks struct{}

func (stepTicks) Ticks(min, max float64) []plot.Tick {
	var t []plot.Tick
	for e := 0.0; e <= max+1e-9; e++ {
		if e >= min-1e-9 {
			t = append(t, plot.Tick{Value: e, Label: strconv.Itoa(int(math.Round(math.Exp2(e) - 1)))})
		}
	}
	return t
}

// ChronologyCurves draws alignment against training step (log axis, step 0 = initialisation),
// one panel per target in processing order: the best layer's score at each step (the maximum
// over layers) of every run (thin lines) and of their pool (thick, with the 95% band over
// stimulus subsamples), and the pool's half-life (dashed vertical line). The CSV has one row per
// run (and "pool"), target and step: the score with its CI, the best layer's relative depth
// with its CI, the half-life, and the columns target, step, width, params, per_class, domain.
func ChronologyCurves(runs []ChronologyRun, pool *chronology.Curves) (*Figure, error) {
	if len(runs) == 0 || pool == nil {
		return nil, fmt.Errorf("plots: ChronologyCurves: no run")
	}
	nt := len(pool.Targets)
	f := newFigure(3, vg.Inch*12, vg.Inch*3.3*vg.Length(math.Ceil(float64(nt)/3)), "run", "target", "level", "step", "width", "params",
		"per_class", "domain", "metric", "score", "ci_low", "ci_high", "best_depth", "depth_low", "depth_high", "half_life", "half_life_low", "half_life_high")
	pooled := pool.Analyze()
	per := make([][]chronology.TargetChronology, len(runs))
	for i, r := range runs {
		per[i] = r.Curves.Analyze()
	}
	r0 := runs[0]
	for t := range nt {
		tc := pooled[t]
		title := tc.Target.Name
		if tc.Target.Level == chronology.LevelImage {
			title += " (image model, not brain data)"
		}
		p := newPanel(title, "training step (log scale; 0 = initialisation)", pool.Metric+" (best layer)")
		p.X.Tick.Marker = stepTicks{}
		xs := make([]float64, len(pool.Steps))
		for s, st := range pool.Steps {
			xs[s] = logStep(st)
		}
		for i, r := range runs {
			rt := per[i][t]
			xy := make(plotter.XYs, 0, len(xs))
			for s := range xs {
				if !math.IsNaN(rt.Score[s].Value) {
					xy = append(xy, plotter.XY{X: xs[s], Y: rt.Score[s].Value})
				}
				f.add(r.Label, rt.Target.Name, rt.Target.Level, r.Curves.Steps[s], r.Width, r.Params, r.PerClass, r.Domain, pool.Metric,
					rt.Score[s].Value, rt.Score[s].Low, rt.Score[s].High, rt.Depth[s].Value, rt.Depth[s].Low, rt.Depth[s].High,
					rt.HalfLife.Value, rt.HalfLife.Low, rt.HalfLife.High)
			}
			if l, err := plotter.NewLine(xy); err == nil {
				l.Color = withAlphaColor(categorical(i), 0x99)
				l.Width = vg.Points(1)
				p.Add(l)
				if t == 0 {
					p.Legend.Add(r.Label, l)
				}
			}
		}
		lo, hi, mid := make([]float64, len(xs)), make([]float64, len(xs)), make(plotter.XYs, 0, len(xs))
		for s := range xs {
			e := tc.Score[s]
			lo[s], hi[s] = e.Low, e.High
			if !math.IsNaN(e.Value) {
				mid = append(mid, plotter.XY{X: xs[s], Y: e.Value})
			}
			f.add("pool", tc.Target.Name, tc.Target.Level, pool.Steps[s], r0.Width, r0.Params, r0.PerClass, r0.Domain, pool.Metric,
				e.Value, e.Low, e.High, tc.Depth[s].Value, tc.Depth[s].Low, tc.Depth[s].High, tc.HalfLife.Value, tc.HalfLife.Low, tc.HalfLife.High)
		}
		p.Add(&ciBand{X: xs, Low: lo, High: hi, Fill: withAlpha(ColorUntrained, 0x66)})
		if l, err := plotter.NewLine(mid); err == nil {
			l.Width = vg.Points(2.2)
			p.Add(l)
			if t == 0 {
				p.Legend.Add(fmt.Sprintf("%d runs pooled: best layer of the mean profile (95%% CI)", len(runs)), l)
			}
		}
		if h := tc.HalfLife.Value; !math.IsNaN(h) {
			ymin, ymax := lineRange(mid)
			v, _ := plotter.NewLine(plotter.XYs{{X: logStep0(h), Y: ymin}, {X: logStep0(h), Y: ymax}})
			v.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
			p.Add(v)
			p.Title.Text += fmt.Sprintf("\nhalf-life %.0f steps [%.0f, %.0f]", h, tc.HalfLife.Low, tc.HalfLife.High)
		} else {
			p.Title.Text += "\nno half-life (no gain over step 0)"
		}
		p.Legend.Top, p.Legend.Left = true, true
		p.Legend.TextStyle.Font.Size = vg.Points(8)
		f.Panels = append(f.Panels, p)
	}
	return f, nil
}

func logStep0(s float64) float64 { return math.Log2(1 + s) }

func lineRange(xy plotter.XYs) (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, p := range xy {
		lo, hi = math.Min(lo, p.Y), math.Max(hi, p.Y)
	}
	if math.IsInf(lo, 0) {
		return 0, 1
	}
	return lo, hi
}

// halfLifeXY is the targets' half-lives against level (jittered within a level), with CIs.
type halfLifeXY struct {
	x []float64
	e []chronology.Estimate
}

func (h halfLifeXY) Len() int                    { return len(h.x) }
func (h halfLifeXY) XY(i int) (float64, float64) { return h.x[i], h.e[i].Value }
func (h halfLifeXY) YError(i int) (float64, float64) {
	if math.IsNaN(h.e[i].Low) {
		return 0, 0
	}
	return h.e[i].Value - h.e[i].Low, h.e[i].High - h.e[i].Value
}

// ChronologySummary draws, for the pooled curves, the half-life of every target against its
// processing level (image models, macaque IT, human IT, human judgements), titled with the
// level-half-life Spearman rho and its CI (the study's claim: positive), and the relative
// depth of the best layer (0 = first, 1 = last) against step per target. The CSV has one row
// per target and step: level, half-life with CI and defined fraction, depth with CI, rho.
func ChronologySummary(pool *chronology.Curves) (*Figure, error) {
	if pool == nil {
		return nil, fmt.Errorf("plots: ChronologySummary: no curves")
	}
	res := pool.Analyze()
	trend := pool.LevelTrend()
	f := newFigure(2, vg.Inch*11, vg.Inch*4.2, "target", "level", "level_name", "step", "half_life", "half_life_low", "half_life_high",
		"half_life_defined", "best_depth", "depth_low", "depth_high", "level_rho", "level_rho_low", "level_rho_high")
	left := newPanel(fmt.Sprintf("half-life vs target level\nSpearman rho %.2f [%.2f, %.2f]", trend.Value, trend.Low, trend.High),
		"target level (1 image models, 2 macaque IT, 3 human IT, 4 judgements)", "half-life (training steps)")
	right := newPanel("best-matching layer depth", "training step (log scale; 0 = initialisation)", "relative depth (0 first, 1 last layer)")
	right.X.Tick.Marker = stepTicks{}
	var hl halfLifeXY
	var names []string
	count := map[int]int{}
	for i, tc := range res {
		lv := tc.Target.Level
		if !math.IsNaN(tc.HalfLife.Value) {
			hl.x = append(hl.x, float64(lv)+0.12*float64(count[lv]))
			hl.e = append(hl.e, tc.HalfLife)
			names = append(names, tc.Target.Name)
		}
		count[lv]++
		xy := make(plotter.XYs, 0, len(pool.Steps))
		for s, st := range pool.Steps {
			d := tc.Depth[s]
			if !math.IsNaN(d.Value) {
				xy = append(xy, plotter.XY{X: logStep(st), Y: d.Value})
			}
			f.add(tc.Target.Name, lv, chronology.LevelName(lv), st, tc.HalfLife.Value, tc.HalfLife.Low, tc.HalfLife.High, tc.HalfLife.Defined,
				d.Value, d.Low, d.High, trend.Value, trend.Low, trend.High)
		}
		if l, err := plotter.NewLine(xy); err == nil {
			l.Color = categorical(i)
			l.Width = vg.Points(1.6)
			right.Add(l)
			right.Legend.Add(tc.Target.Name, l)
		}
	}
	if pts, err := plotter.NewScatter(hl); err == nil {
		pts.Radius = vg.Points(3.5)
		left.Add(pts)
	}
	if bars, err := plotter.NewYErrorBars(hl); err == nil {
		left.Add(bars)
	}
	for i, name := range names {
		if lb, err := plotter.NewLabels(plotter.XYLabels{XYs: plotter.XYs{{X: hl.x[i], Y: hl.e[i].Value}}, Labels: []string{"  " + name}}); err == nil {
			lb.TextStyle[0].Font.Size = vg.Points(7)
			left.Add(lb)
		}
	}
	left.X.Min, left.X.Max = 0.5, 4.8
	left.Title.Text += "\nlevel 1: image models, not brain data"
	left.Y.Min = 0
	right.Legend.Top = true
	right.Legend.TextStyle.Font.Size = vg.Points(8)
	f.Panels = append(f.Panels, left, right)
	return f, nil
}
