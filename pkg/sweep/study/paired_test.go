package study

import (
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/coarsealign/coarsealign/pkg/datadir"
	"github.com/coarsealign/coarsealign/pkg/sweep"
)

// The eval stage stores the selected rows' split values (their means are the stored scores),
// and RunDraws recomputes the same values from the features of a run scored before draws were
// stored, so paired tables of old and new sweeps agree exactly.
func TestRunDrawsStoredAndRecomputed(t *testing.T) {
	dataDir := datadir.ForTest(t)
	set, err := loadK92(dataDir)
	if err != nil {
		datadir.SkipOrFail(t, "92-image data not available: %v", err)
	}
	runs, rows, out := runMetricsSweep(t, dataDir, set, "")
	stored := map[string]float64{}
	for _, r := range rows {
		if r.Selected {
			stored[r.RunID+"/"+r.Target+"/"+r.Metric] = r.Value
		}
	}
	for _, r := range runs {
		d, err := sweep.ReadDraws(sweep.DrawsPath(out, r.ID()))
		if err != nil {
			t.Fatal(err)
		}
		if len(d) != len(stored)/len(runs) {
			t.Fatalf("run %s: %d draws rows, %d selected scores", r.ID(), len(d), len(stored)/len(runs))
		}
		for _, x := range d {
			if len(x.Values) != r.Eval.Splits {
				t.Fatalf("%s/%s: %d split values, want %d", x.Target, x.Metric, len(x.Values), r.Eval.Splits)
			}
			if v := stored[r.ID()+"/"+x.Target+"/"+x.Metric]; math.Abs(mean(x.Values)-v) > 1e-12 {
				t.Errorf("%s/%s: mean of splits %v, stored score %v", x.Target, x.Metric, mean(x.Values), v)
			}
		}
		// Remove the file (a run scored before draws existed): recomputed into a cache, equal.
		want, _ := os.ReadFile(sweep.DrawsPath(out, r.ID()))
		if err := os.Remove(sweep.DrawsPath(out, r.ID())); err != nil {
			t.Fatal(err)
		}
		cache := t.TempDir()
		if _, err := RunDraws(r, dataDir, cache, nil, out); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Join(cache, r.ID(), sweep.DrawsFile))
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Errorf("run %s: recomputed draws differ from the stored ones", r.ID())
		}
	}
	// The untrained run paired with the fine one.
	pr, err := PairedFromSweep(runs, dataDir, t.TempDir(), nil, out)
	if err != nil {
		t.Fatal(err)
	}
	if len(pr) == 0 || pr[0].K != sweep.Untrained || math.Abs(pr[0].Diff-(pr[0].Model-pr[0].Fine)) > 1e-12 {
		t.Errorf("paired rows %+v", pr)
	}
}
