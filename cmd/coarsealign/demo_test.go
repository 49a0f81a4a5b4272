package main

import (
	"path/filepath"
	"testing"
)

// A smoke demo (--quick) writes its figures beside its sweep, never into the committed figures/
// (issue 10, item 5); a real demo writes figures/, and --figures always wins.
func TestDemoFigureDir(t *testing.T) {
	out := filepath.Join("runs", "quick-smoke")
	for _, c := range []struct {
		flag  string
		quick bool
		want  string
	}{
		{"", true, filepath.Join(out, "figures")},
		{"", false, "figures"},
		{"my-figs", true, "my-figs"},
		{"my-figs", false, "my-figs"},
	} {
		if got := demoFigureDir(c.flag, c.quick, out); got != c.want {
			t.Errorf("demoFigureDir(%q, %v) = %q, want %q", c.flag, c.quick, got, c.want)
		}
	}
}
