package coarse

import (
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat"
)

// synth returns an n x d matrix with a decaying spectrum (column scales 1/(j+1)
// after a random rotation) and an offset, so that normalisation and centring matter.
func synth(n, d int, seed uint64) *mat.Dense {
	rng := rand.New(rand.NewPCG(seed, 1))
	z := mat.NewDense(n, d, nil)
	for i := 0; i < n; i++ {
		for j := 0; j < d; j++ {
			z.Set(i, j, rng.NormFloat64()*3/float64(j+1))
		}
	}
	r := mat.NewDense(d, d, nil)
	for i := range d {
		for j := range d {
			r.Set(i, j, rng.NormFloat64())
		}
	}
	var qr mat.QR
	qr.Factorize(r)
	var q mat.Dense
	qr.QTo(&q)
	var x mat.Dense
	x.Mul(z, &q)
	for i := 0; i < n; i++ {
		for j := 0; j < d; j++ {
			x.Set(i, j, x.At(i, j)+0.5)
		}
	}
	return &x
}

// normalised returns the L2-normalised rows of x (the input gonum's PCA sees).
func normalised(x *mat.Dense) *mat.Dense {
	var y mat.Dense
	y.CloneFrom(x)
	n, _ := y.Dims()
	for i := 0; i < n; i++ {
		r := y.RawRowView(i)
		floats.Scale(1/floats.Norm(r, 2), r)
	}
	return &y
}

func absDot(a, b []float64) float64 { return math.Abs(floats.Dot(a, b)) }

// TestAgainstGonumPC checks the components and variances of both exact branches
// (covariance for n >= d, Gram for n < d) and the randomized method against
// gonum's stat.PC (SVD of the centred matrix) on the normalised rows.
func TestAgainstGonumPC(t *testing.T) {
	for _, tc := range []struct {
		n, d   int
		method Method
	}{{300, 20, Exact}, {40, 90, Exact}, {300, 20, Randomized}, {40, 90, Randomized}} {
		x := synth(tc.n, tc.d, 3)
		l, err := Fit(x, &Options{Method: tc.method, Seed: 9})
		if err != nil {
			t.Fatal(err)
		}
		var pc stat.PC
		if !pc.PrincipalComponents(normalised(x), nil) {
			t.Fatal("stat.PC failed")
		}
		vars := pc.VarsTo(nil)
		var vecs mat.Dense
		pc.VectorsTo(&vecs)
		total := floats.Sum(vars)
		if !(math.Abs(l.TotalVariance-total) <= 1e-10*total) {
			t.Errorf("%+v: total variance %g, gonum %g", tc, l.TotalVariance, total)
		}
		for k := 0; k < l.Bits; k++ {
			if !(math.Abs(l.Variance[k]-vars[k]) <= 1e-8*vars[0]) {
				t.Errorf("%+v: variance %d = %g, gonum %g", tc, k, l.Variance[k], vars[k])
			}
			if c := absDot(l.Components.RawRowView(k), mat.Col(nil, k, &vecs)); c < 1-1e-8 {
				t.Errorf("%+v: PC%d |cos| with gonum = %.12f", tc, k+1, c)
			}
		}
	}
}

func TestRandomizedMatchesExact(t *testing.T) {
	x := synth(2001, 60, 5)
	ex, err := Fit(x, &Options{Method: Exact})
	if err != nil {
		t.Fatal(err)
	}
	rd, err := Fit(x, &Options{Method: Randomized, Seed: 1, BlockRows: 300})
	if err != nil {
		t.Fatal(err)
	}
	for k := 0; k < 6; k++ {
		// Same sign convention, so the components agree as vectors, not only up to sign.
		if c := floats.Dot(ex.Components.RawRowView(k), rd.Components.RawRowView(k)); c < 1-1e-9 {
			t.Errorf("PC%d: cos = %.12f", k+1, c)
		}
	}
	if ex.Method != Exact || rd.Method != Randomized {
		t.Fatal("method not recorded")
	}
	same := 0
	for i := range ex.Codes {
		if ex.Codes[i] == rd.Codes[i] {
			same++
		}
	}
	if same < len(ex.Codes)-2 {
		t.Fatalf("randomized and exact codes agree on %d of %d rows", same, len(ex.Codes))
	}
}

func TestNestedBalancedSigns(t *testing.T) {
	for _, n := range []int{500, 501} {
		l, err := Fit(synth(n, 30, 7), nil)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(l.Ks(), []int{2, 4, 8, 16, 32, 64}) {
			t.Fatalf("Ks %v", l.Ks())
		}
		for _, K := range []int{2, 4, 8, 16, 32} {
			small, big := l.Labels(K), l.Labels(2*K)
			for i := range small {
				if small[i] != big[i]>>1 {
					t.Fatalf("n=%d: label_%d != label_%d >> 1 at %d", n, K, 2*K, i)
				}
			}
		}
		// Every bit splits the set in half: n/2 above the median (floor for odd n, whose median is a data point).
		for b := 0; b < l.Bits; b++ {
			ones := 0
			for _, c := range l.Codes {
				ones += int(c>>(l.Bits-1-b)) & 1
			}
			if ones != n/2 {
				t.Fatalf("n=%d: bit %d has %d ones, want %d", n, b, ones, n/2)
			}
		}
		if c := l.ClassCounts(2); c[0] != n-n/2 || c[1] != n/2 {
			t.Fatalf("counts %v", c)
		}
		for k := 0; k < l.Bits; k++ {
			v := l.Components.RawRowView(k)
			if floats.Max(v) < -floats.Min(v) {
				t.Fatalf("PC%d's largest-magnitude loading is negative", k+1)
			}
			if k > 0 && l.Variance[k] > l.Variance[k-1] {
				t.Fatal("variances not descending")
			}
		}
		if r := l.ExplainedRatio(); floats.Sum(r) > 1 || r[0] <= 0 {
			t.Fatalf("explained %v", r)
		}
	}
}

func TestPermutationAndApply(t *testing.T) {
	n := 400
	x := synth(n, 25, 11)
	l, err := Fit(x, nil)
	if err != nil {
		t.Fatal(err)
	}
	perm := rand.New(rand.NewPCG(2, 2)).Perm(n)
	xp := mat.NewDense(n, 25, nil)
	for i, p := range perm {
		xp.SetRow(i, x.RawRowView(p))
	}
	lp, err := Fit(xp, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, K := range l.Ks() {
		a, b := l.Labels(K), lp.Labels(K)
		for i, p := range perm {
			if b[i] != a[p] {
				t.Fatalf("K=%d: labels change under row permutation", K)
			}
		}
		got, err := l.Apply(x, K)
		if err != nil || !slices.Equal(got, a) {
			t.Fatalf("K=%d: Apply on the fitting set differs from Labels (%v)", K, err)
		}
	}
	// New images: Apply uses the fitted medians, so half of a fresh sample is not forced.
	fresh := synth(50, 25, 12)
	if got, err := l.Apply(fresh, 64); err != nil || len(got) != 50 {
		t.Fatal(err)
	}
	if _, err := l.Apply(mat.NewDense(3, 24, nil), 2); err == nil {
		t.Fatal("wrong width accepted")
	}
	bad := mat.DenseCopyOf(x)
	bad.Set(17, 3, math.NaN())
	if _, err := Fit(bad, nil); err == nil || !strings.Contains(err.Error(), "row 17") {
		t.Fatalf("NaN: %v", err)
	}
	defer func() {
		if recover() == nil {
			t.Fatal("K=3 did not panic")
		}
	}()
	l.Labels(3)
}

func TestSaveLoad(t *testing.T) {
	x := synth(120, 16, 13)
	ids := make([]string, 120)
	for i := range ids {
		ids[i] = "cls/img," + string(rune('a'+i%26)) + strings.Repeat("x", i%3) // commas are quoted by CSV
	}
	ids[5] = "plain"
	l, err := FitSource(x, ids, Provenance{Source: "npy", Model: "test.npy", Dataset: "synthetic", Split: "train"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	// IDs need not be unique for Save; make them unique anyway.
	for i := range l.IDs {
		l.IDs[i] += string(rune('A' + i/26))
	}
	dir := filepath.Join(t.TempDir(), "labels")
	if err := l.Save(dir); err != nil {
		t.Fatal(err)
	}
	m, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(m.Codes, l.Codes) || !slices.Equal(m.IDs, l.IDs) || !slices.Equal(m.Medians, l.Medians) ||
		!slices.Equal(m.Mean, l.Mean) || !mat.Equal(m.Components, l.Components) || m.Provenance.Model != "test.npy" || m.Provenance.Created == "" {
		t.Fatal("round trip differs")
	}
	got, err := m.Apply(x, 64)
	if err != nil || !slices.Equal(got, l.Labels(64)) {
		t.Fatal("Apply after Load differs")
	}
	js, _ := os.ReadFile(filepath.Join(dir, ProvenanceFile))
	for _, key := range []string{`"explained_variance_ratio"`, `"class_counts"`, `"64": [`, `"medians"`, `"split": "train"`} {
		if !strings.Contains(string(js), key) {
			t.Errorf("provenance lacks %s", key)
		}
	}
	// A damaged labels file is an error naming the file and line.
	csvPath := filepath.Join(dir, LabelsFile)
	b, _ := os.ReadFile(csvPath)
	lines := strings.Split(string(b), "\n")
	f := strings.Split(lines[3], ",")
	f[len(f)-1] = "99"
	lines[3] = strings.Join(f, ",")
	os.WriteFile(csvPath, []byte(strings.Join(lines, "\n")), 0o644)
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), "line 4") {
		t.Fatalf("damaged CSV: %v", err)
	}
}

func TestSources(t *testing.T) {
	pix := []uint8{0, 255, 51, 102}
	p := NewPixelMatrix(pix, 2, 2)
	row := make([]float64, 2)
	p.RowTo(1, row)
	if p.At(0, 1) != 1 || row[0] != 0.2 || row[1] != 0.4 {
		t.Fatal("pixel scaling")
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "ids.txt"), []byte("b\na\n\nc\n"), 0o644)
	ids, err := ReadIDs(filepath.Join(dir, "ids.txt"))
	if err != nil || !slices.Equal(ids, []string{"b", "a", "c"}) {
		t.Fatalf("%v %v", ids, err)
	}
	x := mat.NewDense(3, 2, []float64{1, 1, 2, 2, 3, 3})
	y, err := AlignRows(x, ids, []string{"a", "c"})
	if err != nil || y.At(0, 0) != 2 || y.At(1, 0) != 3 {
		t.Fatalf("%v %v", y, err)
	}
	if _, err := AlignRows(x, ids, []string{"z"}); err == nil || !strings.Contains(err.Error(), `"z"`) {
		t.Fatal("missing ID accepted")
	}
	os.WriteFile(filepath.Join(dir, "dup.txt"), []byte("a\na\n"), 0o644)
	if _, err := ReadIDs(filepath.Join(dir, "dup.txt")); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Fatal("duplicate ID accepted")
	}
}

func TestCheckK(t *testing.T) {
	l := &Labeling{Bits: 3}
	for _, k := range []int{2, 4, 8} {
		if err := l.CheckK(k); err != nil {
			t.Errorf("CheckK(%d): %v", k, err)
		}
	}
	for _, k := range []int{0, 1, 3, 6, 16, -2} {
		if err := l.CheckK(k); err == nil {
			t.Errorf("CheckK(%d) accepted a K outside {2,4,8}", k)
		}
	}
}
