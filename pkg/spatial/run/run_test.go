package run

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/coarsealign/coarsealign/pkg/spatial"
)

func dataDir(t *testing.T) string {
	d := os.Getenv("COARSEALIGN_DATA")
	if _, err := os.Stat(filepath.Join(d, "kriegeskorte92")); d == "" || err != nil {
		t.Skip("no kriegeskorte92 data (COARSEALIGN_DATA)")
	}
	return d
}

// tinyConfig is a study small enough for a test: 2 categories, 64 renders, width 1/16.
func tinyConfig() spatial.Config {
	c := spatial.DefaultConfig()
	c.Scene.Categories = []string{"cube", "sphere"}
	c.TrainImages, c.ProbeImages, c.Epochs, c.Batch, c.Width = 64, 40, 1, 16, 1.0/16
	c.Targets = []spatial.TargetSet{{Name: "category", Latents: []string{spatial.Category}}, {Name: "xy", Latents: []string{"x", "y"}}}
	c.FixNonTargets = []string{"xy"}
	c.Draws, c.Splits = 10, 4
	return c
}

func TestRunTiny(t *testing.T) {
	if testing.Short() {
		t.Skip("trains 4 tiny networks")
	}
	dd := dataDir(t)
	out := t.TempDir()
	t0 := time.Now()
	st, err := Run(context.Background(), tinyConfig(), out, dd, t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("tiny study in %v", time.Since(t0))
	if len(st.Models) != 4 {
		t.Fatalf("%d models", len(st.Models))
	}
	for _, m := range st.Models {
		if len(m.K92) == 0 || m.K92[0].Rows != 92 || m.Probe[0].Rows != 40 {
			t.Errorf("%s: features %d x ?, probe %d", m.Name, m.K92[0].Rows, m.Probe[0].Rows)
		}
	}
	// A second run reuses the finished runs and cached features.
	t1 := time.Now()
	if _, err := Run(context.Background(), tinyConfig(), out, dd, nil); err != nil {
		t.Fatal(err)
	}
	t.Logf("re-run in %v", time.Since(t1))
}
