package eval

import (
	"math"
	"testing"

	"github.com/coarsealign/coarsealign/pkg/rdm"
	"github.com/coarsealign/coarsealign/pkg/rsa"
	"github.com/coarsealign/coarsealign/pkg/stats"
)

// TestKeepDraws checks the values kept for paired comparisons: profile draws are
// rsa.SubsampleStimuli's samples (same seed: the same subsample index sets), selected rows keep
// one held-out score per split whose mean is the row's value, and a layer's draws do not depend
// on which other layers (models) are evaluated with it, which is what makes differences
// between separately evaluated models paired.
func TestKeepDraws(t *testing.T) {
	layers, data := synthetic(7, 30)
	opt := Options{Draws: 50, Splits: 12, Seed: 5, KeepDraws: true}
	rows, err := Evaluate(layers, data, opt)
	if err != nil {
		t.Fatal(err)
	}
	exact := rdmOf(t, layers[2])
	br, err := rsa.SubsampleStimuli(exact, data.Targets[0].RDM, rsa.Spearman, rsa.BootOptions{Draws: opt.Draws, Seed: opt.Seed})
	if err != nil {
		t.Fatal(err)
	}
	prof := Find(rows, "exact", "single", "spearman", false)[0]
	if len(prof.Draws) != opt.Draws {
		t.Fatalf("profile row keeps %d draws, want %d", len(prof.Draws), opt.Draws)
	}
	for d := range prof.Draws {
		if math.Abs(prof.Draws[d]-br.Samples[d]) > 1e-12 {
			t.Fatalf("draw %d: %v, rsa.SubsampleStimuli %v", d, prof.Draws[d], br.Samples[d])
		}
	}
	for _, r := range rows {
		if !r.Selected {
			continue
		}
		if len(r.Draws) != opt.Splits {
			t.Fatalf("%s/%s: %d split values, want %d", r.Target, r.Metric, len(r.Draws), opt.Splits)
		}
		if m := stats.Mean(r.Draws); math.Abs(m-r.Value) > 1e-12 {
			t.Errorf("%s/%s: mean of split values %v, row value %v", r.Target, r.Metric, m, r.Value)
		}
		if lo, hi := stats.PercentileCI(r.Draws, rsa.DefaultLevel); lo != r.CILow || hi != r.CIHigh {
			t.Errorf("%s/%s: interval of split values [%v, %v], row [%v, %v]", r.Target, r.Metric, lo, hi, r.CILow, r.CIHigh)
		}
	}
	// The "noisy" layer alone: its profile draws are the same as when evaluated beside others.
	alone, err := Evaluate(layers[1:2], data, opt)
	if err != nil {
		t.Fatal(err)
	}
	a := Find(alone, "noisy", "brain-subjects", "tau-a", false)[0]
	b := Find(rows, "noisy", "brain-subjects", "tau-a", false)[0]
	for d := range a.Draws {
		if a.Draws[d] != b.Draws[d] {
			t.Fatalf("draw %d of noisy/brain-subjects: %v alone, %v beside other layers", d, a.Draws[d], b.Draws[d])
		}
	}
	// Without KeepDraws nothing is kept.
	opt.KeepDraws = false
	plain, err := Evaluate(layers, data, opt)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range plain {
		if r.Draws != nil {
			t.Fatalf("%s/%s/%s keeps draws without KeepDraws", r.Layer, r.Target, r.Metric)
		}
	}
}

func rdmOf(t *testing.T, f Features) *rdm.RDM {
	t.Helper()
	r, err := rsa.RDMFromPatternSlice(f.Layer, f.X, f.N, f.D, rsa.Correlation, nil)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
