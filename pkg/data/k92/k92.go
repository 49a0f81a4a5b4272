// Package k92 loads the 92-image data set of Kriegeskorte et al. (2008, Neuron)
// as distributed with the RSA toolbox (rsagroup/rsatoolbox, demos/92imageData,
// MIT licence): the 92 stimulus images with their category flags, the macaque
// and human IT RDMs of the paper's figure 1, per-subject and per-session human
// IT fMRI RDMs (4 subjects x 2 sessions) and 16 subjects' similarity-judgement
// RDMs (Mur et al. 2013, Frontiers).
//
// Files live in DATA/kriegeskorte92/ (DATA from datadir.Resolve). Load reads
// and checks them (SHA-256, shapes, symmetry) without touching the network;
// Ensure downloads the missing ones from the canonical address.
//
// Stimulus IDs are "k92-001" ... "k92-092", in the order of the images in
// stimuli_92objs, which is the row/column order of every RDM in the files.
// All RDMs carry these IDs.
package k92

import (
	"context"
	"fmt"
	"image"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"

	"github.com/coarsealign/coarsealign/pkg/data/fetch"
	"github.com/coarsealign/coarsealign/pkg/rdm"
)

// Sizes of the data set.
const (
	// NumImages is the number of stimuli.
	NumImages = 92
	// ImageSize is the height and width of each image in pixels.
	ImageSize = 175
	// NumCategories is the number of columns of categoryVectors.
	NumCategories = 12
	// NumHITSubjects and NumHITSessions shape the human IT fMRI RDMs.
	NumHITSubjects = 4
	NumHITSessions = 2
	// NumBehavSubjects is the number of similarity-judgement subjects.
	NumBehavSubjects = 16
)

// Subdir is the folder of the data set inside the data directory.
const Subdir = "kriegeskorte92"

// File names.
const (
	SupplementalFile = "Kriegeskorte_Neuron2008_supplementalData.mat"
	BrainFile        = "92_brainRDMs.mat"
	BehavFile        = "92_behavRDMs.mat"
)

const baseURL = "https://raw.githubusercontent.com/rsagroup/rsatoolbox/main/demos/92imageData/"

// Files lists the data set's files with their canonical download address and SHA-256.
var Files = []fetch.File{
	{Name: Subdir + "/" + SupplementalFile, URL: baseURL + SupplementalFile,
		SHA256: "06f21214399a5d43dc264eed19a7f4b8daf11c8622a59eec3e106064ce5e3504"},
	{Name: Subdir + "/" + BrainFile, URL: baseURL + BrainFile,
		SHA256: "1743f90a15e895798a94318649e80e1123a7e5943a1703fa1dd7c31ea5780b7c"},
	{Name: Subdir + "/" + BehavFile, URL: baseURL + BehavFile,
		SHA256: "7a8e118c144c3840adeeeef6ea0706a0be2b3e80df719af15fbb56fc62562f5f"},
}

// Set is the loaded 92-image data set. Slices indexed by stimulus have length
// NumImages, in the order of IDs.
type Set struct {
	// IDs are the stimulus IDs "k92-001" ... "k92-092".
	IDs []string
	// Pixels[i] is image i as ImageSize x ImageSize x 3 bytes, row-major with
	// interleaved RGB (pixel (y, x) channel c at (y*ImageSize+x)*3+c).
	Pixels [][]uint8
	// Category is each image's category text from the file (e.g. "human bodypart").
	Category []string
	// Human, Face, Animal and Natural are the per-image flags of stimuli_92objs.
	Human, Face, Animal, Natural []bool
	// CategoryVectors[i][k] reports whether image i belongs to CategoryLabels[k] (92 x 12).
	CategoryVectors [][]bool
	// CategoryLabels are the 12 column names of CategoryVectors ("animate", "inanim", ...).
	CategoryLabels []string

	// MIT is the macaque IT RDM (674 neurons) and HIT the human IT RDM (316 voxels)
	// of figure 1 (RDMs_mIT_hIT_fig1).
	MIT, HIT *rdm.RDM
	// HITSessions[s][k] is the human IT RDM of subject s, session k (92_brainRDMs.mat).
	HITSessions [NumHITSubjects][NumHITSessions]*rdm.RDM
	// HITSubjects[s] is the mean of subject s's two sessions.
	HITSubjects [NumHITSubjects]*rdm.RDM
	// HITSubjectCodes are the subjects' initials from the RDM names (e.g. "BE").
	HITSubjectCodes [NumHITSubjects]string
	// Behav[s] is subject s's similarity-judgement RDM (92_behavRDMs.mat).
	Behav [NumBehavSubjects]*rdm.RDM
	// BehavMean is the mean of the 16 behavioural RDMs.
	BehavMean *rdm.RDM
}

// Image returns image i (0-based) as an *image.NRGBA sharing no memory with the Set.
func (s *Set) Image(i int) image.Image {
	img := image.NewNRGBA(image.Rect(0, 0, ImageSize, ImageSize))
	px := s.Pixels[i]
	for p := 0; p < ImageSize*ImageSize; p++ {
		img.Pix[4*p] = px[3*p]
		img.Pix[4*p+1] = px[3*p+1]
		img.Pix[4*p+2] = px[3*p+2]
		img.Pix[4*p+3] = 255
	}
	return img
}

// CategoryMembers returns, for each image, whether it belongs to the category
// column named label (one of CategoryLabels, e.g. "face").
func (s *Set) CategoryMembers(label string) ([]bool, error) {
	for k, l := range s.CategoryLabels {
		if l == label {
			out := make([]bool, len(s.CategoryVectors))
			for i, row := range s.CategoryVectors {
				out[i] = row[k]
			}
			return out, nil
		}
	}
	return nil, fmt.Errorf("k92: no category %q (have %v)", label, s.CategoryLabels)
}

// ID returns the stimulus ID of image i (0-based): "k92-001" for i = 0.
func ID(i int) string { return fmt.Sprintf("k92-%03d", i+1) }

var (
	cacheMu sync.Mutex
	cache   = map[string]*Set{}
)

// Load reads the data set from dataDir/kriegeskorte92/, verifying each file's
// SHA-256. The result is cached per directory for the life of the process and
// shared: callers must not modify it. Load never downloads; a missing file gives
// an error telling where to get it (see Ensure).
func Load(dataDir string) (*Set, error) {
	dataDir = filepath.Clean(dataDir)
	cacheMu.Lock()
	defer cacheMu.Unlock()
	if s, ok := cache[dataDir]; ok {
		return s, nil
	}
	for _, f := range Files {
		if err := fetch.Check(dataDir, f); err != nil {
			return nil, fmt.Errorf("k92: %w", err)
		}
	}
	s, err := parse(dataDir)
	if err != nil {
		return nil, err
	}
	cache[dataDir] = s
	return s, nil
}

// MustLoad is Load that panics on error, for notebooks.
func MustLoad(dataDir string) *Set {
	s, err := Load(dataDir)
	if err != nil {
		panic(err)
	}
	return s
}

// MirrorEnvVar names an environment variable that, when set, replaces the canonical download
// folder (the rsatoolbox repository's demos/92imageData/) by a mirror URL holding the same three
// files, e.g. an institute's server. The SHA-256 checks stay the same.
const MirrorEnvVar = "COARSEALIGN_K92_MIRROR"

// Ensure downloads the files missing from dataDir/kriegeskorte92/ (verifying SHA-256)
// and checks the ones present. opts may be nil. Files come from $COARSEALIGN_K92_MIRROR
// when set, else from their canonical address.
func Ensure(ctx context.Context, dataDir string, opts *fetch.Options) error {
	files := Files
	if m := os.Getenv(MirrorEnvVar); m != "" {
		files = make([]fetch.File, len(Files))
		for i, f := range Files {
			f.URL = strings.TrimSuffix(m, "/") + "/" + path.Base(f.Name)
			files[i] = f
		}
	}
	if err := fetch.Ensure(ctx, dataDir, files, opts); err != nil {
		return fmt.Errorf("k92: %w", err)
	}
	return nil
}

func parse(dataDir string) (*Set, error) {
	s := &Set{IDs: make([]string, NumImages)}
	for i := range s.IDs {
		s.IDs[i] = ID(i)
	}
	if err := s.parseSupplemental(Files[0].Path(dataDir)); err != nil {
		return nil, err
	}
	if err := s.parseBrain(Files[1].Path(dataDir)); err != nil {
		return nil, err
	}
	if err := s.parseBehav(Files[2].Path(dataDir)); err != nil {
		return nil, err
	}
	return s, nil
}
