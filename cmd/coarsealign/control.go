package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/coarsealign/coarsealign/configs"
	"github.com/coarsealign/coarsealign/pkg/datadir"
	"github.com/coarsealign/coarsealign/pkg/plots"
	"github.com/coarsealign/coarsealign/pkg/sweep"
	"github.com/coarsealign/coarsealign/pkg/sweep/study"
)

func init() {
	register("control pca-reconstruction", "the fine model rebuilt from its top M PCs vs the full fine model and the best coarse model (a finished sweep)",
		func(args []string, stdout, stderr io.Writer) error {
			fs := newFlags("control pca-reconstruction", stderr)
			out := fs.String("out", "", "sweep output folder (default: the config's out, else runs/<name>)")
			data := fs.String("data", "", "data directory (default $COARSEALIGN_DATA, else the user cache)")
			figs := fs.String("figures", "figures", "folder for control_pca_reconstruction.{svg,png,csv}")
			metricName := fs.String("metric", "spearman", "comparison (a metric of the sweep's eval.metrics)")
			maxM := fs.Int("max-m", 15, "largest number of principal components kept")
			labelSource := fs.String("label-source", "", "label source of the coarse runs (default: the config's first)")
			fs.Usage = func() {
				fmt.Fprintln(stderr, "Usage: coarsealign control pca-reconstruction CONFIG [--out DIR] [--figures DIR] [--metric M] [--max-m 15]\n\n"+
					"Reads the finished sweep CONFIG (a YAML/JSON file or an embedded config:", strings.Join(configs.Names(), ", ")+")")
				fs.PrintDefaults()
			}
			pos, err := parseInterspersed(fs, args)
			if err != nil {
				return err
			}
			if len(pos) != 1 {
				fs.Usage()
				return errUsage
			}
			c, err := configs.Load(pos[0])
			if err != nil {
				return err
			}
			o := sweepOut(*out, c)
			rows, _, err := sweep.Collect(c.Expand(), o)
			if err != nil {
				return err
			}
			if len(rows) == 0 {
				return fmt.Errorf("no finished runs of sweep %s in %s (coarsealign sweep run %s --out %s)", c.Name, o, pos[0], o)
			}
			res, err := study.PCAReconstructionControl(c, rows, o, datadir.Resolve(*data),
				study.ControlOptions{Metric: *metricName, MaxM: *maxM, LabelSource: *labelSource})
			if err != nil {
				return err
			}
			for _, r := range res {
				if err := r.Fprint(stdout); err != nil {
					return err
				}
			}
			f, err := plots.ReconstructionControlOf(res...)
			if err != nil {
				return err
			}
			paths, err := f.Save(*figs, "control_pca_reconstruction")
			for _, p := range paths {
				fmt.Fprintln(stdout, "wrote", p)
			}
			return err
		})
}
