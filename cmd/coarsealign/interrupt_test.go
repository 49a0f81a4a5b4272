package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/coarsealign/coarsealign/internal/fsutil"
	"github.com/coarsealign/coarsealign/pkg/datadir"
	"github.com/coarsealign/coarsealign/pkg/train"
)

// onLine is a writer that calls fire once, when what it was written contains text.
type onLine struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	text  string
	fire  func()
	fired bool
}

func (w *onLine) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if !w.fired && strings.Contains(w.buf.String(), w.text) {
		w.fired = true
		w.fire()
	}
	return len(p), nil
}

func (w *onLine) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// A train run stopped by SIGTERM exits 143 and records the run as unfinished; features and
// eval refuse it unless told (--step N, --allow-incomplete); the same train command resumes
// and finishes it, after which features works as usual.
func TestInterruptedTrainIsUnfinished(t *testing.T) {
	root := tinyFolder(t)
	runDir := filepath.Join(t.TempDir(), "run")
	args := []string{"train", "--images", root, "--steps", "40", "--width", "0.0625", "--batch", "4", "--seed", "2",
		"--test", "none", "--cache", "none", "--out", runDir}
	// SIGTERM to this process once the first step is reported on stderr (training runs, and the
	// command watches for the signal).
	errb := &onLine{text: "loss", fire: func() { syscall.Kill(os.Getpid(), syscall.SIGTERM) }}
	var out bytes.Buffer
	if code := run(args, &out, errb); code != 143 {
		t.Fatalf("interrupted train: exit %d, want 143\nstdout:\n%s\nstderr:\n%s", code, out.String(), errb.String())
	}
	if !strings.Contains(out.String(), "interrupted at step") || !strings.Contains(errb.String(), "interrupted by SIGTERM") {
		t.Fatalf("stdout:\n%s\nstderr:\n%s", out.String(), errb.String())
	}
	st, err := train.ReadState(runDir)
	if err != nil || st.Status != train.StatusInterrupted || st.Step < 1 || st.Step >= 40 || st.TotalSteps != 40 {
		t.Fatalf("state %+v, %v", st, err)
	}
	step := strconv.Itoa(st.Step)

	data := datadir.ForTest(t)
	feat := filepath.Join(t.TempDir(), "feat")
	var so, se bytes.Buffer
	if code := run([]string{"features", "--data", data, "--run", runDir, "--out", feat, "--layers", "fc7.post"}, &so, &se); code != 1 ||
		!strings.Contains(se.String(), "is unfinished (interrupted at step "+step+" of 40") || !strings.Contains(se.String(), "--allow-incomplete") {
		t.Fatalf("features of an unfinished run: exit %d, stderr %q", code, se.String())
	}
	if _, err := os.Stat(feat); !os.IsNotExist(err) {
		t.Fatalf("refused features wrote %s", feat)
	}
	se.Reset()
	if code := run([]string{"features", "--data", data, "--run", runDir, "--out", feat, "--layers", "fc7.post", "--allow-incomplete"}, &so, &se); code != 0 {
		t.Fatalf("features --allow-incomplete: exit %d, stderr %q", code, se.String())
	}
	se.Reset()
	if code := run([]string{"eval", "--data", data, "--features", feat, "--quick", "--metrics", "spearman"}, &so, &se); code != 1 ||
		!strings.Contains(se.String(), "step "+step+" of run") || !strings.Contains(se.String(), "--allow-incomplete") {
		t.Fatalf("eval of an unfinished run's features: exit %d, stderr %q", code, se.String())
	}

	// The same command resumes and finishes the run.
	var o2, e2 bytes.Buffer
	if code := run(args, &o2, &e2); code != 0 || !strings.Contains(o2.String(), "resuming "+runDir+" at step "+step) || !strings.Contains(o2.String(), "done: step 40") {
		t.Fatalf("rerun: exit %d\nstdout:\n%s\nstderr:\n%s", code, o2.String(), e2.String())
	}
	if st, _ := train.ReadState(runDir); !st.Complete() {
		t.Fatalf("state after the rerun %+v", st)
	}
	// Progress into a non-terminal: plain lines, no carriage returns, epoch lines on stdout only.
	if s := e2.String(); strings.Contains(s, "\r") || !strings.Contains(s, "step 40/40 (100%) epoch 8 loss") || strings.Contains(s, "(step 40): train loss") {
		t.Errorf("progress on stderr:\n%q", s)
	}
	if !strings.Contains(o2.String(), "epoch 8 (step 40): train loss") {
		t.Errorf("epoch lines on stdout:\n%s", o2.String())
	}
	se.Reset()
	if code := run([]string{"features", "--data", data, "--run", runDir, "--out", feat, "--layers", "fc7.post"}, &so, &se); code != 0 {
		t.Fatalf("features of the finished run: exit %d, stderr %q", code, se.String())
	}
}

// Two train processes on one --out: the second stops with a message naming the first.
func TestTrainRefusesLockedFolder(t *testing.T) {
	root := tinyFolder(t)
	runDir := filepath.Join(t.TempDir(), "run")
	os.MkdirAll(runDir, 0o755)
	l, err := fsutil.TryLock(filepath.Join(runDir, train.LockFile)) // the other process
	if err != nil {
		t.Fatal(err)
	}
	defer l.Unlock()
	var out, errb bytes.Buffer
	args := []string{"train", "--images", root, "--steps", "2", "--width", "0.0625", "--batch", "4", "--test", "none",
		"--cache", "none", "--quiet", "--out", runDir}
	host, _ := os.Hostname()
	if code := run(args, &out, &errb); code != 1 || !strings.Contains(errb.String(), "is in use") ||
		!strings.Contains(errb.String(), "PID "+strconv.Itoa(os.Getpid())+" on host "+host+" since ") {
		t.Fatalf("exit %d, stderr %q", code, errb.String())
	}
}
