// Package result holds the rows of a brain-guided training study (pkg/brainguided), their CSV
// form and their summaries (paired differences against the beta = 0 control), without GoMLX, so
// that figures (pkg/plots) and notebooks that only read a study's results stay light.
package result

import (
	"encoding/csv"
	"fmt"
	"math"
	"os"
	"slices"
	"strconv"
)

// Controls and targets of the result rows.
const (
	ControlNone     = "none"          // the alignment term towards the true target
	ControlPermuted = "permuted"      // the target's stimulus labels permuted (geometry kept)
	ControlStart    = "start"         // the starting model, not fine-tuned
	CeilingLower    = "ceiling-lower" // held-out subject vs mean of the 3 trained subjects
	CeilingUpper    = "ceiling-upper" // held-out subject vs mean of all 4

	TargetHeldOut  = "hIT-held-out-subject"
	TargetTrained  = "hIT-trained-subjects"
	TargetMIT      = "mIT"
	TargetBehav    = "behaviour"
	TargetAccuracy = "cifar10-test-accuracy"
	TargetAlign    = "alignment-loss" // the objective's alignment term at the end of training
)

// Row is one number of the study: results.csv.
type Row struct {
	Beta    float64 `json:"beta"`
	Split   int     `json:"split"`
	Control string  `json:"control"`
	Target  string  `json:"target"`
	// Stimuli is "test" (held-out stimuli of the split), "train" (its training stimuli) or
	// "cifar10-test".
	Stimuli string `json:"stimuli"`
	Layer   string `json:"layer"`
	// HeldOut is the held-out human-IT subject of the split (1-4).
	HeldOut int     `json:"held_out_subject"`
	Metric  string  `json:"metric"` // spearman | accuracy | loss
	Value   float64 `json:"value"`
}

// Header is the CSV header of Rows.
var Header = []string{"beta", "split", "control", "target", "stimuli", "layer", "held_out_subject", "metric", "value"}

// Fields returns r as CSV fields in Header's order.
func (r Row) Fields() []string {
	return []string{fmtF(r.Beta), strconv.Itoa(r.Split), r.Control, r.Target, r.Stimuli, r.Layer,
		strconv.Itoa(r.HeldOut), r.Metric, fmtF(r.Value)}
}

func fmtF(v float64) string {
	if math.IsNaN(v) {
		return ""
	}
	return strconv.FormatFloat(v, 'g', 8, 64)
}

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
