package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/coarsealign/coarsealign/pkg/features"
	"github.com/coarsealign/coarsealign/pkg/oddoneout"
)

// oddFixture writes a feature folder with two images per concept and two layers, "truth"
// (the embedding the triplets were generated from, same for both images) and "noise"
// (random), a concept list, and the triplets (text, odd one last).
func oddFixture(t *testing.T) (featDir, tripPath, conceptPath string) {
	t.Helper()
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(1, 2))
	nc, d := 30, 3
	truth := make([]float64, nc*d)
	for i := range truth {
		truth[i] = rng.NormFloat64()
	}
	var concepts, ids []string
	var good, noise []float32
	for c := 0; c < nc; c++ {
		name := "concept" + strconv.Itoa(c)
		concepts = append(concepts, name)
		for k := 0; k < 2; k++ {
			ids = append(ids, fmt.Sprintf("%s/%s_%02d.jpg", name, name, k))
			for j := 0; j < d; j++ {
				good = append(good, float32(truth[c*d+j]))
				noise = append(noise, float32(rng.NormFloat64()))
			}
		}
	}
	layers := []features.Layer{
		{Name: "truth", Rows: 2 * nc, Cols: d, Shape: []int{d}, OrigCols: d, Data: good},
		{Name: "noise", Rows: 2 * nc, Cols: d, Shape: []int{d}, OrigCols: d, Data: noise},
	}
	featDir = filepath.Join(dir, "feat")
	if err := features.Save(featDir, layers, features.Index{Stimuli: "things-test", IDs: ids}); err != nil {
		t.Fatal(err)
	}
	// Triplets from the truth: the most similar (dot) pair first, the odd one last.
	var trip []oddoneout.Triplet
	for len(trip) < 1500 {
		a, b, c := rng.IntN(nc), rng.IntN(nc), rng.IntN(nc)
		if a == b || a == c || b == c {
			continue
		}
		s := func(i, j int) float64 {
			v := 0.0
			for k := 0; k < d; k++ {
				v += truth[i*d+k] * truth[j*d+k]
			}
			return v
		}
		switch sab, sac, sbc := s(a, b), s(a, c), s(b, c); {
		case sab > sac && sab > sbc:
			trip = append(trip, oddoneout.Triplet{I: a, J: b, Odd: c})
		case sac > sbc:
			trip = append(trip, oddoneout.Triplet{I: a, J: c, Odd: b})
		default:
			trip = append(trip, oddoneout.Triplet{I: b, J: c, Odd: a})
		}
	}
	tripPath = filepath.Join(dir, "triplets.txt")
	if err := oddoneout.WriteTriplets(tripPath, trip); err != nil {
		t.Fatal(err)
	}
	conceptPath = filepath.Join(dir, "unique_id.txt")
	if err := os.WriteFile(conceptPath, []byte(strings.Join(concepts, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return featDir, tripPath, conceptPath
}

func TestOddOneOutCommand(t *testing.T) {
	feat, trip, concepts := oddFixture(t)
	code, out, errs := runRSA(t, "oddoneout", "--features", feat, "--triplets", trip, "--concepts", concepts,
		"--similarity", "dot", "--probe", "--steps", "50", "--lambdas", "0.001", "--boot", "50")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	t.Log("\n" + out)
	acc := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.Fields(line)
		if len(f) > 0 && !strings.HasPrefix(f[0], "#") && f[0] != "layer" {
			acc[f[0]] = f
		}
	}
	// The generating embedding under dot similarity is perfect; the noise layer near 1/3.
	if f := acc["truth"]; len(f) < 2 || f[1] != "1.0000" {
		t.Errorf("truth layer: %v, want zero-shot 1.0000", f)
	}
	if f := acc["noise"]; len(f) < 2 {
		t.Errorf("noise layer missing: %q", out)
	} else if v, _ := strconv.ParseFloat(f[1], 64); v > 0.5 {
		t.Errorf("noise layer zero-shot %g, want near 1/3", v)
	}
	if !strings.Contains(out, "probe") || !strings.Contains(out, "[0.001 0.001 0.001]") {
		t.Errorf("no probe columns: %q", out)
	}
	// One layer; an embedding file instead of a folder (the rows are the concepts).
	code, out, errs = runRSA(t, "oddoneout", "--features", feat, "--triplets", trip, "--concepts", concepts, "--layer", "noise", "--boot", "0")
	if code != 0 || strings.Contains(out, "truth") || !strings.Contains(out, "noise") {
		t.Errorf("--layer noise: exit %d, %q %s", code, out, errs)
	}
}

func TestOddOneOutCommandErrors(t *testing.T) {
	feat, trip, concepts := oddFixture(t)
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.txt")
	if err := os.WriteFile(bad, []byte("0 1 2\n0 1 x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	emb := filepath.Join(dir, "emb.txt")
	if err := os.WriteFile(emb, []byte("1 0\n0 1\n1 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--features", feat}, 2, "--triplets are required"},
		{[]string{"--features", feat, "--triplets", bad, "--concepts", concepts}, 1, "bad.txt: line 2 field 3"},
		{[]string{"--features", feat, "--triplets", trip, "--similarity", "l2"}, 1, "unknown similarity"},
		{[]string{"--features", feat, "--triplets", trip, "--layer", "fc9"}, 1, `no layer "fc9"`},
		{[]string{"--features", emb, "--triplets", trip}, 1, "outside 0..2"},
		{[]string{"--features", emb, "--triplets", trip, "--concepts", concepts}, 1, "needs a feature folder"},
		{[]string{"--features", filepath.Join(dir, "none"), "--triplets", trip}, 1, "none"},
	} {
		code, _, errs := runRSA(t, append([]string{"oddoneout"}, tc.args...)...)
		if code != tc.code || !strings.Contains(errs, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", tc.args, code, errs, tc.code, tc.want)
		}
	}
}
