package study

import (
	"fmt"
	"iter"
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

func cacheDir() string {
	if c, err := os.UserCacheDir(); err == nil {
		return filepath.Join(c, "coarsealign", "images")
	}
	return filepath.Join(os.TempDir(), "coarsealign-images")
}

func loadSource(dataDir string, d sweep.Data, size int) (*images.Dataset, error) {
	switch d.Source {
	case "cifar10":
		if size != 32 {
			return nil, fmt.Errorf("study: CIFAR-10 images are 32x32, config asks input_size %d", size)
		}
		jpg := filepath.Join(dataDir, "cifar10-jpg", "train")
		if st, err := os.Stat(jpg); err == nil && st.IsDir() {
			return images.LoadFolder(jpg, images.Options{Size: 32, CacheDir: cacheDir()})
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
		return images.LoadFolder(root, images.Options{Size: size, CacheDir: cacheDir()})
	}
	return nil, fmt.Errorf("study: data source %q (cifar10, images)", d.Source)
}

// batches adapts a Dataset to train.Data and train.EvalData.
type batches struct {
	ds      *images.Dataset
	idx     []int
	labels  []int32 // nil: the data set's labels
	cfg     images.BatchConfig
	drop    bool
	perStep int
}

func newBatches(s *TrainingSet, idx []int, labels []int32, batch int, seed uint64, augment, train bool) *batches {
	cfg := images.BatchConfig{BatchSize: batch, Shuffle: train, DropLast: train, Seed: seed, Stats: &s.Stats,
		Indices: idx, Labels: labels, Workers: 2}
	if augment && train {
		a := images.StudyAugment
		cfg.Augment = &a
	}
	return &batches{ds: s.DS, idx: idx, labels: labels, cfg: cfg, drop: train, perStep: batch}
}

func (b *batches) StepsPerEpoch() int { return len(b.idx) / b.perStep }

func (b *batches) Shape() (int, int, int) { return b.ds.H, b.ds.W, 3 }

func (b *batches) Epoch(epoch int) iter.Seq2[train.Batch, error] {
	return func(yield func(train.Batch, error) bool) {
		it, err := b.ds.Batches(epoch, b.cfg)
		if err != nil {
			yield(train.Batch{}, err)
			return
		}
		defer it.Close()
		for {
			bt, ok := it.Next()
			if !ok {
				return
			}
			if !yield(train.Batch{Images: bt.Images, Labels: bt.Labels, N: bt.Size}, nil) {
				return
			}
		}
	}
}

func (b *batches) Batches() iter.Seq2[train.Batch, error] { return b.Epoch(0) }
