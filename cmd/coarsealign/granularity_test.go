package main

import (
	"math"
	"strings"
	"testing"

	"github.com/coarsealign/coarsealign/pkg/sweep"
)

// TestAxisSummaryPaired: summary.csv gives, per architecture and target, the paired ssl - fine
// interval of that architecture (the row pooled over the most seeds), as many fields as
// columns, and empty paired fields when the paired table has no ssl row.
func TestAxisSummaryPaired(t *testing.T) {
	var rows []sweep.Row
	for _, a := range []string{"alexnet-bn", "vit-cifar"} {
		for i, k := range []string{"untrained", "2", "8", "fine", "ssl"} {
			for seed := 1; seed <= 2; seed++ {
				v := 0.1*float64(i) + 0.01*float64(seed)
				rows = append(rows, sweep.Row{K: k, Arch: a, Seed: seed, Score: sweep.Score{Target: "mIT", Metric: "spearman",
					Value: v, CILow: v - 0.05, CIHigh: v + 0.05, Selected: true, Split: "half"}})
			}
		}
	}
	nan := math.NaN()
	paired := []sweep.PairedRow{
		{Target: "mIT", Metric: "spearman", Arch: "alexnet-bn", K: "ssl", Seeds: "1", NSeeds: 1, Diff: 0.1, Low: 0.02, High: 0.2, SeedLow: nan, SeedHigh: nan},
		{Target: "mIT", Metric: "spearman", Arch: "alexnet-bn", K: "ssl", Seeds: "1,2", NSeeds: 2, Diff: 0.1, Low: 0.05, High: 0.15, SeedLow: 0, SeedHigh: 0.2},
		{Target: "mIT", Metric: "spearman", Arch: "alexnet-bn", K: "2", Seeds: "1,2", NSeeds: 2, Diff: -0.2, Low: -0.3, High: -0.1},
		{Target: "mIT", Metric: "tau-a", Arch: "vit-cifar", K: "ssl", Seeds: "1,2", NSeeds: 2, Diff: 9, Low: 8, High: 10},
	}
	recs, lines := axisSummaryRecords(rows, paired, []string{"mIT"})
	if len(recs) != 2 || len(lines) != 2 {
		t.Fatalf("%d records, %d lines; want one per architecture", len(recs), len(lines))
	}
	col := map[string]int{}
	for i, c := range axisSummaryColumns {
		col[c] = i
	}
	for _, r := range recs {
		if len(r) != len(axisSummaryColumns) {
			t.Fatalf("record %v: %d fields, %d columns", r, len(r), len(axisSummaryColumns))
		}
	}
	a, v := recs[0], recs[1]
	// ssl (0.415 mean over seeds) - fine (0.315) = 0.1, the point difference of the summary.
	if a[col["arch"]] != "alexnet-bn" || a[col["best_k"]] != "8" || a[col["ssl_minus_fine"]] != "0.1000" {
		t.Errorf("alexnet-bn summary %v", a)
	}
	if a[col["ssl_minus_fine_paired"]] != "0.1000" || a[col["ssl_minus_fine_ci_low"]] != "0.0500" || a[col["ssl_minus_fine_ci_high"]] != "0.1500" ||
		a[col["ssl_minus_fine_seeds"]] != "1,2" || a[col["ssl_minus_fine_beyond_ci"]] != "true" {
		t.Errorf("alexnet-bn paired ssl - fine: %v, want the pooled row 0.1 [0.05, 0.15]", a[col["ssl_minus_fine_paired"]:])
	}
	// The ViT has no Spearman ssl row in the paired table (only tau-a): empty fields.
	if v[col["arch"]] != "vit-cifar" || strings.Join(v[col["ssl_minus_fine_paired"]:], "") != "" {
		t.Errorf("vit-cifar paired fields %v, want empty", v[col["ssl_minus_fine_paired"]:])
	}
	if !strings.Contains(lines[0], "ssl - fine +0.100 [+0.050, +0.150]") || !strings.Contains(lines[1], "none") {
		t.Errorf("log lines %q", lines)
	}
}
