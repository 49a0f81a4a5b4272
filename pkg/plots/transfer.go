package plots

import (
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/coarsealign/coarsealign/pkg/oddoneout"
	"github.com/coarsealign/coarsealign/pkg/sweep"
)

// TransferVsK draws the probe-transfer test vs K (rows from study.TransferRows; those of target,
// e.g. "cifar10h-classes", one per run): the RSA of the target with the unprobed embedding, with
// the probed one, and their difference (gain), each the mean over seeds with the mean of the
// seeds' 95% intervals (the rows' RawLow ... GainHigh), and a zero line in the gain
// panel (above it: the probe fitted on the source triplets helps). labelSource restricts the
// coarse runs to one label source ("" = any, but then the rows must hold only one).
func TransferVsK(rows []oddoneout.TransferRow, target, labelSource string) (*Figure, error) {
	if len(rows) == 0 {
		return nil, fmt.Errorf("plots: TransferVsK: no rows")
	}
	sources := map[string]bool{}
	var raw, probed, gain []sweep.Row
	var source string
	for _, r := range rows {
		if r.Target != target || (labelSource != "" && r.LabelSource != "" && r.LabelSource != labelSource) {
			continue
		}
		source = r.Source
		if r.LabelSource != "" {
			sources[r.LabelSource] = true
		}
		mk := func(v, lo, hi float64) sweep.Row {
			return sweep.Row{K: r.K, Seed: r.Seed, LabelSource: r.LabelSource, Score: sweep.Score{Value: v, CILow: lo, CIHigh: hi}}
		}
		raw = append(raw, mk(r.Raw, r.RawLow, r.RawHigh))
		probed = append(probed, mk(r.Probed, r.ProbedLow, r.ProbedHigh))
		gain = append(gain, mk(r.Gain, r.GainLow, r.GainHigh))
	}
	if len(sources) > 1 {
		return nil, fmt.Errorf("plots: TransferVsK: rows from %d label sources; pass one", len(sources))
	}
	if len(gain) == 0 {
		return nil, fmt.Errorf("plots: TransferVsK: no rows of target %q and label source %q", target, labelSource)
	}
	var panels []GranularityPanel
	for _, p := range []struct {
		title string
		rows  []sweep.Row
	}{{"unprobed", raw}, {"probed (W from " + source + ")", probed}, {"gain = probed - unprobed", gain}} {
		bars, err := meanBars(p.rows)
		if err != nil {
			return nil, err
		}
		panels = append(panels, GranularityPanel{Title: p.title, YLabel: "RSA with " + target + " (Spearman)",
			Bars: bars, CeilingLow: math.NaN(), CeilingHigh: math.NaN(), Ramp: Greens})
	}
	panels[2].YLabel = "gain in RSA (Spearman)"
	f, err := AlignmentVsK(panels...)
	if err != nil {
		return nil, err
	}
	zero := &hband{Lo: math.NaN(), Hi: math.NaN(), Mid: 0, Line: draw.LineStyle{Color: color.Black, Width: vg.Points(0.8)}}
	f.Panels[2].Add(zero)
	f.Panels[2].Legend.Add("no gain", zero)
	return f, nil
}
