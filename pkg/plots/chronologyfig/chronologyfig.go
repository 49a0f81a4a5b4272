// Package chronologyfig builds the chronology and factors figures (pkg/plots builders) from a
// sweep folder, through pkg/sweep/study (which reads features and so depends on the training
// stack): the CLI's `coarsealign figures chronology|factors` and notebooks 07 and 08 call it.
// It sits above pkg/plots, which stays free of GoMLX.
package chronologyfig

import (
	"fmt"

	"github.com/coarsealign/coarsealign/pkg/chronology"
	"github.com/coarsealign/coarsealign/pkg/plots"
	"github.com/coarsealign/coarsealign/pkg/sweep"
	"github.com/coarsealign/coarsealign/pkg/sweep/study"
)

// AnalysisSettings are the resampling settings of the chronology and factors analyses: the
// metric (a pkg/metric name; "" = spearman), the number of paired 90% stimulus subsamples
// (0 = 1000, the main study's) and their seed.
type AnalysisSettings struct {
	Metric string
	Draws  int
	Seed   uint64
}

func (a AnalysisSettings) withDefaults() AnalysisSettings {
	if a.Metric == "" {
		a.Metric = "spearman"
	}
	if a.Draws == 0 {
		a.Draws = 1000
	}
	return a
}

// ChronologyFigures are the chronology figures of a sweep with the pooled curves they draw.
type ChronologyFigures struct {
	Curves, Summary *plots.Figure
	Pool            *chronology.Curves
}

// ChronologyFromSweep builds the chronology figures of the finished chronology runs of cfg
// under out (study.ChronologyCurves, pooled over the runs): ChronologyCurves and
// ChronologySummary (pkg/plots), plus the pooled curves for the caller's numbers.
func ChronologyFromSweep(cfg *sweep.Config, out, dataDir string, a AnalysisSettings) (*ChronologyFigures, error) {
	curves, summary, pool, err := chronologyFromSweep(cfg, out, dataDir, a)
	if err != nil {
		return nil, err
	}
	return &ChronologyFigures{curves, summary, pool}, nil
}

func chronologyFromSweep(cfg *sweep.Config, out, dataDir string, a AnalysisSettings) (curves, summary *plots.Figure, pool *chronology.Curves, err error) {
	a = a.withDefaults()
	rcs, err := study.ChronologyCurves(out, dataDir, cfg.Expand(), a.Metric, a.Draws, a.Seed)
	if err != nil {
		return nil, nil, nil, err
	}
	var runs []plots.ChronologyRun
	var cs []*chronology.Curves
	for _, rc := range rcs {
		r := rc.Run
		runs = append(runs, plots.ChronologyRun{Label: fmt.Sprintf("%s seed %d", r.Granularity, r.Seed), Width: r.Arch.Width,
			Params: rc.Params, PerClass: r.Data.PerClass, Domain: r.Data.Source, Curves: rc.Curves})
		cs = append(cs, rc.Curves)
	}
	if pool, err = chronology.Pool(cs); err != nil {
		return nil, nil, nil, err
	}
	if curves, err = plots.ChronologyCurves(runs, pool); err != nil {
		return nil, nil, nil, err
	}
	if summary, err = plots.ChronologySummary(pool); err != nil {
		return nil, nil, nil, err
	}
	return curves, summary, pool, nil
}

// FactorsFigures are the factors figures of a sweep with the observations they draw.
type FactorsFigures struct {
	Alignment, Model *plots.Figure
	Obs              []chronology.Obs
}

// FactorsFromSweep builds the factors figures of the finished runs of cfg under out: the
// observations (study.FactorObservations, the eval stage's selected layer per run and target,
// read from the results table of out), FactorsFigure and FactorsModel (chronology.Model and
// chronology.Effects).
func FactorsFromSweep(cfg *sweep.Config, out, dataDir string, a AnalysisSettings) (*FactorsFigures, error) {
	fig, model, obs, err := factorsFromSweep(cfg, out, dataDir, a)
	if err != nil {
		return nil, err
	}
	return &FactorsFigures{fig, model, obs}, nil
}

func factorsFromSweep(cfg *sweep.Config, out, dataDir string, a AnalysisSettings) (fig, model *plots.Figure, obs []chronology.Obs, err error) {
	a = a.withDefaults()
	runs := cfg.Expand()
	rows, _, err := sweep.Collect(runs, out)
	if err != nil {
		return nil, nil, nil, err
	}
	if obs, err = study.FactorObservations(out, dataDir, runs, rows, a.Metric, a.Draws, a.Seed); err != nil {
		return nil, nil, nil, err
	}
	if fig, err = plots.FactorsFigure(obs, a.Metric); err != nil {
		return nil, nil, nil, err
	}
	coefs, err := chronology.Model(obs, a.Seed)
	if err != nil {
		return nil, nil, nil, err
	}
	if model, err = plots.FactorsModel(coefs, chronology.Effects(obs, a.Seed), a.Metric); err != nil {
		return nil, nil, nil, err
	}
	return fig, model, obs, nil
}
