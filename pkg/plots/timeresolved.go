package plots

import (
	"fmt"
	"image/color"
	"math"

	"github.com/coarsealign/coarsealign/pkg/rsa/temporal"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// layerTimeGrid shows a temporal.Map: columns are time points, rows layers (the first at the
// bottom).
type layerTimeGrid struct{ m *temporal.Map }

func (g layerTimeGrid) Dims() (c, r int)   { return len(g.m.Times), len(g.m.Layers) }
func (g layerTimeGrid) X(c int) float64    { return g.m.Times[c] }
func (g layerTimeGrid) Y(r int) float64    { return float64(r) }
func (g layerTimeGrid) Z(c, r int) float64 { return g.m.Scores[r][c] }

// latencyXY lists the layers with a defined latency: the latency (X) of layer index y[i] (Y),
// with its CI (none where undefined).
type latencyXY struct {
	e []temporal.Estimate
	y []int
}

// defined returns the layers of e with a latency (an onset may be undefined: NaN).
func defined(e []temporal.Estimate) latencyXY {
	var xy latencyXY
	for i, x := range e {
		if !math.IsNaN(x.Value) {
			xy.e = append(xy.e, x)
			xy.y = append(xy.y, i)
		}
	}
	return xy
}

func (l latencyXY) Len() int                    { return len(l.e) }
func (l latencyXY) XY(i int) (float64, float64) { return l.e[i].Value, float64(l.y[i]) }
func (l latencyXY) XError(i int) (float64, float64) {
	e := l.e[i]
	if math.IsNaN(e.Low) || math.IsNaN(e.High) {
		return 0, 0
	}
	return e.Value - e.Low, e.High - e.Value
}

// LayerTimeMap draws a time-resolved RSA result (temporal.Analyze): on the left the layer x time
// map of scores (heatmap, layers bottom to top), with each layer's peak (filled circle, its CI
// as a horizontal bar) and onset (open triangle, with its CI); on the right the peak latencies
// and onsets against layer depth, titled with the depth-latency Spearman rho and its CI. title
// heads the map. The CSV has one row per layer and time point: the score, and the layer's peak,
// onset and their CIs.
func LayerTimeMap(title string, res *temporal.Result) (*Figure, error) {
	if res == nil || res.Map == nil || len(res.Map.Layers) == 0 || len(res.Map.Times) == 0 {
		return nil, fmt.Errorf("plots: LayerTimeMap: empty result")
	}
	m := res.Map
	L := len(m.Layers)
	if len(res.Peak) != L || len(res.Onset) != L || len(m.Scores) != L {
		return nil, fmt.Errorf("plots: LayerTimeMap: %d layers but %d peaks, %d onsets, %d score rows", L, len(res.Peak), len(res.Onset), len(m.Scores))
	}
	f := newFigure(2, vg.Inch*10, vg.Inch*4.2, "layer_index", "layer", "time", m.Metric,
		"peak", "peak_low", "peak_high", "onset", "onset_low", "onset_high")
	lo, hi := math.Inf(1), math.Inf(-1)
	for l, row := range m.Scores {
		if len(row) != len(m.Times) {
			return nil, fmt.Errorf("plots: LayerTimeMap: layer %q has %d scores for %d time points", m.Layers[l], len(row), len(m.Times))
		}
		p, o := res.Peak[l], res.Onset[l]
		for t, v := range row {
			f.add(l, m.Layers[l], m.Times[t], v, p.Value, p.Low, p.High, o.Value, o.Low, o.High)
			if !math.IsNaN(v) {
				lo, hi = math.Min(lo, v), math.Max(hi, v)
			}
		}
	}
	if math.IsInf(lo, 0) {
		return nil, fmt.Errorf("plots: LayerTimeMap: every score is NaN")
	}
	if hi == lo {
		hi = lo + 1
	}
	cmap := moreland.SmoothBlueRed()
	cmap.SetMin(lo)
	cmap.SetMax(hi)
	timeLabel, latencyLabel := "time", "latency"
	if m.TimeUnit != "" {
		timeLabel, latencyLabel = "time ("+m.TimeUnit+")", "latency ("+m.TimeUnit+")"
	}
	left := newPanel(fmt.Sprintf("%s (%s, colour %.2f..%.2f)", title, m.Metric, lo, hi), timeLabel, "layer")
	h := plotter.NewHeatMap(layerTimeGrid{m}, cmap.Palette(256))
	h.Min, h.Max = lo, hi
	h.NaN = color.RGBA{0xff, 0xff, 0xff, 0xff}
	h.Rasterized = false
	left.Add(h)
	ink := color.Black
	for _, mk := range []struct {
		e     []temporal.Estimate
		glyph draw.GlyphDrawer
		name  string
	}{{res.Peak, draw.CircleGlyph{}, "peak"}, {res.Onset, draw.TriangleGlyph{}, "onset"}} {
		xy := defined(mk.e)
		if xy.Len() == 0 {
			continue
		}
		pts, err := plotter.NewScatter(xy)
		if err != nil {
			return nil, fmt.Errorf("plots: LayerTimeMap: %w", err)
		}
		pts.Shape, pts.Color, pts.Radius = mk.glyph, ink, vg.Points(3)
		left.Add(pts)
		left.Legend.Add(mk.name, pts)
		if bars, err := plotter.NewXErrorBars(xy); err == nil {
			bars.Color = ink
			left.Add(bars)
		}
	}
	left.NominalY(m.Layers...)
	left.Legend.Top = true
	left.Legend.TextStyle.Font.Size = vg.Points(8)
	f.Panels = append(f.Panels, left)

	r := res.DepthLatency
	right := newPanel(fmt.Sprintf("depth vs peak latency: rho %.2f [%.2f, %.2f]", r.Value, r.Low, r.High), latencyLabel, "layer")
	for k, mk := range []struct {
		e    []temporal.Estimate
		name string
	}{{res.Peak, "peak"}, {res.Onset, "onset"}} {
		xy := defined(mk.e)
		if xy.Len() == 0 {
			continue
		}
		c := Categorical[k%len(Categorical)]
		line, pts, err := plotter.NewLinePoints(xy)
		if err != nil {
			return nil, fmt.Errorf("plots: LayerTimeMap: %w", err)
		}
		line.Color, pts.Color, pts.Shape = c, c, draw.CircleGlyph{}
		right.Add(line, pts)
		right.Legend.Add(mk.name, line, pts)
		if bars, err := plotter.NewXErrorBars(xy); err == nil {
			bars.Color = c
			right.Add(bars)
		}
	}
	right.NominalY(m.Layers...)
	right.Y.Min, right.Y.Max = -0.5, float64(L)-0.5
	right.Legend.Top = true
	right.Legend.Left = true
	right.Legend.TextStyle.Font.Size = vg.Points(8)
	f.Panels = append(f.Panels, right)
	return f, nil
}
