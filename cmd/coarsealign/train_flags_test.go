package main

import (
	"bytes"
	"strings"
	"testing"
)

// Bad training flags are rejected with a one-line error naming the flag, before any data is read.
func TestTrainRejectsBadFlags(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--steps", "-1"}, "--steps -1"},
		{[]string{"--warmup-epochs", "-1"}, "--warmup-epochs -1"},
		{[]string{"--warmup-epochs", "NaN"}, "--warmup-epochs NaN"},
		{[]string{"--k", "4"}, "--k 4 applies to coarse labels"},
	} {
		var out, errb bytes.Buffer
		args := append([]string{"train", "--data", t.TempDir(), "--out", t.TempDir()}, c.args...)
		if code := run(args, &out, &errb); code != 1 {
			t.Errorf("%v: exit %d, want 1 (%s)", c.args, code, errb.String())
			continue
		}
		if msg := errb.String(); !strings.Contains(msg, c.want) || strings.Count(msg, "\n") != 1 {
			t.Errorf("%v: error %q, want one line containing %q", c.args, msg, c.want)
		}
	}
}
