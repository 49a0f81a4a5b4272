package sweep

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const testConfig = `
name: fake
label_sources: [fine-net, pixels]
granularity: [2, 4, fine, untrained]
seeds: [1, 2]
archs:
  - {name: alexnet-bn, width: 0.25, input_size: 32}
labels: {pcs: 6}
train: {epochs: 2, batch: 64, lr: 5.0e-4, weight_decay: 1.0e-3, warmup_epochs: 0.5, label_smoothing: 0.1, clip_norm: 1}
data: {source: cifar10, per_class: 100, split_seed: 42}
eval: {bootstrap: 50, splits: 2, seed: 7}
`

// childEnv switches the test binary into the child mode of TestKillResume.
const childEnv = "SWEEP_TEST_CHILD_OUT"

func TestMain(m *testing.M) {
	if out := os.Getenv(childEnv); out != "" {
		cfg, err := Parse([]byte(testConfig))
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(3)
		}
		rn := &Runner{Out: out, Stages: fakeStages(5 * time.Millisecond)}
		if _, err := rn.Execute(context.Background(), cfg.Expand()); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(4)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func mustParse(t *testing.T, s string) *Config {
	t.Helper()
	c, err := Parse([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestExpandOrderAndIdentity(t *testing.T) {
	c := mustParse(t, testConfig)
	runs := c.Expand()
	// 2 K values x 2 label sources x 2 seeds + (fine + untrained) x 2 seeds.
	if len(runs) != 12 {
		t.Fatalf("%d runs, want 12", len(runs))
	}
	var got []string
	ids := map[string]bool{}
	for i, r := range runs {
		if r.Index != i {
			t.Fatalf("run %d has index %d", i, r.Index)
		}
		got = append(got, fmt.Sprintf("%s/%s/%d", r.Granularity, r.LabelSource, r.Seed))
		if ids[r.ID()] {
			t.Fatalf("duplicate ID %s", r.ID())
		}
		ids[r.ID()] = true
		if len(r.ID()) != IDLen {
			t.Fatalf("ID %q", r.ID())
		}
	}
	want := "2/fine-net/1 2/fine-net/2 2/pixels/1 2/pixels/2 4/fine-net/1 4/fine-net/2 4/pixels/1 4/pixels/2 fine//1 fine//2 untrained//1 untrained//2"
	if strings.Join(got, " ") != want {
		t.Fatalf("order\n got %s\nwant %s", strings.Join(got, " "), want)
	}
	// Deterministic: parsing again gives the same IDs; field order in the file does not matter.
	c2 := mustParse(t, strings.Replace(testConfig, "seeds: [1, 2]", "seeds: [1, 2]\n", 1))
	for i, r := range c2.Expand() {
		if r.ID() != runs[i].ID() {
			t.Fatalf("run %d: ID changed on reparse", i)
		}
	}
	// The canonical form has sorted keys.
	canon := string(runs[0].Canonical())
	if !strings.HasPrefix(canon, `{"arch":{"init":"torch","input_size":32,"name":"alexnet-bn","width":0.25},"data":`) {
		t.Fatalf("canonical form: %s", canon)
	}
	// The untrained baseline does not depend on the training budget; the others do.
	c3 := mustParse(t, strings.Replace(testConfig, "epochs: 2,", "epochs: 3,", 1))
	for i, r := range c3.Expand() {
		same := r.ID() == runs[i].ID()
		if same != (r.Granularity == Untrained) {
			t.Fatalf("run %s: ID same=%v after a budget change", r.Label(), same)
		}
	}
}

func TestParseErrorsNameTheField(t *testing.T) {
	cases := map[string]string{
		"granularity: [2, 3, fine]":           "field granularity",
		"granularity: [128]":                  "labels.pcs",
		"label_sources: [clip]":               "field label_sources",
		"seeds: []":                           "field seeds",
		"data: {source: imagenet}":            "field data.source",
		"data: {source: cifar10, jpeg: pil}":  "field data.jpeg",
		"train: {epochs: 1, batch: 0, lr: 1}": "field train.batch",
		"colour: blue":                        "colour",
	}
	for patch, want := range cases {
		key := strings.SplitN(patch, ":", 2)[0]
		var lines []string
		for _, l := range strings.Split(testConfig, "\n") {
			if !strings.HasPrefix(l, key+":") {
				lines = append(lines, l)
			}
		}
		lines = append(lines, patch)
		_, err := Parse([]byte(strings.Join(lines, "\n")))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want it to mention %q", patch, err, want)
		}
	}
}

func TestParseShard(t *testing.T) {
	for _, bad := range []string{"3/3", "-1/2", "1", "a/b", "0/0"} {
		if _, err := ParseShard(bad); err == nil {
			t.Errorf("ParseShard(%q) accepted", bad)
		}
	}
	s, err := ParseShard("1/3")
	if err != nil || s != (Shard{1, 3}) {
		t.Fatalf("%v %v", s, err)
	}
}

func runAll(t *testing.T, out string, runs []Run) Summary {
	t.Helper()
	rn := &Runner{Out: out, Stages: fakeStages(0)}
	sum, err := rn.Execute(context.Background(), runs)
	if err != nil {
		t.Fatal(err)
	}
	return sum
}

func table(t *testing.T, runs []Run, outs ...string) string {
	t.Helper()
	rows, missing, err := Collect(runs, outs...)
	if err != nil {
		t.Fatal(err)
	}
	if len(missing) > 0 {
		t.Fatalf("missing runs %v", missing)
	}
	var b bytes.Buffer
	if err := WriteCSV(&b, rows); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestRunSkipAndTable(t *testing.T) {
	runs := mustParse(t, testConfig).Expand()
	out := t.TempDir()
	if sum := runAll(t, out, runs); sum.Ran != len(runs) {
		t.Fatalf("%+v", sum)
	}
	if sum := runAll(t, out, runs); sum.Skipped != len(runs) || sum.Ran != 0 {
		t.Fatalf("second run did not skip: %+v", sum)
	}
	rows, _, err := Collect(runs, out)
	if err != nil {
		t.Fatal(err)
	}
	// fake eval: 3 layers x 3 targets x 2 metrics per run.
	if len(rows) != len(runs)*18 {
		t.Fatalf("%d rows", len(rows))
	}
	csv := table(t, runs, out)
	if !strings.HasPrefix(csv, strings.Join(Columns, ",")+"\n") {
		t.Fatalf("header: %s", csv[:200])
	}
	// A NaN ceiling is an empty cell.
	if !strings.Contains(csv, ",mIT,spearman,") || !strings.Contains(csv, ",,,") {
		t.Fatalf("NaN ceilings not empty cells")
	}
	var jl bytes.Buffer
	if err := WriteJSONL(&jl, rows); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(jl.String(), "\n"); n != len(rows) {
		t.Fatalf("%d JSON lines for %d rows", n, len(rows))
	}
	if !strings.Contains(jl.String(), `"ceiling_low":null`) {
		t.Fatalf("NaN not null in JSON lines")
	}
	st := GetStatus(out, runs)
	if st.Done != len(runs) || st.Pending != 0 || st.InProgress != 0 {
		t.Fatalf("status %+v", st)
	}
	curve, err := ReadCurve(out, runs[0].ID())
	if err != nil || len(curve) != 3 {
		t.Fatalf("curve %v %v", curve, err)
	}
}

func TestShardsMergeToUnshardedTable(t *testing.T) {
	runs := mustParse(t, testConfig).Expand()
	whole := t.TempDir()
	runAll(t, whole, runs)
	want := table(t, runs, whole)

	// Shards sharing one folder.
	shared := t.TempDir()
	n := 0
	for i := 0; i < 3; i++ {
		sel := Shard{i, 3}.Select(runs)
		n += len(sel)
		for _, r := range sel {
			if r.Index%3 != i {
				t.Fatalf("shard %d got run %d", i, r.Index)
			}
		}
		runAll(t, shared, sel)
	}
	if n != len(runs) {
		t.Fatalf("shards cover %d of %d runs", n, len(runs))
	}
	if got := table(t, runs, shared); got != want {
		t.Fatalf("sharded (shared folder) table differs")
	}
	// Shards in separate folders, merged by Collect; a shard run alone is incomplete.
	var outs []string
	for i := 0; i < 3; i++ {
		d := t.TempDir()
		runAll(t, d, Shard{i, 3}.Select(runs))
		outs = append(outs, d)
	}
	if _, missing, _ := Collect(runs, outs[0]); len(missing) != len(runs)-len(Shard{0, 3}.Select(runs)) {
		t.Fatalf("one shard: %d missing", len(missing))
	}
	if got := table(t, runs, outs...); got != want {
		t.Fatalf("sharded (merged folders) table differs")
	}
}

func TestConcurrentShardsShareFolder(t *testing.T) {
	// Two runners over the whole sweep at once: the run locks keep them from doing a run twice.
	runs := mustParse(t, testConfig).Expand()
	out := t.TempDir()
	sums := make(chan Summary, 2)
	errs := make(chan error, 2)
	for i := 0; i < 2; i++ {
		go func() {
			rn := &Runner{Out: out, Stages: fakeStages(time.Millisecond)}
			s, err := rn.Execute(context.Background(), runs)
			sums <- s
			errs <- err
		}()
	}
	total := 0
	for i := 0; i < 2; i++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
		s := <-sums
		total += s.Ran
	}
	if total > len(runs) {
		t.Fatalf("%d runs executed for %d runs: a run ran twice", total, len(runs))
	}
	// Runs left busy by the other runner are done by it; a final pass completes anything left.
	runAll(t, out, runs)
	whole := t.TempDir()
	runAll(t, whole, runs)
	if table(t, runs, out) != table(t, runs, whole) {
		t.Fatal("concurrent table differs")
	}
}

// countMarkers counts finished stages over all runs under out.
func countMarkers(out string) int {
	m, _ := filepath.Glob(filepath.Join(out, "runs", "*", "stage-*.done"))
	return len(m)
}

// TestKillResume kills a real child process (this test binary in child mode) with SIGKILL
// at several points of a sweep, resumes, and checks that the final table equals an
// uninterrupted run's, that finished runs are never redone, and that no complete-looking
// artifact is partial.
func TestKillResume(t *testing.T) {
	runs := mustParse(t, testConfig).Expand()
	whole := t.TempDir()
	runAll(t, whole, runs)
	want := table(t, runs, whole)

	out := t.TempDir()
	totalStages := len(runs) * 4
	kills := 0
	sawTemp := false
	for _, frac := range []float64{0.15, 0.4, 0.7} {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), childEnv+"="+out)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		target := int(frac * float64(totalStages))
		deadline := time.Now().Add(30 * time.Second)
		killed, finished := false, false
	poll:
		for time.Now().Before(deadline) {
			select {
			case err := <-exited:
				if err != nil {
					t.Fatalf("child failed: %v %s", err, stderr.String())
				}
				// The child finished before the kill point (a starved parent): nothing to check.
				finished = true
				break poll
			default:
			}
			if countMarkers(out) >= target {
				time.Sleep(4 * time.Millisecond) // land inside the next stage's writes
				if err := syscall.Kill(cmd.Process.Pid, syscall.SIGKILL); err != nil {
					t.Fatal(err)
				}
				killed = true
				<-exited
				break poll
			}
			time.Sleep(time.Millisecond)
		}
		if finished {
			t.Logf("child finished before the kill at %.0f%%", 100*frac)
			break
		}
		if !killed {
			cmd.Process.Kill()
			t.Fatalf("child made no progress in 30 s: %s", stderr.String())
		}
		kills++

		// After the kill: temporary files may exist but are never complete-looking artifacts;
		// every artifact under its final name verifies; no run is in progress.
		doneBefore := 0
		for _, r := range runs {
			dir := RunDir(out, r.ID())
			ents, _ := os.ReadDir(dir)
			for _, e := range ents {
				if strings.HasPrefix(e.Name(), TempPrefix) {
					sawTemp = true
				}
			}
			for _, name := range []string{"labels.bin", "features.bin", "checkpoint/weights.bin", "checkpoint/optimizer.bin"} {
				p := filepath.Join(dir, name)
				if _, err := os.Stat(p); err == nil {
					if _, err := readVerified(p); err != nil {
						t.Fatalf("after kill %d: %v", kills, err)
					}
				}
			}
			if IsDone(out, r.ID()) {
				doneBefore++
				if _, err := ReadScores(filepath.Join(dir, ScoresFile)); err != nil {
					t.Fatal(err)
				}
			}
		}
		st := GetStatus(out, runs)
		if st.InProgress != 0 || st.Done != doneBefore {
			t.Fatalf("status after kill: %+v (done %d)", st, doneBefore)
		}
	}
	if kills == 0 {
		t.Fatal("no kill landed mid-sweep")
	}
	// Resume in process: the runs finished before the last kill are skipped, not redone.
	doneBefore := GetStatus(out, runs).Done
	sum := runAll(t, out, runs)
	if sum.Skipped != doneBefore || sum.Ran != len(runs)-doneBefore {
		t.Fatalf("resume: %+v with %d done before", sum, doneBefore)
	}
	if got := table(t, runs, out); got != want {
		t.Fatalf("table after kills differs from the uninterrupted one")
	}
	t.Logf("%d kills, temporary files seen after a kill: %v", kills, sawTemp)
	// Leftover temporaries are removed when their run is resumed.
	for _, r := range runs {
		if m, _ := filepath.Glob(filepath.Join(RunDir(out, r.ID()), TempPrefix+"*")); len(m) > 0 {
			t.Fatalf("leftover temporaries %v", m)
		}
	}
}

func TestWriteFileAtomicFailureLeavesOld(t *testing.T) {
	p := filepath.Join(t.TempDir(), "a.txt")
	if err := os.WriteFile(p, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := WriteFileAtomic(p, func(w io.Writer) error {
		w.Write([]byte("half"))
		return fmt.Errorf("boom")
	})
	if err == nil {
		t.Fatal("no error")
	}
	b, _ := os.ReadFile(p)
	if string(b) != "old" {
		t.Fatalf("content %q", b)
	}
	if m, _ := filepath.Glob(filepath.Join(filepath.Dir(p), TempPrefix+"*")); len(m) != 0 {
		t.Fatalf("temporaries left: %v", m)
	}
}

func TestScoreCheck(t *testing.T) {
	good := Score{Layer: "l", Target: "mIT", Metric: "spearman", Value: 0.2, CILow: 0.1, CIHigh: 0.3, CeilingLow: 0.4, CeilingHigh: 0.6}
	if err := good.Check(); err != nil {
		t.Fatal(err)
	}
	bad := good
	bad.CIHigh = 0.15
	if bad.CheckCI() == nil || bad.Check() != nil {
		t.Fatal("value outside CI: CheckCI must fail, Check must pass")
	}
	bad.CILow = 0.2
	if bad.Check() == nil {
		t.Fatal("inverted CI accepted")
	}
	bad = good
	bad.CeilingHigh = 1.5
	if bad.Check() == nil {
		t.Fatal("ceiling 1.5 accepted")
	}
	if !reflect.DeepEqual(good, good) {
		t.Fatal()
	}
}

func TestSharedBuildsOnce(t *testing.T) {
	out := t.TempDir()
	env := &Env{Out: out}
	var mu sync.Mutex
	builds := map[string]int{}
	build := func(name string) func(string) error {
		return func(tmp string) error {
			mu.Lock()
			builds[name]++
			mu.Unlock()
			time.Sleep(20 * time.Millisecond)
			return os.WriteFile(filepath.Join(tmp, "x"), []byte(name), 0o644)
		}
	}
	var wg sync.WaitGroup
	dirs := make([]string, 4)
	for i := range dirs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			spec := map[string]int{"source": i % 2}
			d, err := env.Shared(context.Background(), "labels", spec, build(fmt.Sprint(i%2)))
			if err != nil {
				t.Error(err)
			}
			dirs[i] = d
		}()
	}
	wg.Wait()
	if builds["0"] != 1 || builds["1"] != 1 {
		t.Fatalf("builds %v, want each spec built once", builds)
	}
	if dirs[0] != dirs[2] || dirs[1] != dirs[3] || dirs[0] == dirs[1] {
		t.Fatalf("dirs %v", dirs)
	}
	b, err := os.ReadFile(filepath.Join(dirs[1], "x"))
	if err != nil || string(b) != "1" {
		t.Fatalf("content %q %v", b, err)
	}
}

// Runs made before data.jpeg existed decoded JPEGs with Go's conversion; "jpeg: go" keeps their
// IDs, and the default (libjpeg) gives new ones. 9419ce6780c9 and d9fce7790b9c are the IDs that
// coarsealign at commit 7516fcf (before the field) gave the K=2 runs of this config.
func TestJPEGDecoderIdentity(t *testing.T) {
	const cfg = `name: cifar-3ep
label_sources: [fine-net]
granularity: [2, 4, 8, 16, 32, 64, fine, untrained]
seeds: [1, 2]
archs:
  - {name: alexnet-bn, width: 0.25, input_size: 32}
labels: {pcs: 6, source_epochs: 3, source_seed: 0}
train:
  epochs: 3
  batch: 128
  lr: 5.0e-4
  weight_decay: 1.0e-3
  warmup_epochs: 0.15
  label_smoothing: 0.1
  clip_norm: 1
  augment: true
eval: {bootstrap: 1000, splits: 100, seed: 0}
`
	old := mustParse(t, cfg+"data: {source: cifar10, per_class: 0, val_fraction: 0.2, split_seed: 42, jpeg: go}\n").Expand()
	if old[0].ID() != "9419ce6780c9" || old[1].ID() != "d9fce7790b9c" {
		t.Errorf("jpeg: go IDs %s %s, want 9419ce6780c9 d9fce7790b9c (the IDs before data.jpeg)", old[0].ID(), old[1].ID())
	}
	def := mustParse(t, cfg+"data: {source: cifar10, per_class: 0, val_fraction: 0.2, split_seed: 42}\n").Expand()
	if def[0].Data.JPEG != "libjpeg" || def[0].ID() == old[0].ID() {
		t.Errorf("default decoder %q, ID %s: want libjpeg and a new ID", def[0].Data.JPEG, def[0].ID())
	}
}
