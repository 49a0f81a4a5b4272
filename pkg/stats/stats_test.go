package stats

import (
	"fmt"
	"math"
	"slices"
	"testing"
)

// Values computed with scipy 1.10.1 / numpy 1.24.2 (Debian 12 python3-scipy):
// spearmanr, kendalltau, pearsonr, rankdata and numpy.percentile on these vectors.
var (
	tx = []float64{1, 2, 2, 3, 5, 4, 4, 4, 0.5, 7}
	ty = []float64{2, 1, 3, 3, 6, 4, 5, 4, 1, 8}
)

func TestAgainstScipy(t *testing.T) {
	const tol = 1e-12
	cases := []struct {
		name string
		got  float64
		want float64
	}{
		{"spearman", Spearman(tx, ty), 0.9503288904374106},              // scipy.stats.spearmanr
		{"kendall tau-b", KendallTauB(tx, ty), 0.8916309815169777},      // scipy.stats.kendalltau
		{"pearson", Pearson(tx, ty), 0.9532615835734334},                // scipy.stats.pearsonr
		{"p2.5", Percentile([]float64{3, 1, 4, 1, 5, 9, 2, 6}, 2.5), 1}, // numpy.percentile
		{"p97.5", Percentile([]float64{3, 1, 4, 1, 5, 9, 2, 6}, 97.5), 8.475},
		{"p50", Percentile([]float64{3, 1, 4, 1, 5, 9, 2, 6}, 50), 3.5},
		{"p33", Percentile([]float64{3, 1, 4, 1, 5, 9, 2, 6}, 33), 2.31},
	}
	for _, c := range cases {
		if !(math.Abs(c.got-c.want) <= tol) {
			t.Errorf("%s = %.16g, want %.16g", c.name, c.got, c.want)
		}
	}
	// scipy.stats.rankdata(tx)
	want := []float64{2, 3.5, 3.5, 5, 9, 7, 7, 7, 1, 10}
	if got := Ranks(tx); !slices.Equal(got, want) {
		t.Errorf("Ranks = %v, want %v", got, want)
	}
}

func TestRanksNaN(t *testing.T) {
	r := Ranks([]float64{3, math.NaN(), 1, 3})
	if r[0] != 2.5 || !math.IsNaN(r[1]) || r[2] != 1 || r[3] != 2.5 {
		t.Fatalf("Ranks with NaN = %v", r)
	}
	if r := Ranks([]float64{0, math.Copysign(0, -1), -1}); r[0] != 2.5 || r[1] != 2.5 {
		t.Fatalf("-0 and +0 must tie: %v", r)
	}
}

// kendallRef counts pairs directly in O(m^2).
func kendallRef(x, y []float64) KendallCounts {
	var c KendallCounts
	m := len(x)
	c.Total = int64(m) * int64(m-1) / 2
	for i := 0; i < m; i++ {
		for j := i + 1; j < m; j++ {
			dx, dy := x[i]-x[j], y[i]-y[j]
			switch {
			case dx == 0 && dy == 0:
				c.TiesX++
				c.TiesY++
				c.TiesXY++
			case dx == 0:
				c.TiesX++
			case dy == 0:
				c.TiesY++
			case (dx > 0) != (dy > 0):
				c.Discordant++
			}
		}
	}
	return c
}

func TestKendallMatchesQuadraticReference(t *testing.T) {
	r := NewRand(7)
	// Sizes straddle the radix-sort cut-off and the insertion-sort run length.
	for _, m := range []int{2, 3, 31, 33, 100, 511, 512, 1500} {
		for _, levels := range []int{3, 20, 1 << 30} { // heavy ties, some ties, almost none
			x := make([]float64, m)
			y := make([]float64, m)
			for i := range x {
				x[i] = float64(r.IntN(levels)) - float64(levels)/2
				y[i] = float64(r.IntN(levels))*0.5 + 0.3*x[i]
			}
			got, want := Kendall(x, y), kendallRef(x, y)
			if got != want {
				t.Fatalf("m=%d levels=%d: got %+v want %+v", m, levels, got, want)
			}
		}
	}
}

func TestKendallAnalytic(t *testing.T) {
	x := []float64{1, 2, 3, 4, 5}
	rev := []float64{5, 4, 3, 2, 1}
	if v := KendallTauB(x, x); math.Abs(v-1) > 1e-15 {
		t.Errorf("tau-b(x,x)=%v", v)
	}
	if v := KendallTauA(x, rev); v != -1 {
		t.Errorf("tau-a(x,rev)=%v", v)
	}
	if v := KendallTauB(x, []float64{1, 1, 1, 1, 1}); !math.IsNaN(v) {
		t.Errorf("tau-b with a constant = %v, want NaN", v)
	}
	// tau-a with ties in y: pairs (1,2),(3,4),(1,3)... computed by hand:
	// x=1,2,3 y=1,1,2: pairs (0,1) tie in y, (0,2) con, (1,2) con -> tau-a = 2/3.
	if v := KendallTauA([]float64{1, 2, 3}, []float64{1, 1, 2}); math.Abs(v-2.0/3) > 1e-15 {
		t.Errorf("tau-a = %v, want 2/3", v)
	}
}

func TestRhoA(t *testing.T) {
	// Without ties rho-a equals Spearman.
	x := []float64{0.3, 0.1, 0.9, 0.5, 0.7}
	y := []float64{1, 3, 2, 5, 4}
	if a, b := RhoA(x, y), Spearman(x, y); math.Abs(a-b) > 1e-14 {
		t.Errorf("rho-a %v != spearman %v without ties", a, b)
	}
	// With ties rho-a is smaller in magnitude than Spearman: ranks 1.5,1.5,3 against
	// 1,2,3: sum (r-2)(s-2) = 0.5*... = (-0.5)(-1)+(-0.5)(0)+(1)(1) = 1.5; 12*1.5/24 = 0.75.
	if v := RhoA([]float64{1, 1, 2}, []float64{1, 2, 3}); math.Abs(v-0.75) > 1e-15 {
		t.Errorf("rho-a with ties = %v, want 0.75", v)
	}
}

func TestResampling(t *testing.T) {
	a := BootstrapIndices(NewRand(3), 50)
	b := BootstrapIndices(NewRand(3), 50)
	if !slices.Equal(a, b) {
		t.Fatal("same seed, different draws")
	}
	s := SubsampleIndices(NewRand(4), 92, SubsampleSize(92, 0.9))
	if len(s) != 83 {
		t.Fatalf("90%% of 92 = %d, want 83", len(s))
	}
	for i := 1; i < len(s); i++ {
		if s[i] <= s[i-1] {
			t.Fatalf("subsample not strictly increasing: %v", s)
		}
	}
	folds := KFold(NewRand(5), 11, 3)
	seen := make([]int, 11)
	for _, f := range folds {
		if len(f.Train)+len(f.Test) != 11 {
			t.Fatalf("fold sizes %d+%d", len(f.Train), len(f.Test))
		}
		for _, i := range f.Test {
			seen[i]++
		}
	}
	for i, c := range seen {
		if c != 1 {
			t.Fatalf("item %d in %d test folds", i, c)
		}
	}
	if len(folds[0].Test) != 4 || len(folds[2].Test) != 3 {
		t.Fatalf("fold sizes %d %d", len(folds[0].Test), len(folds[2].Test))
	}
	if v := SpearmanBrown(0.5, 2); math.Abs(v-2.0/3) > 1e-15 {
		t.Fatalf("Spearman-Brown(0.5) = %v", v)
	}
	lo, hi := PercentileCI([]float64{3, 1, 4, 1, 5, 9, 2, 6}, 0.95)
	if lo != 1 || math.Abs(hi-8.475) > 1e-12 {
		t.Fatalf("CI = %v %v", lo, hi)
	}
}

func BenchmarkKendall(b *testing.B) {
	for _, m := range []int{4186, 1 << 20, 1 << 23} {
		if m > 1<<20 && testing.Short() {
			continue
		}
		r := NewRand(1)
		x := make([]float64, m)
		y := make([]float64, m)
		for i := range x {
			x[i] = r.Float64()
			y[i] = x[i] + r.Float64()
		}
		b.Run(fmt.Sprint("m=", m), func(b *testing.B) {
			for b.Loop() {
				Kendall(x, y)
			}
		})
	}
}

func TestKendallParallelPath(t *testing.T) {
	// Long enough for the two-goroutine merge; checked against the quadratic count on
	// a subsample-free input by comparing with the sequential inversion count.
	r := NewRand(9)
	m := 3*parallelMin + 17
	x := make([]float64, m)
	y := make([]float64, m)
	for i := range x {
		x[i] = float64(r.IntN(1000))
		y[i] = float64(r.IntN(50)) + 0.01*x[i]
	}
	got := Kendall(x, y)
	// Reference: same algorithm with the sequential merge.
	seq := make([]uint32, m)
	ord := make([]int, m)
	for i := range ord {
		ord[i] = i
	}
	slices.SortStableFunc(ord, func(a, b int) int {
		if x[a] != x[b] {
			if x[a] < x[b] {
				return -1
			}
			return 1
		}
		if y[a] < y[b] {
			return -1
		} else if y[a] > y[b] {
			return 1
		}
		return 0
	})
	ry := Ranks(y) // average ranks are monotone in y, so they order like y
	for i, o := range ord {
		seq[i] = uint32(2 * ry[o])
	}
	if want := CountInversions(seq, make([]uint32, m)); got.Discordant != want {
		t.Fatalf("parallel discordant %d, sequential %d", got.Discordant, want)
	}
}

func BenchmarkSpearman(b *testing.B) {
	for _, m := range []int{4186, 1999000} {
		r := NewRand(1)
		x := make([]float64, m)
		y := make([]float64, m)
		for i := range x {
			x[i] = r.Float64()
			y[i] = x[i] + r.Float64()
		}
		b.Run(fmt.Sprint("m=", m), func(b *testing.B) {
			for b.Loop() {
				Spearman(x, y)
			}
		})
	}
}

// CountInversions against the quadratic count, with ties, lengths around the run size.
func TestCountInversions(t *testing.T) {
	r := NewRand(3)
	for _, n := range []int{0, 1, 2, 7, 31, 32, 33, 64, 301, 1000} {
		a := make([]uint32, n)
		for i := range a {
			a[i] = uint32(r.IntN(10))
		}
		want := int64(0)
		for i := range a {
			for j := i + 1; j < n; j++ {
				if a[i] > a[j] {
					want++
				}
			}
		}
		if got := CountInversions(a, make([]uint32, n)); got != want {
			t.Errorf("n=%d: %d inversions, want %d", n, got, want)
		}
		if !slices.IsSorted(a) {
			t.Errorf("n=%d: not sorted", n)
		}
	}
}
