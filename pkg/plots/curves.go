package plots

import (
	"fmt"
	"image/color"
	"math"

	"github.com/coarsealign/coarsealign/pkg/sweep"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Curve is one run's training curve.
type Curve struct {
	// Label names the run in the legend ("K=8", "fine").
	Label string
	Kind  Kind
	K     int
	// Points in epoch order; NaN values are skipped.
	Points []sweep.EpochStat
}

// colorFor returns the colour of a model of this kind/K with the given coarse ramp.
func colorFor(kind Kind, k int, rmp [2]color.RGBA) color.Color {
	switch kind {
	case Untrained:
		return ColorUntrained
	case Fine:
		return ColorFine
	case SSL:
		return ColorSSL
	}
	// Darken the lightest shades a little so that lines stay visible.
	return ramp(rmp, 0.25+0.75*kShade(k))
}

// TrainingCurves draws loss (left) and accuracy (right) vs epoch, one colour per run: training
// values solid, validation values dashed. Accuracy is a fraction; its chance level is 1/K, so
// runs with different K are not comparable in accuracy (the loss panel shows convergence).
// The CSV has one row per epoch point per run.
func TrainingCurves(curves ...Curve) (*Figure, error) {
	if len(curves) == 0 {
		return nil, fmt.Errorf("plots: TrainingCurves: no curves")
	}
	f := newFigure(2, vg.Inch*9, vg.Inch*3.4, "run", "kind", "k", "epoch", "step", "train_loss", "train_acc", "val_loss", "val_acc")
	loss := newPanel("loss (solid: training, dashed: validation)", "epoch", "cross-entropy")
	acc := newPanel("accuracy (solid: training, dashed: validation)", "epoch", "accuracy (fraction)")
	for _, cv := range curves {
		c := colorFor(cv.Kind, cv.K, Blues)
		var tl, ta, vl, va plotter.XYs
		for _, pt := range cv.Points {
			f.add(cv.Label, cv.Kind.String(), cv.K, pt.Epoch, pt.Step, pt.TrainLoss, pt.TrainAcc, pt.ValLoss, pt.ValAcc)
			for _, s := range []struct {
				dst *plotter.XYs
				v   float64
			}{{&tl, pt.TrainLoss}, {&ta, pt.TrainAcc}, {&vl, pt.ValLoss}, {&va, pt.ValAcc}} {
				if !math.IsNaN(s.v) && !math.IsInf(s.v, 0) {
					*s.dst = append(*s.dst, plotter.XY{X: pt.Epoch, Y: s.v})
				}
			}
		}
		for _, s := range []struct {
			xy     plotter.XYs
			dashed bool
			into   int
		}{{tl, false, 0}, {vl, true, 0}, {ta, false, 1}, {va, true, 1}} {
			if len(s.xy) == 0 {
				continue
			}
			l, pts, err := plotter.NewLinePoints(s.xy)
			if err != nil {
				return nil, fmt.Errorf("plots: TrainingCurves %q: %w", cv.Label, err)
			}
			l.Color, l.Width = c, vg.Points(1.5)
			pts.Color, pts.Radius, pts.Shape = c, vg.Points(2), draw.CircleGlyph{}
			if s.dashed {
				l.Dashes = []vg.Length{vg.Points(4), vg.Points(2)}
			}
			p := loss
			if s.into == 1 {
				p = acc
			}
			p.Add(l, pts)
			if !s.dashed && s.into == 0 {
				loss.Legend.Add(cv.Label, l)
			}
		}
	}
	loss.Legend.Top = true
	loss.Legend.TextStyle.Font.Size = vg.Points(8)
	f.Panels = append(f.Panels, loss, acc)
	return f, nil
}
