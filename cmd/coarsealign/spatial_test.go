package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A tiny study end to end through the CLI: trains 3 networks (plus the untrained one), writes the
// results CSVs and the figures; a config naming a fixed latent as a target is refused.
func TestSpatialCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("trains tiny networks")
	}
	data := os.Getenv("COARSEALIGN_DATA")
	if _, err := os.Stat(filepath.Join(data, "kriegeskorte92")); data == "" || err != nil {
		t.Skip("no kriegeskorte92 data")
	}
	dir := t.TempDir()
	cfg := filepath.Join(dir, "s.yaml")
	yaml := `name: tiny
scene: {categories: [cube, torus]}
train_images: 48
probe_images: 40
epochs: 1
batch: 16
width: 0.0625
targets:
  - {name: category, latents: [category]}
  - {name: spatial, latents: [x, y, distance]}
fix_non_targets: [spatial]
draws: 5
splits: 4
`
	if err := os.WriteFile(cfg, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	var so, se bytes.Buffer
	out, figs := filepath.Join(dir, "run"), filepath.Join(dir, "figs")
	if code := run([]string{"spatial", "run", "--config", cfg, "--out", out, "--figures", figs}, &so, &se); code != 0 {
		t.Fatalf("exit %d: %s", code, se.String())
	}
	b, err := os.ReadFile(filepath.Join(out, "results", "cka_linear-probe.csv"))
	if err != nil {
		t.Fatal(err)
	}
	// 4 models (category, spatial, spatial-fixed, untrained): 6 pairs x 7 layers.
	if n := len(strings.Split(strings.TrimSpace(string(b)), "\n")) - 1; n != 6*7 {
		t.Errorf("cka rows %d, want 42", n)
	}
	if _, err := os.Stat(filepath.Join(figs, "spatial_alignment.png")); err != nil {
		t.Error(err)
	}
	bad := strings.Replace(yaml, "scene: {categories: [cube, torus]}", "scene: {categories: [cube, torus], distance: 6}", 1)
	if err := os.WriteFile(cfg, []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	se.Reset()
	if code := run([]string{"spatial", "run", "--config", cfg, "--out", out}, &so, &se); code == 0 || !strings.Contains(se.String(), "s.yaml") || !strings.Contains(se.String(), "distance is fixed") {
		t.Errorf("bad config: exit %d, %s", code, se.String())
	}
}
