package plots

import (
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot/vg"

	"github.com/coarsealign/coarsealign/pkg/sweep"
)

// Purples is the ramp of the CIFAR-10H panels (matplotlib's Purples, K=2 lightest), apart from
// the Blues of the neural and the Greens of the behavioural panels.
var Purples = [2]color.RGBA{{0xda, 0xda, 0xeb, 0xff}, {0x54, 0x27, 0x8f, 0xff}}

// CIFAR10HPanel is one CIFAR-10H score of CIFAR10HVsK: a target of the results table
// (cifar10h-ce, cifar10h-kl, cifar10h-acc, cifar10h-entropy-rho, cifar10h-entropy-rho-within,
// cifar10h-confusion-rsa) with its panel title and y label.
type CIFAR10HPanel struct{ Target, Title, YLabel string }

// CIFAR10HPanels are the panels of the committed figure: the cross-entropy to the human
// distributions (lower is better), the entropy correlations (overall and within class) and the
// confusion-matrix RSA.
var CIFAR10HPanels = []CIFAR10HPanel{
	{"cifar10h-ce", "CIFAR-10H cross-entropy", "CE to human choices (nats, lower better)"},
	{"cifar10h-entropy-rho", "CIFAR-10H entropy", "Spearman, human vs model entropy"},
	{"cifar10h-entropy-rho-within", "CIFAR-10H entropy within class", "Spearman within class (mean)"},
	{"cifar10h-confusion-rsa", "CIFAR-10H confusions", "Spearman, off-diagonal confusions"},
}

// CIFAR10HFromRows builds an AlignmentVsK panel of a CIFAR-10H target from a results table:
// the rows of target and metric ("readout", or "softmax" for the fine runs' own output), per
// granularity the mean over seeds of the value and of the bootstrap CI bounds over images (as
// GranularityFromRows). labelSource restricts the coarse runs ("" = any).
func CIFAR10HFromRows(rows []sweep.Row, target, metric, labelSource, title, ylabel string) (GranularityPanel, error) {
	pn := GranularityPanel{Title: title, YLabel: ylabel, CeilingLow: math.NaN(), CeilingHigh: math.NaN(), Ramp: Purples}
	sel := filter(rows, target, metric, labelSource)
	if len(sel) == 0 {
		return pn, fmt.Errorf("plots: no rows for target %q metric %q (is eval.cifar10h on?)", target, metric)
	}
	var err error
	pn.Bars, err = meanBars(sel)
	return pn, err
}

// CIFAR10HVsK draws human-uncertainty alignment vs K (the CIFAR10HPanels of the readout, first
// row) beside the 92-image targets (second row: macaque IT, human IT and the similarity
// judgements, selected layer on held-out halves, with rsaMetric, e.g. "spearman"), 95% CIs on
// every bar. The CSV has one row per bar with the columns target and metric first.
func CIFAR10HVsK(rows []sweep.Row, rsaMetric, labelSource string) (*Figure, error) {
	var panels []GranularityPanel
	var targets, metrics []string
	for _, c := range CIFAR10HPanels {
		pn, err := CIFAR10HFromRows(rows, c.Target, "readout", labelSource, c.Title, c.YLabel)
		if err != nil {
			return nil, err
		}
		panels = append(panels, pn)
		targets, metrics = append(targets, c.Target), append(metrics, "readout")
	}
	for _, t := range []struct {
		target, title string
		ramp          [2]color.RGBA
	}{{"mIT", "macaque IT", Blues}, {"hIT-subjects", "human IT", Blues}, {"behav-subjects", "similarity judgements", Greens}} {
		pn, err := GranularityFromRows(rows, t.target, rsaMetric, labelSource, t.title, "RSA ("+rsaMetric+")")
		if err != nil {
			return nil, err
		}
		pn.Ramp = t.ramp
		panels = append(panels, pn)
		targets, metrics = append(targets, t.target), append(metrics, rsaMetric)
	}
	f, err := AlignmentVsK(panels...)
	if err != nil {
		return nil, err
	}
	f.Cols = len(CIFAR10HPanels)
	f.Width, f.Height = vg.Length(f.Cols)*vg.Inch*4, 2*vg.Inch*3.4
	f.Header = append([]string{"target", "metric"}, f.Header...)
	i := 0
	for p, pn := range panels {
		for range pn.Bars {
			f.Rows[i] = append([]string{targets[p], metrics[p]}, f.Rows[i]...)
			i++
		}
	}
	return f, nil
}
