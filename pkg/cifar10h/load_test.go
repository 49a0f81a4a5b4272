package cifar10h

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coarsealign/coarsealign/pkg/data/npy"
	"github.com/coarsealign/coarsealign/pkg/datadir"
)

// loadReal loads the real data set or skips the test when it is missing.
func loadReal(t *testing.T) (*Set, string) {
	t.Helper()
	dir := datadir.ForTest(t)
	if _, err := os.Stat(filepath.Join(dir, Subdir, CountsFile)); err != nil {
		datadir.SkipOrFail(t, "cifar10h data not found in %s: %v", dir, err)
	}
	s, err := Load(dir, &Options{Verify: true})
	if err != nil {
		t.Fatal(err)
	}
	return s, dir
}

func TestLoadReal(t *testing.T) {
	s, _ := loadReal(t)
	if s.N() != NumImages {
		t.Fatalf("N = %d", s.N())
	}
	agree, minN, maxN := 0.0, 1<<30, 0
	for i := range s.Labels {
		n := 0
		for _, k := range s.Counts[i] {
			n += k
		}
		minN, maxN = min(minN, n), max(maxN, n)
		if top := s.Majority(i); len(top) == 1 && top[0] == s.Labels[i] {
			agree++
		}
	}
	// data/README.md: 47 to 63 people per image; the majority agrees with the official
	// label on 99.21% of the images.
	if minN != 47 || maxN != 63 {
		t.Errorf("responses per image %d..%d, want 47..63", minN, maxN)
	}
	if got := agree / NumImages; got < 0.990 || got > 0.9925 {
		t.Errorf("majority = official label (strict) on %.4f of images, want about 0.9921", got)
	}
	p := s.ImagePaths()
	if p[0] != ClassNames[s.Labels[0]]+"/0000.jpg" || len(p) != NumImages {
		t.Errorf("first path %q", p[0])
	}
}

func TestImagePaths(t *testing.T) {
	got := ImagePaths([]int{3, 8, 8, 0, 3, 3})
	want := []string{"cat/0000.jpg", "ship/0000.jpg", "ship/0001.jpg", "airplane/0000.jpg", "cat/0001.jpg", "cat/0002.jpg"}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("path %d = %q, want %q", i, got[i], want[i])
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("label 10 did not panic")
		}
	}()
	ImagePaths([]int{10})
}

// writeSet writes a valid synthetic data set (10000 images, 1000 per class, 50 responses
// each) after letting edit change the arrays; it returns the data directory.
func writeSet(t *testing.T, edit func(counts, probs, labels []float64)) string {
	t.Helper()
	counts := make([]float64, NumImages*NumClasses)
	probs := make([]float64, NumImages*NumClasses)
	labels := make([]float64, NumImages)
	for i := range labels {
		l := i % NumClasses
		labels[i] = float64(l)
		counts[i*NumClasses+l] = 45
		counts[i*NumClasses+(l+1)%NumClasses] = 5
		probs[i*NumClasses+l] = 0.9
		probs[i*NumClasses+(l+1)%NumClasses] = 0.1
	}
	if edit != nil {
		edit(counts, probs, labels)
	}
	dir := t.TempDir()
	sub := filepath.Join(dir, Subdir)
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []struct {
		name       string
		rows, cols int
		data       []float64
	}{{CountsFile, NumImages, NumClasses, counts}, {ProbsFile, NumImages, NumClasses, probs}, {LabelsFile, 1, NumImages, labels}} {
		if err := npy.WriteMatrix(filepath.Join(sub, f.name), f.rows, f.cols, f.data); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestLoadValidation(t *testing.T) {
	if _, err := Load(writeSet(t, nil), nil); err != nil {
		t.Fatalf("valid set: %v", err)
	}
	for _, tc := range []struct {
		name string
		edit func(counts, probs, labels []float64)
		want []string // substrings of the error
	}{
		{"fractional count", func(c, p, l []float64) { c[3*NumClasses+3] = 44.5 }, []string{CountsFile, "image 3, class 3"}},
		{"negative count", func(c, p, l []float64) { c[7*NumClasses+2] = -1 }, []string{CountsFile, "image 7, class 2"}},
		{"no responses", func(c, p, l []float64) { c[5*NumClasses+5], c[5*NumClasses+6] = 0, 0 }, []string{CountsFile, "image 5 has no responses"}},
		{"probs inconsistent", func(c, p, l []float64) { p[9*NumClasses+9] = 0.8 }, []string{ProbsFile, "image 9, class 9", "45/50"}},
		{"label out of range", func(c, p, l []float64) { l[11] = 10 }, []string{LabelsFile, "label of image 11"}},
		{"classes unbalanced", func(c, p, l []float64) {
			// image 1 becomes class 0 with consistent counts: 1001 of class 0, 999 of class 1.
			l[1] = 0
		}, []string{LabelsFile, "1001 images of class 0 (airplane)"}},
	} {
		_, err := Load(writeSet(t, tc.edit), nil)
		if err == nil {
			t.Errorf("%s: no error", tc.name)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q does not mention %q", tc.name, err, w)
			}
		}
	}
}

func TestLoadShapeAndChecksum(t *testing.T) {
	dir := writeSet(t, nil)
	p := filepath.Join(dir, Subdir, ProbsFile)
	if err := npy.WriteMatrix(p, NumImages, 9, make([]float64, NumImages*9)); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(dir, nil); err == nil || !strings.Contains(err.Error(), "shape 10000 x 9, want 10000 x 10") || !strings.Contains(err.Error(), ProbsFile) {
		t.Errorf("shape error: %v", err)
	}
	// The synthetic files are not the registered ones: Verify rejects them, naming the file.
	if _, err := Load(writeSet(t, nil), &Options{Verify: true}); err == nil || !strings.Contains(err.Error(), CountsFile) {
		t.Errorf("checksum error: %v", err)
	}
	if _, err := Load(t.TempDir(), nil); err == nil || !strings.Contains(err.Error(), CountsFile) {
		t.Errorf("missing file error: %v", err)
	}
}
