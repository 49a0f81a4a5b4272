package plots

import (
	"fmt"
	"math"

	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Profile is one model's alignment per layer.
type Profile struct {
	// Label names the model in the legend.
	Label string
	Kind  Kind
	K     int
	// Layers are the layer names, in network order; Value/Low/High have the same length
	// (Low/High NaN: no band).
	Layers           []string
	Value, Low, High []float64
}

// LayerProfiles draws alignment vs layer, one line per model (coloured like AlignmentVsK) with a
// faint CI band. All profiles must list the same layers. The CSV has one row per point.
func LayerProfiles(title, ylabel string, profiles ...Profile) (*Figure, error) {
	if len(profiles) == 0 {
		return nil, fmt.Errorf("plots: LayerProfiles: no profiles")
	}
	layers := profiles[0].Layers
	f := newFigure(1, vg.Inch*6.5, vg.Inch*3.8, "model", "kind", "k", "layer_index", "layer", "value", "ci_low", "ci_high")
	p := newPanel(title, "layer", ylabel)
	for _, pr := range profiles {
		if len(pr.Layers) != len(layers) || len(pr.Value) != len(layers) || len(pr.Low) != len(layers) || len(pr.High) != len(layers) {
			return nil, fmt.Errorf("plots: LayerProfiles: profile %q has %d layers/%d values, want %d", pr.Label, len(pr.Layers), len(pr.Value), len(layers))
		}
		for i := range layers {
			if pr.Layers[i] != layers[i] {
				return nil, fmt.Errorf("plots: LayerProfiles: profile %q layer %d is %q, want %q", pr.Label, i, pr.Layers[i], layers[i])
			}
		}
		c := colorFor(pr.Kind, pr.K, Blues)
		var xy plotter.XYs
		band := &ciBand{Fill: withAlphaColor(c, 0x30)}
		for i, v := range pr.Value {
			f.add(pr.Label, pr.Kind.String(), pr.K, i, layers[i], v, pr.Low[i], pr.High[i])
			if math.IsNaN(v) {
				continue
			}
			xy = append(xy, plotter.XY{X: float64(i), Y: v})
			band.X = append(band.X, float64(i))
			band.Low = append(band.Low, pr.Low[i])
			band.High = append(band.High, pr.High[i])
		}
		if len(xy) == 0 {
			continue
		}
		p.Add(band)
		l, pts, err := plotter.NewLinePoints(xy)
		if err != nil {
			return nil, fmt.Errorf("plots: LayerProfiles %q: %w", pr.Label, err)
		}
		l.Color, l.Width = c, vg.Points(1.5)
		pts.Color, pts.Radius, pts.Shape = c, vg.Points(2.2), draw.CircleGlyph{}
		p.Add(l, pts)
		p.Legend.Add(pr.Label, l, pts)
	}
	p.NominalX(layers...)
	p.X.Tick.Label.Rotation = math.Pi / 6
	p.X.Tick.Label.XAlign = draw.XRight
	p.Legend.Top = true
	p.Legend.Left = true
	p.Legend.TextStyle.Font.Size = vg.Points(8)
	f.Panels = append(f.Panels, p)
	return f, nil
}
