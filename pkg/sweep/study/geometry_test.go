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
