package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSweepStatusAndResultsOnEmptyFolder(t *testing.T) {
	out := t.TempDir()
	var so, se bytes.Buffer
	if code := run([]string{"sweep", "status", "quick", "--out", out, "-v"}, &so, &se); code != 0 {
		t.Fatalf("exit %d: %s", code, se.String())
	}
	// quick.yaml: K = 2..64, fine, untrained with one seed = 8 runs.
	if !strings.Contains(so.String(), "quick: 8 runs: 0 done, 0 in progress, 8 pending") {
		t.Fatalf("status: %s", so.String())
	}
	if n := strings.Count(so.String(), "pending\n") + strings.Count(so.String(), "pending     "); n < 8 {
		t.Fatalf("verbose status lists %d runs:\n%s", n, so.String())
	}
	so.Reset()
	se.Reset()
	if code := run([]string{"sweep", "results", "quick", "--out", out}, &so, &se); code != 1 ||
		!strings.Contains(se.String(), "8 of 8 runs not done") {
		t.Fatalf("results on an empty folder: exit %d, %s", code, se.String())
	}
	so.Reset()
	se.Reset()
	if code := run([]string{"sweep", "results", "quick", "--out", out, "--partial", "--format", "jsonl"}, &so, &se); code != 0 || so.Len() != 0 {
		t.Fatalf("partial results: exit %d, %q %s", code, so.String(), se.String())
	}
	so.Reset()
	se.Reset()
	if code := run([]string{"sweep", "results", "quick", "--out", out, "--partial", "--paired"}, &so, &se); code != 1 ||
		!strings.Contains(se.String(), "no paired differences") {
		t.Fatalf("paired results on an empty folder: exit %d, %q %s", code, so.String(), se.String())
	}
}

func TestSweepConfigErrors(t *testing.T) {
	var so, se bytes.Buffer
	if code := run([]string{"sweep", "status", "no-such-config"}, &so, &se); code != 1 ||
		!strings.Contains(se.String(), "not an embedded config (") || !strings.Contains(se.String(), "cpu-full, ") || !strings.Contains(se.String(), "quick)") {
		t.Fatalf("exit %d: %s", code, se.String())
	}
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(bad, []byte("name: x\ngranularity: [3]\n"), 0o644)
	se.Reset()
	if code := run([]string{"sweep", "status", bad}, &so, &se); code != 1 || !strings.Contains(se.String(), "field granularity") {
		t.Fatalf("exit %d: %s", code, se.String())
	}
	se.Reset()
	if code := run([]string{"sweep", "run", "quick", "--shard", "3/3"}, &so, &se); code != 1 || !strings.Contains(se.String(), "shard") {
		t.Fatalf("exit %d: %s", code, se.String())
	}
	se.Reset()
	if code := run([]string{"sweep", "results", "quick", "--format", "xml"}, &so, &se); code != 1 || !strings.Contains(se.String(), "--format") {
		t.Fatalf("exit %d: %s", code, se.String())
	}
}

func TestShardFromEnv(t *testing.T) {
	t.Setenv("SLURM_ARRAY_TASK_ID", "2")
	t.Setenv("SLURM_ARRAY_TASK_COUNT", "4")
	s, ok := shardFromEnv()
	if !ok || s.I != 2 || s.N != 4 {
		t.Fatalf("%v %v", s, ok)
	}
}

// sweep run and demo take --quiet, which drops the per-step training progress.
func TestSweepAndDemoQuiet(t *testing.T) {
	var w bytes.Buffer
	if o := studyOptions(true, &w); o.Progress != nil || o.Log != &w {
		t.Errorf("quiet options %+v", o)
	}
	if o := studyOptions(false, &w); o.Progress != &w {
		t.Errorf("default options %+v", o)
	}
	for _, cmd := range [][]string{{"sweep", "run", "-h"}, {"demo", "-h"}} {
		var so, se bytes.Buffer
		if code := run(cmd, &so, &se); code != 0 || !strings.Contains(se.String(), "-quiet") {
			t.Errorf("%v: exit %d, help %q", cmd, code, se.String())
		}
	}
	var so, se bytes.Buffer
	if code := run([]string{"demo", "stray"}, &so, &se); code != 2 || !strings.Contains(se.String(), `unexpected argument "stray"`) {
		t.Errorf("demo stray: exit %d, %q", code, se.String())
	}
}
