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
	checkSaved(t, f, "layer_time", len(layers)*s.Len())
	if _, err := LayerTimeMap("x", &temporal.Result{}); err == nil {
		t.Error("empty result accepted")
	}
}
