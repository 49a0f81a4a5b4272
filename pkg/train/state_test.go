package train

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coarsealign/coarsealign/internal/fsutil"
	"github.com/coarsealign/coarsealign/pkg/backend"
	"github.com/coarsealign/coarsealign/pkg/progress"
)

// stepHook calls f after every training step.
type stepHook struct{ f func(progress.Update) }

func (h stepHook) Step(u progress.Update)  { h.f(u) }
func (h stepHook) EpochEnd(progress.Epoch) {}
func (h stepHook) Close()                  {}

func metricSteps(t *testing.T, dir string) (jsonl, csv []int) {
	t.Helper()
	recs, err := ReadMetrics(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		jsonl = append(jsonl, r.Step)
	}
	b, err := os.ReadFile(filepath.Join(dir, MetricsCSV))
	if err != nil {
		t.Fatal(err)
	}
	for i, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if i == 0 {
			continue
		}
		s, err := strconv.Atoi(strings.Split(line, ",")[1])
		if err != nil {
			t.Fatalf("%s line %d: %q", MetricsCSV, i+1, line)
		}
		csv = append(csv, s)
	}
	return jsonl, csv
}

// An interrupted run is recorded as unfinished: OpenRun refuses its latest checkpoint unless
// asked (a given step, or AllowIncomplete), CheckStep refuses its steps, and training it again
// resumes and completes it. Checkpoint folders follow the umask.
func TestInterruptedRunIsIncomplete(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	b, err := backend.New()
	if err != nil {
		t.Fatal(err)
	}
	cfg := tinyConfig(4)
	cfg.Epochs = 2
	data := tinyData(24, 8, 4) // 3 steps per epoch, 6 steps.
	dir := filepath.Join(t.TempDir(), "run")
	withTimeout(t, 180*time.Second, func() {
		tr, err := New(b, cfg, dir, data.StepsPerEpoch())
		if err != nil {
			t.Error(err)
			return
		}
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		tr.Reporter = stepHook{func(u progress.Update) {
			if u.Step == 2 {
				cancel() // as SIGINT does, mid-epoch
			}
		}}
		if _, err := tr.Fit(ctx, data, nil); !errors.Is(err, context.Canceled) {
			t.Errorf("Fit after cancel: %v", err)
			return
		}
		st, err := ReadState(dir)
		if err != nil || st.Status != StatusInterrupted || st.Step != 2 || st.TotalSteps != 6 || st.Complete() {
			t.Errorf("state after interrupt %+v, %v; want interrupted at step 2 of 6", st, err)
		}
		_, err = OpenRun(dir, -1)
		var ie *IncompleteError
		if !errors.As(err, &ie) || !strings.Contains(err.Error(), "unfinished (interrupted at step 2 of 6") || !strings.Contains(err.Error(), StateFile) {
			t.Errorf("OpenRun(latest) of an interrupted run: %v", err)
		}
		if r, err := OpenRun(dir, 2); err != nil || r.Step != 2 {
			t.Errorf("OpenRun(2): %v", err)
		}
		if r, err := OpenRunWith(dir, -1, OpenOptions{AllowIncomplete: true}); err != nil || r.Step != 2 || r.State.Status != StatusInterrupted {
			t.Errorf("OpenRunWith(AllowIncomplete): %+v, %v", r, err)
		}
		if err := CheckStep(dir, 2); !errors.As(err, &ie) || !strings.Contains(err.Error(), "unfinished") {
			t.Errorf("CheckStep(2) of an unfinished run: %v", err)
		}
		if err := CheckStep(dir, 0); err != nil {
			t.Errorf("CheckStep(0): %v", err)
		}
		st2, err := os.Stat(CheckpointDir(dir, 2))
		if err != nil || st2.Mode().Perm() != 0o755 {
			t.Errorf("checkpoint folder: %v, mode %o, want 755", err, st2.Mode().Perm())
		}

		// Training it again resumes and finishes it.
		tr, err = New(b, cfg, dir, data.StepsPerEpoch())
		if err != nil || tr.GlobalStep() != 2 {
			t.Errorf("resume: step %d, %v", tr.GlobalStep(), err)
			return
		}
		if _, err := tr.Fit(context.Background(), data, nil); err != nil {
			t.Error(err)
			return
		}
		if st, _ := ReadState(dir); !st.Complete() || st.Step != 6 {
			t.Errorf("state after resume %+v", st)
		}
		if r, err := OpenRun(dir, -1); err != nil || r.Step != 6 {
			t.Errorf("OpenRun(latest) of the finished run: %v", err)
		}
		if err := CheckStep(dir, 6); err != nil {
			t.Errorf("CheckStep(final): %v", err)
		}
		if err := CheckStep(dir, 3); err == nil || !strings.Contains(err.Error(), "finished at step 6") {
			t.Errorf("CheckStep(3) of a run finished at 6: %v", err)
		}
		if _, err := os.Stat(filepath.Join(dir, LockFile)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("lock file left after Fit: %v", err)
		}
	})
}

// A session killed after an epoch's metrics record but before the checkpoint that follows it
// resumes from the earlier checkpoint: the records after that checkpoint are dropped and
// written again once, not twice.
func TestResumeLogsMatchCheckpoint(t *testing.T) {
	b, err := backend.New()
	if err != nil {
		t.Fatal(err)
	}
	cfg := tinyConfig(5)
	cfg.Epochs = 2
	cfg.CheckpointEvery = 2 // checkpoints at 2, 4, 6; epoch records at 3 and 6.
	cfg.KeepLatest = 5
	data := tinyData(24, 8, 5)
	dir := filepath.Join(t.TempDir(), "run")
	withTimeout(t, 180*time.Second, func() {
		tr, err := New(b, cfg, dir, data.StepsPerEpoch())
		if err != nil {
			t.Error(err)
			return
		}
		// Die (as with kill -9) after step 5: the record of epoch 1 (step 3) is written, the
		// latest checkpoint is step 4.
		tr.Reporter = stepHook{func(u progress.Update) {
			if u.Step == 5 {
				panic("killed")
			}
		}}
		func() {
			defer func() { recover() }()
			tr.Fit(context.Background(), data, nil)
		}()
		// The checkpoint at step 4 is gone too (say the process died while writing it).
		os.RemoveAll(CheckpointDir(dir, 4))
		if j, _ := metricSteps(t, dir); !slices.Equal(j, []int{3}) {
			t.Errorf("records before the resume %v, want [3]", j)
		}
		if st, _ := ReadState(dir); st.Status != StatusRunning {
			t.Errorf("state of the killed session %+v, want running", st)
		}
		tr, err = New(b, cfg, dir, data.StepsPerEpoch())
		if err != nil || tr.GlobalStep() != 2 {
			t.Errorf("resume at step %d, %v; want 2", tr.GlobalStep(), err)
			return
		}
		if _, err := tr.Fit(context.Background(), data, nil); err != nil {
			t.Error(err)
			return
		}
		j, c := metricSteps(t, dir)
		if !slices.Equal(j, []int{3, 6}) || !slices.Equal(c, []int{3, 6}) {
			t.Errorf("records after the resume: %s %v, %s %v; want steps [3 6] once each", MetricsJSONL, j, MetricsCSV, c)
		}
	})
}

// Fit refuses a run folder another process trains, naming it; New says so before writing.
// A lock left by a process that died is taken over.
func TestFitLocksRunFolder(t *testing.T) {
	b, err := backend.New()
	if err != nil {
		t.Fatal(err)
	}
	cfg := tinyConfig(6)
	cfg.Steps = 1
	data := tinyData(16, 8, 6)
	dir := filepath.Join(t.TempDir(), "run")
	lockPath := filepath.Join(dir, LockFile)
	withTimeout(t, 180*time.Second, func() {
		tr, err := New(b, cfg, dir, data.StepsPerEpoch())
		if err != nil {
			t.Error(err)
			return
		}
		other, err := fsutil.TryLock(lockPath) // another process training the folder
		if err != nil {
			t.Error(err)
			return
		}
		host, _ := os.Hostname()
		want := "is in use: " + lockPath + " is locked by PID " + strconv.Itoa(os.Getpid()) + " on host " + host
		if _, err := tr.Fit(context.Background(), data, nil); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Fit on a locked folder: %v; want %q", err, want)
		}
		if _, err := New(b, cfg, dir, data.StepsPerEpoch()); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("New on a locked folder: %v", err)
		}
		if _, err := os.Stat(filepath.Join(dir, StateFile)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("Fit on a locked folder wrote %s", StateFile)
		}
		other.Unlock()

		// The lock file of a process killed with -9 (no flock held any more).
		os.WriteFile(lockPath, []byte(`{"pid":999999999,"host":"`+host+`","started":"2026-01-01T00:00:00Z"}`), 0o644)
		if _, err := tr.Fit(context.Background(), data, nil); err != nil {
			t.Errorf("Fit with a stale lock: %v", err)
		}
		if st, _ := ReadState(dir); !st.Complete() {
			t.Errorf("state %+v", st)
		}
	})
}

// Run folders written before state.json: the state is inferred from the metrics records.
func TestStateInferredWithoutStateFile(t *testing.T) {
	dir := t.TempDir()
	cfg := tinyConfig(1)
	cfg.Epochs = 2
	if err := SaveConfig(cfg, filepath.Join(dir, ConfigFile)); err != nil {
		t.Fatal(err)
	}
	if st, err := ReadState(dir); err != nil || st.Status != StatusNone {
		t.Fatalf("config only: %+v, %v", st, err)
	}
	os.MkdirAll(CheckpointDir(dir, 6), 0o755)
	rec := func(epoch, step int, partial bool) string {
		return `{"epoch":` + strconv.Itoa(epoch) + `,"step":` + strconv.Itoa(step) + `,"partial":` + strconv.FormatBool(partial) + "}\n"
	}
	os.WriteFile(filepath.Join(dir, MetricsJSONL), []byte(rec(1, 3, false)+rec(2, 5, true)), 0o644)
	if st, _ := ReadState(dir); st.Complete() || !st.Inferred {
		t.Errorf("partial last record: %+v", st)
	}
	os.WriteFile(filepath.Join(dir, MetricsJSONL), []byte(rec(1, 3, false)+rec(2, 6, false)), 0o644)
	if st, _ := ReadState(dir); !st.Complete() || st.TotalSteps != 6 || st.Step != 6 {
		t.Errorf("final record at the latest checkpoint: %+v", st)
	}
	os.WriteFile(filepath.Join(dir, StateFile), []byte(`{"status":"done"}`), 0o644)
	if _, err := ReadState(dir); err == nil || !strings.Contains(err.Error(), "field status") {
		t.Errorf("bad status: %v", err)
	}
}
