package main

import (
	"bytes"
	"strings"
	"testing"
)

// The command itself is study.PCAReconstructionControl (tested in pkg/sweep/study) and
// notebook 06 runs it on the CI sweep; here: its arguments and the empty-sweep error.
func TestControlPCAReconstructionErrors(t *testing.T) {
	var so, se bytes.Buffer
	if code := run([]string{"control", "pca-reconstruction"}, &so, &se); code != 2 || !strings.Contains(se.String(), "Usage: coarsealign control pca-reconstruction CONFIG") {
		t.Fatalf("no config: exit %d, %s", code, se.String())
	}
	se.Reset()
	out := t.TempDir()
	if code := run([]string{"control", "pca-reconstruction", "quick", "--out", out}, &so, &se); code != 1 ||
		!strings.Contains(se.String(), "no finished runs of sweep quick in "+out) {
		t.Fatalf("empty sweep: exit %d, %s", code, se.String())
	}
}
