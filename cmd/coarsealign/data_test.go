package main

import (
	"bytes"
	"strings"
	"testing"

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
