// Package run trains the models of a spatial-latent study (pkg/spatial): renders of pkg/scenes
// per model, AlexNet-BN trained through the train.Objective hook with Objective, and the
// features of the probe renders and of the 92 images, cached on disk.
package run

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"time"

	"github.com/coarsealign/coarsealign/pkg/backend"
	"github.com/coarsealign/coarsealign/pkg/data/k92"
	"github.com/coarsealign/coarsealign/pkg/features"
	"github.com/coarsealign/coarsealign/pkg/models"
	"github.com/coarsealign/coarsealign/pkg/scenes"
	"github.com/coarsealign/coarsealign/pkg/spatial"
	"github.com/coarsealign/coarsealign/pkg/train"
	"github.com/gomlx/compute"
)

// Logf is where progress goes (nil: nowhere).
type Logf func(format string, args ...any)

// Reps returns every model's features of the probe renders (probe true) or of the 92 images.
func (s *Study) Reps(probe bool) []spatial.Rep {
	out := make([]spatial.Rep, len(s.Models))
	for i, m := range s.Models {
		src := m.K92
		if probe {
			src = m.Probe
		}
		out[i] = spatial.Rep{Model: m.Name}
		for _, l := range src {
			out[i].Layers = append(out[i].Layers, spatial.Layer{Name: l.Name, Rows: l.Rows, Cols: l.Cols, Data: l.Data})
		}
	}
	return out
}

// Trained is a model's run and its features: every tap and the logits of the probe renders and
// of the 92 images.
type Trained struct {
	spatial.Model
	Run         *train.Run
	Probe, K92  []features.Layer
	TestMetrics map[string]float64
}

func normalization(pix []uint8) train.Normalization {
	var sum, sq [3]float64
	n := len(pix) / 3
	for p := 0; p < n; p++ {
		for c := range 3 {
			v := float64(pix[3*p+c]) / 255
			sum[c] += v
			sq[c] += v * v
		}
	}
	out := train.Normalization{Mean: make([]float64, 3), Std: make([]float64, 3)}
	for c := range 3 {
		m := sum[c] / float64(n)
		out.Mean[c] = m
		out.Std[c] = math.Sqrt(max(sq[c]/float64(n)-m*m, 1e-12))
	}
	return out
}

// memory returns n renders as normalised training data with the regression target of std.
// Labels are the categories when category is a target, else 0 (unused; the trainer checks them
// against the number of outputs).
func memory(pix []uint8, lat []scenes.Latents, size, batch int, norm train.Normalization, std *spatial.Standardizer, withCategory bool, seed uint64, shuffle bool) *train.MemoryData {
	x := make([]float32, len(pix))
	for p := range len(pix) / 3 {
		for c := range 3 {
			x[3*p+c] = float32((float64(pix[3*p+c])/255 - norm.Mean[c]) / norm.Std[c])
		}
	}
	d := &train.MemoryData{Images: x, Labels: make([]int32, len(lat)), H: size, W: size, C: 3, BatchSize: batch, Seed: seed, Shuffle: shuffle}
	for i := range lat {
		if withCategory {
			d.Labels[i] = int32(lat[i].Category)
		}
	}
	if len(std.Columns) > 0 {
		d.Targets = map[string]train.Target{TargetName: {Shape: []int{len(lat), len(std.Columns)}, Data: std.Target(lat)}}
	}
	return d
}

// Study holds what Run computes: the probe renders and every trained model with its features.
type Study struct {
	Config     spatial.Config
	ProbePix   []uint8
	ProbeLat   []scenes.Latents
	Models     []*Trained
	K92IDs     []string
	K92Pixels  [][]uint8
	Categories []string
}

// Run trains (or resumes, or reuses when finished) every model of c under out/models/<name>/train
// and extracts the features of the probe renders and of the 92 images (cached under
// out/models/<name>/{probe,k92}). dataDir holds kriegeskorte92/ (and cifar10-jpg/ for CIFAR
// backgrounds).
func Run(ctx context.Context, c spatial.Config, out, dataDir string, logf Logf) (*Study, error) {
	if logf == nil {
		logf = func(string, ...any) {}
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	set, err := k92.Load(dataDir)
	if err != nil {
		return nil, err
	}
	b, err := backend.New()
	if err != nil {
		return nil, err
	}
	scene, err := scenes.NewScene(c.Scene, dataDir)
	if err != nil {
		return nil, err
	}
	k := c.Scene.NumCategories()
	st := &Study{Config: c, K92IDs: set.IDs, K92Pixels: set.Pixels}
	for i := range k {
		st.Categories = append(st.Categories, c.Scene.CategoryName(i))
	}
	size := c.Scene.Size
	st.ProbePix, st.ProbeLat = scene.RenderBatch(uint64(c.Seed)*1000+2, 0, c.ProbeImages, 0)
	for _, m := range c.Models() {
		t0 := time.Now()
		sc := c.Scene
		if m.Fixed {
			sc = spatial.FixedScene(sc, m.Target)
		}
		ms, err := scenes.NewScene(sc, dataDir)
		if err != nil {
			return nil, fmt.Errorf("model %s: %w", m.Name, err)
		}
		pix, lat := ms.RenderBatch(uint64(c.Seed)*1000+1, 0, c.TrainImages, 0)
		norm := normalization(pix)
		std, err := spatial.FitStandardizer(spatial.Columns(m.Target.Latents), lat)
		if err != nil {
			return nil, fmt.Errorf("model %s: %w", m.Name, err)
		}
		obj := Objective(m.Target, k)
		tc := train.Config{Model: models.DefaultAlexNetBN(spatial.Outputs(m.Target, k), size, c.Width), Recipe: train.DefaultRecipe(),
			Seed: int64(c.Seed), BatchSize: c.Batch, Epochs: c.Epochs, Norm: norm,
			Data: map[string]string{"source": "pkg/scenes", "images": fmt.Sprint(c.TrainImages), "fixed_non_targets": fmt.Sprint(m.Fixed)}}
		tc.Recipe.WarmupEpochs = min(tc.Recipe.WarmupEpochs, float64(c.Epochs)/2)
		name := m.Name
		if m.Untrained {
			name = c.Targets[0].Name
		}
		dir := filepath.Join(out, "models", name, "train")
		tr := &Trained{Model: m}
		data := memory(pix, lat, size, c.Batch, norm, std, m.Target.HasCategory(), uint64(c.Seed), true)
		test := memory(st.ProbePix, st.ProbeLat, size, c.Batch, norm, std, m.Target.HasCategory(), 0, false)
		if s, err := train.ReadState(dir); err != nil || !s.Complete() {
			trn, err := train.New(b, tc, dir, data.StepsPerEpoch(), train.WithObjective(obj))
			if err != nil {
				return nil, fmt.Errorf("model %s: %w", m.Name, err)
			}
			logf("training %s (%d renders x %d epochs, objective %s)", m.Name, c.TrainImages, c.Epochs, obj.Name)
			res, err := trn.Fit(ctx, data, test)
			if err != nil {
				return nil, fmt.Errorf("model %s: %w", m.Name, err)
			}
			tr.TestMetrics = res.TestMetrics
		}
		step := -1
		if m.Untrained {
			step = 0
		}
		if tr.Run, err = train.OpenRun(dir, step); err != nil {
			return nil, fmt.Errorf("model %s: %w", m.Name, err)
		}
		fdir := filepath.Join(out, "models", m.Name)
		if tr.Probe, err = cachedFeatures(b, tr.Run, filepath.Join(fdir, "probe"), splitPixels(st.ProbePix, size, c.ProbeImages), size, "spatial-probe"); err != nil {
			return nil, fmt.Errorf("model %s: %w", m.Name, err)
		}
		if tr.K92, err = cachedFeatures(b, tr.Run, filepath.Join(fdir, "k92"), set.Pixels, k92.ImageSize, "kriegeskorte92"); err != nil {
			return nil, fmt.Errorf("model %s: %w", m.Name, err)
		}
		logf("model %s ready in %.0fs (test metrics %v)", m.Name, time.Since(t0).Seconds(), tr.TestMetrics)
		st.Models = append(st.Models, tr)
	}
	return st, nil
}

func splitPixels(pix []uint8, size, n int) [][]uint8 {
	out := make([][]uint8, n)
	sz := size * size * 3
	for i := range out {
		out[i] = pix[i*sz : (i+1)*sz]
	}
	return out
}

// cachedFeatures loads dir's features if present, else extracts them (in chunks of 256
// stimuli) and saves them there.
func cachedFeatures(be compute.Backend, run *train.Run, dir string, pixels [][]uint8, side int, stimuli string) ([]features.Layer, error) {
	if _, layers, err := features.Load(dir); err == nil && len(layers) > 0 && layers[0].Rows == len(pixels) {
		return layers, nil
	}
	spec := run.Config.Model
	x, err := features.Preprocess(pixels, side, side, spec.InputSize, run.Config.Norm)
	if err != nil {
		return nil, err
	}
	ex, err := features.NewExtractor(be, spec, run.Store)
	if err != nil {
		return nil, err
	}
	sz := spec.InputSize * spec.InputSize * 3
	var layers []features.Layer
	for lo := 0; lo < len(pixels); lo += 256 {
		hi := min(lo+256, len(pixels))
		part, err := ex.Extract(x[lo*sz:hi*sz], hi-lo)
		if err != nil {
			return nil, err
		}
		if layers == nil {
			layers = part
			for i := range layers {
				L := &layers[i]
				d := make([]float32, len(pixels)*L.Cols)
				copy(d, L.Data)
				L.Data, L.Rows = d, len(pixels)
			}
			continue
		}
		for i := range part {
			copy(layers[i].Data[lo*layers[i].Cols:], part[i].Data)
		}
	}
	ids := make([]string, len(pixels))
	for i := range ids {
		ids[i] = fmt.Sprintf("%s-%04d", stimuli, i)
	}
	if err := features.Save(dir, layers, features.Index{Run: run.Dir, Step: run.Step, Stimuli: stimuli, IDs: ids}); err != nil {
		return nil, err
	}
	return layers, nil
}
