package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRenderCommand(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "scene.yaml")
	if err := os.WriteFile(cfg, []byte("size: 16\ncategories: [cube, torus]\ndistance: 6\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	var so, se bytes.Buffer
	if code := run([]string{"render", "--config", cfg, "--n", "12", "--out", out, "--grid", "2"}, &so, &se); code != 0 {
		t.Fatalf("exit %d: %s", code, se.String())
	}
	b, err := os.ReadFile(filepath.Join(out, "latents.csv"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 13 {
		t.Fatalf("latents.csv has %d lines, want 13", len(lines))
	}
	for _, l := range lines[1:] {
		f := strings.Split(l, ",")
		if _, err := os.Stat(filepath.Join(out, f[1])); err != nil || f[7] != "6" {
			t.Errorf("row %q: %v (distance %s, want the fixed 6)", l, err, f[7])
		}
	}
	for _, ext := range []string{"svg", "png", "csv"} {
		if _, err := os.Stat(filepath.Join(out, "examples."+ext)); err != nil {
			t.Error(err)
		}
	}
	// A bad config fails with the file and field named.
	if err := os.WriteFile(cfg, []byte("distance: [3, 1]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	se.Reset()
	if code := run([]string{"render", "--config", cfg, "--n", "2", "--out", out}, &so, &se); code == 0 || !strings.Contains(se.String(), "scene.yaml") || !strings.Contains(se.String(), "distance") {
		t.Errorf("bad config: exit %d, stderr %q", code, se.String())
	}
}
