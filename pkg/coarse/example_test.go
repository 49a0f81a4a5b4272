package coarse_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/coarsealign/coarsealign/pkg/coarse"
	"gonum.org/v1/gonum/mat"
)

// Fit PCA median-split labels to an embedding and read the nested partitions.
func Example() {
	rng := rand.New(rand.NewPCG(1, 2))
	x := mat.NewDense(200, 10, nil) // 200 images, 10-d embedding
	for i := 0; i < 200; i++ {
		for j := 0; j < 10; j++ {
			x.Set(i, j, rng.NormFloat64()/float64(j+1)+1)
		}
	}
	l, err := coarse.Fit(x, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	l4, l8 := l.Labels(4), l.Labels(8)
	fmt.Println("K=2 counts:", l.ClassCounts(2), "K=4 counts:", l.ClassCounts(4))
	fmt.Println("nested:", l4[0] == l8[0]>>1, l4[1] == l8[1]>>1)
	same, _ := l.Apply(x, 8)
	fmt.Println("Apply reproduces:", same[7] == l8[7])
	// Output:
	// K=2 counts: [100 100] K=4 counts: [48 52 52 48]
	// nested: true true
	// Apply reproduces: true
}
