package backend

import (
	"io"
	"os"
	"testing"
)

// gobackend.New (compute v0.1.2) prints "Go backend: parallelism set to N" on stdout; New must
// keep standard output clean, since CLI commands print machine-readable results there.
func TestNewWritesNothingToStdout(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	saved := os.Stdout
	os.Stdout = w
	t.Setenv(EnvVar, "go")
	b, err := New()
	os.Stdout = saved
	w.Close()
	out, _ := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	_ = b // cached by New: not finalized, later tests get the same backend
	if len(out) != 0 {
		t.Fatalf("backend.New wrote %q to stdout", out)
	}
}

// Creating the go backend (the fastconv wrapper and the plain backend of its self-check) prints
// nothing, on stdout or stderr: no "Go backend: parallelism set to -1" lines in the logs.
func TestNewPrintsNoParallelismLine(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	so, se := os.Stdout, os.Stderr
	os.Stdout, os.Stderr = w, w
	b, err := NewFromConfig("go:parallelism=-1,dependency_order") // a configuration not cached yet
	os.Stdout, os.Stderr = so, se
	w.Close()
	out, _ := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	_ = b // cached by New: not finalized, later tests get the same backend
	if len(out) != 0 {
		t.Fatalf("backend.New wrote %q", out)
	}
}
