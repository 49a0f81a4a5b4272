package main

import (
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"github.com/coarsealign/coarsealign/pkg/datadir"
	"github.com/coarsealign/coarsealign/pkg/plots"
	"github.com/coarsealign/coarsealign/pkg/ssl"
	"github.com/coarsealign/coarsealign/pkg/sweep"
	"github.com/coarsealign/coarsealign/pkg/sweep/study"
)

func init() {
	register("granularity-full", "the full granularity axis per architecture (issue 17): granularity-full [CONFIG] [--out DIR] [--figures DIR] [--draws-cache DIR] [--data DIR]",
		func(args []string, stdout, stderr io.Writer) error {
			fs := newFlags("granularity-full", stderr)
			out := fs.String("out", "", "the sweep's output folder (default: the config's out, else runs/<name>)")
			figs := fs.String("figures", "", "folder of the figure and tables (default OUT/figures)")
			cache := fs.String("draws-cache", "", "folder for split values recomputed from features of runs made before draws were stored (the sweep folder may be read-only)")
			data := fs.String("data", "", "data directory, for recomputing draws (default $COARSEALIGN_DATA)")
			pos, err := parseInterspersed(fs, args)
			if err != nil {
				return err
			}
			name := "granularity-full"
			if len(pos) == 1 {
				name = pos[0]
			} else if len(pos) > 1 {
				return errUsage
			}
			c, err := loadSweepConfig(name)
			if err != nil {
				return err
			}
			dir := sweepOut(*out, c)
			figDir := *figs
			if figDir == "" {
				figDir = filepath.Join(dir, "figures")
			}
			runs := c.Expand()
			rows, missing, err := sweep.Collect(runs, dir)
			if err != nil {
				return err
			}
			if len(missing) > 0 {
				fmt.Fprintf(stderr, "granularity-full: %d of %d runs not done yet; drawing the others\n", len(missing), len(runs))
			}
			if len(rows) == 0 {
				return fmt.Errorf("granularity-full: no finished run under %s", dir)
			}
			var targets, titles []string
			for _, h := range headlineTargets {
				targets, titles = append(targets, h.target), append(titles, h.title)
			}
			f, err := plots.AlignmentVsKByArch(rows, "spearman", "", "RSA (Spearman), held-out half", targets, titles)
			if err != nil {
				return err
			}
			paths, err := f.Save(figDir, "alignment_vs_k_by_arch")
			if err != nil {
				return err
			}
			var sel []sweep.Row
			for _, r := range rows {
				if r.Selected {
					sel = append(sel, r)
				}
			}
			if err := writeWith(filepath.Join(figDir, "selected.csv"), func(w io.Writer) error { return sweep.WriteCSV(w, sel) }); err != nil {
				return err
			}
			// Paired differences against the fine model of the same architecture and seed,
			// split by split (ssl - fine included).
			paired, err := study.PairedFromSweep(runs, datadir.Resolve(*data), *cache, stderr, dir)
			if err != nil {
				return err
			}
			pairedCSV := filepath.Join(figDir, "paired.csv")
			if err := writeWith(pairedCSV, func(w io.Writer) error { return sweep.WritePairedCSV(w, paired) }); err != nil {
				return err
			}
			var hts []plots.HeadlineTarget
			for i := range targets {
				hts = append(hts, plots.HeadlineTarget{Target: targets[i], Title: titles[i]})
			}
			if len(paired) > 0 {
				pf, err := plots.PairedByArch(rows, paired, "spearman", hts)
				if err != nil {
					return err
				}
				pp, err := pf.Save(figDir, "paired_vs_k_by_arch")
				if err != nil {
					return err
				}
				paths = append(paths, pp...)
			} else {
				fmt.Fprintln(stderr, "granularity-full: no paired differences (no fine-label run done beside other runs of its architecture and seed)")
			}
			sum := filepath.Join(figDir, "summary.csv")
			if err := writeWith(sum, func(w io.Writer) error { return writeAxisSummary(w, stdout, rows, paired, targets) }); err != nil {
				return err
			}
			probes := filepath.Join(figDir, "probe.csv")
			if err := writeWith(probes, func(w io.Writer) error { return writeProbes(w, stdout, runs, dir) }); err != nil {
				return err
			}
			for _, p := range append(paths, filepath.Join(figDir, "selected.csv"), pairedCSV, sum, probes) {
				fmt.Fprintln(stderr, "wrote", p)
			}
			return nil
		})
}

func writeWith(path string, fn func(io.Writer) error) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := fn(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func ff(v float64) string { return strconv.FormatFloat(v, 'f', 4, 64) }

// axisSummaryColumns are the columns of summary.csv: per architecture and target, the best K,
// fine, ssl and untrained (selected-layer score, mean over seeds, with the mean of the seeds'
// 95% CIs), ssl - fine as the difference of those means, and its paired 95% interval over the
// split-halves (sweep.Paired: ssl minus the fine model of the same seed on the same held-out
// halves, pooled over seeds; empty without draws) and whether it excludes zero.
var axisSummaryColumns = []string{"arch", "target", "metric", "best_k", "best", "best_ci_low", "best_ci_high", "fine", "fine_ci_low", "fine_ci_high",
	"ssl", "ssl_ci_low", "ssl_ci_high", "untrained", "untrained_ci_low", "untrained_ci_high", "ssl_minus_fine",
	"ssl_minus_fine_paired", "ssl_minus_fine_ci_low", "ssl_minus_fine_ci_high", "ssl_minus_fine_seeds", "ssl_minus_fine_beyond_ci"}

// sslPaired returns the paired row ssl - fine of arch, target and metric pooled over the most
// seeds, and false when paired has none.
func sslPaired(paired []sweep.PairedRow, arch, target, metric string) (sweep.PairedRow, bool) {
	var best sweep.PairedRow
	ok := false
	for _, p := range paired {
		if p.K == sweep.SSL && p.Arch == arch && p.Target == target && p.Metric == metric && (!ok || p.NSeeds > best.NSeeds) {
			best, ok = p, true
		}
	}
	return best, ok
}

// axisSummaryRecords returns the records of summary.csv (axisSummaryColumns, Spearman, the
// headline targets) and one line per architecture and target for the log.
func axisSummaryRecords(rows []sweep.Row, paired []sweep.PairedRow, targets []string) (recs [][]string, lines []string) {
	want := map[string]bool{}
	for _, t := range targets {
		want[t] = true
	}
	for _, s := range sweep.SummariseAxis(rows, "spearman", true) {
		if !want[s.Target] {
			continue
		}
		rec := []string{s.Arch, s.Target, s.Metric, s.Best.K, ff(s.Best.Value), ff(s.Best.Low), ff(s.Best.High),
			ff(s.Fine.Value), ff(s.Fine.Low), ff(s.Fine.High), ff(s.SSL.Value), ff(s.SSL.Low), ff(s.SSL.High),
			ff(s.Untrained.Value), ff(s.Untrained.Low), ff(s.Untrained.High), ff(s.SSL.Value - s.Fine.Value)}
		pd := "  ssl - fine (paired): none"
		if p, ok := sslPaired(paired, s.Arch, s.Target, s.Metric); ok {
			rec = append(rec, ff(p.Diff), ff(p.Low), ff(p.High), p.Seeds, strconv.FormatBool(p.Beyond()))
			pd = fmt.Sprintf("  ssl - fine %+.3f [%+.3f, %+.3f] over %d splits", p.Diff, p.Low, p.High, p.Splits)
		} else {
			rec = append(rec, "", "", "", "", "")
		}
		recs = append(recs, rec)
		lines = append(lines, fmt.Sprintf("%-10s %-15s best K=%s %.3f [%.3f, %.3f]  fine %.3f [%.3f, %.3f]  ssl %.3f [%.3f, %.3f]  untrained %.3f%s",
			s.Arch, s.Target, s.Best.K, s.Best.Value, s.Best.Low, s.Best.High, s.Fine.Value, s.Fine.Low, s.Fine.High,
			s.SSL.Value, s.SSL.Low, s.SSL.High, s.Untrained.Value, pd))
	}
	return recs, lines
}

// writeAxisSummary writes axisSummaryRecords as CSV to w and its lines to log.
func writeAxisSummary(w, log io.Writer, rows []sweep.Row, paired []sweep.PairedRow, targets []string) error {
	cw := csv.NewWriter(w)
	recs, lines := axisSummaryRecords(rows, paired, targets)
	_ = cw.Write(axisSummaryColumns)
	_ = cw.WriteAll(recs)
	for _, l := range lines {
		fmt.Fprintln(log, l)
	}
	cw.Flush()
	return cw.Error()
}

// writeProbes writes the linear probes of the finished ssl runs (train/probe.json).
func writeProbes(w, log io.Writer, runs []sweep.Run, dir string) error {
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"arch", "width", "seed", "tap", "units", "train_n", "test_n", "lambda", "train_accuracy", "test_accuracy"})
	for _, r := range runs {
		if r.Granularity != sweep.SSL || !sweep.IsDone(dir, r.ID()) {
			continue
		}
		p, err := ssl.ReadProbe(filepath.Join(sweep.RunDir(dir, r.ID()), study.TrainDir, ssl.ProbeFile))
		if err != nil {
			return err
		}
		_ = cw.Write([]string{r.Arch.Name, strconv.FormatFloat(r.Arch.Width, 'g', -1, 64), strconv.Itoa(r.Seed), p.Tap,
			strconv.Itoa(p.Units), strconv.Itoa(p.TrainN), strconv.Itoa(p.TestN), strconv.FormatFloat(p.Lambda, 'g', -1, 64),
			ff(p.TrainAccuracy), ff(p.TestAccuracy)})
		fmt.Fprintf(log, "ssl %s seed %d: linear probe (%s) %.4f on %d held-out images (training %.4f)\n", r.Arch.Name, r.Seed, p.Tap, p.TestAccuracy, p.TestN, p.TrainAccuracy)
	}
	cw.Flush()
	return cw.Error()
}
