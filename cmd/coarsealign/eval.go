package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/coarsealign/coarsealign/internal/fsutil"
	"github.com/coarsealign/coarsealign/pkg/datadir"
	"github.com/coarsealign/coarsealign/pkg/eval"
	"github.com/coarsealign/coarsealign/pkg/features"
	"github.com/coarsealign/coarsealign/pkg/metric"
	"github.com/coarsealign/coarsealign/pkg/sweep"
	"github.com/coarsealign/coarsealign/pkg/sweep/study"
	"github.com/coarsealign/coarsealign/pkg/train"
)

func init() {
	register("eval", "score saved 92-image features against brain and behaviour targets and your own (RSA, CKA, encoding, odd-one-out; noise ceilings, layer selection) as CSV", runEval)
}

// targetFlags collects repeated NAME=FILE.npy flag values.
type targetFlags []string

func (t *targetFlags) String() string { return strings.Join(*t, ",") }

func (t *targetFlags) Set(v string) error {
	name, path, ok := strings.Cut(v, "=")
	if !ok || name == "" || path == "" {
		return fmt.Errorf("%q is not NAME=FILE.npy", v)
	}
	*t = append(*t, v)
	return nil
}

func runEval(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("eval", stderr)
	dataFlag := fs.String("data", "", "data directory (default $COARSEALIGN_DATA, else the user cache folder)")
	featFlag := fs.String("features", "", "folder written by 'coarsealign features', or its index.json (required)")
	quick := fs.Bool("quick", false, "fast look: 100 subsamples, 20 half splits, 20,000 triplets per RDM (default: 1000, 100, all)")
	out := fs.String("out", "", "output CSV file (default: standard output)")
	seed := fs.Uint64("seed", 0, "seed of the subsamples, splits and triplet samples")
	logits := fs.Bool("logits", false, "also score the logits (the study scores the hidden extraction points only)")
	allowIncomplete := fs.Bool("allow-incomplete", false, "score features of a model that is not a final one of its run (an unfinished run's checkpoint, or a step before the end)")
	metrics := fs.String("metrics", strings.Join(metric.DefaultNames(), ","), "comma-separated metrics: "+strings.Join(metric.Names(), ", "))
	var rdmTargets, respTargets targetFlags
	fs.Var(&rdmTargets, "rdm", "extra target NAME=FILE.npy: an RDM of the 92 images (square or upper-triangle vector, the set's order); repeatable")
	fs.Var(&respTargets, "responses", "extra target NAME=FILE.npy: a 92 x units response matrix (rows in the set's order), scored by every metric including CKA and encoding; repeatable")
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
	// Features of a run folder on this machine: its model must be a final one (a finished run,
	// a chronology step, or the untrained model).
	if _, err := os.Stat(filepath.Join(idx.Run, train.ConfigFile)); idx.Run != "" && err == nil && !*allowIncomplete {
		if err := train.CheckStep(idx.Run, idx.Step); err != nil {
			return fmt.Errorf("--features %s (%s): %w; extract the features again once the run is finished, or pass --allow-incomplete",
				dir, features.IndexFile, err)
		}
	}
	if err := ensureK92(datadir.Resolve(*dataFlag), stderr); err != nil {
		return err
	}
	data, err := eval.LoadK92(datadir.Resolve(*dataFlag))
	if err != nil {
		return err
	}
	for _, spec := range rdmTargets {
		name, path, _ := strings.Cut(spec, "=")
		t, err := eval.LoadTarget(name, path, "")
		if err != nil {
			return fmt.Errorf("--rdm: %w", err)
		}
		data.Targets = append(data.Targets, t)
	}
	for _, spec := range respTargets {
		name, path, _ := strings.Cut(spec, "=")
		t, err := eval.LoadTarget(name, "", path)
		if err != nil {
			return fmt.Errorf("--responses: %w", err)
		}
		data.Targets = append(data.Targets, t)
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
		layers = append(layers, eval.Features{Layer: l.Name, X: l.Float64(), N: l.Rows, D: l.Cols})
	}
	// The sweep's evaluation settings (study.EvalOptions): the paper's 1000 subsamples and 100
	// split-halves, or the quick look.
	settings := sweep.Eval{Bootstrap: 1000, Splits: 100, Seed: int(*seed), Metrics: splitList(*metrics)}
	if _, err := metric.LookupAll(settings.Metrics); err != nil {
		return fmt.Errorf("--metrics: %w", err)
	}
	if *quick {
		q := eval.Quick()
		settings.Bootstrap, settings.Splits, settings.MaxTriplets = q.Draws, q.Splits, q.MaxTriplets
	}
	opt, err := study.EvalOptions(settings)
	if err != nil {
		return fmt.Errorf("--metrics: %w", err)
	}
	start := time.Now()
	rows, err := study.EvaluateLayers(layers, data, opt, stderr, "coarsealign eval")
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
	if err := fsutil.WriteFileAtomic(*out, func(w io.Writer) error { return eval.WriteCSV(w, rows) }); err != nil {
		return fmt.Errorf("writing %s: %w", *out, err)
	}
	scored := map[string]bool{}
	for _, r := range rows {
		scored[r.Layer] = true
	}
	fmt.Fprintf(stderr, "coarsealign eval: %d layers, %d rows in %s (%s)\n", len(scored), len(rows), *out, time.Since(start).Round(time.Millisecond))
	return nil
}

// splitList splits a comma-separated list, dropping empty entries.
func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
