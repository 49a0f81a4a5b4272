package main

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"

	"github.com/coarsealign/coarsealign/pkg/datadir"
	"github.com/coarsealign/coarsealign/pkg/features"
	"github.com/coarsealign/coarsealign/pkg/sweep/study"
	"github.com/coarsealign/coarsealign/pkg/train"
)

func init() {
	register("features", "extract every layer's activations of a trained run for a stimulus set (.npy + index.json)", runFeatures)
}

func runFeatures(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("features", stderr)
	dataFlag := fs.String("data", "", "data directory (default $COARSEALIGN_DATA, else the user cache folder)")
	runDir := fs.String("run", "", "run folder written by 'coarsealign train' (required)")
	step := fs.Int("step", -1, "checkpoint step: -1 the latest of a finished run, 0 the untrained (random-init) model, N that checkpoint (also of an unfinished run)")
	allowIncomplete := fs.Bool("allow-incomplete", false, "with --step -1, use the latest checkpoint even if the run's training is unfinished (interrupted, stopped or in progress)")
	stimuli := fs.String("stimuli", "kriegeskorte92", "stimulus set: "+strings.Join(study.Stimuli, ", "))
	out := fs.String("out", "", "output folder for <layer>.npy and index.json (required)")
	project := fs.Bool("project", false, "sparse random projection of layers wider than 4096 units to 4096 (Achlioptas/Li, density 1/sqrt(D))")
	seed := fs.Uint64("seed", 0, "seed of the random projection")
	layersFlag := fs.String("layers", "", "comma-separated layer names to keep (default: all taps and logits)")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		fmt.Fprintf(stderr, "coarsealign features: unexpected argument %q\n", pos[0])
		return errUsage
	}
	if *runDir == "" || *out == "" {
		fmt.Fprintln(stderr, "coarsealign features: --run and --out are required")
		return errUsage
	}
	if !slices.Contains(study.Stimuli, *stimuli) {
		return fmt.Errorf("--stimuli %q: want one of %v", *stimuli, study.Stimuli)
	}
	dataDir := datadir.Resolve(*dataFlag)
	if err := ensureK92(dataDir, stderr); err != nil {
		return err
	}
	run, err := train.OpenRunWith(*runDir, *step, train.OpenOptions{AllowIncomplete: *allowIncomplete})
	if _, ok := errors.AsType[*train.IncompleteError](err); ok {
		return fmt.Errorf("%w; pass --step N for one of them, or --allow-incomplete for the latest", err)
	}
	if err != nil {
		return err
	}
	if run.Step > 0 && !run.State.Complete() && run.State.Status != train.StatusNone {
		fmt.Fprintf(stderr, "coarsealign features: note: run %s is unfinished (%s); using its checkpoint at step %d\n", *runDir, run.State, run.Step)
	}
	// The sweep's features stage does the same (study.StimulusFeatures).
	layers, idx, err := study.StimulusFeatures(nil, dataDir, run, *stimuli)
	if err != nil {
		return err
	}
	idx.Run = *runDir
	if abs, err := filepath.Abs(*runDir); err == nil {
		idx.Run = abs // eval finds the run (and checks it) from any folder
	}
	if *layersFlag != "" {
		want := map[string]bool{}
		for _, n := range strings.Split(*layersFlag, ",") {
			want[strings.TrimSpace(n)] = true
		}
		var kept []features.Layer
		for _, L := range layers {
			if want[L.Name] {
				kept = append(kept, L)
				delete(want, L.Name)
			}
		}
		for n := range want {
			return fmt.Errorf("--layers: no layer %q (have %v)", n, features.LayerNames(layers))
		}
		layers = kept
	}
	if *project {
		features.Project(layers, *seed)
	}
	if err := features.Save(*out, layers, idx); err != nil {
		return err
	}
	for _, L := range layers {
		note := ""
		if L.Projection != nil {
			note = fmt.Sprintf(" (projected from %d)", L.OrigCols)
		}
		fmt.Fprintf(stdout, "%-12s %d x %d%s\n", L.Name, L.Rows, L.Cols, note)
	}
	fmt.Fprintf(stdout, "wrote %d layers of %s at step %d to %s\n", len(layers), *runDir, run.Step, *out)
	return nil
}
