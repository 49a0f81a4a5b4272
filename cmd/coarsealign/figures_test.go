package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestFiguresUsageAndMissingSweep(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"figures", "chronology"}, &out, &errb); code != 2 {
		t.Fatalf("no CONFIG: exit %d, want 2 (%s)", code, errb.String())
	}
	errb.Reset()
	code := run([]string{"figures", "factors", "factors", "--out", t.TempDir(), "--draws", "2"}, &out, &errb)
	if code != 1 || !strings.Contains(errb.String(), "no finished trained run") {
		t.Fatalf("empty sweep folder: exit %d: %s", code, errb.String())
	}
}
