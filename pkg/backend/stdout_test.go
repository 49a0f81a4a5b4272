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
	defer b.Finalize()
	if len(out) != 0 {
		t.Fatalf("backend.New wrote %q to stdout", out)
	}
}
