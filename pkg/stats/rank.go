// Package stats holds the rank statistics, correlations and resampling helpers
// used by the alignment metrics: ranks with average ties, Pearson, Spearman,
// rho-a, Kendall tau-a and tau-b (O(m log m), Knight's algorithm), seeded random
// numbers, bootstrap and subsample index draws, percentile intervals and k-fold splits.
//
// Vectors are []float64 of equal length m. Functions that take two vectors panic
// with a "stats:" prefix when their lengths differ (a caller mistake); a NaN in the
// input gives a NaN result (Ranks gives NaN ranks for NaN entries). Only Kendall,
// which returns integer counts, panics on NaN; use KendallTauA/KendallTauB for a NaN
// result instead. The package never imports GoMLX.
package stats

import "math"

// Ranks returns the ranks of x (1-based) with tied values receiving the average
// of the ranks they span, as scipy.stats.rankdata(method="average"). NaN entries
// get a NaN rank and do not take part in the ranking (rsatoolbox's _nan_rank_data).
func Ranks(x []float64) []float64 {
	r := make([]float64, len(x))
	RanksInto(r, x)
	return r
}

// RanksInto writes the average-tie ranks of x into dst (len(dst) == len(x)); see Ranks.
func RanksInto(dst, x []float64) {
	if len(dst) != len(x) {
		panic("stats: RanksInto length mismatch")
	}
	vals := x
	var pos []int // positions of non-NaN entries, only when NaN is present
	if hasNaN(x) {
		vals = make([]float64, 0, len(x))
		for i, v := range x {
			if math.IsNaN(v) {
				dst[i] = math.NaN()
			} else {
				pos = append(pos, i)
				vals = append(vals, v)
			}
		}
	}
	order, keys := sortedOrder(vals)
	m := len(vals)
	for i := 0; i < m; {
		j := i + 1
		for j < m && keys[j] == keys[i] {
			j++
		}
		// positions i..j-1 (0-based) hold ranks i+1..j; their average is (i+1+j)/2.
		avg := float64(i+1+j) / 2
		for k := i; k < j; k++ {
			o := int(order[k])
			if pos != nil {
				o = pos[o]
			}
			dst[o] = avg
		}
		i = j
	}
}

func hasNaN(x []float64) bool {
	for _, v := range x {
		if v != v {
			return true
		}
	}
	return false
}

func checkLen(x, y []float64) {
	if len(x) != len(y) {
		panic("stats: vectors of different lengths")
	}
}
