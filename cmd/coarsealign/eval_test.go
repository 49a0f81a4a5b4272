package main

import (
	"encoding/csv"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/coarsealign/coarsealign/pkg/data/k92"
	"github.com/coarsealign/coarsealign/pkg/datadir"
	"github.com/coarsealign/coarsealign/pkg/eval"
	"github.com/coarsealign/coarsealign/pkg/features"
)

// writeFeatures saves a synthetic feature set for the 92 images, as 'coarsealign features' does:
// "random" (92 x 16 Gaussian), "mitrows" (row i is row i of the mIT RDM, so its correlation RDM
// follows mIT's), "dead" (all zeros) and "logits" (92 x 10 Gaussian).
func writeFeatures(t *testing.T, dataDir string, ids []string) string {
	t.Helper()
	set, err := k92.Load(dataDir)
	if err != nil {
		t.Fatal(err)
	}
	n := k92.NumImages
	rng := rand.New(rand.NewPCG(1, 2))
	gauss := func(name string, d int) features.Layer {
		l := features.Layer{Name: name, Rows: n, Cols: d, Data: make([]float32, n*d)}
		for i := range l.Data {
			l.Data[i] = float32(rng.NormFloat64())
		}
		return l
	}
	sq := set.MIT.Square()
	mit := features.Layer{Name: "mitrows", Rows: n, Cols: n, Data: make([]float32, n*n)}
	for i, v := range sq {
		mit.Data[i] = float32(v)
	}
	dead := features.Layer{Name: "dead", Rows: n, Cols: 4, Data: make([]float32, n*4)}
	dir := t.TempDir()
	if ids == nil {
		ids = set.IDs
	}
	if err := features.Save(dir, []features.Layer{gauss("random", 16), mit, dead, gauss("logits", 10)},
		features.Index{Step: 0, Stimuli: "kriegeskorte92", IDs: ids}); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestEvalFeatures(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	dataDir := datadir.ForTest(t)
	dir := writeFeatures(t, dataDir, nil)
	out := filepath.Join(t.TempDir(), "scores.csv")
	// The index file names the folder too; flags may come in any order.
	code, _, errs := runRSA(t, "eval", "--quick", "--data", dataDir, "--features", filepath.Join(dir, features.IndexFile), "--out", out, "--seed", "3")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.Contains(errs, "layer dead: stimulus 0 has a constant pattern; skipped") || !strings.Contains(errs, "2 layers") {
		t.Fatalf("stderr %q", errs)
	}
	if st, err := os.Stat(out); err != nil || st.Mode().Perm() != 0o644 { // not os.CreateTemp's 0600
		t.Fatalf("%s: %v, mode %o, want 644", out, err, st.Mode().Perm())
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(recs[0], ",") != strings.Join(eval.CSVHeader, ",") {
		t.Fatalf("header %v", recs[0])
	}
	profile := map[string]float64{}
	var selected string
	for _, r := range recs[1:] {
		if r[0] == "logits" || r[0] == "dead" {
			t.Fatalf("layer %s scored", r[0])
		}
		if r[1] == "mIT" && r[2] == "spearman" {
			v, err := strconv.ParseFloat(r[3], 64)
			if err != nil {
				t.Fatal(err)
			}
			if r[9] == "true" {
				selected = r[0]
			} else {
				profile[r[0]] = v
			}
		}
	}
	// The layer built from mIT's own dissimilarities is chosen and beats the random one by far.
	t.Logf("mIT spearman: %v, selected %s", profile, selected)
	if selected != "mitrows" || profile["mitrows"] < 0.5 || profile["mitrows"]-profile["random"] < 0.4 {
		t.Fatalf("mIT spearman %v, selected %q", profile, selected)
	}

	// The same run to standard output gives the same table.
	code, stdout, errs := runRSA(t, "eval", "--quick", "--data", dataDir, "--features", dir, "--seed", "3")
	b, _ := os.ReadFile(out)
	if code != 0 || stdout != string(b) {
		t.Fatalf("stdout run: exit %d (%s), same table: %v", code, errs, stdout == string(b))
	}
}

func TestEvalErrors(t *testing.T) {
	dataDir := datadir.ForTest(t)
	ids := make([]string, k92.NumImages)
	for i := range ids {
		ids[i] = k92.ID((i + 1) % k92.NumImages) // shifted by one
	}
	shifted := writeFeatures(t, dataDir, ids)
	other := filepath.Join(t.TempDir(), "x.json")
	if err := os.WriteFile(other, []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"eval"}, "--features is required"},
		{[]string{"eval", "--features", filepath.Join(t.TempDir(), "none")}, "no such file"},
		{[]string{"eval", "--features", other}, "want a folder or its index.json"},
		{[]string{"eval", "--features", t.TempDir()}, "index.json"},
		{[]string{"eval", "--features", shifted, "--quick"}, `ids[0] is "k92-002", want "k92-001"`},
	} {
		code, _, errs := runRSA(t, append(c.args, "--data", dataDir)...)
		if code == 0 || !strings.Contains(errs, c.want) {
			t.Errorf("%v: exit %d, stderr %q, want %q", c.args, code, errs, c.want)
		}
	}
}

// --metrics picks registry metrics; --responses and --rdm add the user's own targets.
func TestEvalMetricsAndOwnTargets(t *testing.T) {
	dataDir := datadir.ForTest(t)
	dir := writeFeatures(t, dataDir, nil)
	set, err := k92.Load(dataDir)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(4, 4))
	resp := make([]float64, k92.NumImages*6)
	for i := range resp {
		resp[i] = rng.NormFloat64()
	}
	respPath := writeNPY(t, "v4.npy", k92.NumImages, 6, resp)
	rdmPath := writeNPY(t, "mine.npy", k92.NumImages, k92.NumImages, set.HIT.Square())
	code, stdout, errs := runRSA(t, "eval", "--quick", "--data", dataDir, "--features", dir,
		"--metrics", "spearman, cka-linear,encoding", "--responses", "V4="+respPath, "--rdm", "mine="+rdmPath)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	recs, err := csv.NewReader(strings.NewReader(stdout)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, r := range recs[1:] {
		have[r[1]+"|"+r[2]] = true
	}
	for _, k := range []string{"mIT|spearman", "mIT|cka-linear", "V4|cka-linear", "V4|encoding", "V4|spearman", "mine|spearman", "mine|cka-linear", "oddoneout-behav-mean|accuracy"} {
		if !have[k] {
			t.Errorf("no rows for %s", k)
		}
	}
	if have["mIT|encoding"] || have["mIT|tau-a"] {
		t.Error("encoding on an RDM target, or tau-a not asked for")
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--metrics", "spearman,nope"}, `--metrics: metrics[1]: unknown metric "nope"`},
		{[]string{"--metrics", "encoding"}, "metric encoding needs patterns"},
		{[]string{"--responses", "V4"}, "NAME=FILE.npy"},
		{[]string{"--rdm", "x=" + respPath}, `--rdm: eval: target "x"`},
	} {
		code, _, errs := runRSA(t, append([]string{"eval", "--quick", "--data", dataDir, "--features", dir}, c.args...)...)
		if code == 0 || !strings.Contains(errs, c.want) {
			t.Errorf("%v: exit %d, stderr %q, want %q", c.args, code, errs, c.want)
		}
	}
}
