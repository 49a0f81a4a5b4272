package plots

import (
	"fmt"
	"image/color"
	"math"
	"sort"

	"github.com/coarsealign/coarsealign/pkg/coarse"
	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// median returns the median of xs (mean of the two middle values for even length).
func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// medianLine draws a vertical (Vertical) or horizontal line at At across the data area.
type medianLine struct {
	At       float64
	Vertical bool
}

func (m *medianLine) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	st := draw.LineStyle{Color: color.Black, Width: vg.Points(1.6)}
	if m.Vertical {
		c.StrokeLine2(st, trX(m.At), trY(p.Y.Min), trX(m.At), trY(p.Y.Max))
	} else {
		c.StrokeLine2(st, trX(p.X.Min), trY(m.At), trX(p.X.Max), trY(m.At))
	}
}

// PCASplit draws the PCA median-split schematic (the study's Fig. 1): the images' projections on
// PC1 and PC2 coloured (a) by their fine class when fine is not nil, (b) by the 2-class split at
// the median of PC1, (c) by the 4-class split at the medians of PC1 and PC2, with the median
// lines drawn. As in pkg/coarse (methods.md section 1), a bit is 1 when the projection lies
// strictly above the median, and PC1 gives the most significant bit (label_4 = 2*bit1 + bit2,
// label_2 = label_4 >> 1). The CSV has one row per image.
func PCASplit(pc1, pc2 []float64, fine []int) (*Figure, error) {
	n := len(pc1)
	if n < 2 || len(pc2) != n {
		return nil, fmt.Errorf("plots: PCASplit: %d PC1 and %d PC2 values (need equal, >= 2)", len(pc1), len(pc2))
	}
	if fine != nil && len(fine) != n {
		return nil, fmt.Errorf("plots: PCASplit: %d fine labels for %d images", len(fine), n)
	}
	for i := range pc1 {
		if math.IsNaN(pc1[i]) || math.IsNaN(pc2[i]) {
			return nil, fmt.Errorf("plots: PCASplit: projection %d is NaN", i)
		}
	}
	m1, m2 := median(pc1), median(pc2)
	lab2 := make([]int, n)
	lab4 := make([]int, n)
	for i := range pc1 {
		if pc1[i] > m1 {
			lab2[i] = 1
			lab4[i] = 2 // PC1 is the most significant bit, as in pkg/coarse
		}
		if pc2[i] > m2 {
			lab4[i] |= 1
		}
	}
	cols := 2
	if fine != nil {
		cols = 3
	}
	f := newFigure(cols, vg.Length(cols)*vg.Inch*3.4, vg.Inch*3.4, "image", "pc1", "pc2", "fine", "label2", "label4")
	for i := range pc1 {
		fl := any("")
		if fine != nil {
			fl = fine[i]
		}
		f.add(i, pc1[i], pc2[i], fl, lab2[i], lab4[i])
	}
	scatter := func(title string, labels []int, lines ...*medianLine) (*plot.Plot, error) {
		p := newPanel(title, "PC1", "PC2")
		groups := map[int]plotter.XYs{}
		var keys []int
		for i, l := range labels {
			if _, ok := groups[l]; !ok {
				keys = append(keys, l)
			}
			groups[l] = append(groups[l], plotter.XY{X: pc1[i], Y: pc2[i]})
		}
		sort.Ints(keys)
		for _, k := range keys {
			s, err := plotter.NewScatter(groups[k])
			if err != nil {
				return nil, err
			}
			s.GlyphStyle.Color = categorical(k)
			s.GlyphStyle.Radius = vg.Points(1.3)
			s.GlyphStyle.Shape = draw.CircleGlyph{}
			p.Add(s)
		}
		for _, l := range lines {
			p.Add(l)
		}
		return p, nil
	}
	if fine != nil {
		p, err := scatter("fine classes", fine)
		if err != nil {
			return nil, err
		}
		f.Panels = append(f.Panels, p)
	}
	p2, err := scatter("2 classes", lab2, &medianLine{At: m1, Vertical: true})
	if err != nil {
		return nil, err
	}
	p4, err := scatter("4 classes", lab4, &medianLine{At: m1, Vertical: true}, &medianLine{At: m2})
	if err != nil {
		return nil, err
	}
	f.Panels = append(f.Panels, p2, p4)
	return f, nil
}

// ReconPanel is one target's panel of ReconstructionControl.
type ReconPanel struct {
	// Title names the target ("V1", "IT", "hIT").
	Title, YLabel string
	// M are the numbers of principal components kept; Value/Low/High the alignment of the
	// reconstruction from the top M PCs and its CI (NaN: no band).
	M                []int
	Value, Low, High []float64
	// Full (with FullLow/High) is the unreduced fine-label model; BestCoarse (with its CI) the best
	// coarse model. NaN: not drawn.
	Full, FullLow, FullHigh       float64
	BestCoarse, BestLow, BestHigh float64
}

// ReconstructionControl draws the PCA-reconstruction control: alignment of the fine-label model's
// activations rebuilt from their top M principal components vs M (blue line, CI band), with the
// full model (green line and band) and the best coarse model (red dashed line and band). The CSV
// has one row per point plus one row per reference line.
func ReconstructionControl(panels ...ReconPanel) (*Figure, error) {
	if len(panels) == 0 {
		return nil, fmt.Errorf("plots: ReconstructionControl: no panels")
	}
	f := newFigure(len(panels), vg.Length(len(panels))*vg.Inch*3.6, vg.Inch*3.4, "panel", "series", "m", "value", "ci_low", "ci_high")
	blue := color.RGBA{0x1f, 0x77, 0xb4, 0xff}
	green := color.RGBA{0x2c, 0xa0, 0x2c, 0xff}
	red := color.RGBA{0xd6, 0x27, 0x28, 0xff}
	for _, pn := range panels {
		if len(pn.M) == 0 || len(pn.Value) != len(pn.M) || len(pn.Low) != len(pn.M) || len(pn.High) != len(pn.M) {
			return nil, fmt.Errorf("plots: ReconstructionControl: panel %q: %d M values, %d/%d/%d values/lows/highs",
				pn.Title, len(pn.M), len(pn.Value), len(pn.Low), len(pn.High))
		}
		p := newPanel(pn.Title, "number of PCs (M)", pn.YLabel)
		var xy plotter.XYs
		band := &ciBand{Fill: withAlpha(blue, 0x40)}
		for i, m := range pn.M {
			f.add(pn.Title, "top-M reconstruction", m, pn.Value[i], pn.Low[i], pn.High[i])
			if math.IsNaN(pn.Value[i]) {
				continue
			}
			xy = append(xy, plotter.XY{X: float64(m), Y: pn.Value[i]})
			band.X = append(band.X, float64(m))
			band.Low = append(band.Low, pn.Low[i])
			band.High = append(band.High, pn.High[i])
		}
		for _, ref := range []struct {
			name      string
			v, lo, hi float64
			c         color.RGBA
			dashed    bool
		}{{"full fine-label model", pn.Full, pn.FullLow, pn.FullHigh, green, false},
			{"best coarse model", pn.BestCoarse, pn.BestLow, pn.BestHigh, red, true}} {
			if math.IsNaN(ref.v) {
				continue
			}
			f.add(pn.Title, ref.name, "", ref.v, ref.lo, ref.hi)
			h := &hband{Lo: ref.lo, Hi: ref.hi, Mid: ref.v, Fill: withAlpha(ref.c, 0x30),
				Line: draw.LineStyle{Color: ref.c, Width: vg.Points(1.6)}}
			if ref.dashed {
				h.Line.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
			}
			p.Add(h)
			p.Legend.Add(ref.name, h)
		}
		p.Add(band)
		if len(xy) > 0 {
			l, pts, err := plotter.NewLinePoints(xy)
			if err != nil {
				return nil, fmt.Errorf("plots: ReconstructionControl %q: %w", pn.Title, err)
			}
			l.Color, l.Width = blue, vg.Points(1.6)
			pts.Color, pts.Radius, pts.Shape = blue, vg.Points(2.5), draw.CircleGlyph{}
			p.Add(l, pts)
			p.Legend.Add("top-M PCs", l, pts)
		}
		p.Legend.TextStyle.Font.Size = vg.Points(7)
		f.Panels = append(f.Panels, p)
	}
	return f, nil
}

// PCASplitFromLabeling draws PCASplit for the rows of x (m x D, the embedding the labeling was
// fitted on, or new images) projected with a fitted pkg/coarse labeling: the PC1/PC2 projections
// after its L2 normalisation and centring. fine may be nil. The median lines are the projections'
// medians; on the fitting set they are the labeling's own medians.
func PCASplitFromLabeling(l *coarse.Labeling, x mat.Matrix, fine []int) (*Figure, error) {
	if l.Bits < 2 {
		return nil, fmt.Errorf("plots: PCASplitFromLabeling: labeling has %d components, need 2", l.Bits)
	}
	proj, err := l.Project(x)
	if err != nil {
		return nil, err
	}
	m, _ := proj.Dims()
	pc1, pc2 := make([]float64, m), make([]float64, m)
	for i := 0; i < m; i++ {
		pc1[i], pc2[i] = proj.At(i, 0), proj.At(i, 1)
	}
	return PCASplit(pc1, pc2, fine)
}
