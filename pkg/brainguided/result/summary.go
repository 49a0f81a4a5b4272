package result

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"

	"gonum.org/v1/gonum/stat/distuv"
)

// Contrast is a paired difference over splits: for each split, the value of (Beta, Control)
// minus the value of its reference on the same split, target and stimuli (Reference "beta=0":
// the beta = 0 control; "permuted": the permuted-target control at the same beta), with a 95%
// Student-t confidence interval over the N splits.
type Contrast struct {
	Reference string
	Beta      float64
	Control   string
	Target    string
	Stimuli   string
	Metric    string
	N         int
	Mean      float64 // mean of the condition itself over splits
	Diff      float64 // mean paired difference
	Low, High float64 // 95% CI of Diff (t with N-1 degrees of freedom; NaN for N < 2)
}

// MeanCI is the mean of x and its 95% Student-t confidence interval (NaN bounds for n < 2).
func MeanCI(x []float64) (mean, lo, hi float64) {
	n := float64(len(x))
	if n == 0 {
		return math.NaN(), math.NaN(), math.NaN()
	}
	for _, v := range x {
		mean += v
	}
	mean /= n
	if n < 2 {
		return mean, math.NaN(), math.NaN()
	}
	var ss float64
	for _, v := range x {
		ss += (v - mean) * (v - mean)
	}
	se := math.Sqrt(ss / (n - 1) / n)
	t := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: n - 1}.Quantile(0.975)
	return mean, mean - t*se, mean + t*se
}

type key struct {
	beta                             float64
	control, target, stimuli, metric string
}

// Summarize returns the paired contrasts of rows: every fine-tuned condition and the starting
// model against the beta = 0 control, and every permuted condition's true-target counterpart
// against it (Reference "permuted": none minus permuted at the same beta).
func Summarize(rows []Row) []Contrast {
	vals := map[key]map[int]float64{}
	var keys []key
	for _, r := range rows {
		if r.Control == CeilingLower || r.Control == CeilingUpper {
			continue
		}
		b := r.Beta
		if math.IsNaN(b) {
			b = -1 // the start model
		}
		k := key{b, r.Control, r.Target, r.Stimuli, r.Metric}
		if vals[k] == nil {
			vals[k] = map[int]float64{}
			keys = append(keys, k)
		}
		vals[k][r.Split] = r.Value
	}
	contrast := func(ref string, k, base key) (Contrast, bool) {
		a, b := vals[k], vals[base]
		if a == nil || b == nil {
			return Contrast{}, false
		}
		var d, own []float64
		splits := make([]int, 0, len(a))
		for s := range a {
			splits = append(splits, s)
		}
		slices.Sort(splits)
		for _, s := range splits {
			if bv, ok := b[s]; ok {
				d = append(d, a[s]-bv)
				own = append(own, a[s])
			}
		}
		c := Contrast{Reference: ref, Beta: k.beta, Control: k.control, Target: k.target, Stimuli: k.stimuli, Metric: k.metric, N: len(d)}
		if k.beta < 0 {
			c.Beta = math.NaN()
		}
		c.Mean, _, _ = MeanCI(own)
		c.Diff, c.Low, c.High = MeanCI(d)
		return c, true
	}
	var out []Contrast
	for _, k := range keys {
		if k.beta == 0 && k.control == ControlNone {
			continue
		}
		if c, ok := contrast("beta=0", k, key{0, ControlNone, k.target, k.stimuli, k.metric}); ok {
			out = append(out, c)
		}
		if k.control == ControlPermuted {
			if c, ok := contrast("permuted", key{k.beta, ControlNone, k.target, k.stimuli, k.metric}, k); ok {
				out = append(out, c)
			}
		}
	}
	return out
}

// ContrastHeader is the CSV header of Contrast rows.
var ContrastHeader = []string{"reference", "beta", "control", "target", "stimuli", "metric", "n", "mean", "diff", "ci_low", "ci_high"}

// Fields returns c as CSV fields in ContrastHeader's order.
func (c Contrast) Fields() []string {
	return []string{c.Reference, fmtF(c.Beta), c.Control, c.Target, c.Stimuli, c.Metric, strconv.Itoa(c.N),
		fmtF(c.Mean), fmtF(c.Diff), fmtF(c.Low), fmtF(c.High)}
}

// WriteCSV writes header and records to path atomically.
func WriteCSV(path string, header []string, records [][]string) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-*.csv")
	if err != nil {
		return err
	}
	w := csv.NewWriter(f)
	w.Write(header)
	w.WriteAll(records)
	if err := w.Error(); err != nil {
		f.Close()
		os.Remove(f.Name())
		return fmt.Errorf("brainguided: writing %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Chmod(f.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

// WriteResults writes dir/results.csv (one row per number, Header) and dir/summary.csv (the
// paired contrasts, ContrastHeader) and returns their paths.
func WriteResults(dir string, rows []Row) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	a := filepath.Join(dir, "results.csv")
	if err := WriteCSV(a, Header, Records(rows)); err != nil {
		return nil, err
	}
	cs := Summarize(rows)
	recs := make([][]string, len(cs))
	for i, c := range cs {
		recs[i] = c.Fields()
	}
	b := filepath.Join(dir, "summary.csv")
	return []string{a, b}, WriteCSV(b, ContrastHeader, recs)
}

// Fprint writes the contrasts on the held-out stimuli and the accuracy as a short table.
func Fprint(w io.Writer, cs []Contrast) error {
	if _, err := fmt.Fprintf(w, "%-9s %6s %-9s %-22s %-12s %8s %9s  %s\n", "vs", "beta", "control", "target", "stimuli", "mean", "diff", "95% CI"); err != nil {
		return err
	}
	for _, c := range cs {
		if c.Stimuli == "train" && c.Target != TargetTrained {
			continue
		}
		if _, err := fmt.Fprintf(w, "%-9s %6s %-9s %-22s %-12s %8.4f %+9.4f  [%+.4f, %+.4f]\n", c.Reference, fmtF(c.Beta), c.Control, c.Target, c.Stimuli, c.Mean, c.Diff, c.Low, c.High); err != nil {
			return err
		}
	}
	return nil
}

// Records returns rows as CSV records in Header's order.
func Records(rows []Row) [][]string {
	recs := make([][]string, len(rows))
	for i, r := range rows {
		recs[i] = r.Fields()
	}
	return recs
}
