package temporal

import (
	"math"
	"slices"
	"testing"

	"github.com/coarsealign/coarsealign/pkg/metric"
	"github.com/coarsealign/coarsealign/pkg/rsa"
)

func spearman(t *testing.T) metric.Metric {
	t.Helper()
	m, err := metric.Lookup("spearman")
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// planted are the synthetic latencies of the tests (ms), deeper layers later; time bins are 10 ms.
var planted = []float64{100, 150, 200, 250, 300}

func TestRecoversPlantedLatencies(t *testing.T) {
	for _, name := range []string{"spearman", "corr", "tau-a", "cka-linear"} {
		m, err := metric.Lookup(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, noise := range []float64{0.5, 2} {
			s, layers, err := Synthetic(SynthOptions{Latencies: planted, Noise: noise, Seed: 3})
			if err != nil {
				t.Fatal(err)
			}
			res, err := Analyze(s, layers, m, Options{Draws: 50, Seed: 1})
			if err != nil {
				t.Fatal(err)
			}
			for l, want := range planted {
				if got := res.Peak[l].Value; math.Abs(got-want) > 10 { // within one 10 ms bin
					t.Errorf("%s noise %g: layer %d peak at %g, planted %g", name, noise, l+1, got, want)
				}
				if lo, hi := res.Peak[l].Low, res.Peak[l].High; !(lo <= want+10 && hi >= want-10) {
					t.Errorf("%s noise %g: layer %d peak CI [%g, %g] misses %g", name, noise, l+1, lo, hi, want)
				}
			}
			if r := res.DepthLatency; math.Abs(r.Value-1) > 1e-9 || !(r.Low > 0.5) {
				t.Errorf("%s noise %g: depth-latency rho %g [%g, %g], want 1 with a CI above 0.5", name, noise, r.Value, r.Low, r.High)
			}
		}
	}
}

// The onset of a Gaussian time course exp(-(t-tau)^2/(2 w^2)) at half of the peak is
// tau - w*sqrt(2 ln 2) (the half-width at half maximum).
func TestOnsetOfPlantedTimeCourse(t *testing.T) {
	const width = 25
	s, layers, err := Synthetic(SynthOptions{Latencies: planted, Width: width, Noise: 0.5, Seed: 4})
	if err != nil {
		t.Fatal(err)
	}
	res, err := Analyze(s, layers, spearman(t), Options{Draws: -1, OnsetRun: 2})
	if err != nil {
		t.Fatal(err)
	}
	for l, tau := range planted {
		want := tau - width*math.Sqrt(2*math.Ln2)
		if got := res.Onset[l].Value; math.Abs(got-want) > 20 || got > res.Peak[l].Value {
			t.Errorf("layer %d onset %g, want about %g (two bins), before the peak %g", l+1, got, want, res.Peak[l].Value)
		}
		if len(res.Onset[l].Samples) != 0 || !math.IsNaN(res.Onset[l].Low) {
			t.Errorf("Draws -1: samples %v, CI low %g", res.Onset[l].Samples, res.Onset[l].Low)
		}
	}
}

func TestOnsetDefinition(t *testing.T) {
	times := []float64{-20, -10, 0, 10, 20, 30, 40, 50}
	// baseline 0.1, peak 0.9: threshold 0.5 at fraction 0.5.
	score := []float64{0.1, 0.1, 0.6, 0.2, 0.6, 0.7, 0.9, 0.4}
	for _, tc := range []struct {
		run, want int
	}{{1, 2}, {2, 4}, {3, 4}, {4, -1}} {
		if got := Onset(score, times, 1, 0.5, tc.run); got != tc.want {
			t.Errorf("run %d: onset %d, want %d", tc.run, got, tc.want)
		}
	}
	// Lower is better: the same curve negated.
	neg := make([]float64, len(score))
	for i, v := range score {
		neg[i] = -v
	}
	if got := Onset(neg, times, -1, 0.5, 2); got != 4 {
		t.Errorf("lower-is-better onset %d, want 4", got)
	}
	if got := PeakIndex([]float64{math.NaN(), 1, 3, 3}, 1); got != 2 {
		t.Errorf("peak %d, want the first maximum 2", got)
	}
	if got := PeakIndex([]float64{math.NaN()}, 1); got != -1 {
		t.Errorf("all-NaN peak %d, want -1", got)
	}
}

// The resampling must resample: intervals have width, are deterministic under a seed, change with
// the seed, and narrow when the data are less noisy.
func TestBootstrapResamples(t *testing.T) {
	m := spearman(t)
	width := func(noise float64, seed uint64, workers int) (*Result, float64) {
		s, layers, err := Synthetic(SynthOptions{Latencies: planted, Noise: noise, Seed: 5})
		if err != nil {
			t.Fatal(err)
		}
		res, err := Analyze(s, layers, m, Options{Draws: 200, Seed: seed, Workers: workers})
		if err != nil {
			t.Fatal(err)
		}
		w := 0.0
		for l := range planted {
			ps := res.PeakScore[l]
			if !(ps.High > ps.Low) {
				t.Errorf("noise %g: layer %d peak-score CI [%g, %g] has no width", noise, l+1, ps.Low, ps.High)
			}
			w += ps.High - ps.Low
		}
		return res, w / float64(len(planted))
	}
	noisy, wNoisy := width(3, 1, 1)
	clean, wClean := width(0.5, 1, 0)
	if !(wClean < 0.7*wNoisy) {
		t.Errorf("mean peak-score CI width %g at noise 0.5, %g at noise 3: want it to shrink", wClean, wNoisy)
	}
	latWidth := 0.0
	for l := range planted {
		latWidth += noisy.Peak[l].High - noisy.Peak[l].Low
	}
	if latWidth == 0 {
		t.Error("noise 3: every peak-latency CI has zero width")
	}
	again, _ := width(3, 1, 4) // other workers, same seed: same samples
	other, _ := width(3, 2, 0)
	for l := range planted {
		if !slices.Equal(noisy.PeakScore[l].Samples, again.PeakScore[l].Samples) {
			t.Fatalf("layer %d: samples depend on the workers", l+1)
		}
	}
	if slices.Equal(noisy.PeakScore[0].Samples, other.PeakScore[0].Samples) {
		t.Error("seeds 1 and 2 gave the same samples")
	}
	_ = clean
}

// Compare agrees with rsa.Compare at each time point.
func TestCompareMatchesRSA(t *testing.T) {
	s, layers, err := Synthetic(SynthOptions{Latencies: planted[:2], Noise: 1, Seed: 6, Times: Times(0, 50, 6)})
	if err != nil {
		t.Fatal(err)
	}
	mp, err := Compare(s, layers, spearman(t), metric.Settings{})
	if err != nil {
		t.Fatal(err)
	}
	if len(mp.Scores) != 2 || len(mp.Scores[0]) != 6 || mp.Layers[1] != "layer2" || mp.Metric != "spearman" {
		t.Fatalf("map %+v", mp)
	}
	for l, rep := range layers {
		for tt, r := range s.RDMs {
			want := rsa.MustCompare(rep.RDM, r, rsa.Spearman)
			if got := mp.Scores[l][tt]; math.Abs(got-want) > 1e-12 {
				t.Errorf("layer %d t %d: %g, rsa.Compare %g", l, tt, got, want)
			}
		}
	}
}

func TestCompareErrors(t *testing.T) {
	s, layers, err := Synthetic(SynthOptions{Latencies: planted[:2], Seed: 6, Times: Times(0, 50, 4)})
	if err != nil {
		t.Fatal(err)
	}
	small, _, _ := Synthetic(SynthOptions{Stimuli: 10, Latencies: planted[:2], Times: Times(0, 50, 4)})
	if _, err := Compare(small, layers, spearman(t), metric.Settings{}); err == nil {
		t.Error("layers of 40 stimuli against a series of 10 accepted")
	}
	enc, err := metric.Lookup("encoding")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Compare(s, layers, enc, metric.Settings{}); err == nil {
		t.Error("a metric needing patterns accepted an RDM series")
	}
	if _, err := Analyze(s, layers, spearman(t), Options{Depths: []float64{1}}); err == nil {
		t.Error("one depth for two layers accepted")
	}
}
