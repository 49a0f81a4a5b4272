package sweep

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/coarsealign/coarsealign/pkg/coarse"
	"github.com/coarsealign/coarsealign/pkg/data/images"
	"github.com/coarsealign/coarsealign/pkg/data/k92"
	"github.com/coarsealign/coarsealign/pkg/data/npy"
	"github.com/coarsealign/coarsealign/pkg/rdm"
)

// CIFAR10TrainPerClass is the number of training images per class of the CIFAR-10 binary
// release (50,000 images, 10 classes): what a sweep with data.source cifar10 reads when the
// data folder has no cifar10-jpg/train folder (downloading the release if it is missing).
const CIFAR10TrainPerClass = 5000

// Check validates c (Validate) and checks what its runs need from disk before any work starts
// (CheckRuns): one *ConfigError lists every problem. The warnings (Warnings and CheckRuns')
// name settings that have no effect or are capped, such as a data.per_class above the size of
// some classes.
func (c *Config) Check(dataDir string) (warnings []string, err error) {
	var p problems
	c.validate(&p)
	w, list := checkRuns(c.Expand(), dataDir, false)
	p.list = appendNew(p.list, list...)
	return appendNew(c.Warnings(), w...), p.err("")
}

// CheckRuns checks runs (e.g. the pending runs of a sweep) before any stage runs, so that a
// mistake surfaces at once rather than minutes or hours into a sweep: each run's settings
// (as Validate), and where cheap what they need from disk, data under dataDir:
//
//   - the training images: the class folders exist and none is empty (images.CountFolder;
//     source cifar10: cifar10-jpg/train, else the binary release, CIFAR10TrainPerClass per class),
//     data.per_class is not above every class's size (an error: every class would be kept whole
//     while the results table records data.per_class) and, above some classes' sizes, a warning
//     names the classes that are kept whole; train.batch is not above the training images (no
//     optimiser step would run) and coarse runs have more training images than labels.pcs;
//   - a .npy label source: the file exists, its header is sound (npy.ReadHeader), it is a 2-D
//     matrix with at least labels.pcs columns and one row per training image (or an .ids file
//     beside it with one ID per row and at least as many rows);
//   - eval.targets: the .npy files exist and hold an RDM of the 92 stimuli (92 x 92, checked
//     for symmetry, or its 4186-vector) or a 92 x units response matrix.
//
// Paths of label sources and targets are relative to the working directory, as the stages
// read them. Problems are returned together in one *ConfigError whose fields are the config's
// ("data.per_class", "label_sources", "eval.targets[0].rdm"); warnings are returned apart.
func CheckRuns(runs []Run, dataDir string) (warnings []string, err error) {
	warnings, list := checkRuns(runs, dataDir, true)
	return warnings, (&problems{list: list}).err("")
}

// appendNew appends the elements of add that list does not hold yet.
func appendNew[T comparable](list []T, add ...T) []T {
	for _, a := range add {
		if !slices.Contains(list, a) {
			list = append(list, a)
		}
	}
	return list
}

// trainingImages is what checkRuns knows of a data setting's training images.
type trainingImages struct {
	desc    string // where they are
	classes []images.ClassCount
	// n is the number of images of the per-class subset; train the size of its training part.
	n, train int
}

// countImages counts the training images of d (see CheckRuns), adding problems and warnings.
func countImages(d Data, dataDir string, p *problems, warn func(string)) (trainingImages, bool) {
	var t trainingImages
	switch d.Source {
	case "cifar10":
		jpg := filepath.Join(dataDir, "cifar10-jpg", "train")
		if st, err := os.Stat(jpg); err == nil && st.IsDir() {
			cs, err := images.CountFolder(jpg)
			if err != nil {
				p.add("data.source", "cifar10: %v", err)
				return t, false
			}
			t.desc, t.classes = jpg, cs
		} else {
			t.desc = "the CIFAR-10 binary release"
			for _, c := range images.CIFAR10Classes {
				t.classes = append(t.classes, images.ClassCount{Name: c, Files: CIFAR10TrainPerClass})
			}
		}
	case "fashion-mnist":
		t.desc = "Fashion-MNIST"
		for _, c := range fashionClasses() {
			t.classes = append(t.classes, images.ClassCount{Name: c, Files: FashionTrainPerClass})
		}
	case "images":
		if d.Path == "" {
			return t, false // Validate reports it
		}
		root := d.Path
		if !filepath.IsAbs(root) {
			root = filepath.Join(dataDir, root)
		}
		cs, err := images.CountFolder(root)
		if err != nil {
			p.add("data.path", "%v", err)
			return t, false
		}
		t.desc, t.classes = root, cs
	default:
		return t, false
	}
	largest := slices.MaxFunc(t.classes, func(a, b images.ClassCount) int { return a.Files - b.Files })
	var short []string
	for _, c := range t.classes {
		n := c.Files
		if d.PerClass > 0 && d.PerClass < n {
			n = d.PerClass
		}
		if d.PerClass > c.Files {
			short = append(short, fmt.Sprintf("%s: %d", c.Name, c.Files))
		}
		t.n += n
	}
	switch {
	case d.PerClass > largest.Files:
		p.add("data.per_class", "%d is more than any class of %s holds (the largest, %s, has %d images): every class would be kept whole while the results table records %d; use 0 for every image, or at most %d",
			d.PerClass, t.desc, largest.Name, largest.Files, d.PerClass, largest.Files)
	case len(short) > 0:
		if len(short) > 8 {
			short = append(short[:8], "...")
		}
		warn(fmt.Sprintf("field data.per_class: %d is more than %d of the %d classes of %s hold (%s); those classes are kept whole (data.per_class caps each class)",
			d.PerClass, len(short), len(t.classes), t.desc, strings.Join(short, ", ")))
	}
	t.train = t.n - int(float64(t.n)*d.ValFraction+0.5) // images.SplitIndices
	return t, true
}

// checkRuns does the work of CheckRuns; settings reports whether to validate each run's
// settings too (Check validated the config already).
func checkRuns(runs []Run, dataDir string, settings bool) (warnings []string, list []Problem) {
	var p problems
	warn := func(w string) {
		if w != "" {
			warnings = appendNew(warnings, w)
		}
	}
	if settings { // Check has validated the config and has its warnings already
		for _, r := range runs {
			validateRun(&p, r)
			warn(archWarning(fmt.Sprintf("archs[%s]", r.Arch.Name), r.Arch))
			warn(dataWarning(r.Data))
		}
	}
	// The checks below read the disk; those that depend on a setting skip an invalid one
	// (reported above or by Validate).
	counted := map[Data]trainingImages{}
	failed := map[Data]bool{}
	sources := map[string]bool{}
	targets := map[EvalTarget]bool{}
	for _, r := range runs {
		t, ok := counted[r.Data]
		if !ok && !failed[r.Data] {
			if t, ok = countImages(r.Data, dataDir, &p, warn); ok {
				counted[r.Data] = t
			} else {
				failed[r.Data] = true
			}
		}
		k, coarseRun := r.K()
		if ok && r.Data.ValFraction >= 0 && r.Data.ValFraction < 1 {
			if r.Granularity != Untrained && r.Train.Batch > t.train {
				p.add("train.batch", "%d is more than the %d training images (%d images of %s with data.per_class %d, %v held out): no optimiser step would run",
					r.Train.Batch, t.train, t.n, t.desc, r.Data.PerClass, r.Data.ValFraction)
			}
			if coarseRun && r.Labels.PCs >= 1 && t.train <= r.Labels.PCs {
				p.add("labels.pcs", "%d components need more than the %d training images (K=%d runs)", r.Labels.PCs, t.train, k)
			}
		}
		if coarseRun && strings.HasSuffix(r.LabelSource, ".npy") {
			key := fmt.Sprintf("%s|%d|%v", r.LabelSource, r.Labels.PCs, r.Data)
			if !sources[key] {
				sources[key] = true
				n := -1
				if ok {
					n = t.n
				}
				checkSourceNPY(&p, r.LabelSource, r.Labels.PCs, n, t.desc)
			}
		}
		for i, tg := range r.Eval.Targets {
			if !targets[tg] {
				targets[tg] = true
				checkTarget(&p, fmt.Sprintf("eval.targets[%d]", i), tg)
			}
		}
	}
	return warnings, appendNew([]Problem(nil), p.list...)
}

// validateRun adds the problems of one run's settings to p (the checks of Validate that apply
// to a run; fields as in the config, the architecture named by its name).
func validateRun(p *problems, r Run) {
	f := fmt.Sprintf("archs[%s]", r.Arch.Name)
	validateArch(p, f, r.Arch)
	switch k, coarseRun := r.K(); {
	case coarseRun:
		if k < 2 || k&(k-1) != 0 || r.Labels.PCs < 1 || r.Labels.PCs > MaxPCs || k > 1<<r.Labels.PCs {
			p.add("granularity", "K=%d with labels.pcs=%d: want a power of two in [2, 2^pcs] and pcs in [1,%d]", k, r.Labels.PCs, MaxPCs)
		}
		switch s := r.LabelSource; {
		case s == SourceFineNet, s == SourcePixels, s == SourceUntrainedNet, strings.HasSuffix(s, ".npy"):
		default:
			p.add("label_sources", "%q is not %s, %s, %s or a .npy file", s, SourceFineNet, SourcePixels, SourceUntrainedNet)
		}
	case !isBaseline(r.Granularity):
		p.add("granularity", "%q is neither a power of two nor %q/%q/%q", r.Granularity, Fine, Untrained, SSL)
	}
	if r.Granularity != Untrained {
		validateTrain(p, r.Train)
	}
	validateData(p, r.Data)
	r.Eval.validate(p)
}

// checkSourceNPY checks the .npy label source path: n is the number of training images (-1:
// unknown), desc where they are.
func checkSourceNPY(p *problems, path string, pcs, n int, desc string) {
	const f = "label_sources"
	h, err := npy.ReadHeader(path)
	if err != nil {
		p.add(f, "%q: %v", path, err)
		return
	}
	if len(h.Shape) != 2 {
		p.add(f, "%q has shape %v; want a 2-D matrix, one row per training image and one column per embedding dimension", path, h.Shape)
		return
	}
	rows, cols := h.Shape[0], h.Shape[1]
	if pcs >= 1 && pcs <= MaxPCs && cols < pcs {
		p.add(f, "%q has %d columns, fewer than the labels.pcs=%d components the median splits need", path, cols, pcs)
	}
	idsPath := strings.TrimSuffix(path, ".npy") + ".ids"
	if _, err := os.Stat(idsPath); err == nil {
		ids, err := coarse.ReadIDs(idsPath)
		switch {
		case err != nil:
			p.add(f, "%q: %v", path, err)
		case len(ids) != rows:
			p.add(f, "%q has %d rows but %s has %d IDs (one per row)", path, rows, idsPath, len(ids))
		case n >= 0 && rows < n:
			p.add(f, "%q has %d rows (matched by %s), fewer than the %d training images of %s", path, rows, idsPath, n, desc)
		}
		return
	}
	if n >= 0 && rows != n {
		p.add(f, "%q has %d rows for the %d training images of %s (add %s with one image path per row to match rows by ID)",
			path, rows, n, desc, filepath.Base(idsPath))
	}
}

// checkTarget checks the files of the eval target t (field f).
func checkTarget(p *problems, f string, t EvalTarget) {
	const n = k92.NumImages
	path, f := t.RDM, f+".rdm"
	if path == "" {
		path, f = t.Responses, strings.TrimSuffix(f, ".rdm")+".responses"
	}
	h, err := npy.ReadHeader(path)
	if err != nil {
		p.add(f, "%q: %v", path, err)
		return
	}
	s := h.Shape
	if t.Responses != "" {
		if len(s) != 2 || s[0] != n || s[1] < 1 {
			p.add(f, "%q has shape %v; want %d stimuli x units (the 92-image set, in its order)", path, s, n)
		}
		return
	}
	m := rdm.NumPairs(n)
	switch {
	case len(s) == 2 && s[0] == n && s[1] == n:
		if _, err := npy.ReadRDM(path); err != nil { // symmetry and zero diagonal: 92 x 92 is small
			p.add(f, "%v", err)
		}
	case len(s) == 1 && s[0] == m, len(s) == 2 && (s[0] == 1 && s[1] == m || s[0] == m && s[1] == 1):
	default:
		p.add(f, "%q has shape %v; want an RDM of the %d stimuli: %d x %d, or its upper triangle of %d values", path, s, n, n, n, m)
	}
}
