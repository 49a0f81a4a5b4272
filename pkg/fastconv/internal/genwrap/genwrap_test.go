package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestGeneratedFileIsCurrent regenerates fastgo/zz_wrap_ops.go into a temporary directory, as
// `go generate` in fastgo would, and requires the checked-in file to be byte-identical.
func TestGeneratedFileIsCurrent(t *testing.T) {
	const dir = "../../fastgo"
	out := filepath.Join(t.TempDir(), "zz_wrap_ops.go")
	if err := run([]string{"-dir", dir, "-o", out}); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(filepath.Join(dir, "zz_wrap_ops.go"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("fastgo/zz_wrap_ops.go is stale: run `go generate ./pkg/fastconv/...` (regenerated %d bytes, checked in %d)", len(got), len(want))
	}
}
