package temporal_test

import (
	"fmt"
	"os"

	"github.com/coarsealign/coarsealign/pkg/metric"
	"github.com/coarsealign/coarsealign/pkg/rsa/temporal"
)

// Three layers with planted peaks at 100, 200 and 300 ms, Spearman RSA at every 10 ms bin.
func ExampleAnalyze() {
	s, layers, _ := temporal.Synthetic(temporal.SynthOptions{Latencies: []float64{100, 200, 300}, Noise: 1, Seed: 1})
	m, _ := metric.Lookup("spearman")
	res, _ := temporal.Analyze(s, layers, m, temporal.Options{Draws: 100, Seed: 1})
	for l, name := range res.Map.Layers {
		p := res.Peak[l]
		fmt.Printf("%s: peak %g ms [%g, %g], onset %g ms\n", name, p.Value, p.Low, p.High, res.Onset[l].Value)
	}
	fmt.Printf("depth vs peak latency: rho %.2f\n", res.DepthLatency.Value)
	// Output:
	// layer1: peak 100 ms [90, 110], onset 70 ms
	// layer2: peak 210 ms [190, 210], onset 170 ms
	// layer3: peak 290 ms [290, 300], onset 270 ms
	// depth vs peak latency: rho 1.00
}

func ExampleResult_Fprint() {
	s, layers, _ := temporal.Synthetic(temporal.SynthOptions{Latencies: []float64{100, 200}, Noise: 1, Seed: 2})
	m, _ := metric.Lookup("spearman")
	res, _ := temporal.Analyze(s, layers, m, temporal.Options{Draws: 50, Seed: 1})
	res.Fprint(os.Stdout)
	// Output:
	// layer            peak latency             onset                    peak score   (spearman; 95% CIs, 50 resamples of 90% of the stimuli)
	// layer1           100 [92.25, 100]         70 [70, 70]              0.680 [0.668, 0.696]
	// layer2           200 [200, 200]           170 [170, 170]           0.694 [0.680, 0.708]
	// Spearman rho of depth and peak latency: 1.00 [1.00, 1.00]
}
