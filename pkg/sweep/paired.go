package sweep

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/coarsealign/coarsealign/pkg/stats"
)

// DrawsFile holds a run's resampled values of its selected-layer rows, one JSON Draws per line
// (written by the eval stage beside ScoresFile; runs evaluated before it existed have none,
// and pkg/sweep/study recomputes them from the run's features).
const DrawsFile = "draws.jsonl"

// Draws are the values behind one score's interval: for a selected-layer row (Split "half"),
// the held-out score of each of the eval.splits split-halves, in split order. The splits depend
// only on the eval settings (seed, splits) and the stimuli, so two runs with the same eval
// settings were scored on the same halves and their values can be differenced split by split.
type Draws struct {
	Layer  string    `json:"layer"`
	Target string    `json:"target"`
	Metric string    `json:"metric"`
	Split  string    `json:"split"`
	Values []float64 `json:"values"`
}

// WriteDraws writes the run's draws (DrawsFile) atomically.
func (e *Env) WriteDraws(d []Draws) error {
	return e.WriteFile(DrawsFile, func(w io.Writer) error { return WriteDrawsTo(w, d) })
}

// WriteDrawsTo writes one JSON object per Draws.
func WriteDrawsTo(w io.Writer, d []Draws) error {
	enc := json.NewEncoder(w)
	for _, x := range d {
		for i, v := range x.Values {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("sweep: draws %s/%s/%s: value %d is %v", x.Layer, x.Target, x.Metric, i, v)
			}
		}
		if err := enc.Encode(x); err != nil {
			return err
		}
	}
	return nil
}

// ReadDraws reads a draws file; a missing file gives os.ErrNotExist (test with errors.Is).
func ReadDraws(path string) ([]Draws, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return decodeJSONL(f, path, func(d Draws) error {
		if d.Target == "" || d.Metric == "" || len(d.Values) == 0 {
			return errors.New("empty target, metric or values")
		}
		return nil
	})
}

// DrawsPath is the draws file of run id under out.
func DrawsPath(out, id string) string { return filepath.Join(RunDir(out, id), DrawsFile) }

// PairedRow is one paired difference: a coarse, untrained or ssl model's selected-layer score
// minus that of the fine-label model of the same architecture, training recipe, data, eval
// settings and seed, split by split on the same held-out halves.
//
// With one seed (Seeds "1"), Diff is the mean over splits of the per-split differences and
// [Low, High] their percentile interval (eval's level, 95%). A pooled row over several seeds
// (Seeds "1,2") averages the per-split differences over seeds before taking the mean and the
// interval over splits, and gives in [SeedLow, SeedHigh] the Student-t interval of the
// per-seed mean differences (n-1 degrees of freedom; NaN with one seed).
type PairedRow struct {
	Target, Metric string
	Arch           string
	Width          float64
	InputSize      int
	LabelSource    string
	// K is "2".."64", "untrained" or "ssl" (the self-supervised baseline: ssl - fine).
	K string
	// Seeds lists the seeds, comma-separated; NSeeds how many.
	Seeds  string
	NSeeds int
	// Splits is the number of split-halves differenced.
	Splits int
	// Model and Fine are the two models' mean held-out scores; Diff = Model - Fine.
	Model, Fine, Diff float64
	Low, High         float64
	SeedLow, SeedHigh float64
}

// Beyond reports whether the interval over splits excludes zero.
func (p PairedRow) Beyond() bool { return p.Low > 0 || p.High < 0 }

// PairedColumns are the columns of the paired table, in order.
var PairedColumns = []string{"target", "metric", "arch", "width", "input_size", "label_source", "k", "seeds", "n_seeds",
	"splits", "model", "fine", "diff", "ci_low", "ci_high", "seed_ci_low", "seed_ci_high", "beyond_ci"}

func (p PairedRow) record() []string {
	return []string{p.Target, p.Metric, p.Arch, fmtFloat(p.Width), strconv.Itoa(p.InputSize), p.LabelSource, p.K,
		p.Seeds, strconv.Itoa(p.NSeeds), strconv.Itoa(p.Splits), fmtFloat(p.Model), fmtFloat(p.Fine), fmtFloat(p.Diff),
		fmtFloat(p.Low), fmtFloat(p.High), fmtFloat(p.SeedLow), fmtFloat(p.SeedHigh), strconv.FormatBool(p.Beyond())}
}

// WritePairedCSV writes rows with a header line of PairedColumns.
func WritePairedCSV(w io.Writer, rows []PairedRow) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(PairedColumns); err != nil {
		return err
	}
	for _, r := range rows {
		if err := cw.Write(r.record()); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// pairKey is what a model and its fine-label partner share: everything but the labels.
type pairKey struct {
	arch  Arch
	seed  int
	train Train
	data  Data
}

func keyOf(r Run) pairKey {
	return pairKey{arch: r.Arch, seed: r.Seed, train: r.Train, data: r.Data}
}

// Paired returns the paired differences of every coarse, untrained and ssl run of runs against
// the fine-label run of the same architecture, recipe, data and seed (an ssl run has the
// config's recipe, as the fine run, and no label source), for every selected-layer
// target and metric of their draws (draws(run) returns a run's Draws, e.g. ReadDraws of its
// DrawsPath). Per-seed rows come first for each group (label source, K, architecture), then,
// where the group has several seeds, the pooled row. level is the interval coverage
// (0: 0.95). An untrained run is paired with the fine run of its architecture, data and seed
// (its recipe is empty). Runs without a fine partner are skipped; two runs whose eval settings
// differ are an error (their splits differ, so the difference would not be paired).
func Paired(runs []Run, draws func(Run) ([]Draws, error), level float64) ([]PairedRow, error) {
	if level <= 0 || level >= 1 {
		level = 0.95
	}
	fine := map[pairKey]Run{}
	fineNoTrain := map[pairKey]Run{} // for untrained runs: the key without the recipe
	for _, r := range runs {
		if r.Granularity == Fine {
			fine[keyOf(r)] = r
			k := keyOf(r)
			k.train = Train{}
			fineNoTrain[k] = r
		}
	}
	cache := map[string][]Draws{}
	get := func(r Run) (map[string]Draws, error) {
		id := r.ID()
		d, ok := cache[id]
		if !ok {
			var err error
			if d, err = draws(r); err != nil {
				return nil, err
			}
			cache[id] = d
		}
		m := map[string]Draws{}
		for _, x := range d {
			if x.Split == "half" {
				m[x.Target+"\x00"+x.Metric] = x
			}
		}
		return m, nil
	}
	var out []PairedRow
	type gkey struct {
		src, k string
		arch   Arch
		train  Train
		data   Data
	}
	groups := map[gkey][]PairedRow{}
	splitDiffs := map[gkey]map[string][][]float64{}
	var order []gkey
	for _, r := range runs {
		if r.Granularity == Fine {
			continue
		}
		var f Run
		var ok bool
		if r.Granularity == Untrained {
			k := keyOf(r)
			k.train = Train{}
			f, ok = fineNoTrain[k]
		} else {
			f, ok = fine[keyOf(r)]
		}
		if !ok {
			continue
		}
		if !reflect.DeepEqual(r.Eval, f.Eval) {
			return nil, fmt.Errorf("sweep: paired: run %s and its fine run %s have different eval settings", r.ID(), f.ID())
		}
		md, err := get(r)
		if err != nil {
			return nil, err
		}
		fd, err := get(f)
		if err != nil {
			return nil, err
		}
		gk := gkey{src: r.LabelSource, k: r.Granularity, arch: r.Arch, train: r.Train, data: r.Data}
		if _, seen := groups[gk]; !seen {
			order = append(order, gk)
			splitDiffs[gk] = map[string][][]float64{}
		}
		for _, tm := range sortedKeys(md) {
			a := md[tm]
			b, ok := fd[tm]
			if !ok {
				continue
			}
			if len(a.Values) != len(b.Values) {
				return nil, fmt.Errorf("sweep: paired: %s/%s: run %s has %d split values, fine run %s %d", a.Target, a.Metric, r.ID(), len(a.Values), f.ID(), len(b.Values))
			}
			d := make([]float64, len(a.Values))
			for s := range d {
				d[s] = a.Values[s] - b.Values[s]
			}
			lo, hi := stats.PercentileCI(d, level)
			groups[gk] = append(groups[gk], PairedRow{Target: a.Target, Metric: a.Metric, Arch: r.Arch.Name,
				Width: r.Arch.Width, InputSize: r.Arch.InputSize, LabelSource: r.LabelSource, K: r.Granularity,
				Seeds: strconv.Itoa(r.Seed), NSeeds: 1, Splits: len(d), Model: stats.Mean(a.Values), Fine: stats.Mean(b.Values),
				Diff: stats.Mean(d), Low: lo, High: hi, SeedLow: math.NaN(), SeedHigh: math.NaN()})
			splitDiffs[gk][tm] = append(splitDiffs[gk][tm], d)
		}
	}
	for _, gk := range order {
		rows := groups[gk]
		out = append(out, rows...)
		// Pooled rows: per target/metric, the seeds' rows.
		byTM := map[string][]PairedRow{}
		var tms []string
		for _, r := range rows {
			tm := r.Target + "\x00" + r.Metric
			if byTM[tm] == nil {
				tms = append(tms, tm)
			}
			byTM[tm] = append(byTM[tm], r)
		}
		for _, tm := range tms {
			rs := byTM[tm]
			if len(rs) < 2 {
				continue
			}
			ds := splitDiffs[gk][tm]
			avg := make([]float64, len(ds[0]))
			var seeds []string
			means := make([]float64, len(rs))
			var model, fineV float64
			for i, r := range rs {
				seeds = append(seeds, r.Seeds)
				means[i] = r.Diff
				model += r.Model / float64(len(rs))
				fineV += r.Fine / float64(len(rs))
				for s := range avg {
					avg[s] += ds[i][s] / float64(len(ds))
				}
			}
			lo, hi := stats.PercentileCI(avg, level)
			p := rs[0]
			p.Seeds, p.NSeeds = strings.Join(seeds, ","), len(rs)
			p.Model, p.Fine, p.Diff, p.Low, p.High = model, fineV, stats.Mean(avg), lo, hi
			p.SeedLow, p.SeedHigh = tInterval(means, level)
			out = append(out, p)
		}
	}
	return out, nil
}

// tInterval is the Student-t interval of the mean of x (len(x)-1 degrees of freedom).
func tInterval(x []float64, level float64) (lo, hi float64) {
	n := float64(len(x))
	if len(x) < 2 {
		return math.NaN(), math.NaN()
	}
	m := stats.Mean(x)
	ss := 0.0
	for _, v := range x {
		ss += (v - m) * (v - m)
	}
	se := math.Sqrt(ss/(n-1)) / math.Sqrt(n)
	t := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: n - 1}.Quantile(1 - (1-level)/2)
	return m - t*se, m + t*se
}

func sortedKeys(m map[string]Draws) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys) // target, then metric
	return keys
}
