package main

import (
	"bytes"
	"encoding/json"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coarsealign/coarsealign/pkg/data/npy"
	"github.com/coarsealign/coarsealign/pkg/datadir"
	"github.com/coarsealign/coarsealign/pkg/rdm"
)

func runRSA(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(args, &out, &errb)
	return code, out.String(), errb.String()
}

func writeNPY(t *testing.T, name string, rows, cols int, data []float64) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := npy.WriteMatrix(p, rows, cols, data); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRSACompareK92JSON(t *testing.T) {
	dir := datadir.ForTest(t)
	// Flags after the positionals; the value is rsatoolbox's spearman for mIT vs hIT
	// on these files (issue 2; also checked in pkg/rsa).
	code, out, errs := runRSA(t, "rsa", "compare", "kriegeskorte92:mIT", "kriegeskorte92:hIT", "--method", "spearman", "--json", "--data", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var got struct {
		Method string
		Value  float64
		A, B   string
		N      int
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%v: %q", err, out)
	}
	if got.Method != "spearman" || math.Abs(got.Value-0.4389238094) > 1e-6 || got.N != 92 || got.A != "kriegeskorte92:mIT" {
		t.Fatalf("got %+v", got)
	}
	if strings.Count(out, "\n") != 1 {
		t.Fatalf("want one line of JSON, got %q", out)
	}
}

func TestRSANoiseCeilingK92(t *testing.T) {
	dir := datadir.ForTest(t)
	code, out, errs := runRSA(t, "rsa", "noise-ceiling", "--json", "--data", dir, "--method", "spearman", "kriegeskorte92:hIT-subjects")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var got struct{ Lower, Upper float64 }
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	// rsatoolbox boot_noise_ceiling on these files (issue 2).
	if math.Abs(got.Lower-0.3723132509) > 1e-6 || math.Abs(got.Upper-0.6657209045) > 1e-6 {
		t.Fatalf("got %+v", got)
	}
	// The comma-separated form of the same set gives the same numbers.
	set := "kriegeskorte92:hIT/1,kriegeskorte92:hIT/2,kriegeskorte92:hIT/3,kriegeskorte92:hIT/4"
	_, out2, _ := runRSA(t, "rsa", "noise-ceiling", "--json", "--data", dir, set)
	var got2 struct{ Lower, Upper float64 }
	if err := json.Unmarshal([]byte(out2), &got2); err != nil || got2 != got {
		t.Fatalf("comma set gave %+v (%v), want %+v", got2, err, got)
	}
}

func TestRSACompareNPY(t *testing.T) {
	// A 4-stimulus RDM as a square matrix and as its vector must compare as 1 with itself.
	vec := []float64{1, 2, 3, 4, 5, 6.5}
	sq := []float64{
		0, 1, 2, 3,
		1, 0, 4, 5,
		2, 4, 0, 6.5,
		3, 5, 6.5, 0,
	}
	a := writeNPY(t, "sq.npy", 4, 4, sq)
	b := writeNPY(t, "vec.npy", 1, 6, vec)
	code, out, errs := runRSA(t, "rsa", "compare", "--method", "corr", a, b)
	if code != 0 || strings.TrimSpace(out) != "1.0000000000" {
		t.Fatalf("exit %d out %q err %q", code, out, errs)
	}
}

func TestRSABadInput(t *testing.T) {
	dir := t.TempDir()
	good := writeNPY(t, "good.npy", 1, 6, []float64{1, 2, 3, 4, 5, 6})
	asym := writeNPY(t, "asym.npy", 3, 3, []float64{0, 1, 2, 1.5, 0, 3, 2, 3, 0})
	rect := writeNPY(t, "rect.npy", 3, 4, make([]float64, 12))
	notTri := writeNPY(t, "five.npy", 1, 5, []float64{1, 2, 3, 4, 5})
	three := writeNPY(t, "three.npy", 1, 3, []float64{1, 2, 3})
	inf := writeNPY(t, "inf.npy", 1, 6, []float64{1, math.Inf(1), 3, 4, 5, 6})
	allNaN := writeNPY(t, "nan.npy", 1, 6, []float64{math.NaN(), math.NaN(), math.NaN(), math.NaN(), math.NaN(), 1})
	cases := []struct {
		name string
		args []string
		want string // substring of stderr
	}{
		{"unknown k92 source", []string{"rsa", "compare", "--data", dir, "kriegeskorte92:nope", good}, `unknown RDM source "kriegeskorte92:nope"`},
		{"unknown source kind", []string{"rsa", "compare", "somewhere:x", good}, `unknown RDM source "somewhere:x"`},
		{"missing file", []string{"rsa", "compare", filepath.Join(dir, "absent.npy"), good}, "absent.npy"},
		{"asymmetric", []string{"rsa", "compare", asym, good}, "asymmetric"},
		{"not square", []string{"rsa", "compare", rect, good}, "3 x 4, not square"},
		{"not triangular", []string{"rsa", "compare", notTri, good}, "five.npy"},
		{"size mismatch", []string{"rsa", "compare", three, good}, "has 3 stimuli"},
		{"infinite", []string{"rsa", "compare", "--method", "kendall", inf, good}, "infinite dissimilarity at pair (1,3)"},
		{"all NaN", []string{"rsa", "compare", allNaN, good}, "fewer than 2"},
		{"bad method", []string{"rsa", "compare", "--method", "euclid", good, good}, `unknown comparison method "euclid"`},
		{"one subject", []string{"rsa", "noise-ceiling", good}, "at least 2 subject RDMs"},
		{"set size mismatch", []string{"rsa", "noise-ceiling", good + "," + three}, "has 4 stimuli"},
	}
	for _, c := range cases {
		code, _, errs := runRSA(t, c.args...)
		if code != 1 {
			t.Errorf("%s: exit %d, want 1 (stderr %q)", c.name, code, errs)
			continue
		}
		if !strings.Contains(errs, c.want) || strings.Count(errs, "\n") != 1 {
			t.Errorf("%s: stderr %q, want one line containing %q", c.name, errs, c.want)
		}
	}
	if code, _, _ := runRSA(t, "rsa", "compare", good); code != 2 {
		t.Errorf("one source: exit %d, want 2", code)
	}
}

func TestRSACompareNPYAgainstK92(t *testing.T) {
	dir := datadir.ForTest(t)
	// hIT written as a square .npy must match kriegeskorte92:hIT exactly (value 1),
	// and its vector form must give rsatoolbox's mIT-vs-hIT tau-a (issue 2).
	_, out, errs := runRSA(t, "rsa", "compare", "--json", "--data", dir, "--method", "tau-a", "kriegeskorte92:mIT", "kriegeskorte92:hIT")
	var ref struct{ Value float64 }
	if err := json.Unmarshal([]byte(out), &ref); err != nil {
		t.Fatalf("%v (%s)", err, errs)
	}
	if !(math.Abs(ref.Value-0.3040482555) <= 1e-6) {
		t.Fatalf("tau-a = %v", ref.Value)
	}
	set, err := loadSetForTest(dir)
	if err != nil {
		t.Fatal(err)
	}
	hit := set[0]
	sq := writeNPY(t, "hit.npy", hit.N, hit.N, hit.Square())
	code, out, errs := runRSA(t, "rsa", "compare", "--data", dir, "--method", "spearman", sq, "kriegeskorte92:hIT")
	if code != 0 || strings.TrimSpace(out) != "1.0000000000" {
		t.Fatalf("exit %d out %q err %q", code, out, errs)
	}
	vec := writeNPY(t, "hitvec.npy", 1, len(hit.Vec), hit.Vec)
	_, out, _ = runRSA(t, "rsa", "compare", "--data", dir, "--method", "tau-a", "--json", "kriegeskorte92:mIT", vec)
	var got struct{ Value float64 }
	if err := json.Unmarshal([]byte(out), &got); err != nil || got.Value != ref.Value {
		t.Fatalf("vector .npy gave %v (%v), want %v", got.Value, err, ref.Value)
	}
}

func loadSetForTest(dir string) ([]*rdm.RDM, error) {
	s := &rdmSources{dataDir: dir}
	return s.load("kriegeskorte92:hIT")
}
