package rsa

import (
	"math"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/coarsealign/coarsealign/pkg/data/k92"
	"github.com/coarsealign/coarsealign/pkg/datadir"
	"github.com/coarsealign/coarsealign/pkg/rdm"
	"github.com/coarsealign/coarsealign/pkg/stats"
)

func loadK92(t *testing.T) *k92.Set {
	t.Helper()
	set, err := k92.Load(datadir.ForTest(t))
	if err != nil {
		t.Fatal(err)
	}
	return set
}

func resolve1(t *testing.T, set *k92.Set, spec string) []*rdm.RDM {
	t.Helper()
	r, err := k92.Resolve(set, spec)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestRsatoolboxValues checks values computed by rsatoolbox (rsatoolbox.rdm.compare
// and rsatoolbox.inference.boot_noise_ceiling) on these files, as given in the
// project's issue 2.
func TestRsatoolboxValues(t *testing.T) {
	set := loadK92(t)
	const tol = 1e-6
	cases := []struct {
		a, b string
		m    Method
		want float64
	}{
		// computed by rsatoolbox on these files (issue 2): mIT vs hIT
		{"mIT", "hIT", Corr, 0.4912097961},
		{"mIT", "hIT", Spearman, 0.4389238094},
		{"mIT", "hIT", TauA, 0.3040482555},
		{"mIT", "hIT", Cosine, 0.9950224035},
		{"mIT", "hIT", CorrCov, 0.5270442773},
		// computed by rsatoolbox on these files (issue 2): hIT vs the mean behavioural RDM
		{"hIT", "behav-mean", Spearman, 0.3923944579},
		{"hIT", "behav-mean", TauA, 0.2624077185},
	}
	for _, c := range cases {
		a := resolve1(t, set, k92.Prefix+c.a)[0]
		b := resolve1(t, set, k92.Prefix+c.b)[0]
		got, err := Compare(a, b, c.m)
		if err != nil {
			t.Fatal(err)
		}
		if !(math.Abs(got-c.want) <= tol) { // fails on NaN too
			t.Errorf("%s vs %s %v = %.10f, want %.10f", c.a, c.b, c.m, got, c.want)
		}
		// Symmetry of every method.
		if back, _ := Compare(b, a, c.m); !(math.Abs(back-got) <= 1e-12) {
			t.Errorf("%v not symmetric: %v vs %v", c.m, got, back)
		}
	}
	// computed by rsatoolbox on these files (issue 2): boot_noise_ceiling of the
	// 4 session-averaged subject RDMs, spearman.
	subj := resolve1(t, set, k92.Prefix+"hIT-subjects")
	lo, up, err := NoiseCeiling(subj, Spearman)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(lo-0.3723132509) > tol || math.Abs(up-0.6657209045) > tol {
		t.Errorf("noise ceiling = %.10f, %.10f; want 0.3723132509, 0.6657209045", lo, up)
	}
	if !(lo < up) {
		t.Errorf("lower %v >= upper %v", lo, up)
	}
}

// randomRDM returns an RDM of Euclidean distances between n random 5-d points.
func randomRDM(name string, n int, seed uint64) *rdm.RDM {
	r := stats.NewRand(seed)
	x := make([]float64, n*5)
	for i := range x {
		x[i] = r.NormFloat64()
	}
	out, err := RDMFromPatternSlice(name, x, n, 5, L2, nil)
	if err != nil {
		panic(err)
	}
	return out
}

func TestSelfSimilarityIsOne(t *testing.T) {
	a := randomRDM("a", 30, 1)
	for _, m := range Methods() {
		v, err := Compare(a, a, m)
		if err != nil {
			t.Fatal(err)
		}
		if !(math.Abs(v-1) <= 1e-12) {
			t.Errorf("%v(a, a) = %v, want 1", m, v)
		}
	}
}

func TestRankMethodsInvariantUnderMonotoneTransform(t *testing.T) {
	a := randomRDM("a", 25, 2)
	b := randomRDM("b", 25, 3)
	// exp(3x) - 7 is strictly increasing.
	bt := &rdm.RDM{Name: "b'", N: b.N, Vec: make([]float64, len(b.Vec))}
	for k, v := range b.Vec {
		bt.Vec[k] = math.Exp(3*v) - 7
	}
	for _, m := range []Method{Spearman, RhoA, Kendall, TauA} {
		v1, _ := Compare(a, b, m)
		v2, _ := Compare(a, bt, m)
		if !(math.Abs(v1-v2) <= 1e-12) {
			t.Errorf("%v changed under a monotone transform: %v -> %v", m, v1, v2)
		}
	}
	// Corr is not rank-invariant: guard that the test can fail.
	v1, _ := Compare(a, b, Corr)
	v2, _ := Compare(a, bt, Corr)
	if math.Abs(v1-v2) < 1e-6 {
		t.Errorf("corr unexpectedly invariant (%v, %v)", v1, v2)
	}
}

// getV builds rsatoolbox's _get_v for sigma_k = identity: V = Xi .* Xi with
// Xi = C C' and C the pairwise contrast matrix (row (i,j): +1 at i, -1 at j).
func getV(n int) [][]float64 {
	m := rdm.NumPairs(n)
	type pr struct{ i, j int }
	ps := make([]pr, 0, m)
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			ps = append(ps, pr{i, j})
		}
	}
	v := make([][]float64, m)
	for k, p := range ps {
		v[k] = make([]float64, m)
		for l, q := range ps {
			xi := 0.0
			switch {
			case p == q:
				xi = 2
			case p.i == q.i || p.j == q.j:
				xi = 1
			case p.i == q.j || p.j == q.i:
				xi = -1
			}
			v[k][l] = xi * xi
		}
	}
	return v
}

// solve solves a x = b by Gaussian elimination with partial pivoting (test helper).
func solve(a [][]float64, b []float64) []float64 {
	n := len(b)
	m := make([][]float64, n)
	for i := range a {
		m[i] = append(append([]float64(nil), a[i]...), b[i])
	}
	for c := 0; c < n; c++ {
		p := c
		for r := c + 1; r < n; r++ {
			if !(math.Abs(m[r][c]) <= math.Abs(m[p][c])) {
				p = r
			}
		}
		m[c], m[p] = m[p], m[c]
		for r := c + 1; r < n; r++ {
			f := m[r][c] / m[c][c]
			for k := c; k <= n; k++ {
				m[r][k] -= f * m[c][k]
			}
		}
	}
	x := make([]float64, n)
	for r := n - 1; r >= 0; r-- {
		s := m[r][n]
		for k := r + 1; k < n; k++ {
			s -= m[r][k] * x[k]
		}
		x[r] = s / m[r][r]
	}
	return x
}

// whitenedCosine is rsatoolbox's _cosine_cov_weighted_slow: v1' V^-1 v2 normalised,
// with V restricted to the kept pairs.
func whitenedCosine(v1, v2 []float64, keep []bool, n int) float64 {
	full := getV(n)
	var idx []int
	for k, ok := range keep {
		if ok {
			idx = append(idx, k)
		}
	}
	v := make([][]float64, len(idx))
	for a, k := range idx {
		v[a] = make([]float64, len(idx))
		for b, l := range idx {
			v[a][b] = full[k][l]
		}
	}
	x1 := solve(v, v1)
	x2 := solve(v, v2)
	return dot(v1, x2) / math.Sqrt(dot(v1, x1)*dot(v2, x2))
}

func TestCovMethodsEqualExplicitWhitening(t *testing.T) {
	const n = 9
	a := randomRDM("a", n, 4)
	b := randomRDM("b", n, 5)
	all := make([]bool, rdm.NumPairs(n))
	for k := range all {
		all[k] = true
	}
	got, _ := Compare(a, b, CosineCov)
	want := whitenedCosine(a.Vec, b.Vec, all, n)
	if !(math.Abs(got-want) <= 1e-10) {
		t.Errorf("cosine_cov = %v, explicit V^-1 = %v", got, want)
	}
	got, _ = Compare(a, b, CorrCov)
	want = whitenedCosine(centred(a.Vec), centred(b.Vec), all, n)
	if !(math.Abs(got-want) <= 1e-10) {
		t.Errorf("corr_cov = %v, explicit V^-1 = %v", got, want)
	}
	// With missing pairs (the missing-value branch, solved by conjugate gradients).
	an := &rdm.RDM{Name: "a-nan", N: n, Vec: append([]float64(nil), a.Vec...)}
	keep := append([]bool(nil), all...)
	for _, k := range []int{0, 5, 17, 30} {
		an.Vec[k] = math.NaN()
		keep[k] = false
	}
	x, y, mask := commonPairs(an.Vec, b.Vec)
	got, _ = Compare(an, b, CosineCov)
	want = whitenedCosine(x, y, keep, n)
	if !(math.Abs(got-want) <= 1e-10) {
		t.Errorf("cosine_cov with NaN = %v, explicit V^-1 = %v", got, want)
	}
	// The general branch equals the closed form when nothing is missing.
	w1 := covWeight(a.Vec, nil, n)
	w2 := covWeight(a.Vec, all, n)
	for k := range w1 {
		if !(math.Abs(w1[k]-w2[k]) <= 1e-12) {
			t.Fatalf("cov weighting branches differ at %d: %v vs %v", k, w1[k], w2[k])
		}
	}
	_ = mask
}

func TestNaNPairsAreDropped(t *testing.T) {
	a := randomRDM("a", 12, 6)
	b := randomRDM("b", 12, 7)
	an := &rdm.RDM{Name: "a", N: a.N, Vec: append([]float64(nil), a.Vec...)}
	an.Vec[3] = math.NaN()
	an.Vec[40] = math.NaN()
	// Dropping by hand must give the same value.
	var x, y []float64
	for k := range a.Vec {
		if k != 3 && k != 40 {
			x = append(x, a.Vec[k])
			y = append(y, b.Vec[k])
		}
	}
	for _, m := range []Method{Corr, Spearman, Kendall, TauA, RhoA, Cosine} {
		got, err := Compare(an, b, m)
		if err != nil {
			t.Fatal(err)
		}
		want := compareVectors(x, y, nil, 12, m)
		if !(math.Abs(got-want) <= 1e-14) {
			t.Errorf("%v with NaN = %v, dropped by hand %v", m, got, want)
		}
	}
}

func TestCompareErrors(t *testing.T) {
	a := randomRDM("alpha", 10, 8)
	b := randomRDM("beta", 11, 9)
	if _, err := Compare(a, b, Spearman); err == nil || !strings.Contains(err.Error(), "alpha") {
		t.Errorf("size mismatch: %v", err)
	}
	inf := &rdm.RDM{Name: "broken", N: 10, Vec: append([]float64(nil), a.Vec...)}
	inf.Vec[rdm.Index(10, 2, 5)] = math.Inf(1)
	if _, err := Compare(a, inf, Corr); err == nil || !strings.Contains(err.Error(), `"broken"`) || !strings.Contains(err.Error(), "(3,6)") {
		t.Errorf("Inf: %v", err)
	}
	allNaN := &rdm.RDM{Name: "empty", N: 3, Vec: []float64{math.NaN(), math.NaN(), 1}}
	c := randomRDM("c", 3, 1)
	if _, err := Compare(allNaN, c, Corr); err == nil || !strings.Contains(err.Error(), "empty") {
		t.Errorf("too few pairs: %v", err)
	}
	ida := &rdm.RDM{Name: "ida", N: 2, Vec: []float64{1}, IDs: []string{"x", "y"}}
	idb := &rdm.RDM{Name: "idb", N: 2, Vec: []float64{1}, IDs: []string{"x", "z"}}
	if _, err := Compare(ida, idb, Corr); err == nil {
		t.Error("ID mismatch accepted")
	}
	if _, err := MethodFromString("pearsonish"); err == nil {
		t.Error("bad method accepted")
	}
	for _, m := range Methods() {
		if got, err := MethodFromString(m.String()); err != nil || got != m {
			t.Errorf("MethodFromString(%q) = %v, %v", m.String(), got, err)
		}
	}
	if m, _ := MethodFromString("tau-b"); m != Kendall {
		t.Error("tau-b is not kendall")
	}
}

func TestCompareMany(t *testing.T) {
	rs := []*rdm.RDM{randomRDM("a", 10, 1), randomRDM("b", 10, 2), randomRDM("c", 10, 3)}
	mat, err := CompareMany(rs[:2], rs, Spearman)
	if err != nil {
		t.Fatal(err)
	}
	if len(mat) != 2 || len(mat[0]) != 3 {
		t.Fatalf("shape %dx%d", len(mat), len(mat[0]))
	}
	for i := range mat {
		for j := range mat[i] {
			want, _ := Compare(rs[i], rs[j], Spearman)
			if mat[i][j] != want {
				t.Errorf("[%d][%d] = %v want %v", i, j, mat[i][j], want)
			}
		}
	}
}

func TestRealDataCeilingsAndReliability(t *testing.T) {
	set := loadK92(t)
	subj := resolve1(t, set, k92.Prefix+"hIT-subjects")
	for _, m := range Methods() {
		lo, up, err := NoiseCeiling(subj, m)
		if err != nil {
			t.Fatal(err)
		}
		if !(lo < up && up <= 1) {
			t.Errorf("%v: ceiling [%v, %v]", m, lo, up)
		}
	}
	// Split-half reliability of the 8 session RDMs: between 0 and 1, and the
	// Spearman–Brown correction raises it above the raw half-vs-half similarity.
	sessions := resolve1(t, set, k92.Prefix+"hIT-sessions")
	sh, err := SplitHalfCeiling(sessions, Spearman, 20, 1)
	if err != nil {
		t.Fatal(err)
	}
	if !(0 < sh.Raw && sh.Raw < sh.Reliability && sh.Reliability < 1) {
		t.Errorf("split-half %+v", sh)
	}
	// The 90% subsample interval of mIT vs hIT holds the full-data value.
	mit := resolve1(t, set, k92.Prefix+"mIT")[0]
	hit := resolve1(t, set, k92.Prefix+"hIT")[0]
	res, err := SubsampleStimuli(mit, hit, Spearman, BootOptions{Draws: 100, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if !(res.Low < res.Estimate && res.Estimate < res.High) {
		t.Errorf("subsample CI [%v, %v] misses %v", res.Low, res.High, res.Estimate)
	}
}

// TestCovWeightCGMatchesDenseSolve checks the conjugate-gradient solve of the
// missing-pair projection against a dense Cholesky solve at a larger size.
func TestCovWeightCGMatchesDenseSolve(t *testing.T) {
	const n = 200
	a := randomRDM("a", n, 41)
	r := stats.NewRand(42)
	mask := make([]bool, len(a.Vec))
	var x []float64
	for k := range mask {
		mask[k] = r.Float64() > 0.2 // drop a fifth of the pairs
		if mask[k] {
			x = append(x, a.Vec[k])
		}
	}
	got := covWeight(x, mask, n)
	// Dense: M_ii = deg_i/2 + 1, M_ij = 1/2 for kept pairs; rhs a_i = sum of -x/2 over
	// kept pairs touching i.
	m := mat.NewSymDense(n, nil)
	rhs := mat.NewVecDense(n, nil)
	for i := 0; i < n; i++ {
		m.SetSym(i, i, 1)
	}
	k, kk := 0, 0
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			if mask[k] {
				m.SetSym(i, i, m.At(i, i)+0.5)
				m.SetSym(j, j, m.At(j, j)+0.5)
				m.SetSym(i, j, 0.5)
				rhs.SetVec(i, rhs.AtVec(i)-0.5*x[kk])
				rhs.SetVec(j, rhs.AtVec(j)-0.5*x[kk])
				kk++
			}
			k++
		}
	}
	var ch mat.Cholesky
	if !ch.Factorize(m) {
		t.Fatal("M not positive definite")
	}
	var c mat.VecDense
	if err := ch.SolveVecTo(&c, rhs); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		if d := math.Abs(got[len(x)+i] + c.AtVec(i)); d > 1e-10 {
			t.Fatalf("diagonal entry %d: CG %v, dense %v", i, got[len(x)+i], -c.AtVec(i))
		}
	}
}
