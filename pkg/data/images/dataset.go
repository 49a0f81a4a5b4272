package images

import (
	"fmt"
	"math"
)

// Dataset is a set of equally sized RGB images held in memory as uint8.
type Dataset struct {
	// Source describes where the images came from (an absolute folder path or a CIFAR file set).
	Source string
	// Classes are the class names; Labels index into it.
	Classes []string
	// N is the number of images; H and W their height and width in pixels.
	N, H, W int
	// Pix holds the pixels, N x H x W x 3 (NHWC, RGB), row-major, length N*H*W*3.
	Pix []uint8
	// Labels holds one class index per image, length N, each in [0, len(Classes)).
	Labels []int32
	// Paths holds an ID per image, length N: the path relative to the folder root
	// (slash-separated) for LoadFolder, "file.bin#record" for CIFAR.
	Paths []string
	// Stats are the per-channel mean and standard deviation of Pix in [0,1] units.
	Stats Stats
	// Skipped lists the images dropped as corrupt under SkipCorrupt.
	Skipped []Skipped

	mapped []byte // the memory mapping behind Pix, if loaded from the cache
}

// Skipped names an image that could not be decoded and why.
type Skipped struct {
	Path string `json:"path"`
	Err  string `json:"error"`
}

// Stats are per-channel (R, G, B) statistics of pixel values scaled to [0,1].
type Stats struct {
	Mean [3]float64 `json:"mean"`
	Std  [3]float64 `json:"std"`
}

// ImageSize returns H*W*3, the number of bytes of one image in Pix.
func (ds *Dataset) ImageSize() int { return ds.H * ds.W * 3 }

// Image returns the H x W x 3 pixels of image i (a sub-slice of Pix, not a copy).
func (ds *Dataset) Image(i int) []uint8 {
	s := ds.ImageSize()
	return ds.Pix[i*s : (i+1)*s]
}

// ClassCounts returns the number of images per class, length len(Classes).
func (ds *Dataset) ClassCounts() []int {
	c := make([]int, len(ds.Classes))
	for _, l := range ds.Labels {
		c[l]++
	}
	return c
}

// ComputeStats returns the per-channel mean and (population) standard deviation
// of the images idx of ds in [0,1] units; idx nil means all images.
// A channel with zero spread gets std 1 so that normalisation stays finite.
func ComputeStats(ds *Dataset, idx []int) Stats {
	var sum, sq [3]float64
	count := 0
	add := func(img []uint8) {
		var s, q [3]uint64
		for p := 0; p < len(img); p += 3 {
			for c := 0; c < 3; c++ {
				v := uint64(img[p+c])
				s[c] += v
				q[c] += v * v
			}
		}
		for c := 0; c < 3; c++ {
			sum[c] += float64(s[c])
			sq[c] += float64(q[c])
		}
		count += len(img) / 3
	}
	if idx == nil {
		for i := 0; i < ds.N; i++ {
			add(ds.Image(i))
		}
	} else {
		for _, i := range idx {
			add(ds.Image(i))
		}
	}
	var st Stats
	for c := 0; c < 3; c++ {
		st.Std[c] = 1
		if count == 0 {
			continue
		}
		m := sum[c] / float64(count)
		v := sq[c]/float64(count) - m*m
		st.Mean[c] = m / 255
		if v > 0 {
			st.Std[c] = math.Sqrt(v) / 255
		}
	}
	return st
}

// Subset returns a new Dataset holding copies of images idx (in that order),
// with Stats recomputed over the subset. It panics if an index is out of range.
func (ds *Dataset) Subset(idx []int) *Dataset {
	s := ds.ImageSize()
	out := &Dataset{
		Source:  ds.Source,
		Classes: ds.Classes,
		N:       len(idx),
		H:       ds.H,
		W:       ds.W,
		Pix:     make([]uint8, len(idx)*s),
		Labels:  make([]int32, len(idx)),
		Paths:   make([]string, len(idx)),
		Skipped: ds.Skipped,
	}
	for j, i := range idx {
		if i < 0 || i >= ds.N {
			panic(fmt.Sprintf("images: Subset index %d out of range [0,%d)", i, ds.N))
		}
		copy(out.Pix[j*s:(j+1)*s], ds.Image(i))
		out.Labels[j] = ds.Labels[i]
		out.Paths[j] = ds.Paths[i]
	}
	out.Stats = ComputeStats(out, nil)
	return out
}

// WithLabels returns a shallow copy of ds (sharing Pix and Paths) whose labels
// are replaced by labels (length N, aligned by index) and whose class names are
// classes. If classes is nil, the classes are named "0", "1", ..., max(labels).
func (ds *Dataset) WithLabels(labels []int32, classes []string) (*Dataset, error) {
	if len(labels) != ds.N {
		return nil, fmt.Errorf("images: %d labels for %d images", len(labels), ds.N)
	}
	maxL := int32(-1)
	for i, l := range labels {
		if l < 0 {
			return nil, fmt.Errorf("images: label %d of image %d (%s) is negative", l, i, ds.Paths[i])
		}
		maxL = max(maxL, l)
	}
	if classes == nil {
		classes = make([]string, maxL+1)
		for i := range classes {
			classes[i] = fmt.Sprint(i)
		}
	}
	if int(maxL) >= len(classes) {
		return nil, fmt.Errorf("images: label %d but only %d class names", maxL, len(classes))
	}
	out := *ds
	out.mapped = nil // the copy shares Pix; only ds.Close unmaps it
	out.Labels = append([]int32(nil), labels...)
	out.Classes = classes
	return &out, nil
}

// AlignLabels returns a label vector in the order of ds.Paths from an external
// vector labels given for ids (one ID per label; an ID is an image's path as in
// Paths). Every image of ds must have an ID; extra IDs are ignored. The error
// names the first image without a label or the first duplicated ID.
func (ds *Dataset) AlignLabels(ids []string, labels []int32) ([]int32, error) {
	if len(ids) != len(labels) {
		return nil, fmt.Errorf("images: %d IDs but %d labels", len(ids), len(labels))
	}
	pos := make(map[string]int, len(ids))
	for i, id := range ids {
		if _, dup := pos[id]; dup {
			return nil, fmt.Errorf("images: duplicated ID %q in external labels", id)
		}
		pos[id] = i
	}
	out := make([]int32, ds.N)
	for i, p := range ds.Paths {
		j, ok := pos[p]
		if !ok {
			return nil, fmt.Errorf("images: no external label for image %q", p)
		}
		out[i] = labels[j]
	}
	return out, nil
}

// WithIDs returns the images of ds whose path is among ids (in ds's order), for labels fitted
// on a subset of a data set (e.g. a per-class subset). It returns ds itself when every image is
// covered, and an error when none is.
func (ds *Dataset) WithIDs(ids []string) (*Dataset, error) {
	has := make(map[string]bool, len(ids))
	for _, id := range ids {
		has[id] = true
	}
	var keep []int
	for i, p := range ds.Paths {
		if has[p] {
			keep = append(keep, i)
		}
	}
	switch {
	case len(keep) == 0:
		return nil, fmt.Errorf("images: none of %d IDs is an image of this data set", len(ids))
	case len(keep) == ds.N:
		return ds, nil
	}
	return ds.Subset(keep), nil
}
