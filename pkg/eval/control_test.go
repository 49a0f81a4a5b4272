package eval

import (
	"bytes"
	"math"
	"strings"
	"testing"

	"github.com/coarsealign/coarsealign/pkg/metric"
	"github.com/coarsealign/coarsealign/pkg/rdm"
	"github.com/coarsealign/coarsealign/pkg/rsa"
)

// controlData: 30 stimuli, a single target and a 3-subject group whose RDMs are noisy views of
// layer f's top principal directions.
func controlData(t *testing.T) (Features, *Data) {
	t.Helper()
	f := randomFeatures(7, 30, 12)
	rdmOf := func(seed uint64, m int) *rdm.RDM {
		g, err := Reconstruct(f, m)
		if err != nil {
			t.Fatal(err)
		}
		noise := randomFeatures(seed, 30, 12)
		for i := range g.X {
			g.X[i] += 0.5 * noise.X[i]
		}
		r, err := rsa.RDMFromPatternSlice("t", g.X, g.N, g.D, rsa.Correlation, nil)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	data := &Data{
		Targets: []Target{{Name: "single", RDM: rdmOf(11, 2)}},
		Groups:  []Group{{Name: "brain", Subjects: []*rdm.RDM{rdmOf(12, 3), rdmOf(13, 3), rdmOf(14, 3)}, OddOneOut: true}},
	}
	return f, data
}

func TestScoreReconstructions(t *testing.T) {
	f, data := controlData(t)
	sp, err := metric.Lookup("spearman")
	if err != nil {
		t.Fatal(err)
	}
	opt := Options{Draws: 30, Seed: 5}
	// The full layer's row is the one Evaluate gives it among all targets (same subsamples).
	all, err := Evaluate([]Features{f}, data, Options{Metrics: []metric.Metric{sp}, Draws: 30, Seed: 5, Splits: -1})
	if err != nil {
		t.Fatal(err)
	}
	for _, target := range []string{"single", "brain-subjects", "brain-mean", "brain/2"} {
		c, err := ScoreReconstructions(f, data, target, sp, 40, opt)
		if err != nil {
			t.Fatalf("%s: %v", target, err)
		}
		want := Find(all, f.Layer, target, "spearman", false)[0]
		if c.Full.Value != want.Value || c.Full.CILow != want.CILow || c.Full.CIHigh != want.CIHigh {
			t.Errorf("%s: full %+v, Evaluate %+v", target, c.Full, want)
		}
		// maxM 40 is capped at min(30 stimuli, 12 units); all 12 components rebuild the layer.
		if len(c.M) != 12 || c.M[0] != 1 || c.M[11] != 12 || len(c.Recon) != 12 {
			t.Fatalf("%s: M %v, %d rows", target, c.M, len(c.Recon))
		}
		if d := math.Abs(c.Recon[11].Value - c.Full.Value); d > 1e-9 {
			t.Errorf("%s: 12-PC reconstruction %.12f, full %.12f", target, c.Recon[11].Value, c.Full.Value)
		}
		if c.Target != target || c.Metric != "spearman" || c.Layer != f.Layer || c.Recon[0].Layer != ReconstructionLayer(f.Layer, 1) {
			t.Errorf("%s: labels %q %q %q %q", target, c.Target, c.Metric, c.Layer, c.Recon[0].Layer)
		}
		for i, r := range c.Recon {
			if !(r.CILow <= r.Value && r.Value <= r.CIHigh) {
				t.Errorf("%s, M=%d: %g outside [%g, %g]", target, c.M[i], r.Value, r.CILow, r.CIHigh)
			}
		}
	}
	// The single target is made from the top 2 PCs: two components align better than one.
	c, _ := ScoreReconstructions(f, data, "single", sp, 3, opt)
	if !(c.Recon[1].Value > c.Recon[0].Value) {
		t.Errorf("single: M=1 %.3f, M=2 %.3f", c.Recon[0].Value, c.Recon[1].Value)
	}
	c.Title, c.Model, c.BestModel, c.Best = "single target", "fine", "K=8", Row{Layer: "fc7", Value: 0.5, CILow: 0.4, CIHigh: 0.6}
	var b bytes.Buffer
	if err := c.Fprint(&b); err != nil {
		t.Fatal(err)
	}
	if s := b.String(); !strings.Contains(s, "single target, spearman: full fine model (conv)") ||
		!strings.Contains(s, "best coarse K=8 (fc7) 0.500 [0.400, 0.600]") || strings.Count(s, "PCs:") != 3 {
		t.Errorf("Fprint:\n%s", s)
	}
	if _, err := ScoreReconstructions(f, data, "behav-subjects", sp, 3, opt); err == nil ||
		!strings.Contains(err.Error(), `no target "behav-subjects" (have single, brain-subjects, brain-mean)`) {
		t.Errorf("unknown target: %v", err)
	}
	if _, err := ScoreReconstructions(f, data, "single", sp, 0, opt); err == nil {
		t.Error("maxM 0 accepted")
	}
}
