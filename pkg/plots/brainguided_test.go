package plots

import (
	"encoding/csv"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	bgresult "github.com/coarsealign/coarsealign/pkg/brainguided/result"
)

// The brain-guided figure saves SVG, PNG and a CSV with one row per split value drawn (beta,
// split, control, target, value among its columns) plus the means.
func TestBrainGuidedFigure(t *testing.T) {
	var rows []bgresult.Row
	for s := range 3 {
		add := func(beta float64, control, target, stimuli string, v float64) {
			rows = append(rows, bgresult.Row{Beta: beta, Split: s, Control: control, Target: target, Stimuli: stimuli, Metric: "spearman", Value: v})
		}
		add(math.NaN(), bgresult.CeilingLower, bgresult.TargetHeldOut, "test", 0.4)
		add(math.NaN(), bgresult.CeilingUpper, bgresult.TargetHeldOut, "test", 0.6)
		add(math.NaN(), bgresult.ControlStart, bgresult.TargetHeldOut, "test", 0.2)
		for _, b := range []float64{0, 1, 4} {
			for _, tg := range []string{bgresult.TargetHeldOut, bgresult.TargetTrained, bgresult.TargetMIT, bgresult.TargetBehav} {
				add(b, bgresult.ControlNone, tg, "test", 0.2+0.01*b+0.001*float64(s))
			}
			add(b, bgresult.ControlNone, bgresult.TargetAccuracy, "cifar10-test", 0.6-0.01*b)
		}
		add(4, bgresult.ControlPermuted, bgresult.TargetHeldOut, "test", 0.19)
	}
	f, err := BrainGuided(rows)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if _, err := f.Save(dir, "bg"); err != nil {
		t.Fatal(err)
	}
	for _, ext := range []string{"svg", "png"} {
		if st, err := os.Stat(filepath.Join(dir, "bg."+ext)); err != nil || st.Size() == 0 {
			t.Errorf("bg.%s: %v", ext, err)
		}
	}
	fh, err := os.Open(filepath.Join(dir, "bg.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	recs, err := csv.NewReader(fh).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for _, col := range []string{"beta", "split", "control", "target", "value"} {
		if !slices.Contains(recs[0], col) {
			t.Errorf("CSV header %v lacks %s", recs[0], col)
		}
	}
	split := slices.Index(recs[0], "split")
	perSplit, means := 0, 0
	for _, r := range recs[1:] {
		if r[split] == "mean" {
			means++
		} else {
			perSplit++
		}
	}
	// Every input row is drawn once (the ceiling rows in the first panel), the means once per
	// (condition, series) plus the ceiling band.
	if perSplit != len(rows) {
		t.Errorf("%d per-split CSV rows for %d values", perSplit, len(rows))
	}
	if means == 0 {
		t.Error("no mean rows")
	}
	if _, err := BrainGuided(nil); err == nil {
		t.Error("a figure of no results")
	}
}
