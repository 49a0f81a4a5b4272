// Package cifar10h is the CIFAR-10H human-uncertainty benchmark (Peterson, Battleday,
// Griffiths & Russakovsky 2019, "Human uncertainty makes classification more robust",
// ICCV): for each of the 10,000 CIFAR-10 test images, how many of about 50 people chose
// each of the 10 classes. It loads and checks the data (Load), maps official test indices
// to the CIFAR-10 test JPEGs (ImagePath), scores a model's predicted distributions against
// the human ones with bootstrap intervals over images (Score), and fits a linear readout
// from features to class distributions (FitReadout).
//
// Rows follow the official CIFAR-10 test order; classes are indexed as in CIFAR-10
// (ClassNames, which is also the alphabetical order of the JPEG class folders). The package
// does not import GoMLX.
//
// The data are licensed CC BY-NC-SA 4.0 (jcpeterson/cifar-10h); the official test labels
// come from cleanlab/label-errors (Apache-2.0).
package cifar10h

import (
	"fmt"
	"math"
	"path/filepath"

	"github.com/coarsealign/coarsealign/pkg/data/fetch"
	"github.com/coarsealign/coarsealign/pkg/data/npy"
)

// NumImages is the number of CIFAR-10 test images; NumClasses the number of classes.
const (
	NumImages  = 10000
	NumClasses = 10
)

// ClassNames are the CIFAR-10 classes in label order (0 = airplane ... 9 = truck).
var ClassNames = [NumClasses]string{
	"airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck",
}

// Subdir is the folder of the data set inside the data directory.
const Subdir = "cifar10h"

// File names inside Subdir.
const (
	CountsFile = "cifar10h-counts.npy"
	ProbsFile  = "cifar10h-probs.npy"
	LabelsFile = "cifar10-test-labels.npy"
)

// Files lists the data set's files with their canonical download address and SHA-256
// (fetch.Check verifies them; Load does when Options.Verify is set).
var Files = []fetch.File{
	{Name: Subdir + "/" + CountsFile,
		URL:    "https://raw.githubusercontent.com/jcpeterson/cifar-10h/master/data/cifar10h-counts.npy",
		SHA256: "9b36b4550349af56c79083356312eb4af856cc5fd3caf1f669d40b9d0bbb69ff"},
	{Name: Subdir + "/" + ProbsFile,
		URL:    "https://raw.githubusercontent.com/jcpeterson/cifar-10h/master/data/cifar10h-probs.npy",
		SHA256: "436ae98620e00073f9d08585ac870573b588853e7af9f54eb1647408114af77d"},
	{Name: Subdir + "/" + LabelsFile,
		URL:    "https://raw.githubusercontent.com/cleanlab/label-errors/main/original_test_labels/cifar10_test_set_original_labels.npy",
		SHA256: "8fba587d5b11011df52b2a20eb4a272eeaf20c2d162554059f714d4b78d23aed"},
}

// Set is the loaded data set. Every slice has one entry per image, in the official test order.
type Set struct {
	// Counts[i][c] is how many people chose class c for image i.
	Counts [][NumClasses]int
	// Probs[i] is Counts[i] normalised to sum to 1 (as read from the probabilities file).
	Probs [][NumClasses]float64
	// Labels[i] is the official CIFAR-10 label of image i, in 0..9.
	Labels []int
}

// Options configure Load. The zero value is usable.
type Options struct {
	// Verify checks each file's SHA-256 against Files before reading it.
	Verify bool
}

// probsTol is how far the probabilities file may differ from counts / row sum
// (the file stores the float64 quotient, so the difference is rounding only).
const probsTol = 1e-9

// Load reads the data set from dataDir/cifar10h and checks it: the shapes (10000 x 10,
// 10000), non-negative integer counts with at least one response per image, probabilities
// equal to the normalised counts, labels that are integers in 0..9 with 1,000 per class.
// Errors name the file and the field (row, column). opts may be nil.
func Load(dataDir string, opts *Options) (*Set, error) {
	if opts != nil && opts.Verify {
		for _, f := range Files {
			if err := fetch.Check(dataDir, f); err != nil {
				return nil, fmt.Errorf("cifar10h: %w", err)
			}
		}
	}
	dir := filepath.Join(dataDir, Subdir)
	counts, err := readMatrix(filepath.Join(dir, CountsFile), NumImages, NumClasses)
	if err != nil {
		return nil, err
	}
	probs, err := readMatrix(filepath.Join(dir, ProbsFile), NumImages, NumClasses)
	if err != nil {
		return nil, err
	}
	labels, err := readMatrix(filepath.Join(dir, LabelsFile), 1, NumImages)
	if err != nil {
		return nil, err
	}
	return newSet(dir, counts, probs, labels)
}

// MustLoad is Load that panics on error, for notebooks.
func MustLoad(dataDir string, opts *Options) *Set {
	s, err := Load(dataDir, opts)
	if err != nil {
		panic(err)
	}
	return s
}

// readMatrix reads a .npy file that must be rows x cols (a 1-D array counts as 1 x n).
func readMatrix(path string, rows, cols int) ([]float64, error) {
	r, c, data, err := npy.ReadMatrix(path)
	if err != nil {
		return nil, fmt.Errorf("cifar10h: %w", err)
	}
	if r != rows || c != cols {
		want := fmt.Sprintf("%d x %d", rows, cols)
		if rows == 1 {
			want = fmt.Sprintf("%d values", cols)
		}
		return nil, fmt.Errorf("cifar10h: %s: shape %d x %d, want %s", path, r, c, want)
	}
	return data, nil
}

// newSet checks the three arrays (flat, row-major) and builds the Set; dir names the files in errors.
func newSet(dir string, counts, probs, labels []float64) (*Set, error) {
	n := len(labels)
	cpath := filepath.Join(dir, CountsFile)
	ppath := filepath.Join(dir, ProbsFile)
	lpath := filepath.Join(dir, LabelsFile)
	s := &Set{
		Counts: make([][NumClasses]int, n),
		Probs:  make([][NumClasses]float64, n),
		Labels: make([]int, n),
	}
	var perClass [NumClasses]int
	for i := 0; i < n; i++ {
		l := labels[i]
		if l != math.Trunc(l) || l < 0 || l >= NumClasses {
			return nil, fmt.Errorf("cifar10h: %s: label of image %d is %v, want an integer in 0..%d", lpath, i, l, NumClasses-1)
		}
		s.Labels[i] = int(l)
		perClass[int(l)]++
		total := 0
		for c := 0; c < NumClasses; c++ {
			v := counts[i*NumClasses+c]
			if v != math.Trunc(v) || v < 0 || v > 1e6 {
				return nil, fmt.Errorf("cifar10h: %s: count of image %d, class %d is %v, want a non-negative integer", cpath, i, c, v)
			}
			s.Counts[i][c] = int(v)
			total += int(v)
		}
		if total == 0 {
			return nil, fmt.Errorf("cifar10h: %s: image %d has no responses", cpath, i)
		}
		for c := 0; c < NumClasses; c++ {
			p := probs[i*NumClasses+c]
			want := float64(s.Counts[i][c]) / float64(total)
			if math.IsNaN(p) || math.Abs(p-want) > probsTol {
				return nil, fmt.Errorf("cifar10h: %s: probability of image %d, class %d is %v, but %s gives %d/%d = %v",
					ppath, i, c, p, CountsFile, s.Counts[i][c], total, want)
			}
			s.Probs[i][c] = p
		}
	}
	if n == NumImages {
		for c, k := range perClass {
			if k != NumImages/NumClasses {
				return nil, fmt.Errorf("cifar10h: %s: %d images of class %d (%s), want %d", lpath, k, c, ClassNames[c], NumImages/NumClasses)
			}
		}
	}
	return s, nil
}

// N returns the number of images.
func (s *Set) N() int { return len(s.Labels) }

// Majority returns the classes most people chose for image i (more than one on a tie), in
// increasing order.
func (s *Set) Majority(i int) []int {
	best := -1
	var top []int
	for c, k := range s.Counts[i] {
		switch {
		case k > best:
			best, top = k, append(top[:0], c)
		case k == best:
			top = append(top, c)
		}
	}
	return top
}

// ImagePaths returns, for each official test index i, the path of its JPEG relative to the
// CIFAR-10 test folder (cifar10-jpg/test), as images.LoadFolder names it in Dataset.Paths:
// "<class>/<rank as 4 digits>.jpg" with class = ClassNames[labels[i]] and rank the number of
// earlier images (j < i) with the same label. That the JPEGs are numbered this way is an
// assumption the real-data test checks (docs/methods.md). It panics on a label outside 0..9.
func ImagePaths(labels []int) []string {
	var rank [NumClasses]int
	out := make([]string, len(labels))
	for i, l := range labels {
		if l < 0 || l >= NumClasses {
			panic(fmt.Sprintf("cifar10h: label %d of image %d outside 0..%d", l, i, NumClasses-1))
		}
		out[i] = ImagePath(l, rank[l])
		rank[l]++
	}
	return out
}

// ImagePath returns the JPEG path, relative to cifar10-jpg/test, of the rank-th (0-based)
// test image of class label in the official order.
func ImagePath(label, rank int) string {
	return fmt.Sprintf("%s/%04d.jpg", ClassNames[label], rank)
}

// ImagePaths returns the JPEG paths of the set's images (see the function ImagePaths).
func (s *Set) ImagePaths() []string { return ImagePaths(s.Labels) }
