package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/coarsealign/coarsealign/pkg/datadir"
	"github.com/coarsealign/coarsealign/pkg/eval"
	"github.com/coarsealign/coarsealign/pkg/features"
	"github.com/coarsealign/coarsealign/pkg/sweep"
)

func init() {
	register("eval", "score saved 92-image features against brain and behaviour targets (RSA, noise ceilings, layer selection, odd-one-out) as CSV", runEval)
}

func runEval(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("eval", stderr)
	dataFlag := fs.String("data", "", "data directory (default $COARSEALIGN_DATA, else the user cache folder)")
	featFlag := fs.String("features", "", "folder written by 'coarsealign features', or its index.json (required)")
	quick := fs.Bool("quick", false, "fast look: 100 subsamples, 20 half splits, 20,000 triplets per RDM (default: 1000, 100, all)")
	out := fs.String("out", "", "output CSV file (default: standard output)")
	seed := fs.Uint64("seed", 0, "seed of the subsamples, splits and triplet samples")
	logits := fs.Bool("logits", false, "also score the logits (the study scores the hidden extraction points only)")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		fmt.Fprintf(stderr, "coarsealign eval: unexpected argument %q\n", pos[0])
		return errUsage
	}
	if *featFlag == "" {
		fmt.Fprintln(stderr, "coarsealign eval: --features is required")
		return errUsage
	}
	dir := *featFlag
	if st, err := os.Stat(dir); err != nil {
		return fmt.Errorf("--features: %w", err)
	} else if !st.IsDir() {
		if filepath.Base(dir) != features.IndexFile {
			return fmt.Errorf("--features %s: want a folder or its %s", dir, features.IndexFile)
		}
		dir = filepath.Dir(dir)
	}
	idx, saved, err := features.Load(dir)
	if err != nil {
		return fmt.Errorf("--features: %w", err)
	}
	if err := ensureK92(datadir.Resolve(*dataFlag), stderr); err != nil {
		return err
	}
	data, err := eval.LoadK92(datadir.Resolve(*dataFlag))
	if err != nil {
		return err
	}
	index := filepath.Join(dir, features.IndexFile)
	if idx.Stimuli != "" && idx.Stimuli != "kriegeskorte92" {
		return fmt.Errorf("%s: stimuli %q, want kriegeskorte92", index, idx.Stimuli)
	}
	want := data.Targets[0].RDM.IDs
	if len(idx.IDs) > 0 {
		if len(idx.IDs) != len(want) {
			return fmt.Errorf("%s: %d stimulus IDs, the 92-image set has %d", index, len(idx.IDs), len(want))
		}
		for i := range want {
			if idx.IDs[i] != want[i] {
				return fmt.Errorf("%s: ids[%d] is %q, want %q (rows must be in the set's order)", index, i, idx.IDs[i], want[i])
			}
		}
	}
	var layers []eval.Features
	for i := range saved {
		l := &saved[i]
		if l.Name == "logits" && !*logits {
			continue
		}
		if l.Rows != len(want) {
			return fmt.Errorf("%s: layer %q has %d rows, want %d stimuli", index, l.Name, l.Rows, len(want))
		}
		f := eval.Features{Layer: l.Name, X: l.Float64(), N: l.Rows, D: l.Cols}
		if i, ok := eval.ConstantStimulus(f); ok {
			// Its correlation RDM is undefined (e.g. a dead ReLU layer of an untrained net).
			fmt.Fprintf(stderr, "coarsealign eval: layer %s: stimulus %d has a constant pattern; skipped\n", l.Name, i)
			continue
		}
		layers = append(layers, f)
	}
	if len(layers) == 0 {
		return fmt.Errorf("%s: no layer to score", index)
	}
	opt := eval.Options{}
	if *quick {
		opt = eval.Quick()
	}
	opt.Seed = *seed
	start := time.Now()
	rows, err := eval.Evaluate(layers, data, opt)
	if err != nil {
		return err
	}
	if *out == "" {
		bw := bufio.NewWriter(stdout)
		if err := eval.WriteCSV(bw, rows); err != nil {
			return err
		}
		return bw.Flush()
	}
	// Temp file + rename: an interrupted run never leaves a partial table under the final name.
	if err := sweep.WriteFileAtomic(*out, func(w io.Writer) error { return eval.WriteCSV(w, rows) }); err != nil {
		return fmt.Errorf("writing %s: %w", *out, err)
	}
	fmt.Fprintf(stderr, "coarsealign eval: %d layers, %d rows in %s (%s)\n", len(layers), len(rows), *out, time.Since(start).Round(time.Millisecond))
	return nil
}
