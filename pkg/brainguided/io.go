package brainguided

import (
	"encoding/csv"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"

	"github.com/coarsealign/coarsealign/pkg/sweep"
	"github.com/coarsealign/coarsealign/pkg/sweep/study"
	"github.com/coarsealign/coarsealign/pkg/train"
)

// ReadResults reads a results.csv written by WriteResults.
func ReadResults(path string) ([]Row, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("brainguided: %s: %w", path, err)
	}
	if len(recs) == 0 || !slices.Equal(recs[0], Header) {
		return nil, fmt.Errorf("brainguided: %s: header %v, want %v", path, recs[0:min(1, len(recs))], Header)
	}
	num := func(line int, field, s string) (float64, error) {
		if s == "" {
			return math.NaN(), nil
		}
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return 0, fmt.Errorf("brainguided: %s line %d: %s %q is not a number", path, line, field, s)
		}
		return v, nil
	}
	rows := make([]Row, 0, len(recs)-1)
	for i, r := range recs[1:] {
		line := i + 2
		beta, err := num(line, "beta", r[0])
		if err != nil {
			return nil, err
		}
		value, err := num(line, "value", r[8])
		if err != nil {
			return nil, err
		}
		split, err1 := strconv.Atoi(r[1])
		held, err2 := strconv.Atoi(r[6])
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("brainguided: %s line %d: split %q or held_out_subject %q is not an integer", path, line, r[1], r[6])
		}
		rows = append(rows, Row{Beta: beta, Split: split, Control: r[2], Target: r[3], Stimuli: r[4], Layer: r[5],
			HeldOut: held, Metric: r[7], Value: value})
	}
	return rows, nil
}

// SweepFineRun returns the training folder of the first fine-label run of sweep c in out (the
// natural starting model of a brain-guided study), checking that it holds a run.
func SweepFineRun(c *sweep.Config, out string) (string, error) {
	for _, r := range c.Expand() {
		if r.Granularity != sweep.Fine {
			continue
		}
		dir := filepath.Join(sweep.RunDir(out, r.ID()), study.TrainDir)
		if _, err := os.Stat(filepath.Join(dir, train.ConfigFile)); err != nil {
			return "", fmt.Errorf("brainguided: the fine-label run of sweep %s is not trained in %s (coarsealign sweep run): %w", c.Name, dir, err)
		}
		return dir, nil
	}
	return "", fmt.Errorf("brainguided: sweep %s has no fine-label run", c.Name)
}
