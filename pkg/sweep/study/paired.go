package study

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"

	"github.com/coarsealign/coarsealign/pkg/eval"
	"github.com/coarsealign/coarsealign/pkg/sweep"
)

// SelectedDraws returns the per-split held-out values of the selected-layer rows of an
// evaluation made with eval.Options.KeepDraws (rows with an undefined value are left out, as
// in the scores).
func SelectedDraws(rows []eval.Row) []sweep.Draws {
	var out []sweep.Draws
	for _, e := range rows {
		if !e.Selected || e.Draws == nil || math.IsNaN(e.Value) || math.IsInf(e.Value, 0) {
			continue
		}
		out = append(out, sweep.Draws{Layer: e.Layer, Target: e.Target, Metric: e.Metric, Split: e.Split, Values: e.Draws})
	}
	return out
}

// RunDraws returns the draws of run r (sweep.Draws of its selected-layer rows) from the first
// folder of outs holding the run done: its draws file, else cache/<id>/draws.jsonl, else
// recomputed from the run's features with its eval settings (the split-halves only; no
// subsamples, no odd-one-out) and written to the cache folder when cache is not "" (outs may
// be read-only). A recomputation is checked against the run's stored scores: every selected
// row's mean must equal the stored value (within 1e-9), so a change of the evaluation code
// since the run was scored is an error rather than a silently unpaired comparison.
func RunDraws(r sweep.Run, dataDir, cache string, log io.Writer, outs ...string) ([]sweep.Draws, error) {
	id := r.ID()
	out := ""
	for _, o := range outs {
		if sweep.IsDone(o, id) {
			out = o
			break
		}
	}
	if out == "" {
		return nil, fmt.Errorf("study: run %s (%s) is not done in %v", id, r.Label(), outs)
	}
	d, err := sweep.ReadDraws(sweep.DrawsPath(out, id))
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return d, err
	}
	cached := ""
	if cache != "" {
		cached = filepath.Join(cache, id, sweep.DrawsFile)
		if d, err := sweep.ReadDraws(cached); err == nil || !errors.Is(err, fs.ErrNotExist) {
			return d, err
		}
	}
	if log == nil {
		log = io.Discard
	}
	fmt.Fprintf(log, "run %s (%s): no %s; recomputing the split-halves from its features\n", id, r.Label(), sweep.DrawsFile)
	layers, err := ReadFeatures(filepath.Join(sweep.RunDir(out, id), FeaturesDir))
	if err != nil {
		return nil, err
	}
	set, err := loadK92(dataDir)
	if err != nil {
		return nil, err
	}
	data, err := EvalData(set, r.Eval)
	if err != nil {
		return nil, err
	}
	for i := range data.Groups {
		data.Groups[i].OddOneOut = false
	}
	opt, err := EvalOptions(r.Eval)
	if err != nil {
		return nil, err
	}
	opt.Draws, opt.KeepDraws = -1, true
	rows, err := EvaluateLayers(layers, data, opt, io.Discard, "run "+id)
	if err != nil {
		return nil, err
	}
	d = SelectedDraws(rows)
	scores, err := sweep.ReadScores(filepath.Join(sweep.RunDir(out, id), sweep.ScoresFile))
	if err != nil {
		return nil, err
	}
	stored := map[string]float64{}
	for _, s := range scores {
		if s.Selected {
			stored[s.Target+"\x00"+s.Metric] = s.Value
		}
	}
	for _, x := range d {
		v, ok := stored[x.Target+"\x00"+x.Metric]
		if !ok {
			continue
		}
		if m := mean(x.Values); math.Abs(m-v) > 1e-9 {
			return nil, fmt.Errorf("study: run %s: recomputed %s/%s selected score %.12g differs from the stored %.12g (evaluation code changed since the run was scored?)", id, x.Target, x.Metric, m, v)
		}
	}
	if cached != "" {
		if err := os.MkdirAll(filepath.Dir(cached), 0o755); err != nil {
			return nil, err
		}
		if err := sweep.WriteFileAtomic(cached, func(w io.Writer) error { return sweep.WriteDrawsTo(w, d) }); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// PairedFromSweep computes sweep.Paired for the runs done in one of the folders outs, reading
// (or recomputing, see RunDraws) each run's draws; runs not done yet are left out.
func PairedFromSweep(runs []sweep.Run, dataDir, cache string, log io.Writer, outs ...string) ([]sweep.PairedRow, error) {
	var done []sweep.Run
	for _, r := range runs {
		for _, o := range outs {
			if sweep.IsDone(o, r.ID()) {
				done = append(done, r)
				break
			}
		}
	}
	return sweep.Paired(done, func(r sweep.Run) ([]sweep.Draws, error) {
		return RunDraws(r, dataDir, cache, log, outs...)
	}, 0)
}

func mean(x []float64) float64 {
	s := 0.0
	for _, v := range x {
		s += v
	}
	return s / float64(len(x))
}
