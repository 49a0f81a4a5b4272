package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/coarsealign/coarsealign/configs"
	"github.com/coarsealign/coarsealign/pkg/datadir"
	"github.com/coarsealign/coarsealign/pkg/sweep"
	"github.com/coarsealign/coarsealign/pkg/sweep/study"
)

// loadSweepConfig reads CONFIG: a file path, or the name of an embedded config (quick,
// cpu-full, paper) when no such file exists (configs.Load).
func loadSweepConfig(arg string) (*sweep.Config, error) { return configs.Load(arg) }

// sweepOut resolves the output folder: --out, else the config's out, else runs/<name>.
func sweepOut(flagOut string, c *sweep.Config) string {
	switch {
	case flagOut != "":
		return flagOut
	case c.Out != "":
		return c.Out
	}
	return filepath.Join("runs", c.Name)
}

// lineProgress prints one line per run with the sweep's progress and an ETA from the mean
// duration of the runs executed so far.
type lineProgress struct {
	w       io.Writer
	start   time.Time
	runT0   time.Time
	ran     int
	ranTime time.Duration
	total   int
}

func (p *lineProgress) StartRun(r sweep.Run, pos, total int) {
	p.total = total
	p.runT0 = time.Now()
	eta := "?"
	if p.ran > 0 {
		eta = (p.ranTime / time.Duration(p.ran) * time.Duration(total-pos)).Round(time.Second).String()
	}
	fmt.Fprintf(p.w, "[%d/%d] run %s %s (sweep ETA %s)\n", pos+1, total, r.ID(), r.Label(), eta)
}

func (p *lineProgress) Stage(r sweep.Run, stage string, done, total int) {}

func (p *lineProgress) EndRun(r sweep.Run, skipped bool, err error) {
	d := time.Since(p.runT0)
	switch {
	case err != nil:
		fmt.Fprintf(p.w, "      failed after %s: %v\n", d.Round(time.Second), err)
	case skipped:
		fmt.Fprintf(p.w, "      skipped (done, or held by another process)\n")
	default:
		p.ran++
		p.ranTime += d
		fmt.Fprintf(p.w, "      done in %s\n", d.Round(time.Second))
	}
}

// studyOptions are the sweep's stage options: logs on stderr, and training progress unless quiet.
func studyOptions(quiet bool, stderr io.Writer) study.Options {
	o := study.Options{Log: stderr, Progress: stderr}
	if quiet {
		o.Progress = nil
	}
	return o
}

// runSweep executes the runs of c selected by shard under out and writes the results table
// when the whole sweep is done. quiet drops the per-run training progress (the run and epoch
// lines stay).
func runSweep(ctx context.Context, c *sweep.Config, out, dataDir string, shard sweep.Shard, quiet bool, stderr io.Writer) (sweep.Summary, error) {
	runs := c.Expand()
	sel := shard.Select(runs)
	if err := os.MkdirAll(out, 0o755); err != nil {
		return sweep.Summary{}, err
	}
	if err := ensureK92(dataDir, stderr); err != nil {
		return sweep.Summary{}, err
	}
	fmt.Fprintf(stderr, "sweep %s: %d runs, shard %s has %d, output %s, data %s\n", c.Name, len(runs), shard, len(sel), out, dataDir)
	rn := &sweep.Runner{Out: out, DataDir: dataDir, Stages: study.Stages(studyOptions(quiet, stderr)),
		Progress: &lineProgress{w: stderr, start: time.Now()}}
	sum, err := rn.Execute(ctx, sel)
	if err != nil {
		return sum, err
	}
	rn.Log = stderr // add-on targets (eval.cifar10h) of the done runs, old ones included
	if _, err := rn.RunAddOns(ctx, sel, studyOptions(quiet, stderr).AddOns()); err != nil {
		return sum, err
	}
	rows, missing, err := sweep.Collect(runs, out)
	if err != nil {
		return sum, err
	}
	if len(missing) == 0 {
		if err := sweep.WriteTables(out, rows); err != nil {
			return sum, err
		}
		fmt.Fprintf(stderr, "results: %s (%d rows)\n", filepath.Join(out, "results.csv"), len(rows))
	} else {
		fmt.Fprintf(stderr, "%d runs of the sweep not done yet (other shards?); 'coarsealign sweep results' merges when all are\n", len(missing))
	}
	return sum, nil
}

func init() {
	register("sweep run", "run (a shard of) a granularity sweep: sweep run CONFIG [--shard i/n] [--out DIR]",
		func(args []string, stdout, stderr io.Writer) error {
			fs := newFlags("sweep run", stderr)
			out := fs.String("out", "", "output folder (default: the config's out, else runs/<name>)")
			data := fs.String("data", "", "data directory (default $COARSEALIGN_DATA, else the user cache)")
			shardFlag := fs.String("shard", "", "run only shard i of n (i/n, 0-based, round-robin over the runs)")
			quiet := fs.Bool("quiet", false, "no training progress (one line per run and stage event only)")
			fs.Usage = func() {
				fmt.Fprintln(stderr, "Usage: coarsealign sweep run CONFIG [--shard i/n] [--out DIR] [--data DIR] [--quiet]\n\nCONFIG is a YAML/JSON file or an embedded config:", strings.Join(configs.Names(), ", "))
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
			c, err := loadSweepConfig(pos[0])
			if err != nil {
				return err
			}
			shard, err := sweep.ParseShard(*shardFlag)
			if err != nil {
				return err
			}
			if *shardFlag == "" {
				// Slurm arrays and Kubernetes indexed Jobs: the index comes from the environment.
				if s, ok := shardFromEnv(); ok {
					shard = s
				}
			}
			intr := newInterrupt(stderr)
			defer intr.Stop()
			sum, err := runSweep(intr.Context(), c, sweepOut(*out, c), datadir.Resolve(*data), shard, *quiet, stderr)
			fmt.Fprintf(stdout, "ran %d, skipped %d (done), busy %d (other process)\n", sum.Ran, sum.Skipped, sum.Busy)
			return intr.Err(err, "the run in progress is resumed by the same command")
		})

	register("sweep status", "done / in-progress / pending runs of a sweep: sweep status CONFIG [--out DIR]",
		func(args []string, stdout, stderr io.Writer) error {
			fs := newFlags("sweep status", stderr)
			out := fs.String("out", "", "output folder (default: the config's out, else runs/<name>)")
			verbose := fs.Bool("v", false, "list every run")
			pos, err := parseInterspersed(fs, args)
			if err != nil {
				return err
			}
			if len(pos) != 1 {
				fmt.Fprintln(stderr, "Usage: coarsealign sweep status CONFIG [--out DIR] [-v]")
				return errUsage
			}
			c, err := loadSweepConfig(pos[0])
			if err != nil {
				return err
			}
			o := sweepOut(*out, c)
			if st, err := os.Stat(o); err != nil || !st.IsDir() {
				return fmt.Errorf("sweep output folder %s does not exist (run 'coarsealign sweep run %s' first, or pass --out)", o, pos[0])
			}
			runs := c.Expand()
			st := sweep.GetStatus(o, runs)
			fmt.Fprintf(stdout, "%s: %d runs: %d done, %d in progress, %d pending\n", c.Name, len(runs), st.Done, st.InProgress, st.Pending)
			if *verbose {
				for i, r := range runs {
					fmt.Fprintf(stdout, "%3d %s %-11s %s\n", i, r.ID(), st.States[i], r.Label())
				}
			}
			return nil
		})

	register("sweep results", "the tidy results table of a sweep: sweep results CONFIG [--format csv|jsonl] [--out DIR[,DIR...]]",
		func(args []string, stdout, stderr io.Writer) error {
			fs := newFlags("sweep results", stderr)
			out := fs.String("out", "", "output folder(s), comma-separated to merge shards run in separate folders")
			format := fs.String("format", "csv", "csv or jsonl")
			partial := fs.Bool("partial", false, "print the rows of the runs done so far instead of failing")
			paired := fs.Bool("paired", false, "print the paired table instead: each coarse/untrained model minus the fine model of its seed, split by split (CSV)")
			figure := fs.String("figure", "", "with --paired: also draw DIR/paired_vs_k.{svg,png,csv} (absolute bars above the paired differences)")
			cache := fs.String("draws-cache", "", "with --paired: folder for split values recomputed from features of runs made before draws were stored (the sweep folder may be read-only)")
			data := fs.String("data", "", "with --paired: data directory, for recomputing draws (default $COARSEALIGN_DATA)")
			pos, err := parseInterspersed(fs, args)
			if err != nil {
				return err
			}
			if len(pos) != 1 {
				fmt.Fprintln(stderr, "Usage: coarsealign sweep results CONFIG [--format csv|jsonl] [--out DIR[,DIR...]] [--partial] [--paired [--figure DIR] [--draws-cache DIR]]")
				return errUsage
			}
			if *format != "csv" && *format != "jsonl" {
				return fmt.Errorf("--format %q: want csv or jsonl", *format)
			}
			c, err := loadSweepConfig(pos[0])
			if err != nil {
				return err
			}
			outs := []string{sweepOut("", c)}
			if *out != "" {
				outs = strings.Split(*out, ",")
			}
			for _, o := range outs {
				if st, err := os.Stat(o); err != nil || !st.IsDir() {
					return fmt.Errorf("sweep output folder %s does not exist (run 'coarsealign sweep run %s' first, or pass --out)", o, pos[0])
				}
			}
			runs := c.Expand()
			rows, missing, err := sweep.Collect(runs, outs...)
			if err != nil {
				return err
			}
			if len(missing) > 0 && !*partial {
				return fmt.Errorf("%d of %d runs not done (first: %s); run the sweep or pass --partial", len(missing), len(runs), missing[0])
			}
			if len(missing) == 0 && len(outs) > 1 {
				// Merged shards: keep a copy of the merged table in the first folder.
				if err := sweep.WriteTables(outs[0], rows); err != nil {
					return err
				}
			}
			if *paired {
				return pairedResults(c, rows, outs, datadir.Resolve(*data), *cache, *figure, stdout, stderr)
			}
			if *format == "jsonl" {
				return sweep.WriteJSONL(stdout, rows)
			}
			return sweep.WriteCSV(stdout, rows)
		})
}

// pairedResults writes the paired table of the done runs of c (CSV on stdout) and, with figDir,
// the paired_vs_k figure of the headline targets.
func pairedResults(c *sweep.Config, rows []sweep.Row, outs []string, dataDir, cache, figDir string, stdout, stderr io.Writer) error {
	pr, err := study.PairedFromSweep(c.Expand(), dataDir, cache, stderr, outs...)
	if err != nil {
		return err
	}
	if len(pr) == 0 {
		return fmt.Errorf("no paired differences: the sweep has no fine-label run with coarse or untrained runs of the same seed done")
	}
	if figDir != "" {
		paths, err := pairedFigure(rows, pr, figDir)
		if err != nil {
			return err
		}
		for _, p := range paths {
			fmt.Fprintf(stderr, "figure: %s\n", p)
		}
	}
	return sweep.WritePairedCSV(stdout, pr)
}

// shardFromEnv reads a shard from SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT or from
// Kubernetes' JOB_COMPLETION_INDEX with COARSEALIGN_SHARDS (the Job's completions).
func shardFromEnv() (sweep.Shard, bool) {
	pairs := [][2]string{{"SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_COUNT"}, {"JOB_COMPLETION_INDEX", "COARSEALIGN_SHARDS"}}
	for _, p := range pairs {
		i, n := os.Getenv(p[0]), os.Getenv(p[1])
		if i == "" || n == "" {
			continue
		}
		s, err := sweep.ParseShard(i + "/" + n)
		if err == nil {
			return s, true
		}
	}
	return sweep.Shard{}, false
}
