package plots

import (
	"math"
	"testing"

	"github.com/coarsealign/coarsealign/pkg/metric"
	"github.com/coarsealign/coarsealign/pkg/rsa/temporal"
)

func TestLayerTimeMap(t *testing.T) {
	s, layers, err := temporal.Synthetic(temporal.SynthOptions{Latencies: []float64{100, 200, 300}, Noise: 1, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	m, err := metric.Lookup("spearman")
	if err != nil {
		t.Fatal(err)
	}
	res, err := temporal.Analyze(s, layers, m, temporal.Options{Draws: 20, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	res.Onset[1].Value = math.NaN() // an undefined onset is left out of the drawing, kept in the CSV
	f, err := LayerTimeMap("synthetic", res)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Panels) != 2 {
		t.Fatalf("%d panels", len(f.Panels))
	}
	// The synthetic series is in ms (temporal.SynthOptions.TimeUnit's default): both time axes say so.
	if got := f.Panels[0].X.Label.Text; got != "time (ms)" {
		t.Errorf("map x label %q, want \"time (ms)\"", got)
	}
	if got := f.Panels[1].X.Label.Text; got != "latency (ms)" {
		t.Errorf("latency x label %q, want \"latency (ms)\"", got)
	}
	checkSaved(t, f, "layer_time", len(layers)*s.Len())
	if _, err := LayerTimeMap("x", &temporal.Result{}); err == nil {
		t.Error("empty result accepted")
	}
}
