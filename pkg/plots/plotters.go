package plots

import (
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// bars draws vertical bars at x = 0, 1, ..., each filled with its colour, outlined in black,
// optionally hatched with 45-degree lines (the coarse models in the reference figures), with
// capped error bars from Low to High (NaN: no bar).
type bars struct {
	Y, Low, High []float64
	Colors       []color.Color
	Hatch        []bool
	// Width of a bar in data units (distance between bar centres is 1).
	Width float64
}

func (b *bars) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	outline := draw.LineStyle{Color: color.Black, Width: vg.Points(0.8)}
	hatch := draw.LineStyle{Color: color.Black, Width: vg.Points(0.7)}
	base := trY(math.Max(0, p.Y.Min))
	for i, y := range b.Y {
		if math.IsNaN(y) {
			continue
		}
		x0, x1 := trX(float64(i)-b.Width/2), trX(float64(i)+b.Width/2)
		y0, y1 := base, trY(y)
		if y1 < y0 {
			y0, y1 = y1, y0
		}
		rect := []vg.Point{{X: x0, Y: y0}, {X: x1, Y: y0}, {X: x1, Y: y1}, {X: x0, Y: y1}}
		c.FillPolygon(b.Colors[i], rect)
		if b.Hatch[i] {
			h := y1 - y0
			spacing := vg.Points(9)
			for s := x0 - h; s < x1; s += spacing {
				// Line (s+t, y0+t), t in [0,h], clipped to x in [x0,x1].
				t0 := math.Max(0, float64(x0-s))
				t1 := math.Min(float64(h), float64(x1-s))
				if t1 <= t0 {
					continue
				}
				c.StrokeLine2(hatch, s+vg.Length(t0), y0+vg.Length(t0), s+vg.Length(t1), y0+vg.Length(t1))
			}
		}
		c.StrokeLines(outline, append(rect, rect[0]))
		lo, hi := b.Low[i], b.High[i]
		if !math.IsNaN(lo) && !math.IsNaN(hi) {
			xm := trX(float64(i))
			capw := (x1 - x0) / 8
			c.StrokeLine2(outline, xm, trY(lo), xm, trY(hi))
			c.StrokeLine2(outline, xm-capw, trY(lo), xm+capw, trY(lo))
			c.StrokeLine2(outline, xm-capw, trY(hi), xm+capw, trY(hi))
		}
	}
}

func (b *bars) DataRange() (xmin, xmax, ymin, ymax float64) {
	xmin, xmax = -b.Width/2-0.1, float64(len(b.Y)-1)+b.Width/2+0.1
	ymin, ymax = 0, 0
	for i, y := range b.Y {
		for _, v := range []float64{y, b.Low[i], b.High[i]} {
			if !math.IsNaN(v) {
				ymin, ymax = math.Min(ymin, v), math.Max(ymax, v)
			}
		}
	}
	return
}

// hband is a horizontal band from Lo to Hi across the plot's whole x range (noise ceiling,
// CI of a baseline), with an optional line at Mid.
type hband struct {
	Lo, Hi, Mid float64
	Fill        color.Color
	Line        draw.LineStyle
}

func (h *hband) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	x0, x1 := trX(p.X.Min), trX(p.X.Max)
	if !math.IsNaN(h.Lo) && !math.IsNaN(h.Hi) && h.Fill != nil {
		c.FillPolygon(h.Fill, []vg.Point{{X: x0, Y: trY(h.Lo)}, {X: x1, Y: trY(h.Lo)}, {X: x1, Y: trY(h.Hi)}, {X: x0, Y: trY(h.Hi)}})
	}
	if !math.IsNaN(h.Mid) && h.Line.Width > 0 {
		c.StrokeLine2(h.Line, x0, trY(h.Mid), x1, trY(h.Mid))
	}
}

func (h *hband) DataRange() (xmin, xmax, ymin, ymax float64) {
	xmin, xmax = math.Inf(1), math.Inf(-1)
	ymin, ymax = math.Inf(1), math.Inf(-1)
	for _, v := range []float64{h.Lo, h.Hi, h.Mid} {
		if !math.IsNaN(v) {
			ymin, ymax = math.Min(ymin, v), math.Max(ymax, v)
		}
	}
	return
}

// Thumbnail draws the band's legend icon.
func (h *hband) Thumbnail(c *draw.Canvas) {
	if h.Fill != nil && !math.IsNaN(h.Lo) {
		pts := []vg.Point{{X: c.Min.X, Y: c.Min.Y}, {X: c.Max.X, Y: c.Min.Y}, {X: c.Max.X, Y: c.Max.Y}, {X: c.Min.X, Y: c.Max.Y}}
		c.FillPolygon(h.Fill, c.ClipPolygonY(pts))
	}
	if h.Line.Width > 0 {
		y := c.Center().Y
		c.StrokeLine2(h.Line, c.Min.X, y, c.Max.X, y)
	}
}

// ciBand fills the area between Low and High over X (a line's confidence band).
type ciBand struct {
	X, Low, High []float64
	Fill         color.Color
}

func (b *ciBand) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	var pts []vg.Point
	for i := range b.X {
		if !math.IsNaN(b.Low[i]) {
			pts = append(pts, vg.Point{X: trX(b.X[i]), Y: trY(b.Low[i])})
		}
	}
	for i := len(b.X) - 1; i >= 0; i-- {
		if !math.IsNaN(b.High[i]) {
			pts = append(pts, vg.Point{X: trX(b.X[i]), Y: trY(b.High[i])})
		}
	}
	if len(pts) >= 3 {
		c.FillPolygon(b.Fill, c.ClipPolygonXY(pts))
	}
}

func (b *ciBand) DataRange() (xmin, xmax, ymin, ymax float64) {
	xmin, xmax, ymin, ymax = math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	for i, x := range b.X {
		xmin, xmax = math.Min(xmin, x), math.Max(xmax, x)
		for _, v := range []float64{b.Low[i], b.High[i]} {
			if !math.IsNaN(v) {
				ymin, ymax = math.Min(ymin, v), math.Max(ymax, v)
			}
		}
	}
	return
}

func withAlpha(c color.RGBA, a uint8) color.NRGBA {
	return color.NRGBA{c.R, c.G, c.B, a}
}

func withAlphaColor(c color.Color, a uint8) color.NRGBA {
	r, g, b, _ := c.RGBA()
	return color.NRGBA{uint8(r >> 8), uint8(g >> 8), uint8(b >> 8), a}
}
