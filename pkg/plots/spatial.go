package plots

import (
	"fmt"
	"image/color"
	"math"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/coarsealign/coarsealign/pkg/spatial"
)

// firstSeen returns the distinct values of key over rows in order of first appearance.
func firstSeen[T any](rows []T, key func(T) string) []string {
	var out []string
	for _, r := range rows {
		if k := key(r); !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	return out
}

func layerAxis(p *plot.Plot, layers []string) {
	p.NominalX(layers...)
	p.X.Tick.Label.Rotation = math.Pi / 6
	p.X.Tick.Label.XAlign = draw.XRight
}

// SpatialDecoding draws the decoding scores of spatial.Decode: one panel per latent (R^2, or
// accuracy for the category), score vs layer, one line per model; the axes span [-0.5, 1] at most. The CSV has one row per
// model, layer and latent.
func SpatialDecoding(rows []spatial.DecodeRow) (*Figure, error) {
	if len(rows) == 0 {
		return nil, fmt.Errorf("plots: SpatialDecoding: no rows")
	}
	latents := firstSeen(rows, func(r spatial.DecodeRow) string { return r.Latent })
	models := firstSeen(rows, func(r spatial.DecodeRow) string { return r.Model })
	layers := firstSeen(rows, func(r spatial.DecodeRow) string { return r.Layer })
	cols := 5
	nr := (len(latents) + cols - 1) / cols
	f := newFigure(cols, vg.Inch*3*vg.Length(cols), vg.Inch*2.8*vg.Length(nr), "model", "layer", "latent", "metric", "value")
	for _, r := range rows {
		f.add(r.Model, r.Layer, r.Latent, r.Metric, r.Value)
	}
	for li, lat := range latents {
		metric := ""
		p := newPanel(lat, "", "")
		for mi, m := range models {
			var xy plotter.XYs
			for _, r := range rows {
				if r.Latent == lat && r.Model == m && !math.IsNaN(r.Value) {
					metric = r.Metric
					xy = append(xy, plotter.XY{X: float64(slices.Index(layers, r.Layer)), Y: r.Value})
				}
			}
			if len(xy) == 0 {
				continue
			}
			l, err := plotter.NewLine(xy)
			if err != nil {
				return nil, err
			}
			l.Color, l.Width = plotutil.Color(mi), vg.Points(1.2)
			l.Dashes = plotutil.Dashes(mi / 7)
			p.Add(l)
			if li == 0 {
				p.Legend.Add(m, l)
			}
		}
		p.Y.Label.Text = metric
		// R^2 below -0.5 (ridge predictions worse than the mean) is clipped; the CSV holds it.
		p.Y.Min, p.Y.Max = math.Max(p.Y.Min, -0.5), 1
		layerAxis(p, layers)
		p.Legend.Top, p.Legend.Left = true, true
		p.Legend.TextStyle.Font.Size = vg.Points(6)
		f.Panels = append(f.Panels, p)
	}
	return f, nil
}

// matrixGrid is a square heat map; row 0 at the top.
type matrixGrid struct {
	n int
	v []float64 // n x n, v[r*n+c].
}

func (g matrixGrid) Dims() (c, r int)   { return g.n, g.n }
func (g matrixGrid) X(c int) float64    { return float64(c) }
func (g matrixGrid) Y(r int) float64    { return float64(r) }
func (g matrixGrid) Z(c, r int) float64 { return g.v[(g.n-1-r)*g.n+c] }

// heatPanel draws an n x n matrix (values in [0, 1], NaN white) with labels and the values written.
func heatPanel(title string, labels []string, v []float64) *plot.Plot {
	n := len(labels)
	cmap := moreland.SmoothBlueRed()
	cmap.SetMin(0)
	cmap.SetMax(1)
	p := newPanel(title, "", "")
	h := plotter.NewHeatMap(matrixGrid{n: n, v: v}, cmap.Palette(256))
	h.Min, h.Max = 0, 1
	h.NaN = color.RGBA{0xff, 0xff, 0xff, 0xff}
	h.Rasterized = false
	p.Add(h)
	var lab plotter.XYLabels
	for r := range n {
		for c := range n {
			if x := v[r*n+c]; !math.IsNaN(x) {
				lab.XYs = append(lab.XYs, plotter.XY{X: float64(c), Y: float64(n - 1 - r)})
				lab.Labels = append(lab.Labels, fmt.Sprintf("%.2f", x))
			}
		}
	}
	if l, err := plotter.NewLabels(lab); err == nil {
		for i := range l.TextStyle {
			l.TextStyle[i].Font.Size = vg.Points(5)
			l.TextStyle[i].XAlign, l.TextStyle[i].YAlign = draw.XCenter, draw.YCenter
		}
		p.Add(l)
	}
	rev := slices.Clone(labels)
	slices.Reverse(rev)
	p.NominalX(labels...)
	p.NominalY(rev...)
	p.X.Tick.Label.Rotation = math.Pi / 4
	p.X.Tick.Label.XAlign = draw.XRight
	p.X.Tick.Label.Font.Size = vg.Points(6)
	p.Y.Tick.Label.Font.Size = vg.Points(6)
	return p
}

// SpatialCKA draws model x model CKA matrices, one panel per layer (matched depth), from
// spatial.CKAPairs rows (a < b; the matrix is symmetric with 1 on the diagonal). The CSV has
// one row per model pair and layer: model_a, model_b, layer, cka.
func SpatialCKA(title string, rows []spatial.CKARow) (*Figure, error) {
	if len(rows) == 0 {
		return nil, fmt.Errorf("plots: SpatialCKA: no rows")
	}
	var models []string
	for _, r := range rows {
		for _, m := range []string{r.ModelA, r.ModelB} {
			if !slices.Contains(models, m) {
				models = append(models, m)
			}
		}
	}
	layers := firstSeen(rows, func(r spatial.CKARow) string { return r.Layer })
	n := len(models)
	cols := min(len(layers), 4)
	nr := (len(layers) + cols - 1) / cols
	side := vg.Inch * (1.5 + 0.28*vg.Length(n))
	f := newFigure(cols, side*vg.Length(cols), side*vg.Length(nr), "model_a", "model_b", "layer", "cka")
	for _, r := range rows {
		f.add(r.ModelA, r.ModelB, r.Layer, r.CKA)
	}
	for _, ln := range layers {
		v := make([]float64, n*n)
		for i := range v {
			v[i] = math.NaN()
		}
		for i := range n {
			v[i*n+i] = 1
		}
		for _, r := range rows {
			if r.Layer != ln {
				continue
			}
			a, b := slices.Index(models, r.ModelA), slices.Index(models, r.ModelB)
			v[a*n+b], v[b*n+a] = r.CKA, r.CKA
		}
		f.Panels = append(f.Panels, heatPanel(title+": "+ln, models, v))
	}
	return f, nil
}

// SpatialCKALayers draws the layer x layer CKA of two models (spatial.CKALayers rows): row i,
// column j is layer i of model A against layer j of model B. The CSV has one row per cell:
// model_a, model_b, layer_a, layer_b, cka.
func SpatialCKALayers(title string, rows []spatial.CKARow) (*Figure, error) {
	if len(rows) == 0 {
		return nil, fmt.Errorf("plots: SpatialCKALayers: no rows")
	}
	layers := firstSeen(rows, func(r spatial.CKARow) string { return r.Layer })
	n := len(layers)
	if len(rows) != n*n {
		return nil, fmt.Errorf("plots: SpatialCKALayers: %d rows for %d layers", len(rows), n)
	}
	f := newFigure(1, vg.Inch*4.5, vg.Inch*4.5, "model_a", "model_b", "layer_a", "layer_b", "cka")
	v := make([]float64, n*n)
	for _, r := range rows {
		f.add(r.ModelA, r.ModelB, r.Layer, r.LayerB, r.CKA)
		v[slices.Index(layers, r.Layer)*n+slices.Index(layers, r.LayerB)] = r.CKA
	}
	p := heatPanel(fmt.Sprintf("%s: rows %s, columns %s", title, rows[0].ModelA, rows[0].ModelB), layers, v)
	f.Panels = append(f.Panels, p)
	return f, nil
}

// SpatialAlignment draws the 92-image alignment of every model (spatial.Align and
// spatial.CIFARAlign rows of one metric): one panel per target, a bar per model at its
// selected layer with the CI over splits, the target's noise ceiling as a grey band. The CSV has
// one row per bar.
func SpatialAlignment(rows []spatial.AlignRow, metric string) (*Figure, error) {
	var sel []spatial.AlignRow
	for _, r := range rows {
		if r.Metric == metric {
			sel = append(sel, r)
		}
	}
	if len(sel) == 0 {
		return nil, fmt.Errorf("plots: SpatialAlignment: no rows of metric %q", metric)
	}
	targets := firstSeen(sel, func(r spatial.AlignRow) string { return r.Target })
	models := firstSeen(sel, func(r spatial.AlignRow) string { return r.Model })
	w := vg.Inch * (1.2 + 0.32*vg.Length(len(models)))
	f := newFigure(len(targets), w*vg.Length(len(targets)), vg.Inch*3.8, "model", "target", "metric", "layer", "value", "ci_low", "ci_high", "ceil_low", "ceil_high", "note")
	for _, t := range targets {
		b := &bars{Width: 0.7}
		lo, hi := math.NaN(), math.NaN()
		for _, m := range models {
			v, l, h := math.NaN(), math.NaN(), math.NaN()
			for _, r := range sel {
				if r.Model == m && r.Target == t {
					v, l, h = r.Value, r.CILow, r.CIHigh
					lo, hi = r.CeilLow, r.CeilHigh
					f.add(r.Model, r.Target, r.Metric, r.Layer, r.Value, r.CILow, r.CIHigh, r.CeilLow, r.CeilHigh, r.Note)
				}
			}
			c := color.Color(color.RGBA{0x4c, 0x72, 0xb0, 0xff})
			switch {
			case len(m) >= 5 && m[:5] == "cifar":
				c = color.RGBA{0xdd, 0x84, 0x52, 0xff}
			case m == "untrained":
				c = color.RGBA{0x99, 0x99, 0x99, 0xff}
			case m == "category" || m == "category-fixed":
				c = color.RGBA{0x55, 0xa8, 0x68, 0xff}
			}
			b.Y, b.Low, b.High = append(b.Y, v), append(b.Low, l), append(b.High, h)
			b.Colors = append(b.Colors, c)
			b.Hatch = append(b.Hatch, len(m) > 6 && m[len(m)-6:] == "-fixed")
		}
		p := newPanel(t, "", metric)
		if !math.IsNaN(lo) && !math.IsNaN(hi) {
			p.Add(&hband{Lo: lo, Hi: hi, Mid: math.NaN(), Fill: color.RGBA{0xcc, 0xcc, 0xcc, 0x90}})
		}
		p.Add(b)
		p.NominalX(models...)
		p.X.Tick.Label.Rotation = math.Pi / 4
		p.X.Tick.Label.XAlign = draw.XRight
		f.Panels = append(f.Panels, p)
	}
	return f, nil
}

// SpatialFigures builds every figure of a spatial-latent study's results, by file name:
// spatial_decoding, spatial_cka_<set> (spatial.CKASets), spatial_cka_layers and
// spatial_alignment (Spearman). Names are returned in this order.
func SpatialFigures(r *spatial.Results) ([]string, map[string]*Figure, error) {
	out := map[string]*Figure{}
	var names []string
	add := func(name string, f *Figure, err error) error {
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		names = append(names, name)
		out[name] = f
		return nil
	}
	f, err := SpatialDecoding(r.Decode)
	if err := add("spatial_decoding", f, err); err != nil {
		return nil, nil, err
	}
	for _, s := range spatial.CKASets {
		f, err := SpatialCKA("CKA "+s+" (unbiased)", r.CKA[s])
		if err := add("spatial_cka_"+s, f, err); err != nil {
			return nil, nil, err
		}
	}
	f, err = SpatialCKALayers("linear CKA, probe renders", r.CKALayers)
	if err := add("spatial_cka_layers", f, err); err != nil {
		return nil, nil, err
	}
	f, err = SpatialAlignment(r.Align, "spearman")
	if err := add("spatial_alignment", f, err); err != nil {
		return nil, nil, err
	}
	return names, out, nil
}
