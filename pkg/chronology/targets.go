// Package chronology measures when alignment emerges along training (Raugel et al. 2025,
// arXiv 2508.18226; docs/methods.md section 2; docs/chronology.md): alignment against
// training step per target and layer, the half-life of each target (the step at which its
// score first reaches half of its final gain over initialisation) with bootstrap CIs over
// stimulus subsamples, the best-matching layer's relative depth per step, and the effects of
// model size, training amount and image domain on alignment (factors.go). It never imports
// GoMLX: it works on features (pkg/eval.Features) and RDMs.
package chronology

import (
	"fmt"
	"math"
	"path/filepath"
	"slices"

	"github.com/coarsealign/coarsealign/pkg/data/k92"
	"github.com/coarsealign/coarsealign/pkg/data/matfile"
	"github.com/coarsealign/coarsealign/pkg/rdm"
)

// ModelRDMsFile is the rsatoolbox file of image-computable and categorical model RDMs of the
// 92 images (demos/92imageData; ../shared/data README): a 1x8 struct Models (name, RDM 92x92).
const ModelRDMsFile = "92_modelRDMs.mat"

// ImageModels are the low-level image-computable models scored as the first processing level:
// a V1 model, HMAX and the silhouette model. They are models of the stimuli, not brain data.
var ImageModels = []string{"V1", "HMAX", "Silhouette"}

// Levels of processing of the targets, in order.
const (
	LevelImage = 1 // image-computable low-level models (not brain data)
	LevelMIT   = 2 // macaque IT
	LevelHIT   = 3 // human IT
	LevelBehav = 4 // human similarity judgements
)

// LevelName names a level for figures and tables.
func LevelName(level int) string {
	switch level {
	case LevelImage:
		return "image model (not brain data)"
	case LevelMIT:
		return "macaque IT"
	case LevelHIT:
		return "human IT"
	case LevelBehav:
		return "human judgements"
	}
	return fmt.Sprintf("level %d", level)
}

// Target is one target of the chronology with its processing level.
type Target struct {
	// Name is the results table's target name: "model:V1", "mIT", "hIT-mean", "behav-mean".
	Name  string
	Level int
	RDM   *rdm.RDM
}

// ModelTargetPrefix prefixes the names of image-model targets ("model:V1").
const ModelTargetPrefix = "model:"

// LoadModelRDMs reads the model RDMs names (e.g. ImageModels) from dataDir/kriegeskorte92/
// 92_modelRDMs.mat, with the 92 images' IDs (k92.ID), as "model:NAME". An error names the
// file and the missing or malformed model.
func LoadModelRDMs(dataDir string, names []string) ([]*rdm.RDM, error) {
	path := filepath.Join(dataDir, k92.Subdir, ModelRDMsFile)
	f, err := matfile.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("chronology: %w", err)
	}
	v, err := f.Var("Models")
	if err != nil {
		return nil, fmt.Errorf("chronology: %s: %w", path, err)
	}
	st, ok := v.(*matfile.Struct)
	if !ok {
		return nil, fmt.Errorf("chronology: %s: Models is a %s array, want struct", path, v.Class())
	}
	n := 1
	for _, d := range st.Dims {
		n *= d
	}
	ids := make([]string, k92.NumImages)
	for i := range ids {
		ids[i] = k92.ID(i)
	}
	found := map[string]*rdm.RDM{}
	for k := range n {
		nv, err := st.Field("name", k)
		if err != nil {
			return nil, fmt.Errorf("chronology: %s: Models(%d).name: %w", path, k+1, err)
		}
		c, ok := nv.(*matfile.Char)
		if !ok || !slices.Contains(names, c.String()) {
			continue
		}
		rv, err := st.Field("RDM", k)
		if err != nil {
			return nil, fmt.Errorf("chronology: %s: Models(%d).RDM: %w", path, k+1, err)
		}
		num, ok := rv.(*matfile.Numeric)
		if !ok || len(num.Dims) != 2 || num.Dims[0] != k92.NumImages || num.Dims[1] != k92.NumImages {
			return nil, fmt.Errorf("chronology: %s: Models(%d).RDM (%s) is not a 92x92 numeric matrix", path, k+1, c.String())
		}
		sq := make([]float64, k92.NumImages*k92.NumImages)
		for i := range k92.NumImages {
			for j := range k92.NumImages {
				x := num.Data[i+k92.NumImages*j] // column-major
				if math.IsNaN(x) || math.IsInf(x, 0) {
					return nil, fmt.Errorf("chronology: %s: Models(%d).RDM (%s) element (%d,%d) is %g", path, k+1, c.String(), i+1, j+1, x)
				}
				sq[i*k92.NumImages+j] = x
			}
		}
		r, err := rdm.FromSquare(ModelTargetPrefix+c.String(), sq, k92.NumImages, ids)
		if err != nil {
			return nil, fmt.Errorf("chronology: %s: Models(%d).RDM (%s): %w", path, k+1, c.String(), err)
		}
		found[c.String()] = r
	}
	out := make([]*rdm.RDM, len(names))
	for i, name := range names {
		if out[i] = found[name]; out[i] == nil {
			return nil, fmt.Errorf("chronology: %s: no model named %q in Models", path, name)
		}
	}
	return out, nil
}

// TargetLevel returns the processing level of a results-table target name, or 0 for others.
func TargetLevel(name string) int {
	switch {
	case len(name) > len(ModelTargetPrefix) && name[:len(ModelTargetPrefix)] == ModelTargetPrefix:
		return LevelImage
	case name == "mIT":
		return LevelMIT
	case name == "hIT-mean":
		return LevelHIT
	case name == "behav-mean":
		return LevelBehav
	}
	return 0
}

// Targets returns the chronology's targets in processing order: the image models (ImageModels
// of 92_modelRDMs.mat), macaque IT, the human IT mean and the similarity-judgement mean of set.
func Targets(dataDir string, set *k92.Set) ([]Target, error) {
	ms, err := LoadModelRDMs(dataDir, ImageModels)
	if err != nil {
		return nil, err
	}
	var out []Target
	for _, m := range ms {
		out = append(out, Target{Name: m.Name, Level: LevelImage, RDM: m})
	}
	hit, err := rdm.Mean("hIT-mean", set.HITSubjects[:])
	if err != nil {
		return nil, fmt.Errorf("chronology: %w", err)
	}
	return append(out, Target{Name: "mIT", Level: LevelMIT, RDM: set.MIT},
		Target{Name: "hIT-mean", Level: LevelHIT, RDM: hit},
		Target{Name: "behav-mean", Level: LevelBehav, RDM: set.BehavMean}), nil
}
