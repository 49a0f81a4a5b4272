package study

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/coarsealign/coarsealign/pkg/data/images"
	"github.com/coarsealign/coarsealign/pkg/sweep"
	"github.com/coarsealign/coarsealign/pkg/train"
)

// TrainingSet is the training images of a run: a per-class subset of the source data set
// split into a training and a validation part.
type TrainingSet struct {
	// DS holds the subset's images (in a fixed order) with their fine labels.
	DS *images.Dataset
	// Train and Val index DS.
	Train, Val []int
	// Stats are the normalisation statistics of the training part (used for every split and for
	// the evaluation stimuli).
	Stats images.Stats
}

var (
	setsMu sync.Mutex
	sets   = map[string]*TrainingSet{}
)

// LoadTrainingSet loads (once per process) the training images described by d at size x size
// pixels from dataDir: for "cifar10", dataDir/cifar10-jpg/train (the ImageFolder copy shipped
// with the test data) if present, else the official binary release dataDir/cifar-10-batches-bin
// (downloaded with images.FetchCIFAR if missing); for "images", the class folders under d.Path.
// Decoded folders are cached under the user cache directory. The per-class subset and the
// split are seeded by d.SplitSeed.
func LoadTrainingSet(dataDir string, d sweep.Data, size int) (*TrainingSet, error) {
	key := fmt.Sprintf("%s|%+v|%d", dataDir, d, size)
	setsMu.Lock()
	defer setsMu.Unlock()
	if s, ok := sets[key]; ok {
		return s, nil
	}
	ds, err := loadSource(dataDir, d, size)
	if err != nil {
		return nil, err
	}
	if d.PerClass > 0 {
		ds = ds.Subset(images.SubsetPerClass(ds.Labels, d.PerClass, uint64(d.SplitSeed)))
	}
	tr, val := images.SplitIndices(ds.N, d.ValFraction, uint64(d.SplitSeed))
	s := &TrainingSet{DS: ds, Train: tr, Val: val, Stats: images.ComputeStats(ds, tr)}
	sets[key] = s
	return s, nil
}

func loadSource(dataDir string, d sweep.Data, size int) (*images.Dataset, error) {
	switch d.Source {
	case "cifar10":
		if size != 32 {
			return nil, fmt.Errorf("study: CIFAR-10 images are 32x32, config asks input_size %d", size)
		}
		jpg := filepath.Join(dataDir, "cifar10-jpg", "train")
		if st, err := os.Stat(jpg); err == nil && st.IsDir() {
			return images.LoadFolder(jpg, images.Options{Size: 32, CacheDir: images.CacheDirFor("")})
		}
		dir, err := images.FetchCIFAR(dataDir, images.CIFAR10Source)
		if err != nil {
			return nil, err
		}
		return images.LoadCIFAR(dir, images.CIFAR10, true)
	case "images":
		root := d.Path
		if !filepath.IsAbs(root) {
			root = filepath.Join(dataDir, root)
		}
		return images.LoadFolder(root, images.Options{Size: size, CacheDir: images.CacheDirFor("")})
	}
	return nil, fmt.Errorf("study: data source %q (cifar10, images)", d.Source)
}

// newBatches returns the training (train true: shuffled, augmented if asked, last partial batch
// dropped) or evaluation batches of the images idx of s with labels (pkg/train's adapter of
// pkg/data/images).
func newBatches(s *TrainingSet, idx []int, labels []int32, batch int, seed uint64, augment, training bool) *train.ImageData {
	cfg := images.BatchConfig{BatchSize: batch, Shuffle: training, DropLast: training, Seed: seed, Stats: &s.Stats,
		Indices: idx, Labels: labels, Workers: 2}
	if augment && training {
		a := images.StudyAugment
		cfg.Augment = &a
	}
	return &train.ImageData{DS: s.DS, Config: cfg}
}
