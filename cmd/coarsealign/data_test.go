package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coarsealign/coarsealign/pkg/cifar10h"
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
	// 3 kriegeskorte92 files and 3 CIFAR-10H files (pkg/cifar10h.Files).
	if strings.Count(s, "ok (sha256 verified)") != 6 || !strings.Contains(s, "92 images 175x175") ||
		!strings.Contains(s, "cifar10h/cifar10h-counts.npy") || !strings.Contains(s, "cifar10h: 10000 CIFAR-10 test images x 10 classes") {
		t.Fatalf("output:\n%s", s)
	}
}

func TestDataInfoMissing(t *testing.T) {
	dir := t.TempDir()
	var out, errb bytes.Buffer
	if code := run([]string{"data", "info", "--data", dir}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	// Missing files are a state, not a failure: 3 kriegeskorte92 files, 3 optional CIFAR-10H files.
	if strings.Count(out.String(), "MISSING") != 6 || strings.Count(out.String(), "MISSING (optional, for eval.cifar10h") != 3 {
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

// A damaged CIFAR-10H file fails data info too, naming the data set and the fetch flag.
func TestDataInfoBadCIFAR10HFails(t *testing.T) {
	dir := t.TempDir()
	f := cifar10h.Files[1]
	p := filepath.Join(dir, filepath.FromSlash(f.Name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(p, []byte("not the file"), 0o644)
	var out, errb bytes.Buffer
	if code := run([]string{"data", "info", "--data", dir}, &out, &errb); code != 1 {
		t.Fatalf("exit %d, want 1: %s", code, errb.String())
	}
	if !strings.Contains(errb.String(), "1 of 3 cifar10h files") || !strings.Contains(errb.String(), "data fetch --cifar10h") {
		t.Fatalf("stdout:\n%s\nstderr: %s", out.String(), errb.String())
	}
}
