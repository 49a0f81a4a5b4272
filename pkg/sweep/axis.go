package sweep

import (
	"math"
	"strconv"
)

// AxisLevel is one granularity of an AxisSummary: the selected-layer score (Row.Selected),
// averaged over seeds, with the mean of the seeds' CI bounds.
type AxisLevel struct {
	K                string
	Value, Low, High float64
	N                int // seeds averaged
}

// AxisSummary is the granularity axis of one architecture on one target and metric (issue 17):
// the best K value, the fine, ssl and untrained baselines. A level that is absent has N = 0.
type AxisSummary struct {
	Arch, Target, Metric string
	// Best is the K run with the highest value (lowest if !higherIsBetter in SummariseAxis).
	Best                 AxisLevel
	Fine, SSL, Untrained AxisLevel
}

// SummariseAxis summarises rows (a results table, any label source) per architecture and
// target for metric, architectures and targets in table order.
func SummariseAxis(rows []Row, metric string, higherIsBetter bool) []AxisSummary {
	type key struct{ arch, target, k string }
	sums := map[key]*AxisLevel{}
	type at struct{ arch, target string }
	var order []at
	seen := map[at]bool{}
	var kOrder = map[at][]string{}
	for _, r := range rows {
		if r.Metric != metric || !r.Selected {
			continue
		}
		a := at{r.Arch, r.Target}
		if !seen[a] {
			seen[a] = true
			order = append(order, a)
		}
		k := key{r.Arch, r.Target, r.K}
		l := sums[k]
		if l == nil {
			l = &AxisLevel{K: r.K}
			sums[k] = l
			kOrder[a] = append(kOrder[a], r.K)
		}
		l.Value += r.Value
		l.Low += r.CILow
		l.High += r.CIHigh
		l.N++
	}
	mean := func(l *AxisLevel) AxisLevel {
		if l == nil || l.N == 0 {
			return AxisLevel{Value: math.NaN(), Low: math.NaN(), High: math.NaN()}
		}
		m := float64(l.N)
		return AxisLevel{K: l.K, Value: l.Value / m, Low: l.Low / m, High: l.High / m, N: l.N}
	}
	var out []AxisSummary
	for _, a := range order {
		s := AxisSummary{Arch: a.arch, Target: a.target, Metric: metric,
			Fine:      mean(sums[key{a.arch, a.target, Fine}]),
			SSL:       mean(sums[key{a.arch, a.target, SSL}]),
			Untrained: mean(sums[key{a.arch, a.target, Untrained}]),
			Best:      AxisLevel{Value: math.NaN(), Low: math.NaN(), High: math.NaN()}}
		for _, k := range kOrder[a] {
			if _, err := strconv.Atoi(k); err != nil {
				continue
			}
			l := mean(sums[key{a.arch, a.target, k}])
			if s.Best.N == 0 || (higherIsBetter && l.Value > s.Best.Value) || (!higherIsBetter && l.Value < s.Best.Value) {
				s.Best = l
			}
		}
		out = append(out, s)
	}
	return out
}
