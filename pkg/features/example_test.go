package features_test

import (
	"fmt"

	"github.com/coarsealign/coarsealign/pkg/features"
)

// A layer of 65536 units (e.g. 32x32x64) is projected to k = 4096 with density 1/sqrt(65536).
func ExampleNewProjection() {
	p := features.NewProjection(32*32*64, 0, 1)
	fmt.Println(p.K, p.Density)
	// Output:
	// 4096 0.00390625
}
