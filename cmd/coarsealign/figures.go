package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/coarsealign/coarsealign/configs"
	"github.com/coarsealign/coarsealign/pkg/datadir"
	"github.com/coarsealign/coarsealign/pkg/plots"
	"github.com/coarsealign/coarsealign/pkg/plots/chronologyfig"
)

func init() {
	for _, kind := range []string{"chronology", "factors"} {
		register("figures "+kind, "the "+kind+" figures of a sweep (issue 13): figures "+kind+" CONFIG [--out DIR] [--figures DIR] [--draws N]",
			func(args []string, stdout, stderr io.Writer) error { return runFigures(kind, args, stdout, stderr) })
	}
}

// runFigures draws the chronology (ChronologyCurves, ChronologySummary) or factors
// (FactorsFigure, FactorsModel) figures of a finished sweep into the figures folder.
func runFigures(kind string, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("figures "+kind, stderr)
	out := fs.String("out", "", "the sweep's output folder (default: the config's out, else runs/<name>)")
	figs := fs.String("figures", "figures", "folder of the SVG, PNG and CSV files")
	draws := fs.Int("draws", 1000, "paired 90% stimulus subsamples of the CIs")
	metric := fs.String("metric", "spearman", "the metric (pkg/metric name)")
	seed := fs.Uint64("seed", 0, "seed of the subsamples")
	data := fs.String("data", "", "data directory (default $COARSEALIGN_DATA, else the user cache)")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		fmt.Fprintf(stderr, "Usage: coarsealign figures %s CONFIG [flags]\n\nCONFIG is a YAML/JSON file or an embedded config: %s\n", kind, strings.Join(configs.Names(), ", "))
		fs.PrintDefaults()
		return errUsage
	}
	cfg, err := loadSweepConfig(pos[0])
	if err != nil {
		return err
	}
	dir := sweepOut(*out, cfg)
	dataDir := datadir.Resolve(*data)
	a := chronologyfig.AnalysisSettings{Metric: *metric, Draws: *draws, Seed: *seed}
	names := map[string][2]string{"chronology": {"chronology_curves", "chronology_summary"}, "factors": {"factors_alignment", "factors_model"}}[kind]
	var f1, f2 *plots.Figure
	if kind == "chronology" {
		c, err := chronologyfig.ChronologyFromSweep(cfg, dir, dataDir, a)
		if err != nil {
			return err
		}
		f1, f2 = c.Curves, c.Summary
	} else {
		f, err := chronologyfig.FactorsFromSweep(cfg, dir, dataDir, a)
		if err != nil {
			return err
		}
		f1, f2 = f.Alignment, f.Model
	}
	for i, f := range []*plots.Figure{f1, f2} {
		files, err := f.Save(*figs, names[i])
		if err != nil {
			return err
		}
		for _, p := range files {
			fmt.Fprintln(stdout, p)
		}
	}
	return nil
}
