package coarse_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/coarsealign/coarsealign/pkg/coarse"
	"github.com/coarsealign/coarsealign/pkg/data/images"
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

// Raw-pixel coarse labels for CIFAR-10 images, used as training labels.
func ExampleFitSource() {
	root := filepath.Join(os.Getenv("COARSEALIGN_DATA"), "cifar10-jpg", "test")
	if _, err := os.Stat(root); err != nil {
		root = "../../../shared/data/cifar10-jpg/test"
	}
	ds, err := images.LoadFolder(root, images.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	ds = ds.Subset(images.SubsetPerClass(ds.Labels, 20, 1)) // 200 images
	x := coarse.NewPixelMatrix(ds.Pix, ds.N, ds.ImageSize())
	l, err := coarse.FitSource(x, ds.Paths, coarse.Provenance{Source: "pixels", Dataset: "cifar10-jpg", Split: "test"}, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	// Train on K = 8 coarse classes instead of the 10 CIFAR classes.
	labels, err := ds.AlignLabels(l.IDs, l.Labels(8))
	if err != nil {
		fmt.Println(err)
		return
	}
	coarseDS, _ := ds.WithLabels(labels, nil)
	fmt.Println("classes:", len(coarseDS.Classes), "K=2 counts:", l.ClassCounts(2))
	// Output:
	// classes: 8 K=2 counts: [100 100]
}
