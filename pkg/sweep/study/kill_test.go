package study

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/coarsealign/coarsealign/pkg/datadir"
	"github.com/coarsealign/coarsealign/pkg/sweep"
)

// sweepChildEnv switches the test binary into a child that runs killConfig's sweep into the
// folder it names, for TestKill9SweepTableIsExact.
const sweepChildEnv = "COARSEALIGN_TEST_CHILD_SWEEP_OUT"

// killConfig is tinyConfig with runs long enough (20 steps, a checkpoint per epoch of 4 steps)
// for a kill to land inside a training.
const killConfig = `
name: ci-kill
label_sources: [pixels]
granularity: [2, fine]
seeds: [1]
archs:
  - {name: alexnet-bn, width: 0.0625, input_size: 32}
labels: {pcs: 6}
train: {epochs: 5, batch: 32, lr: 1.0e-3, weight_decay: 1.0e-3, warmup_epochs: 0.2, label_smoothing: 0.1, clip_norm: 1, augment: true}
data: {source: cifar10, per_class: 20, val_fraction: 0.2, split_seed: 42}
eval: {bootstrap: 10, splits: 4, seed: 0, max_triplets: 500}
`

func TestMain(m *testing.M) {
	if out := os.Getenv(sweepChildEnv); out != "" {
		if err := runKillSweep(context.Background(), out); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(4)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func runKillSweep(ctx context.Context, out string) error {
	cfg, err := sweep.Parse([]byte(killConfig))
	if err != nil {
		return err
	}
	rn := &sweep.Runner{Out: out, DataDir: os.Getenv(datadir.EnvVar), Stages: Stages(Options{})}
	_, err = rn.Execute(ctx, cfg.Expand())
	return err
}

// killTable returns the results table (CSV) of killConfig's sweep in out.
func killTable(t *testing.T, out string) []byte {
	t.Helper()
	cfg, err := sweep.Parse([]byte(killConfig))
	if err != nil {
		t.Fatal(err)
	}
	rows, missing, err := sweep.Collect(cfg.Expand(), out)
	if err != nil || len(missing) > 0 {
		t.Fatalf("collect %s: %v, missing %v", out, err, missing)
	}
	var b bytes.Buffer
	if err := sweep.WriteCSV(&b, rows); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestKill9SweepTableIsExact (issue 10, item 2): a real sweep (labels, training, features,
// evaluation) SIGKILLed twice, inside a training and between runs, and resumed, gives a results
// table equal byte for byte to an uninterrupted sweep's.
func TestKill9SweepTableIsExact(t *testing.T) {
	if testing.Short() && os.Getenv("CI") == "" {
		t.Skip("kill -9 sweep: two small sweeps in child processes; run without -short (CI runs it)")
	}
	dataDir := datadir.ForTest(t)
	if _, err := os.Stat(filepath.Join(dataDir, "cifar10-jpg", "train")); err != nil {
		datadir.SkipOrFail(t, "no cifar10-jpg in %s", dataDir)
	}
	t.Setenv(datadir.EnvVar, dataDir)
	straight := filepath.Join(t.TempDir(), "straight")
	if err := runKillSweep(context.Background(), straight); err != nil {
		t.Fatal(err)
	}
	want := killTable(t, straight)

	cfg, _ := sweep.Parse([]byte(killConfig))
	runs := cfg.Expand()
	killed := filepath.Join(t.TempDir(), "killed")
	// Kill 1: once the first run's training has a checkpoint (inside its training). Kill 2: once
	// the first run is done (between runs or early in the second).
	ready := []func() bool{
		func() bool {
			m, _ := filepath.Glob(filepath.Join(killed, "runs", runs[0].ID(), "train", "checkpoints", "*"))
			return len(m) > 0
		},
		func() bool { return sweep.IsDone(killed, runs[0].ID()) },
	}
	for i, cond := range ready {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), sweepChildEnv+"="+killed)
		var errb bytes.Buffer
		cmd.Stderr = &errb
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(3 * time.Minute)
		for !cond() && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		if !cond() {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("kill %d: the child did not get there in 3 minutes\n%s", i+1, errb.String())
		}
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
	}
	if err := runKillSweep(context.Background(), killed); err != nil {
		t.Fatalf("resume after two kills: %v", err)
	}
	if got := killTable(t, killed); !bytes.Equal(got, want) {
		gl, wl := bytes.Split(got, []byte("\n")), bytes.Split(want, []byte("\n"))
		diff := 0
		for i := range min(len(gl), len(wl)) {
			if !bytes.Equal(gl[i], wl[i]) {
				if diff < 3 {
					t.Logf("line %d:\n got  %s\n want %s", i, gl[i], wl[i])
				}
				diff++
			}
		}
		t.Errorf("results table after kill -9 and resume differs from the uninterrupted one in %d of %d lines", diff, len(wl))
	}
}
