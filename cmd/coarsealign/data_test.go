package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coarsealign/coarsealign/pkg/data/k92"
	"github.com/coarsealign/coarsealign/pkg/datadir"
)

func TestDataInfo(t *testing.T) {
	dir := datadir.ForTest(t)
	var out, errb bytes.Buffer
	if code := run([]string{"data", "info", "--data", dir}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	s := out.String()
	if strings.Count(s, "ok (sha256 verified)") != 3 || !strings.Contains(s, "92 images 175x175") {
		t.Fatalf("output:\n%s", s)
	}
}

func TestDataInfoMissing(t *testing.T) {
	dir := t.TempDir()
	var out, errb bytes.Buffer
	if code := run([]string{"data", "info", "--data", dir}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if strings.Count(out.String(), "MISSING") != 3 {
		t.Fatalf("output:\n%s", out.String())
	}
}

func TestDataFetchPresent(t *testing.T) {
	// With every file present and verified, fetch touches no network.
	dir := datadir.ForTest(t)
	var out, errb bytes.Buffer
	if code := run([]string{"data", "fetch", "--data", dir}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if !strings.Contains(out.String(), "3 files present and verified") {
		t.Fatalf("output:\n%s", out.String())
	}
}

// A damaged file is a failure (exit 1), a missing one is not (fetch downloads it).
func TestDataInfoBadChecksumFails(t *testing.T) {
	dir := t.TempDir()
	f := k92.Files[0]
	p := filepath.Join(dir, filepath.FromSlash(f.Name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(p, []byte("not the file"), 0o644)
	var out, errb bytes.Buffer
	if code := run([]string{"data", "info", "--data", dir}, &out, &errb); code != 1 {
		t.Fatalf("exit %d, want 1: %s", code, errb.String())
	}
	if !strings.Contains(out.String(), "BAD CHECKSUM") || !strings.Contains(errb.String(), "1 of 3 kriegeskorte92 files") || !strings.Contains(errb.String(), "data fetch") {
		t.Fatalf("stdout:\n%s\nstderr: %s", out.String(), errb.String())
	}
}
