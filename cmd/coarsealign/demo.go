package main

import (
	"fmt"
	"io"
	"math"
	"path/filepath"
	"time"

	"github.com/coarsealign/coarsealign/configs"
	"github.com/coarsealign/coarsealign/pkg/data/k92"
	"github.com/coarsealign/coarsealign/pkg/datadir"
	"github.com/coarsealign/coarsealign/pkg/plots"
	"github.com/coarsealign/coarsealign/pkg/rdm"
	"github.com/coarsealign/coarsealign/pkg/sweep"
	"github.com/coarsealign/coarsealign/pkg/sweep/study"
)

// headlineTargets are the demo's three panels: the target name in the results table, its title.
// The group targets ("-subjects": mean over subjects of the per-subject comparisons) carry the
// group noise ceiling; macaque IT is a single RDM without one.
var headlineTargets = []struct{ target, title string }{
	{"mIT", "macaque IT (mIT)"},
	{"hIT-subjects", "human IT (hIT, 4 subjects)"},
	{"behav-subjects", "behaviour (16 subjects)"},
}

// smokeOverrides shrinks the quick config to a few minutes' smoke test (--quick).
func smokeOverrides(c *sweep.Config) {
	c.Name = "quick-smoke"
	c.Data.PerClass = 30
	c.Train.Epochs = 1
	c.Train.Steps = 8
	c.Labels.SourceEpochs = 1
	c.Eval.Bootstrap = 20
	c.Eval.Splits = 5
	c.Eval.MaxTriplets = 2000
}

// demoFigures draws the headline figures from the sweep under out into figDir and returns the
// written paths.
func demoFigures(c *sweep.Config, out, dataDir, figDir string, rows []sweep.Row) ([]string, error) {
	var panels []plots.GranularityPanel
	for i, h := range headlineTargets {
		pn, err := plots.GranularityFromRows(rows, h.target, "spearman", "", h.title, "RSA (Spearman), held-out half")
		if err != nil {
			return nil, err
		}
		if i == 2 {
			pn.Ramp = plots.Greens
		}
		panels = append(panels, pn)
	}
	var paths []string
	f, err := plots.AlignmentVsK(panels...)
	if err != nil {
		return nil, err
	}
	p, err := f.Save(figDir, "alignment_vs_k")
	if err != nil {
		return nil, err
	}
	paths = append(paths, p...)
	curves, err := plots.CurvesFromSweep(out, c.Expand())
	if err != nil {
		return nil, err
	}
	if len(curves) > 0 {
		f, err := plots.TrainingCurves(curves...)
		if err != nil {
			return nil, err
		}
		p, err := f.Save(figDir, "training_curves")
		if err != nil {
			return nil, err
		}
		paths = append(paths, p...)
	}
	prs, err := plots.ProfilesFromRows(profileRows(rows), "hIT-subjects", "spearman", "")
	if err == nil {
		f, err := plots.LayerProfiles("human IT (hIT, 4 subjects)", "RSA (Spearman)", prs...)
		if err != nil {
			return nil, err
		}
		p, err := f.Save(figDir, "layer_profiles_hit")
		if err != nil {
			return nil, err
		}
		paths = append(paths, p...)
	}
	pr, err := study.PairedFromSweep(c.Expand(), dataDir, "", nil, out)
	if err != nil {
		return nil, err
	}
	if len(pr) > 0 {
		p, err := pairedFigure(rows, pr, figDir)
		if err != nil {
			return nil, err
		}
		paths = append(paths, p...)
		if err := sweep.WriteFileAtomic(filepath.Join(out, "paired.csv"), func(w io.Writer) error { return sweep.WritePairedCSV(w, pr) }); err != nil {
			return nil, err
		}
		paths = append(paths, filepath.Join(out, "paired.csv"))
	}
	p, err = rdmFigures(out, dataDir, figDir, rows)
	if err != nil {
		return nil, err
	}
	return append(paths, p...), nil
}

// pairedFigure draws the headline targets' absolute bars above their paired differences
// against the fine model (Spearman) into figDir/paired_vs_k.*.
func pairedFigure(rows []sweep.Row, paired []sweep.PairedRow, figDir string) ([]string, error) {
	var ts []plots.HeadlineTarget
	for _, h := range headlineTargets {
		ts = append(ts, plots.HeadlineTarget{Target: h.target, Title: h.title})
	}
	f, err := plots.PairedFigure(rows, paired, "spearman", "", ts)
	if err != nil {
		return nil, err
	}
	return f.Save(figDir, "paired_vs_k")
}

// rdmFigures draws, for the fine-label model and the best coarse model on human IT, the RDM of
// the layer selected for hIT next to the hIT group-mean RDM (stimuli ordered by category), and
// the MDS of the same RDMs.
func rdmFigures(out, dataDir, figDir string, rows []sweep.Row) ([]string, error) {
	set, err := k92.Load(dataDir)
	if err != nil {
		return nil, err
	}
	hit, err := rdm.Mean("hIT (mean of 4 subjects)", set.HITSubjects[:])
	if err != nil {
		return nil, err
	}
	// The first fine-label run and the best coarse run on hIT (the first one on ties), at the
	// layer selected for hIT, in the table's run order, so the figure is the same on every call.
	picks, err := sweep.PickRuns(rows, "hIT-subjects", "spearman", "", sweep.PickFine, sweep.PickBest)
	if err != nil {
		return nil, err
	}
	rdms := []*rdm.RDM{}
	for _, p := range picks {
		name := fmt.Sprintf("K=%s, %s", p.Row.K, p.Row.Layer)
		if p.Role == sweep.PickFine {
			name = "fine labels, " + p.Row.Layer
		}
		m, err := study.LayerRDM(out, p.Row.RunID, p.Row.Layer, name, set.IDs)
		if err != nil {
			return nil, err
		}
		rdms = append(rdms, m)
	}
	rdms = append(rdms, hit)
	var paths []string
	f, err := plots.RDMHeatmaps(set.Category, rdms...)
	if err != nil {
		return nil, err
	}
	p, err := f.Save(figDir, "rdms_hit")
	if err != nil {
		return nil, err
	}
	paths = append(paths, p...)
	m, err := plots.MDSScatter(set.Category, rdms...)
	if err != nil {
		return nil, err
	}
	p, err = m.Save(figDir, "mds_hit")
	if err != nil {
		return nil, err
	}
	return append(paths, p...), nil
}

// profileRows keeps the per-layer rows on all stimuli (split "all").
func profileRows(rows []sweep.Row) []sweep.Row {
	var out []sweep.Row
	for _, r := range rows {
		if r.Split == "all" {
			out = append(out, r)
		}
	}
	return out
}

// printHeadline writes the alignment of the selected layer per target and granularity.
func printHeadline(w io.Writer, rows []sweep.Row) {
	fmt.Fprintln(w, "Alignment (Spearman, layer selected on one half of the 92 stimuli, scored on the other; 95% interval over splits):")
	for _, h := range headlineTargets {
		pn, err := plots.GranularityFromRows(rows, h.target, "spearman", "", h.title, "")
		if err != nil {
			fmt.Fprintf(w, "  %s: %v\n", h.title, err)
			continue
		}
		ceil := ""
		if !math.IsNaN(pn.CeilingLow) {
			ceil = fmt.Sprintf(" (noise ceiling %.3f-%.3f)", pn.CeilingLow, pn.CeilingHigh)
		}
		fmt.Fprintf(w, "  %s%s\n", h.title, ceil)
		for _, b := range pn.Bars {
			fmt.Fprintf(w, "    %-10s %.3f [%.3f, %.3f]\n", b.Label, b.Value, b.Low, b.High)
		}
	}
}

// demoFigureDir is the demo's figure folder: the --figures value if given, else figures/ (the
// committed headline figures) for a real demo and OUT/figures for a --quick smoke run.
func demoFigureDir(flagValue string, quick bool, out string) string {
	switch {
	case flagValue != "":
		return flagValue
	case quick:
		return filepath.Join(out, "figures")
	}
	return "figures"
}

func init() {
	register("demo", "train the quick granularity sweep on CIFAR-10 and draw the headline figures",
		func(args []string, stdout, stderr io.Writer) error {
			fs := newFlags("demo", stderr)
			data := fs.String("data", "", "data directory (default $COARSEALIGN_DATA, else the user cache)")
			out := fs.String("out", "", "sweep output folder (default runs/quick, or runs/quick-smoke with --quick)")
			figs := fs.String("figures", "", "folder for the figures (SVG, PNG and CSV; default figures, or OUT/figures with --quick so that smoke numbers never replace the committed figures)")
			quick := fs.Bool("quick", false, "a few-minute smoke version (30 images per class, 8 steps per run, small evaluation)")
			quiet := fs.Bool("quiet", false, "no training progress (one line per run and stage event only)")
			pos, err := parseInterspersed(fs, args)
			if err != nil {
				return err
			}
			if len(pos) > 0 {
				fmt.Fprintf(stderr, "coarsealign demo: unexpected argument %q\n", pos[0])
				return errUsage
			}
			b, err := configs.Read("quick")
			if err != nil {
				return err
			}
			c, err := sweep.Parse(b)
			if err != nil {
				return err
			}
			if *quick {
				smokeOverrides(c)
				if err := c.Validate(); err != nil {
					return err
				}
			}
			o := sweepOut(*out, c)
			intr := newInterrupt(stderr)
			defer intr.Stop()
			t0 := time.Now()
			dd := datadir.Resolve(*data)
			if _, err := runSweep(intr.Context(), c, o, dd, sweep.Shard{}, *quiet, stderr); err != nil {
				return intr.Err(err, "rerun the same command to resume")
			}
			rows, missing, err := sweep.Collect(c.Expand(), o)
			if err != nil {
				return err
			}
			if len(missing) > 0 {
				return fmt.Errorf("%d runs not done", len(missing))
			}
			paths, err := demoFigures(c, o, dd, demoFigureDir(*figs, *quick, o), rows)
			if err != nil {
				return err
			}
			printHeadline(stdout, rows)
			fmt.Fprintf(stdout, "table: %s\nfigures:\n", filepath.Join(o, "results.csv"))
			for _, p := range paths {
				fmt.Fprintf(stdout, "  %s\n", p)
			}
			fmt.Fprintf(stdout, "demo took %s\n", time.Since(t0).Round(time.Second))
			return nil
		})
}
