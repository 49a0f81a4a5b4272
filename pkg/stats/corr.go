package stats

import (
	"math"
	"runtime"
)

// Pearson returns the Pearson correlation of x and y. It returns 0 when either
// vector is constant, as rsatoolbox's compare (its _cosine maps zero-norm vectors
// to 0), and NaN when an input holds NaN or has fewer than 2 entries.
func Pearson(x, y []float64) float64 {
	checkLen(x, y)
	m := len(x)
	if m < 2 {
		return math.NaN()
	}
	var mx, my float64
	for i := range x {
		mx += x[i]
		my += y[i]
	}
	mx /= float64(m)
	my /= float64(m)
	var sxy, sxx, syy float64
	for i := range x {
		dx, dy := x[i]-mx, y[i]-my
		sxy += dx * dy
		sxx += dx * dx
		syy += dy * dy
	}
	if math.IsNaN(sxy) || math.IsNaN(sxx) || math.IsNaN(syy) {
		return math.NaN()
	}
	if sxx == 0 || syy == 0 {
		return 0
	}
	return sxy / (math.Sqrt(sxx) * math.Sqrt(syy))
}

// Cosine returns the cosine similarity x.y / (|x| |y|), 0 when either vector has zero norm.
func Cosine(x, y []float64) float64 {
	checkLen(x, y)
	var sxy, sxx, syy float64
	for i := range x {
		sxy += x[i] * y[i]
		sxx += x[i] * x[i]
		syy += y[i] * y[i]
	}
	if math.IsNaN(sxy) || math.IsNaN(sxx) || math.IsNaN(syy) {
		return math.NaN()
	}
	if sxx == 0 || syy == 0 {
		return 0
	}
	return sxy / (math.Sqrt(sxx) * math.Sqrt(syy))
}

// Spearman returns Spearman's rank correlation: the Pearson correlation of the
// average-tie ranks (tie-corrected, as scipy.stats.spearmanr and rsatoolbox 'spearman').
// NaN in an input gives NaN.
func Spearman(x, y []float64) float64 {
	checkLen(x, y)
	if hasNaN(x) || hasNaN(y) {
		return math.NaN()
	}
	rx, ry := ranksPair(x, y)
	return Pearson(rx, ry)
}

// ranksPair ranks x and y, on two goroutines for long vectors. Above 8M values the
// two rankings run one after the other, so that the scratch memory of only one
// (about 24 bytes per value) is live at a time.
func ranksPair(x, y []float64) ([]float64, []float64) {
	if len(x) < parallelMin || len(x) > 1<<23 || runtime.GOMAXPROCS(0) < 2 {
		return Ranks(x), Ranks(y)
	}
	var rx []float64
	done := make(chan struct{})
	go func() {
		rx = Ranks(x)
		close(done)
	}()
	ry := Ranks(y)
	<-done
	return rx, ry
}

// RhoA returns Spearman's rho-a (no tie correction), rsatoolbox's 'rho-a':
// 12 * sum_k (r_k - mean r)(s_k - mean s) / (m^3 - m), where r and s are the
// average-tie ranks of x and y and m = len(x). Without ties it equals Spearman.
func RhoA(x, y []float64) float64 {
	checkLen(x, y)
	m := len(x)
	if m < 2 || hasNaN(x) || hasNaN(y) {
		return math.NaN()
	}
	rx, ry := ranksPair(x, y)
	mean := float64(m+1) / 2 // the mean of ranks 1..m, ties included
	var s float64
	for i := range rx {
		s += (rx[i] - mean) * (ry[i] - mean)
	}
	fm := float64(m)
	return s * 12 / (fm*fm*fm - fm)
}
