package study

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/coarsealign/coarsealign/pkg/data/idx"
	"github.com/coarsealign/coarsealign/pkg/data/images"
	"github.com/coarsealign/coarsealign/pkg/sweep"
	"github.com/coarsealign/coarsealign/pkg/train"
)

// DefaultWorkers is the number of goroutines preparing each batch, in the sweep and (the
// default of --workers) in the CLI.
const DefaultWorkers = 2

// EvalBatchSize is the batch size of evaluation passes over held-out images.
const EvalBatchSize = 256

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
	// Source describes where the images came from ("cifar10-jpg", "cifar10 (official binary)",
	// a folder's name); SourceN is the number of images there, Selected the number left by
	// LoadOptions.IDs (before the per-class subset).
	Source            string
	SourceN, Selected int
}

// LoadOptions are the settings of LoadTrainingSetWith besides the data description.
type LoadOptions struct {
	// Cache is the decoded-image cache setting (images.CacheDirFor: "" the user cache folder,
	// "none" no cache, else a folder).
	Cache string
	// IDs, if not nil, keeps only the images with these IDs (images.Dataset.Paths) before the
	// per-class subset and the split: for labels fitted on part of a data set.
	IDs []string
	// Download fetches the official CIFAR-10 binary release when no copy of CIFAR-10 is found.
	Download bool
}

var (
	setsMu sync.Mutex
	sets   = map[string]*TrainingSet{}
)

// LoadTrainingSet loads (once per process) the training images described by d at size x size
// pixels from dataDir, as the sweep does (LoadTrainingSetWith, downloading CIFAR-10 if missing).
func LoadTrainingSet(dataDir string, d sweep.Data, size int) (*TrainingSet, error) {
	return LoadTrainingSetWith(dataDir, d, size, LoadOptions{Download: true})
}

// LoadTrainingSetWith loads (once per process) the training images described by d at size x
// size pixels from dataDir (see LoadImages; the training split for "cifar10"), keeps the images
// o.IDs names if set, then d.PerClass images per class (images.SubsetPerClass, seeded by
// d.SplitSeed) if > 0, and splits them into a training and a validation part
// (images.SplitIndices(n, d.ValFraction, d.SplitSeed)). The normalisation statistics are the
// training part's. The sweep and the CLI's train command prepare their data here, so the same
// settings give the same images, subset and split.
func LoadTrainingSetWith(dataDir string, d sweep.Data, size int, o LoadOptions) (*TrainingSet, error) {
	key := fmt.Sprintf("%s|%+v|%d|%s|%s", dataDir, d, size, images.CacheDirFor(o.Cache), idsKey(o.IDs))
	setsMu.Lock()
	defer setsMu.Unlock()
	if s, ok := sets[key]; ok {
		return s, nil
	}
	if !(d.ValFraction >= 0 && d.ValFraction < 1) {
		return nil, fmt.Errorf("study: validation fraction %v not in [0,1)", d.ValFraction)
	}
	if d.PerClass < 0 {
		return nil, fmt.Errorf("study: per-class count %d must be >= 0 (0 keeps every image; a negative number does not mean all)", d.PerClass)
	}
	ds, desc, err := LoadImages(dataDir, d.Source, d.Path, "train", size,
		images.Options{Size: size, CacheDir: images.CacheDirFor(o.Cache), JPEG: images.JPEGDecoder(d.JPEG)}, o.Download)
	if err != nil {
		return nil, err
	}
	s := &TrainingSet{Source: desc, SourceN: ds.N}
	if o.IDs != nil {
		if ds, err = ds.WithIDs(o.IDs); err != nil {
			return nil, fmt.Errorf("study: %w (%s)", err, desc)
		}
	}
	s.Selected = ds.N
	if d.PerClass > 0 {
		ds = ds.Subset(images.SubsetPerClass(ds.Labels, d.PerClass, uint64(d.SplitSeed)))
	}
	s.DS = ds
	s.Train, s.Val = images.SplitIndices(ds.N, d.ValFraction, uint64(d.SplitSeed))
	s.Stats = images.ComputeStats(ds, s.Train)
	sets[key] = s
	return s, nil
}

// idsKey identifies an ID list in the cache key.
func idsKey(ids []string) string {
	if ids == nil {
		return "all"
	}
	h := sha256.Sum256([]byte(strings.Join(ids, "\n")))
	return hex.EncodeToString(h[:8])
}

// LoadImages loads an image set. source "cifar10": dataDir/cifar10-jpg/<split> (the ImageFolder
// copy shipped with the test data) if present, else the official binary release
// dataDir/cifar-10-batches-bin (downloaded with images.FetchCIFAR if download and missing;
// 32x32 only); split is "train" or "test". source "images": the class folders under path
// (relative to dataDir unless absolute). Folder images are resized to size x size (o.Size;
// shorter side, centre crop). It also returns a description of the source for provenance.
// The sweep, 'coarsealign train' and 'coarsealign labels' read images here.
func LoadImages(dataDir, source, path, split string, size int, o images.Options, download bool) (*images.Dataset, string, error) {
	o.Size = size
	switch source {
	case "cifar10":
		if split != "train" && split != "test" {
			return nil, "", fmt.Errorf("study: cifar10 split %q: want train or test", split)
		}
		jpg := filepath.Join(dataDir, "cifar10-jpg", split)
		if st, err := os.Stat(jpg); err == nil && st.IsDir() {
			ds, err := images.LoadFolder(jpg, o)
			return ds, "cifar10-jpg", err
		}
		bin := filepath.Join(dataDir, images.CIFAR10Source.Dir)
		if _, err := os.Stat(filepath.Join(bin, images.CIFAR10Source.Check)); err != nil {
			if !download {
				return nil, "", fmt.Errorf("cifar10 not found in %s (neither %s nor %s); download it with 'coarsealign labels --images cifar10 --download'",
					dataDir, "cifar10-jpg", images.CIFAR10Source.Dir)
			}
			if bin, err = images.FetchCIFAR(dataDir, images.CIFAR10Source); err != nil {
				return nil, "", err
			}
		}
		if size != 0 && size != 32 {
			return nil, "", fmt.Errorf("study: the CIFAR-10 binary release is 32x32, input size %d asked (use the cifar10-jpg folder to resize)", size)
		}
		ds, err := images.LoadCIFAR(bin, images.CIFAR10, split == "train")
		return ds, "cifar10 (official binary)", err
	case "fashion-mnist":
		if split != "train" && split != "test" {
			return nil, "", fmt.Errorf("study: fashion-mnist split %q: want train or test", split)
		}
		ds, err := idx.LoadFashionMNIST(dataDir, split == "train", size, download)
		return ds, "fashion-mnist", err
	case "images":
		root := path
		if !filepath.IsAbs(root) {
			root = filepath.Join(dataDir, root)
		}
		ds, err := images.LoadFolder(root, o)
		return ds, filepath.Base(filepath.Clean(root)), err
	}
	return nil, "", fmt.Errorf("study: data source %q (cifar10, fashion-mnist, images)", source)
}

// newBatches returns the training (train true: shuffled, augmented if asked, last partial batch
// dropped) or evaluation batches of the images idx of s with labels (pkg/train's adapter of
// pkg/data/images).
func newBatches(s *TrainingSet, idx []int, labels []int32, batch int, seed uint64, augment, training bool, workers int) *train.ImageData {
	cfg := images.BatchConfig{BatchSize: batch, Shuffle: training, DropLast: training, Seed: seed, Stats: &s.Stats,
		Indices: idx, Labels: labels, Workers: workers}
	if augment && training {
		a := images.StudyAugment
		cfg.Augment = &a
	}
	return &train.ImageData{DS: s.DS, Config: cfg}
}

// EvalBatches returns evaluation batches (EvalBatchSize images, in order, no augmentation) of
// the images idx (nil: all) of ds with labels (nil: ds.Labels), normalised with stats: e.g. an
// official test split, normalised with the training part's statistics.
func EvalBatches(ds *images.Dataset, idx []int, labels []int32, stats images.Stats, workers int) *train.ImageData {
	return &train.ImageData{DS: ds, Config: images.BatchConfig{BatchSize: EvalBatchSize, Stats: &stats,
		Indices: idx, Labels: labels, Workers: workers}}
}
