package plots

import (
	"fmt"
	"math"

	"github.com/coarsealign/coarsealign/pkg/eval"
)

// ReconPanelOf returns the ReconstructionControl panel of a control computed by
// eval.ScoreReconstructions (study.PCAReconstructionControl): titled "<title> (<model> model,
// <layer>)", the reference line drawn only when c.BestModel is set.
func ReconPanelOf(c eval.ReconstructionControl) ReconPanel {
	title := c.Title
	if title == "" {
		title = c.Target
	}
	p := ReconPanel{Title: fmt.Sprintf("%s (%s model, %s)", title, c.Model, c.Layer), YLabel: "RSA (" + c.Metric + ")",
		Full: c.Full.Value, FullLow: c.Full.CILow, FullHigh: c.Full.CIHigh,
		BestCoarse: math.NaN(), BestLow: math.NaN(), BestHigh: math.NaN()}
	if c.BestModel != "" {
		p.BestCoarse, p.BestLow, p.BestHigh = c.Best.Value, c.Best.CILow, c.Best.CIHigh
	}
	for i, m := range c.M {
		r := c.Recon[i]
		p.M = append(p.M, m)
		p.Value, p.Low, p.High = append(p.Value, r.Value), append(p.Low, r.CILow), append(p.High, r.CIHigh)
	}
	return p
}

// ReconstructionControlOf draws ReconstructionControl of the panels ReconPanelOf gives.
func ReconstructionControlOf(cs ...eval.ReconstructionControl) (*Figure, error) {
	panels := make([]ReconPanel, len(cs))
	for i, c := range cs {
		panels[i] = ReconPanelOf(c)
	}
	return ReconstructionControl(panels...)
}
