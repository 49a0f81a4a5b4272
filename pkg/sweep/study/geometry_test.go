package study

import (
	"fmt"
	"testing"

	"github.com/coarsealign/coarsealign/pkg/arch"
	"github.com/coarsealign/coarsealign/pkg/models"
	"github.com/coarsealign/coarsealign/pkg/sweep"
)

// archConfig is a minimal sweep config for one architecture setting.
func archConfig(name string, width float64, size int) string {
	return fmt.Sprintf(`
name: arch-check
granularity: [fine]
seeds: [1]
archs: [{name: %s, width: %g, input_size: %d}]
train: {epochs: 1, batch: 8, lr: 1.0e-3}
data: {source: cifar10}
`, name, width, size)
}

// The sweep validates architecture settings without importing pkg/models (package arch's
// registry): every setting it accepts, ModelSpec builds, and the other way round, for every
// registered architecture and input size.
func TestSweepArchValidationMatchesModels(t *testing.T) {
	for _, name := range models.Architectures() {
		if _, ok := arch.Lookup(name); !ok {
			t.Fatalf("%s is buildable but not in package arch", name)
		}
		for size := 1; size <= 256; size++ {
			_, sweepErr := sweep.Parse([]byte(archConfig(name, 0.5, size)))
			_, modelErr := ModelSpec(sweep.Arch{Name: name, Width: 0.5, InputSize: size, Init: sweep.InitTorch}, 4)
			if (sweepErr == nil) != (modelErr == nil) {
				t.Errorf("%s input %d: sweep says %v, ModelSpec %v", name, size, sweepErr, modelErr)
			}
		}
	}
	if _, err := sweep.Parse([]byte(archConfig("resnet", 1, 32))); err == nil {
		t.Error("unregistered architecture accepted")
	}
}

// The sweep's init names are pkg/models'; ModelSpec passes them through.
func TestSweepInitNamesMatchModels(t *testing.T) {
	if sweep.InitTorch != models.InitTorch || sweep.InitHeNormal != models.InitHeNormal {
		t.Fatalf("sweep init names %q/%q, models %q/%q", sweep.InitTorch, sweep.InitHeNormal, models.InitTorch, models.InitHeNormal)
	}
	for _, init := range []string{sweep.InitTorch, sweep.InitHeNormal} {
		s, err := ModelSpec(sweep.Arch{Name: "alexnet-bn", Width: 0.25, InputSize: 32, Init: init}, 4)
		if err != nil || s.Init != init {
			t.Fatalf("ModelSpec init %q: spec init %q, err %v", init, s.Init, err)
		}
	}
	if PenultimateLayer("alexnet-bn") != "fc7.post" || PenultimateLayer("vit") != "head.pre" {
		t.Errorf("penultimate layers %q, %q", PenultimateLayer("alexnet-bn"), PenultimateLayer("vit"))
	}
}
