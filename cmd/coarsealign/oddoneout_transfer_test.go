package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// The transfer command's usage and input errors: a missing CONFIG is a usage error (exit 2), a
// sweep folder that does not exist and bad numbers fail with a message naming them (exit 1).
func TestOddOneOutTransferErrors(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "none")
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{nil, 2, "Usage: coarsealign oddoneout transfer CONFIG"},
		{[]string{"notebooks/ci-sweep.yaml", "extra"}, 2, "Usage"},
		{[]string{"quick", "--out", missing}, 1, "sweep output folder " + missing + " does not exist"},
		{[]string{"quick", "--per-class", "-1"}, 1, "--per-class -1"},
		{[]string{"quick", "--pcs", "0"}, 1, "--pcs 0"},
		{[]string{filepath.Join(missing, "x.yaml")}, 1, "x.yaml"},
	} {
		code, out, errs := runRSA(t, append([]string{"oddoneout", "transfer"}, tc.args...)...)
		if code != tc.code || !strings.Contains(out+errs, tc.want) {
			t.Errorf("%v: exit %d, %q %q; want exit %d and %q", tc.args, code, out, errs, tc.code, tc.want)
		}
	}
}
