package plots

import (
	"math"
	"testing"

	"github.com/coarsealign/coarsealign/pkg/sweep"
)

func TestOddOneOutVsK(t *testing.T) {
	var rows []sweep.Row
	for ki, k := range []string{"2", "fine", "untrained"} {
		for seed := 1; seed <= 2; seed++ {
			for ti, target := range []string{"zs", "pr"} {
				v := 0.4 + 0.05*float64(ki) + 0.1*float64(ti) + 0.01*float64(seed)
				rows = append(rows, sweep.Row{K: k, Seed: seed, Score: sweep.Score{Layer: "fc2", Target: target, Metric: "accuracy",
					Value: v, CILow: v - 0.02, CIHigh: v + 0.02, CeilingLow: math.NaN(), CeilingHigh: math.NaN(), Selected: true, Split: "all"}})
			}
		}
	}
	f, err := OddOneOutVsK(rows, "zs", "pr", "")
	if err != nil {
		t.Fatal(err)
	}
	// Panel order untrained, 2, fine; the probed panel's K=2 bar is the seeds' mean 0.515.
	if len(f.Rows) != 6 || f.Rows[4][1] != "2" || f.Rows[4][4] != "0.515" {
		t.Fatalf("rows %v", f.Rows)
	}
	checkSaved(t, f, "ooo", 6)
	if _, err := OddOneOutVsK(rows, "zs", "missing", ""); err == nil {
		t.Error("missing target: no error")
	}
}
