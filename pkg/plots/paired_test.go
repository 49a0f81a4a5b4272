package plots

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coarsealign/coarsealign/pkg/sweep"
)

func TestPairedVsK(t *testing.T) {
	var rows []sweep.Row
	var paired []sweep.PairedRow
	for _, k := range []string{"untrained", "2", "8", "fine"} {
		rows = append(rows, sweep.Row{K: k, Arch: "alexnet-bn", Score: sweep.Score{Target: "mIT", Metric: "spearman",
			Value: 0.2, CILow: 0.1, CIHigh: 0.3, CeilingLow: math.NaN(), CeilingHigh: math.NaN(), Selected: true, Split: "half"}})
		if k == "fine" {
			continue
		}
		for _, arch := range []string{"alexnet-bn", "vgg"} {
			// A per-seed row and a pooled one: the pooled (more seeds) is drawn.
			paired = append(paired,
				sweep.PairedRow{Target: "mIT", Metric: "spearman", Arch: arch, K: k, Seeds: "1", NSeeds: 1, Diff: 9, Low: 8, High: 10},
				sweep.PairedRow{Target: "mIT", Metric: "spearman", Arch: arch, K: k, Seeds: "1,2", NSeeds: 2, Diff: -0.05, Low: -0.08, High: -0.01,
					SeedLow: math.NaN(), SeedHigh: math.NaN()})
		}
	}
	f, err := PairedFigure(rows, paired, "spearman", "", []HeadlineTarget{{"mIT", "macaque IT"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Panels) != 2 || len(f.Rows) != 6 {
		t.Fatalf("%d panels, %d CSV rows; want 2 (bars, differences) and 6 (3 K x 2 archs)", len(f.Panels), len(f.Rows))
	}
	for _, r := range f.Rows {
		if r[4] != "1,2" || r[8] != "-0.05" || r[13] != "true" {
			t.Errorf("CSV row %v: want the pooled row, beyond its interval", r)
		}
	}
	dir := t.TempDir()
	paths, err := f.Save(dir, "paired_vs_k")
	if err != nil || len(paths) != 3 {
		t.Fatalf("save: %v %v", paths, err)
	}
	csv, _ := os.ReadFile(filepath.Join(dir, "paired_vs_k.csv"))
	if !strings.HasPrefix(string(csv), "panel,target,metric,series,seeds,label,kind,k,diff,ci_low,ci_high") {
		t.Errorf("CSV header: %.80s", csv)
	}
	if _, err := PairedVsK(nil, nil); err == nil {
		t.Error("no panels accepted")
	}
	if _, err := PairedVsK(nil, []PairedPanel{{Title: "x", Points: []PairedPoint{{Label: "2", Kind: Coarse, K: 2, Diff: math.NaN()}}}}); err == nil {
		t.Error("NaN difference accepted")
	}
	if _, err := PairedFromRows(paired, "hIT", "spearman", "", "", ""); err == nil {
		t.Error("missing target accepted")
	}
}
