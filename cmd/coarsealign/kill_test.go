package main

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/coarsealign/coarsealign/pkg/train"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/tensors"
)

// trainChildEnv switches the test binary into a child that runs the command line it holds (a
// JSON list of arguments), for TestKill9ResumeIsExact.
const trainChildEnv = "COARSEALIGN_TEST_CHILD_ARGS"

func TestMain(m *testing.M) {
	if a := os.Getenv(trainChildEnv); a != "" {
		var args []string
		if err := json.Unmarshal([]byte(a), &args); err != nil {
			os.Exit(3)
		}
		os.Exit(run(args, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// TestKill9ResumeIsExact (issue 10, item 2): a train process killed with SIGKILL, right after a
// checkpoint or between checkpoints, then resumed by the same command, ends with the same bits
// in every variable (weights, batch-norm statistics, AdamW moments, step) as an uninterrupted run.
func TestKill9ResumeIsExact(t *testing.T) {
	if testing.Short() && os.Getenv("CI") == "" {
		t.Skip("kill -9 resume: a few child trainings; run without -short (CI runs it)")
	}
	root := tinyFolder(t)
	args := func(out string) []string {
		return []string{"train", "--images", root, "--steps", "60", "--width", "0.0625", "--batch", "4", "--seed", "5",
			"--test", "none", "--cache", "none", "--quiet", "--checkpoint-every", "5", "--out", out}
	}
	straight := filepath.Join(t.TempDir(), "straight")
	var so, se bytes.Buffer
	if code := run(args(straight), &so, &se); code != 0 {
		t.Fatalf("straight run: exit %d\n%s", code, se.String())
	}
	want := finalVariables(t, straight)

	for _, c := range []struct {
		name  string
		after time.Duration // kill this long after the checkpoint of step >= 10 appears
	}{{"right after a checkpoint", 0}, {"between checkpoints", 150 * time.Millisecond}} {
		dir := filepath.Join(t.TempDir(), "killed")
		b, _ := json.Marshal(args(dir))
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), trainChildEnv+"="+string(b))
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		killedAt := -1
		deadline := time.Now().Add(2 * time.Minute)
		for time.Now().Before(deadline) {
			if l, err := train.ListCheckpoints(dir); err == nil && len(l) > 0 && l[len(l)-1].Step >= 10 {
				time.Sleep(c.after)
				killedAt = l[len(l)-1].Step
				break
			}
			time.Sleep(2 * time.Millisecond)
		}
		cmd.Process.Signal(syscall.SIGKILL)
		err := cmd.Wait()
		if killedAt < 0 {
			t.Fatalf("%s: no checkpoint of step >= 10 within 2 minutes (child: %v)", c.name, err)
		}
		if st, _ := train.ReadState(dir); st.Complete() {
			t.Logf("%s: the child finished before the kill; the comparison still holds", c.name)
		}
		var o2, e2 bytes.Buffer
		if code := run(args(dir), &o2, &e2); code != 0 {
			t.Fatalf("%s: resume after kill -9 (checkpoint %d): exit %d\n%s", c.name, killedAt, code, e2.String())
		}
		got := finalVariables(t, dir)
		if len(got) != len(want) {
			t.Fatalf("%s: %d variables, want %d", c.name, len(got), len(want))
		}
		for k, w := range want {
			g := got[k]
			n := 0
			for i := range w {
				if i >= len(g) || math.Float64bits(w[i]) != math.Float64bits(g[i]) {
					n++
				}
			}
			if n > 0 || len(g) != len(w) {
				t.Errorf("%s (killed after checkpoint %d): %s differs in %d of %d values", c.name, killedAt, k, n, len(w))
			}
		}
	}
}

// finalVariables returns every variable of the run's final checkpoint as float64 values, by path.
func finalVariables(t *testing.T, dir string) map[string][]float64 {
	t.Helper()
	r, err := train.OpenRun(dir, -1)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]float64{}
	for v := range r.Store.IterVariables() {
		val := v.MustValue()
		var xs []float64
		switch v.Shape().DType {
		case dtypes.Float32:
			for _, x := range tensors.MustCopyFlatData[float32](val) {
				xs = append(xs, float64(x))
			}
		case dtypes.Int64:
			for _, x := range tensors.MustCopyFlatData[int64](val) {
				xs = append(xs, float64(x))
			}
		default:
			continue
		}
		out[v.Path()] = xs
	}
	if len(out) == 0 {
		t.Fatalf("%s: no variables in the final checkpoint", dir)
	}
	return out
}
