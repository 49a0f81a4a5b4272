package study

import (
	"testing"

	"github.com/coarsealign/coarsealign/pkg/models"
	"github.com/coarsealign/coarsealign/pkg/sweep"
)

// The sweep validates AlexNet-BN input sizes without importing pkg/models: its list must match
// the geometries pkg/models builds.
func TestSweepAlexNetSizesMatchModels(t *testing.T) {
	for size := 8; size <= 256; size++ {
		_, err := models.AlexNetGeometryFor(size)
		inSweep := false
		for _, s := range sweep.AlexNetInputSizes {
			inSweep = inSweep || s == size
		}
		if (err == nil) != inSweep {
			t.Errorf("input size %d: models accepts=%v, sweep accepts=%v", size, err == nil, inSweep)
		}
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
}
