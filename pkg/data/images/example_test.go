package images_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/coarsealign/coarsealign/pkg/data/images"
)

// Load an ImageFolder data set, split it 80/20 with the study's seed, and
// iterate over one epoch of augmented, normalised batches.
func Example() {
	root := filepath.Join(os.Getenv("COARSEALIGN_DATA"), "cifar10-jpg", "test")
	if _, err := os.Stat(root); err != nil {
		root = "../../../../shared/data/cifar10-jpg/test"
	}
	ds, err := images.LoadFolder(root, images.Options{Size: 32}) // set CacheDir to decode only once
	if err != nil {
		fmt.Println(err)
		return
	}
	small := ds.Subset(images.SubsetPerClass(ds.Labels, 10, 1)) // 10 images per class
	train, test := images.SplitIndices(small.N, images.StudyTestFraction, images.StudySplitSeed)
	trainStats := images.ComputeStats(small, train)
	it, err := small.Batches(0, images.BatchConfig{
		BatchSize: 32, Shuffle: true, Seed: 1, Augment: &images.StudyAugment,
		Stats: &trainStats, Indices: train,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer it.Close()
	for b, ok := it.Next(); ok; b, ok = it.Next() {
		fmt.Printf("batch %d: images [%d %d %d 3], labels %d\n", b.Index, b.Size, b.H, b.W, len(b.Labels))
	}
	fmt.Println("classes:", len(ds.Classes), "train:", len(train), "test:", len(test))
	// Output:
	// batch 0: images [32 32 32 3], labels 32
	// batch 1: images [32 32 32 3], labels 32
	// batch 2: images [16 32 32 3], labels 16
	// classes: 10 train: 80 test: 20
}
