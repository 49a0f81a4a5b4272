package eval

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"

	"github.com/coarsealign/coarsealign/pkg/data/k92"
)

// K92Data returns the targets of the 92-image set: "mIT" (macaque IT, Kriegeskorte
// et al. 2008 figure 1); group "hIT" with the 4 subjects' session-mean human IT RDMs
// (92_brainRDMs.mat) and their mean; group "behav" with the 16 similarity-judgement
// RDMs (Mur et al. 2013) and their mean, with odd-one-out rows.
func K92Data(s *k92.Set) *Data {
	return &Data{
		Targets: []Target{{Name: "mIT", RDM: s.MIT}},
		Groups: []Group{
			{Name: "hIT", Subjects: s.HITSubjects[:]},
			{Name: "behav", Subjects: s.Behav[:], Mean: s.BehavMean, OddOneOut: true},
		},
	}
}

// LoadK92 loads the 92-image set from dataDir (see k92.Load) and returns K92Data.
func LoadK92(dataDir string) (*Data, error) {
	s, err := k92.Load(dataDir)
	if err != nil {
		return nil, err
	}
	return K92Data(s), nil
}

// CSVHeader is the header written by WriteCSV.
var CSVHeader = []string{"layer", "target", "metric", "value", "ci_low", "ci_high", "sd",
	"ceil_low", "ceil_high", "selected", "split", "n", "note"}

// WriteCSV writes rows as CSV with CSVHeader; NaN is written as "NaN".
func WriteCSV(w io.Writer, rows []Row) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader); err != nil {
		return err
	}
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', 8, 64) }
	for _, r := range rows {
		rec := []string{r.Layer, r.Target, r.Metric, f(r.Value), f(r.CILow), f(r.CIHigh), f(r.SD),
			f(r.CeilLow), f(r.CeilHigh), strconv.FormatBool(r.Selected), r.Split, strconv.Itoa(r.N), r.Note}
		if err := cw.Write(rec); err != nil {
			return fmt.Errorf("eval: writing CSV: %w", err)
		}
	}
	cw.Flush()
	return cw.Error()
}

// Find returns the rows matching target, metric and selection (layer "" matches any layer).
func Find(rows []Row, layer, target, metric string, selected bool) []Row {
	var out []Row
	for _, r := range rows {
		if (layer == "" || r.Layer == layer) && r.Target == target && r.Metric == metric && r.Selected == selected {
			out = append(out, r)
		}
	}
	return out
}
