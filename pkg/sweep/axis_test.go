package sweep

import (
	"math"
	"testing"
)

// TestSummariseAxis: the best K is the highest selected score among K runs (seeds averaged),
// baselines are reported apart, unselected rows and other metrics are ignored.
func TestSummariseAxis(t *testing.T) {
	row := func(arch, k string, seed int, v float64, sel bool, metric string) Row {
		return Row{Arch: arch, K: k, Seed: seed, Score: Score{Target: "mIT", Metric: metric, Value: v, CILow: v - 0.1, CIHigh: v + 0.1, Selected: sel}}
	}
	rows := []Row{
		row("a", "2", 1, 0.2, true, "spearman"), row("a", "2", 2, 0.4, true, "spearman"), // mean 0.3
		row("a", "8", 1, 0.35, true, "spearman"), row("a", "8", 2, 0.35, true, "spearman"), // mean 0.35: best
		row("a", "64", 1, 0.9, false, "spearman"), // not selected
		row("a", "16", 1, 0.9, true, "tau-a"),     // other metric
		row("a", "fine", 1, 0.25, true, "spearman"),
		row("a", "ssl", 1, 0.5, true, "spearman"),
		row("b", "4", 1, 0.1, true, "spearman"),
	}
	s := SummariseAxis(rows, "spearman", true)
	if len(s) != 2 || s[0].Arch != "a" || s[1].Arch != "b" {
		t.Fatalf("summaries %+v", s)
	}
	a := s[0]
	if a.Best.K != "8" || math.Abs(a.Best.Value-0.35) > 1e-12 || a.Best.N != 2 || math.Abs(a.Best.Low-0.25) > 1e-12 {
		t.Errorf("best %+v, want K=8 at 0.35 over 2 seeds", a.Best)
	}
	if a.SSL.Value != 0.5 || a.Fine.Value != 0.25 || a.Untrained.N != 0 || !math.IsNaN(a.Untrained.Value) {
		t.Errorf("baselines fine %+v ssl %+v untrained %+v", a.Fine, a.SSL, a.Untrained)
	}
	if s[1].Best.K != "4" || s[1].SSL.N != 0 {
		t.Errorf("arch b %+v", s[1])
	}
	if low := SummariseAxis(rows, "spearman", false); low[0].Best.K != "2" {
		t.Errorf("lower is better: best K %s, want 2", low[0].Best.K)
	}
}
