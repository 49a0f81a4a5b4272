package study

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/coarsealign/coarsealign/pkg/chronology"
	"github.com/coarsealign/coarsealign/pkg/eval"
	"github.com/coarsealign/coarsealign/pkg/metric"
	"github.com/coarsealign/coarsealign/pkg/sweep"
)

// RunCurves are a chronology run's curves (chronology.Score) with the run they come from.
type RunCurves struct {
	Run    sweep.Run
	ID     string
	Params int
	Curves *chronology.Curves
}

// ChronologyCurves scores the kept checkpoints of every finished chronology run of runs under
// out against chronology.Targets (image models V1, HMAX, Silhouette; mIT; hIT-mean;
// behav-mean) with the metric named metricName on draws paired 90% stimulus subsamples seeded
// by seed. Runs not done or without chronology are skipped.
func ChronologyCurves(out, dataDir string, runs []sweep.Run, metricName string, draws int, seed uint64) ([]RunCurves, error) {
	m, err := metric.Lookup(metricName)
	if err != nil {
		return nil, fmt.Errorf("study: %w", err)
	}
	set, err := loadK92(dataDir)
	if err != nil {
		return nil, err
	}
	targets, err := chronology.Targets(dataDir, set)
	if err != nil {
		return nil, err
	}
	var res []RunCurves
	for _, r := range runs {
		id := r.ID()
		if r.Chronology == nil || !sweep.IsDone(out, id) {
			continue
		}
		steps, feats, err := ReadChronologyFeatures(sweep.RunDir(out, id))
		if err != nil {
			return nil, err
		}
		c, err := chronology.Score(steps, feats, targets, m, draws, seed)
		if err != nil {
			return nil, fmt.Errorf("study: run %s: %w", id, err)
		}
		params, _ := readParamsFile(sweep.RunDir(out, id))
		res = append(res, RunCurves{Run: r, ID: id, Params: params, Curves: c})
	}
	if len(res) == 0 {
		return nil, fmt.Errorf("study: no finished chronology run in %s", out)
	}
	return res, nil
}

// FactorObservations returns, for every finished trained run of runs under out and every
// chronology target, the score of the layer the eval stage selected for it (the "half" row of
// rows, the results table, for metricName) on all stimuli and on draws paired subsamples:
// the observations of chronology.Effects and chronology.Model.
func FactorObservations(out, dataDir string, runs []sweep.Run, rows []sweep.Row, metricName string, draws int, seed uint64) ([]chronology.Obs, error) {
	m, err := metric.Lookup(metricName)
	if err != nil {
		return nil, fmt.Errorf("study: %w", err)
	}
	set, err := loadK92(dataDir)
	if err != nil {
		return nil, err
	}
	targets, err := chronology.Targets(dataDir, set)
	if err != nil {
		return nil, err
	}
	selected := map[string]string{} // run|target -> layer
	for _, row := range rows {
		if row.Split == "half" && row.Selected && row.Metric == m.Name() && row.Step < 0 {
			selected[row.RunID+"|"+row.Target] = row.Layer
		}
	}
	var obs []chronology.Obs
	for _, r := range runs {
		id := r.ID()
		if r.Granularity == sweep.Untrained || !sweep.IsDone(out, id) {
			continue
		}
		dir := sweep.RunDir(out, id)
		feats, err := ReadFeatures(filepath.Join(dir, FeaturesDir))
		if err != nil {
			return nil, err
		}
		c, err := chronology.Score([]int{0}, [][]evalFeatures{feats}, targets, m, draws, seed)
		if err != nil {
			return nil, fmt.Errorf("study: run %s: %w", id, err)
		}
		params, err := readParamsFile(dir)
		if err != nil {
			return nil, err
		}
		domain := r.Data.Source
		if r.Data.Path != "" {
			domain += ":" + r.Data.Path
		}
		for t, tg := range targets {
			layer, ok := selected[id+"|"+tg.Name]
			if !ok {
				continue // no selected row for this target (e.g. a model target outside the eval)
			}
			l := -1
			for i, name := range c.Layers {
				if name == layer {
					l = i
				}
			}
			if l < 0 {
				return nil, fmt.Errorf("study: run %s: selected layer %q not among its features", id, layer)
			}
			o := chronology.Obs{Run: id, Width: r.Arch.Width, Params: params, PerClass: r.Data.PerClass,
				Epochs: r.Train.Epochs, Domain: domain, Seed: r.Seed, Target: tg.Name, Layer: layer, Value: c.Full[t][l][0]}
			for d := range c.Draws {
				o.Draws = append(o.Draws, c.Draws[d][t][l][0])
			}
			obs = append(obs, o)
		}
	}
	if len(obs) == 0 {
		return nil, fmt.Errorf("study: no finished trained run with selected layers in %s", out)
	}
	return obs, nil
}

type evalFeatures = eval.Features

// readParamsFile reads a run folder's sweep.ParamsFile (0 when absent).
func readParamsFile(dir string) (int, error) {
	b, err := os.ReadFile(filepath.Join(dir, sweep.ParamsFile))
	if os.IsNotExist(err) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("study: %w", err)
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return 0, fmt.Errorf("study: %s: %w", filepath.Join(dir, sweep.ParamsFile), err)
	}
	return n, nil
}

// RunSweep executes the pending runs of cfg under out with the study's stages (resumable:
// finished runs are skipped), for notebooks that run their own small sweep (07, 08).
func RunSweep(cfg *sweep.Config, out, dataDir string, o Options) (sweep.Summary, error) {
	rn := &sweep.Runner{Out: out, DataDir: dataDir, Stages: Stages(o), Log: o.Log}
	return rn.Execute(context.Background(), cfg.Expand())
}

// StudyConfig loads the sweep config named flagValue, else $env, else def (a file or a shipped
// name, configs.Load via load), and returns it with its output folder <repoDir>/runs/<name>:
// the notebooks' choice of their own sweep (07, 08).
func StudyConfig(load func(string) (*sweep.Config, error), flagValue, env, def, repoDir string) (*sweep.Config, string, error) {
	name := flagValue
	if name == "" {
		name = os.Getenv(env)
	}
	if name == "" {
		name = def
	}
	cfg, err := load(name)
	if err != nil {
		return nil, "", err
	}
	return cfg, filepath.Join(repoDir, "runs", cfg.Name), nil
}
