package study

import (
	"fmt"
	"path/filepath"
	"strconv"

	"github.com/coarsealign/coarsealign/pkg/eval"
	"github.com/coarsealign/coarsealign/pkg/metric"
	"github.com/coarsealign/coarsealign/pkg/rdm"
	"github.com/coarsealign/coarsealign/pkg/rsa"
	"github.com/coarsealign/coarsealign/pkg/sweep"
)

// This file holds the analyses of a finished sweep that read its runs' stored features: the
// PCA-reconstruction control (notebook 06, `coarsealign control pca-reconstruction`) and the
// model RDMs of chosen runs (notebook 05, the demo's RDM figures).

// ControlTarget is a target of the PCA-reconstruction control: its name in the results table
// and its panel title.
type ControlTarget struct{ Name, Title string }

// ControlTargets are the targets of the study's control figure: macaque IT and human IT.
var ControlTargets = []ControlTarget{{"mIT", "macaque IT"}, {"hIT-subjects", "human IT"}}

// ControlOptions configure PCAReconstructionControl; the zero value is the study's control.
type ControlOptions struct {
	// Metric is the comparison, a pkg/metric name (default "spearman"); the results table must
	// hold its selected-layer rows.
	Metric string
	// MaxM is the largest number of principal components kept (default 15).
	MaxM int
	// LabelSource restricts the coarse runs (default: the config's first label source).
	LabelSource string
	// Targets default to ControlTargets.
	Targets []ControlTarget
}

func (o ControlOptions) withDefaults(cfg *sweep.Config) ControlOptions {
	if o.Metric == "" {
		o.Metric = "spearman"
	}
	if o.MaxM == 0 {
		o.MaxM = 15
	}
	if o.LabelSource == "" && len(cfg.LabelSources) > 0 {
		o.LabelSource = cfg.LabelSources[0]
	}
	if len(o.Targets) == 0 {
		o.Targets = ControlTargets
	}
	return o
}

// PCAReconstructionControl runs the PCA-reconstruction control on the finished sweep cfg whose
// results table is rows and whose runs are under out. For each target: the first fine-label
// run's layer selected for that target (sweep.PickRuns), rebuilt from its top M = 1..MaxM
// principal components and scored with eval.ScoreReconstructions under the sweep's eval settings
// (its bootstrap draws and seed; the targets of EvalData, so a config's own targets work too);
// and, as the reference, the coarse run of the same architecture and label source with the
// highest score at its own selected layer (its row on all stimuli from rows, CI over the same
// kind of subsamples). dataDir holds the 92-image set.
func PCAReconstructionControl(cfg *sweep.Config, rows []sweep.Row, out, dataDir string, o ControlOptions) ([]eval.ReconstructionControl, error) {
	o = o.withDefaults(cfg)
	m, err := metric.Lookup(o.Metric)
	if err != nil {
		return nil, fmt.Errorf("study: control: %w", err)
	}
	set, err := loadK92(dataDir)
	if err != nil {
		return nil, err
	}
	data, err := EvalData(set, cfg.Eval)
	if err != nil {
		return nil, err
	}
	opt, err := EvalOptions(cfg.Eval)
	if err != nil {
		return nil, err
	}
	feats := map[string][]eval.Features{}
	var res []eval.ReconstructionControl
	for _, t := range o.Targets {
		picks, err := sweep.PickRuns(rows, t.Name, m.Name(), o.LabelSource, sweep.PickFine)
		if err != nil {
			return nil, fmt.Errorf("study: control: %w", err)
		}
		if len(picks) == 0 {
			return nil, fmt.Errorf("study: control: no finished fine-label run with a selected layer for %s (%s)", t.Name, m.Name())
		}
		fine := picks[0].Row
		if feats[fine.RunID] == nil {
			if feats[fine.RunID], err = ReadFeatures(filepath.Join(sweep.RunDir(out, fine.RunID), FeaturesDir)); err != nil {
				return nil, err
			}
		}
		full, ok := findLayer(feats[fine.RunID], fine.Layer)
		if !ok {
			return nil, fmt.Errorf("study: control: run %s has no features of its selected layer %q", fine.RunID, fine.Layer)
		}
		c, err := eval.ScoreReconstructions(full, data, t.Name, m, o.MaxM, opt)
		if err != nil {
			return nil, err
		}
		c.Title, c.Model = t.Title, "fine"
		if best, ok := bestCoarse(rows, fine, t.Name, m.Name(), o.LabelSource); ok {
			c.BestModel = "K=" + best.K
			c.Best = eval.Row{Layer: best.Layer, Target: best.Target, Metric: best.Metric, Value: best.Value,
				CILow: best.CILow, CIHigh: best.CIHigh, SD: best.SD, CeilLow: best.CeilingLow, CeilHigh: best.CeilingHigh,
				Split: best.Split, N: best.N}
		}
		res = append(res, c)
	}
	return res, nil
}

// bestCoarse returns the all-stimuli row, at its selected layer, of the coarse run (of
// labelSource and of fine's architecture) scoring highest there.
func bestCoarse(rows []sweep.Row, fine sweep.Row, target, metricName, labelSource string) (sweep.Row, bool) {
	var best sweep.Row
	found := false
	for _, r := range rows {
		if !r.Selected || r.Target != target || r.Metric != metricName || r.LabelSource != labelSource ||
			r.Arch != fine.Arch || r.Width != fine.Width || r.InputSize != fine.InputSize {
			continue
		}
		if _, err := strconv.Atoi(r.K); err != nil {
			continue
		}
		p, ok := sweep.ProfileRow(rows, r.RunID, r.Layer, target, metricName)
		if ok && (!found || p.Value > best.Value) {
			best, found = p, true
		}
	}
	return best, found
}

func findLayer(layers []eval.Features, name string) (eval.Features, bool) {
	for _, l := range layers {
		if l.Layer == name {
			return l, true
		}
	}
	return eval.Features{}, false
}

// LayerRDM returns the RDM (1 - Pearson correlation, rsatoolbox's "correlation") of the stored
// 92-stimulus features of run id's layer in the sweep under out, named name, with the stimulus
// IDs ids (nil: none). With sweep.PickRuns it gives the model panels of RDM and MDS figures.
func LayerRDM(out, id, layer, name string, ids []string) (*rdm.RDM, error) {
	layers, err := ReadFeatures(filepath.Join(sweep.RunDir(out, id), FeaturesDir))
	if err != nil {
		return nil, err
	}
	l, ok := findLayer(layers, layer)
	if !ok {
		return nil, fmt.Errorf("study: run %s has no features of layer %q", id, layer)
	}
	return rsa.RDMFromPatternSlice(name, l.X, l.N, l.D, rsa.Correlation, ids)
}

// PickRDMs returns LayerRDM of each pick's run at its selected layer, named by Pick.Name.
func PickRDMs(out string, picks []sweep.Pick, ids []string) ([]*rdm.RDM, error) {
	var rdms []*rdm.RDM
	for _, p := range picks {
		r, err := LayerRDM(out, p.Row.RunID, p.Row.Layer, p.Name(), ids)
		if err != nil {
			return nil, err
		}
		rdms = append(rdms, r)
	}
	return rdms, nil
}
