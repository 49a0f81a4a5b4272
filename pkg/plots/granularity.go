package plots

import (
	"fmt"
	"image/color"
	"math"
	"math/bits"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Kind says what supervision a model had.
type Kind int

const (
	// Untrained: random weights.
	Untrained Kind = iota
	// Coarse: K PCA median-split classes.
	Coarse
	// Fine: the data set's own labels.
	Fine
	// SSL: contrastive self-supervision (SimCLR, pkg/ssl), every image its own class: the fine
	// end of the axis, drawn after Fine and labelled SSLLabel.
	SSL
)

// SSLLabel is the tick label of the ssl granularity.
const SSLLabel = "instance (SSL)"

// ColorSSL is the colour of the self-supervised baseline.
var ColorSSL = color.RGBA{0x8e, 0x44, 0xad, 0xff}

func (k Kind) String() string { return [...]string{"untrained", "coarse", "fine", "ssl"}[k] }

// Bar is one model in an alignment-vs-granularity panel.
type Bar struct {
	// Label is the x tick label ("untrained", "2", ..., "fine").
	Label string
	Kind  Kind
	// K is the number of classes of a coarse model (sets the bar's shade).
	K int
	// Value is the alignment; Low and High the CI (NaN: none drawn).
	Value, Low, High float64
	// N is the number of seeds averaged (written to the CSV).
	N int
}

// GranularityPanel is one target's panel of AlignmentVsK.
type GranularityPanel struct {
	// Title names the target ("mIT", "hIT", "behaviour").
	Title string
	// YLabel, e.g. "RSA (Spearman)".
	YLabel string
	// Bars in drawing order (usually untrained, K ascending, fine).
	Bars []Bar
	// CeilingLow/High are the noise ceiling's bounds (NaN: no band).
	CeilingLow, CeilingHigh float64
	// Ramp colours the coarse bars from K=2 (light) to K=64 (dark); zero value = Blues.
	Ramp [2]color.RGBA
}

// AlignmentVsK draws one bar panel per target, in a row: coarse models as hatched bars shaded by K,
// the untrained baseline grey, the fine-label model orange, 95% CIs as capped error bars, the fine
// and untrained levels as dashed lines across the panel and the noise ceiling as a grey band
// (the style of the study's Fig. 2 and 3). The CSV has one row per bar.
func AlignmentVsK(panels ...GranularityPanel) (*Figure, error) {
	if len(panels) == 0 {
		return nil, fmt.Errorf("plots: AlignmentVsK: no panels")
	}
	f := newFigure(len(panels), vg.Length(len(panels))*vg.Inch*4, vg.Inch*3.4,
		"panel", "label", "kind", "k", "value", "ci_low", "ci_high", "n", "ceiling_low", "ceiling_high")
	for _, pn := range panels {
		if len(pn.Bars) == 0 {
			return nil, fmt.Errorf("plots: AlignmentVsK: panel %q has no bars", pn.Title)
		}
		rmp := pn.Ramp
		if rmp == ([2]color.RGBA{}) {
			rmp = Blues
		}
		p := newPanel(pn.Title, "training labels (K classes)", pn.YLabel)
		b := &bars{Width: 0.75}
		var names []string
		fine, untr := math.NaN(), math.NaN()
		for _, br := range pn.Bars {
			if math.IsNaN(br.Value) {
				return nil, fmt.Errorf("plots: AlignmentVsK: panel %q bar %q: value is NaN", pn.Title, br.Label)
			}
			b.Y = append(b.Y, br.Value)
			b.Low = append(b.Low, br.Low)
			b.High = append(b.High, br.High)
			var c color.Color
			switch br.Kind {
			case Untrained:
				c, untr = ColorUntrained, br.Value
			case Fine:
				c, fine = ColorFine, br.Value
			case SSL:
				c = ColorSSL
			default:
				c = ramp(rmp, kShade(br.K))
			}
			b.Colors = append(b.Colors, c)
			b.Hatch = append(b.Hatch, br.Kind == Coarse)
			name := br.Label
			if name == SSLLabel {
				name = "instance\n(SSL)" // two lines: the tick is as wide as a bar
			}
			names = append(names, name)
			f.add(pn.Title, br.Label, br.Kind.String(), br.K, br.Value, br.Low, br.High, br.N, pn.CeilingLow, pn.CeilingHigh)
		}
		if !math.IsNaN(pn.CeilingLow) && !math.IsNaN(pn.CeilingHigh) {
			band := &hband{Lo: pn.CeilingLow, Hi: pn.CeilingHigh, Mid: math.NaN(), Fill: color.NRGBA{0x80, 0x80, 0x80, 0x40}}
			p.Add(band)
			p.Legend.Add("noise ceiling", band)
		}
		p.Add(b)
		for _, base := range []struct {
			v    float64
			c    color.RGBA
			name string
		}{{fine, ColorFine, "fine labels"}, {untr, ColorUntrained, "untrained"}} {
			if math.IsNaN(base.v) {
				continue
			}
			l := &hband{Lo: math.NaN(), Hi: math.NaN(), Mid: base.v,
				Line: draw.LineStyle{Color: base.c, Width: vg.Points(1.2), Dashes: []vg.Length{vg.Points(4), vg.Points(3)}}}
			p.Add(l)
		}
		p.NominalX(names...)
		p.Legend.Top = true
		p.Legend.Left = true
		p.Legend.TextStyle.Font.Size = vg.Points(8)
		f.Panels = append(f.Panels, p)
	}
	return f, nil
}

// kShade maps K = 2..64 to [0,1] on a log scale.
func kShade(k int) float64 {
	if k < 2 {
		return 0
	}
	return float64(bits.Len(uint(k))-2) / 5
}

var _ plot.Plotter = (*bars)(nil)
