package configs

import (
	"testing"

	"github.com/coarsealign/coarsealign/pkg/sweep"
)

// Every shipped config parses, validates and expands to the expected grid.
func TestShippedConfigsParse(t *testing.T) {
	want := map[string]int{
		"quick":         8,     // 6 K + fine + untrained, 1 seed
		"cpu-full":      8 * 3, // x 3 seeds
		"paper":         8 * 3,
		"cifar-3ep":     8 * 2,     // issue 8: 6 K + fine + untrained, 2 seeds
		"architectures": 8 * 2,     // issue 12: 2 architectures, 1 seed
		"chronology":    2,         // issue 13: fine, seeds 1 and 2
		"factors":       4 * 2 * 3, // issue 13: 4 widths x 2 domains x 3 amounts
		// issue 17: (6 K + fine + ssl + untrained) x 2 architectures, 1 seed
		"granularity-full": 9 * 2,
	}
	if len(Names()) != len(want) {
		t.Fatalf("configs %v", Names())
	}
	// Configs of other commands (configs/studies), parsed by their packages' tests, are not
	// sweep configs.
	for _, name := range StudyNames() {
		if _, err := Read(name); err == nil {
			t.Errorf("study config %q readable as a sweep config", name)
		}
	}
	if got := StudyNames(); len(got) != 2 || got[0] != "brain-guided" || got[1] != "spatial-latents" {
		t.Errorf("study configs %v", got)
	}
	for name, n := range want {
		b, err := Read(name)
		if err != nil {
			t.Fatal(err)
		}
		c, err := sweep.Parse(b)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got := len(c.Expand()); got != n {
			t.Errorf("%s: %d runs, want %d", name, got, n)
		}
	}
	p, _ := Read("paper")
	c, _ := sweep.Parse(p)
	// methods.md section 1: 224x224, 20 epochs, batch 32, lr 5e-4, wd 1e-3, 2 warm-up epochs, seeds 1,2,3.
	if a := c.Archs[0]; a.InputSize != 224 || c.Train.Epochs != 20 || c.Train.Batch != 32 || c.Train.LR != 5e-4 ||
		c.Train.WeightDecay != 1e-3 || c.Train.WarmupEpochs != 2 || len(c.Seeds) != 3 || c.Data.SplitSeed != 42 {
		t.Fatalf("paper config drifted from the study's recipe: %+v", c)
	}
	if _, err := Read("nope"); err == nil {
		t.Fatal("unknown config read")
	}
}
