package temporal

import (
	"fmt"
	"math"

	"github.com/coarsealign/coarsealign/pkg/metric"
	"github.com/coarsealign/coarsealign/pkg/rdm"
	"github.com/coarsealign/coarsealign/pkg/rsa"
	"github.com/coarsealign/coarsealign/pkg/stats"
)

// SynthOptions describe a synthetic series with planted latencies. The zero value of a field
// means its default.
type SynthOptions struct {
	// Stimuli (default 40) and Units (pattern width of each layer; default 50).
	Stimuli, Units int
	// Latencies are the planted peak times, one per layer, in the unit of Times (default 100,
	// 150, 200, 250, 300: five layers, deeper later).
	Latencies []float64
	// Width is the SD of each layer's Gaussian time course (default 25).
	Width float64
	// Times are the time stamps (default -100..600 in steps of 10).
	Times []float64
	// TimeUnit is the unit of Times and Latencies (default "ms").
	TimeUnit string
	// Carry is how much of layer l-1's patterns layer l keeps (default 0.5): adjacent layers
	// are correlated, as in a network. Negative means 0.
	Carry float64
	// Noise is the SD of the independent noise added to every pair at every time point, in
	// units of the SD of a layer's standardised RDM (default 0: none).
	Noise float64
	// Seed fixes the patterns and the noise.
	Seed uint64
}

func (o SynthOptions) withDefaults() SynthOptions {
	if o.Stimuli == 0 {
		o.Stimuli = 40
	}
	if o.Units == 0 {
		o.Units = 50
	}
	if o.Latencies == nil {
		o.Latencies = []float64{100, 150, 200, 250, 300}
	}
	if o.Width == 0 {
		o.Width = 25
	}
	if o.TimeUnit == "" {
		o.TimeUnit = "ms"
	}
	if o.Times == nil {
		o.Times = Times(-100, 10, 71)
	}
	if o.Carry == 0 {
		o.Carry = 0.5
	}
	o.Carry = max(o.Carry, 0)
	return o
}

// Synthetic returns a series and its model layers ("layer1", ...): layer l has Gaussian
// patterns, a mixture of layer l-1's (weight Carry) and fresh ones, so adjacent layers' RDMs
// (1 - Pearson) are correlated as in a network; the brain RDM at time t is
// 1 + sum_l w_l(t) z_l + Noise*e_t, with z_l layer l's RDM standardised over pairs,
// w_l(t) = exp(-(t - Latencies[l])^2 / (2 Width^2)) and e_t independent standard normal noise.
// Pre-stimulus time points far from every latency hold noise only.
func Synthetic(o SynthOptions) (*Series, []*metric.Rep, error) {
	o = o.withDefaults()
	n, d := o.Stimuli, o.Units
	if n < 3 || d < 1 || o.Width <= 0 || o.Noise < 0 || len(o.Latencies) == 0 {
		return nil, nil, fmt.Errorf("temporal: invalid synthetic options %+v", o)
	}
	rng := stats.NewRand(o.Seed)
	layers := make([]*metric.Rep, len(o.Latencies))
	z := make([][]float64, len(o.Latencies))
	var prev []float64
	keep := o.Carry / math.Sqrt(1+o.Carry*o.Carry)
	fresh := 1 / math.Sqrt(1+o.Carry*o.Carry)
	for l := range layers {
		x := make([]float64, n*d)
		for i := range x {
			x[i] = fresh * rng.NormFloat64()
			if prev != nil {
				x[i] += keep * prev[i]
			}
		}
		prev = x
		name := fmt.Sprintf("layer%d", l+1)
		r, err := rsa.RDMFromPatternSlice(name, x, n, d, rsa.Correlation, nil)
		if err != nil {
			return nil, nil, err
		}
		layers[l] = &metric.Rep{Name: name, X: x, N: n, D: d, RDM: r}
		z[l] = standardise(r.Vec)
	}
	rdms := make([]*rdm.RDM, len(o.Times))
	for t, tm := range o.Times {
		vec := make([]float64, rdm.NumPairs(n))
		for k := range vec {
			vec[k] = 1 + o.Noise*rng.NormFloat64()
		}
		for l, lat := range o.Latencies {
			w := math.Exp(-(tm - lat) * (tm - lat) / (2 * o.Width * o.Width))
			for k := range vec {
				vec[k] += w * z[l][k]
			}
		}
		rdms[t] = &rdm.RDM{Name: fmt.Sprintf("synthetic@%g", tm), N: n, Vec: vec}
	}
	s, err := NewSeries("synthetic", rdms, o.Times)
	if s != nil {
		s.TimeUnit = o.TimeUnit
	}
	if err != nil {
		return nil, nil, err
	}
	return s, layers, nil
}

// standardise returns (x - mean) / SD.
func standardise(x []float64) []float64 {
	m := stats.Mean(x)
	ss := 0.0
	for _, v := range x {
		ss += (v - m) * (v - m)
	}
	sd := math.Sqrt(ss / float64(len(x)))
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = (v - m) / sd
	}
	return out
}
