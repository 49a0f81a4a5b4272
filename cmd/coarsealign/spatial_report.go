package main

import (
	"path/filepath"
	"strings"

	"github.com/coarsealign/coarsealign/pkg/eval"
	"github.com/coarsealign/coarsealign/pkg/plots"
	"github.com/coarsealign/coarsealign/pkg/spatial"
	srun "github.com/coarsealign/coarsealign/pkg/spatial/run"
)

// spatialReport runs the analyses of a trained study, writes their CSVs under dir/results and,
// when figs is set, the figures there.
func spatialReport(st *srun.Study, dir, figs, dataDir string, logf func(string, ...any)) error {
	c := st.Config
	data, err := eval.LoadK92(dataDir)
	if err != nil {
		return err
	}
	in := spatial.Inputs{Probe: st.Reps(true), K92: st.Reps(false), ProbeLatents: st.ProbeLat, Categories: len(st.Categories),
		Layers: c.Layers, Data: data, Draws: c.Draws, Splits: c.Splits, Seed: uint64(c.Seed), LayersPair: [2]string{"category", "spatial"}}
	if c.CIFARRuns != "" {
		ms, err := spatial.CIFARModels(c.CIFARRuns, c.CIFARK)
		if err != nil {
			return err
		}
		for _, m := range ms {
			r, err := spatial.CIFARRep(c.CIFARRuns, m)
			if err != nil {
				return err
			}
			in.CIFAR = append(in.CIFAR, r)
		}
		if in.CIFARAlign, err = spatial.CIFARAlign(c.CIFARRuns, ms); err != nil {
			return err
		}
	}
	res, err := spatial.Analyze(in, logf)
	if err != nil {
		return err
	}
	if err := res.Write(filepath.Join(dir, "results")); err != nil {
		return err
	}
	logf("results in %s", filepath.Join(dir, "results"))
	var sum strings.Builder
	if err := res.Summary(&sum, c.Targets[0].Name); err != nil {
		return err
	}
	logf("%s", sum.String())
	if figs == "" {
		return nil
	}
	names, fs, err := plots.SpatialFigures(res)
	if err != nil {
		return err
	}
	for _, n := range names {
		if _, err := fs[n].Save(figs, n); err != nil {
			return err
		}
	}
	logf("figures in %s", figs)
	return nil
}
