package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/coarsealign/coarsealign/configs"
	"github.com/coarsealign/coarsealign/pkg/backend"
	"github.com/coarsealign/coarsealign/pkg/brainguided"
	"github.com/coarsealign/coarsealign/pkg/datadir"
	"github.com/coarsealign/coarsealign/pkg/fastconv"
	"github.com/coarsealign/coarsealign/pkg/plots"
)

func init() {
	register("brain-guided", "fine-tune a trained model towards human IT on training stimuli; score held-out stimuli and subjects (docs/brain-guided.md)",
		func(args []string, stdout, stderr io.Writer) error {
			fs := newFlags("brain-guided", stderr)
			out := fs.String("out", "", "output folder (default runs/<name>): conditions/, results.csv, summary.csv")
			data := fs.String("data", "", "data directory (default $COARSEALIGN_DATA, else the user cache)")
			figs := fs.String("figures", "figures", "folder for brain_guided.{svg,png,csv} and brain_guided_results.csv (empty: none)")
			start := fs.String("start", "", "training-run folder to fine-tune (overrides the config's start)")
			fs.Usage = func() {
				fmt.Fprintln(stderr, "Usage: coarsealign brain-guided CONFIG (a YAML file, or brain-guided: the embedded configs/studies/brain-guided.yaml) [--out DIR] [--start RUN] [--figures DIR]\n\n"+
					"Runs the brain-guided fine-tuning study of CONFIG (configs/studies/brain-guided.yaml); a re-run skips finished conditions.")
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
			c, err := brainguided.Load(pos[0])
			if _, statErr := os.Stat(pos[0]); statErr != nil {
				if b, rerr := configs.ReadStudy(pos[0]); rerr == nil { // an embedded config by name
					c, err = brainguided.Parse(b)
				}
			}
			if err != nil {
				return err
			}
			if *start != "" {
				c.Start = *start
			}
			if *out == "" {
				*out = filepath.Join("runs", c.Name)
			}
			b, err := backend.New()
			if err != nil {
				return err
			}
			fastconv.WarnIfNoSIMD(stderr)
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			t0 := time.Now()
			rows, err := brainguided.Run(ctx, brainguided.Env{Backend: b, DataDir: datadir.Resolve(*data), Out: *out, Log: stdout}, c)
			if errors.Is(err, context.Canceled) {
				return &exitError{code: 130, err: fmt.Errorf("interrupted: finished conditions are kept in %s; rerun the same command to continue", *out)}
			}
			if err != nil {
				return err
			}
			paths, err := brainguided.WriteResults(*out, rows)
			for _, p := range paths {
				fmt.Fprintln(stdout, "wrote", p)
			}
			if err != nil {
				return err
			}
			if err := brainguided.Fprint(stdout, brainguided.Summarize(rows)); err != nil {
				return err
			}
			if *figs != "" {
				f, err := plots.BrainGuided(rows)
				if err != nil {
					return err
				}
				paths, err := f.Save(*figs, "brain_guided")
				if err == nil { // the table the figure and notebook 09 are drawn from
					tab := filepath.Join(*figs, "brain_guided_results.csv")
					err = brainguided.WriteCSV(tab, brainguided.Header, brainguided.Records(rows))
					paths = append(paths, tab)
				}
				for _, p := range paths {
					fmt.Fprintln(stdout, "wrote", p)
				}
				if err != nil {
					return err
				}
			}
			fmt.Fprintf(stdout, "done in %s\n", time.Since(t0).Round(time.Second))
			return nil
		})
}
