package stats

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// NewRand returns a deterministic generator (PCG) for seed. The same seed gives
// the same stream on every platform and Go version that keeps math/rand/v2's PCG.
func NewRand(seed uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
}

// BootstrapIndices returns n indices drawn uniformly from [0, n) with replacement.
func BootstrapIndices(r *rand.Rand, n int) []int {
	idx := make([]int, n)
	for i := range idx {
		idx[i] = r.IntN(n)
	}
	return idx
}

// SubsampleIndices returns k distinct indices drawn from [0, n) without
// replacement, in increasing order. It panics if k > n or k < 0.
func SubsampleIndices(r *rand.Rand, n, k int) []int {
	if k < 0 || k > n {
		panic(fmt.Sprintf("stats: subsample of %d from %d", k, n))
	}
	p := r.Perm(n)[:k]
	slices.Sort(p)
	return p
}

// SubsampleSize returns the number of items kept when subsampling a fraction of n
// (rounded to nearest, at least 2 when n >= 2): 90% of 92 stimuli is 83.
func SubsampleSize(n int, fraction float64) int {
	k := int(math.Round(fraction * float64(n)))
	if k < 2 && n >= 2 {
		k = 2
	}
	return min(k, n)
}

// Percentile returns the q-th percentile (0 <= q <= 100) of x with linear
// interpolation between order statistics (numpy.percentile's default). NaN values
// are ignored; it returns NaN when no value is left.
func Percentile(x []float64, q float64) float64 {
	s := make([]float64, 0, len(x))
	for _, v := range x {
		if !math.IsNaN(v) {
			s = append(s, v)
		}
	}
	if len(s) == 0 {
		return math.NaN()
	}
	slices.Sort(s)
	return percentileSorted(s, q)
}

func percentileSorted(s []float64, q float64) float64 {
	pos := q / 100 * float64(len(s)-1)
	lo := int(math.Floor(pos))
	if lo >= len(s)-1 {
		return s[len(s)-1]
	}
	if lo < 0 {
		return s[0]
	}
	f := pos - float64(lo)
	return s[lo] + f*(s[lo+1]-s[lo])
}

// PercentileCI returns the central percentile interval holding level (e.g. 0.95)
// of the non-NaN values of x: the (1-level)/2 and (1+level)/2 percentiles.
func PercentileCI(x []float64, level float64) (low, high float64) {
	s := make([]float64, 0, len(x))
	for _, v := range x {
		if !math.IsNaN(v) {
			s = append(s, v)
		}
	}
	if len(s) == 0 {
		return math.NaN(), math.NaN()
	}
	slices.Sort(s)
	return percentileSorted(s, 50*(1-level)), percentileSorted(s, 50*(1+level))
}

// Fold is one split of a k-fold cross-validation: disjoint Train and Test index sets.
type Fold struct {
	Train, Test []int
}

// KFold splits [0, n) into k folds after a seeded shuffle; fold sizes differ by at
// most one (the first n%k folds get one more, as scikit-learn's KFold). Indices
// inside Train and Test are increasing. It panics unless 2 <= k <= n.
func KFold(r *rand.Rand, n, k int) []Fold {
	if k < 2 || k > n {
		panic(fmt.Sprintf("stats: %d folds for %d items", k, n))
	}
	perm := r.Perm(n)
	folds := make([]Fold, k)
	start := 0
	for f := 0; f < k; f++ {
		size := n / k
		if f < n%k {
			size++
		}
		test := slices.Clone(perm[start : start+size])
		slices.Sort(test)
		train := make([]int, 0, n-size)
		train = append(train, perm[:start]...)
		train = append(train, perm[start+size:]...)
		slices.Sort(train)
		folds[f] = Fold{Train: train, Test: test}
		start += size
	}
	return folds
}

// Mean returns the mean of the non-NaN values of x (NaN if none).
func Mean(x []float64) float64 {
	s, c := 0.0, 0
	for _, v := range x {
		if !math.IsNaN(v) {
			s += v
			c++
		}
	}
	if c == 0 {
		return math.NaN()
	}
	return s / float64(c)
}

// SpearmanBrown predicts the reliability of data n times as long from a
// reliability r: n r / (1 + (n-1) r). Split-half correlations use n = 2.
func SpearmanBrown(r, n float64) float64 {
	return n * r / (1 + (n-1)*r)
}
