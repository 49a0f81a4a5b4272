package spatial

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/coarsealign/coarsealign/pkg/backend"
	"github.com/coarsealign/coarsealign/pkg/data/k92"
	"github.com/coarsealign/coarsealign/pkg/features"
	"github.com/coarsealign/coarsealign/pkg/models"
	"github.com/coarsealign/coarsealign/pkg/scenes"
	"github.com/coarsealign/coarsealign/pkg/train"
	"github.com/gomlx/compute"
)

// Config is a spatial-latent study (configs/spatial-latents.yaml). Fields omitted in the file
// keep DefaultConfig's values; the scene is a scenes.Config over scenes.DefaultConfig.
type Config struct {
	Name  string        `yaml:"name"`
	Scene scenes.Config `yaml:"scene"`
	// TrainImages renders per model (seed Seed*1000+1), ProbeImages held-out renders (seed
	// Seed*1000+2, always from Scene, every latent varying) for decoding and CKA.
	TrainImages int `yaml:"train_images"`
	ProbeImages int `yaml:"probe_images"`
	// Epochs, Batch and Seed of training (AlexNet-BN at Width, the study's recipe otherwise).
	Epochs int     `yaml:"epochs"`
	Batch  int     `yaml:"batch"`
	Seed   int     `yaml:"seed"`
	Width  float64 `yaml:"width"`
	// Targets are the training targets (one model each).
	Targets []TargetSet `yaml:"targets"`
	// FixNonTargets names targets also trained on renders whose non-target latents are fixed
	// (FixedScene); those models are named "<target>-fixed".
	FixNonTargets []string `yaml:"fix_non_targets"`
	// Untrained adds the randomly initialised network (the first target's initial weights).
	Untrained bool `yaml:"untrained"`
	// Draws and Splits of the 92-image evaluation (pkg/eval: subsample CIs and split-half layer
	// selection; the main study uses 1000 and 100).
	Draws  int `yaml:"draws"`
	Splits int `yaml:"splits"`
	// Layers decoded and compared by CKA (default: the .post taps of AlexNet-BN).
	Layers []string `yaml:"layers"`
	// CIFARRuns is a granularity-sweep folder (read-only) whose coarse and fine models are
	// compared on the 92 images (their saved features and results table); CIFARK the coarse K.
	CIFARRuns string `yaml:"cifar_runs"`
	CIFARK    string `yaml:"cifar_k"`
}

// DefaultConfig is a small study: 6 targets at 2,000 renders x 2 epochs.
func DefaultConfig() Config {
	return Config{Name: "spatial-latents", Scene: scenes.DefaultConfig(), TrainImages: 2000, ProbeImages: 500,
		Epochs: 2, Batch: 64, Seed: 1, Width: 0.25, Draws: 200, Splits: 50, Untrained: true, CIFARK: "8",
		Layers: []string{"conv1.post", "conv2.post", "conv3.post", "conv4.post", "conv5.post", "fc6.post", "fc7.post"},
		Targets: []TargetSet{
			{Name: "category", Latents: []string{Category}},
			{Name: "xy", Latents: []string{"x", "y"}},
			{Name: "distance", Latents: []string{"distance"}},
			{Name: "rotation", Latents: []string{"rot_x", "rot_y", "rot_z"}},
			{Name: "spatial", Latents: []string{"x", "y", "distance", "rot_x", "rot_y", "rot_z"}},
			{Name: "all", Latents: []string{Category, "x", "y", "distance", "scale", "rot_x", "rot_y", "rot_z", "light_azimuth", "light_elevation"}},
		}}
}

// LoadConfig reads a study config over DefaultConfig; errors name the file.
func LoadConfig(path string) (Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Config{}, err
	}
	c := DefaultConfig()
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
		return Config{}, fmt.Errorf("%s: %w", path, err)
	}
	if err := c.Validate(); err != nil {
		return Config{}, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// Validate reports the first invalid field.
func (c Config) Validate() error {
	if err := c.Scene.Validate(); err != nil {
		return fmt.Errorf("scene: %w", err)
	}
	switch {
	case c.Name == "" || strings.ContainsAny(c.Name, "/\\"):
		return fmt.Errorf("name: %q (want one path element)", c.Name)
	case c.TrainImages < c.Batch || c.Batch < 2:
		return fmt.Errorf("train_images %d, batch %d: want batch >= 2 and at least one batch", c.TrainImages, c.Batch)
	case c.ProbeImages < 20:
		return fmt.Errorf("probe_images: %d (want >= 20 for 5-fold decoding)", c.ProbeImages)
	case c.Epochs < 1:
		return fmt.Errorf("epochs: %d (want >= 1)", c.Epochs)
	case !(c.Width > 0):
		return fmt.Errorf("width: %v (want > 0)", c.Width)
	case len(c.Targets) == 0:
		return fmt.Errorf("targets: empty")
	case c.Draws < 0 || c.Splits < 0:
		return fmt.Errorf("draws %d, splits %d: want >= 0", c.Draws, c.Splits)
	}
	for i, t := range c.Targets {
		if err := t.Validate(); err != nil {
			return fmt.Errorf("targets[%d]: %w", i, err)
		}
		for _, u := range c.Targets[:i] {
			if u.Name == t.Name {
				return fmt.Errorf("targets[%d]: name %q repeated", i, t.Name)
			}
		}
		for _, l := range t.Latents {
			if l != Category && c.latentRange(l).Fixed() {
				return fmt.Errorf("targets[%d] (%s): latent %s is fixed in the scene", i, t.Name, l)
			}
		}
	}
	for i, n := range c.FixNonTargets {
		if !slices.ContainsFunc(c.Targets, func(t TargetSet) bool { return t.Name == n }) {
			return fmt.Errorf("fix_non_targets[%d]: %q is not a target name", i, n)
		}
	}
	return nil
}

// latentRange returns the scene's range of a regression latent.
func (c Config) latentRange(l string) scenes.Range {
	return *rangeOf(&c.Scene, l)
}

func rangeOf(s *scenes.Config, l string) *scenes.Range {
	switch l {
	case "x":
		return &s.X
	case "y":
		return &s.Y
	case "distance":
		return &s.Distance
	case "scale":
		return &s.Scale
	case "rot_x":
		return &s.RotX
	case "rot_y":
		return &s.RotY
	case "rot_z":
		return &s.RotZ
	case "light_azimuth":
		return &s.LightAzimuth
	case "light_elevation":
		return &s.LightElevation
	}
	panic("spatial: unknown latent " + l)
}

// FixedScene is s with every latent that t does not train held at the centre of its range:
// position, distance, scale, rotation and light, and the background (plain, at the centre of the
// level, hue and saturation ranges). Category and identity keep varying (the object set).
func FixedScene(s scenes.Config, t TargetSet) scenes.Config {
	for _, l := range RegressionLatents {
		if !slices.Contains(t.Latents, l) {
			r := rangeOf(&s, l)
			*r = scenes.Range{Min: r.Mid(), Max: r.Mid()}
		}
	}
	s.Backgrounds = []string{scenes.BgPlain}
	for _, r := range []*scenes.Range{&s.BgLevel, &s.BgHue, &s.BgSaturation} {
		*r = scenes.Range{Min: r.Mid(), Max: r.Mid()}
	}
	return s
}

// Model is one network of the study.
type Model struct {
	Name   string
	Target TargetSet
	Fixed  bool // trained on FixedScene renders.
	// Untrained marks the random-initialisation baseline.
	Untrained bool
}

// Models lists the study's networks: one per target, the fixed-non-target variants, and the
// untrained baseline.
func (c Config) Models() []Model {
	var out []Model
	for _, t := range c.Targets {
		out = append(out, Model{Name: t.Name, Target: t})
	}
	for _, n := range c.FixNonTargets {
		for _, t := range c.Targets {
			if t.Name == n {
				out = append(out, Model{Name: n + "-fixed", Target: t, Fixed: true})
			}
		}
	}
	if c.Untrained {
		out = append(out, Model{Name: "untrained", Target: c.Targets[0], Untrained: true})
	}
	return out
}

// Logf is where progress goes (nil: nowhere).
type Logf func(format string, args ...any)

// Trained is a model's run and its features: every tap and the logits of the probe renders and
// of the 92 images.
type Trained struct {
	Model
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
func memory(pix []uint8, lat []scenes.Latents, size, batch int, norm train.Normalization, std *Standardizer, seed uint64, shuffle bool) *train.MemoryData {
	x := make([]float32, len(pix))
	for p := range len(pix) / 3 {
		for c := range 3 {
			x[3*p+c] = float32((float64(pix[3*p+c])/255 - norm.Mean[c]) / norm.Std[c])
		}
	}
	d := &train.MemoryData{Images: x, Labels: make([]int32, len(lat)), H: size, W: size, C: 3, BatchSize: batch, Seed: seed, Shuffle: shuffle}
	for i := range lat {
		d.Labels[i] = int32(lat[i].Category)
	}
	if len(std.Columns) > 0 {
		d.Targets = map[string]train.Target{TargetName: std.Target(lat)}
	}
	return d
}

// Study holds what Run computes: the probe renders and every trained model with its features.
type Study struct {
	Config     Config
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
func Run(ctx context.Context, c Config, out, dataDir string, logf Logf) (*Study, error) {
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
			sc = FixedScene(sc, m.Target)
		}
		ms, err := scenes.NewScene(sc, dataDir)
		if err != nil {
			return nil, fmt.Errorf("model %s: %w", m.Name, err)
		}
		pix, lat := ms.RenderBatch(uint64(c.Seed)*1000+1, 0, c.TrainImages, 0)
		norm := normalization(pix)
		std, err := FitStandardizer(Columns(m.Target.Latents), lat)
		if err != nil {
			return nil, fmt.Errorf("model %s: %w", m.Name, err)
		}
		obj := Objective(m.Target, k)
		tc := train.Config{Model: models.DefaultAlexNetBN(Outputs(m.Target, k), size, c.Width), Recipe: train.DefaultRecipe(),
			Seed: int64(c.Seed), BatchSize: c.Batch, Epochs: c.Epochs, Norm: norm,
			Data: map[string]string{"source": "pkg/scenes", "images": fmt.Sprint(c.TrainImages), "fixed_non_targets": fmt.Sprint(m.Fixed)}}
		tc.Recipe.WarmupEpochs = min(tc.Recipe.WarmupEpochs, float64(c.Epochs)/2)
		name := m.Name
		if m.Untrained {
			name = c.Targets[0].Name
		}
		dir := filepath.Join(out, "models", name, "train")
		tr := &Trained{Model: m}
		data := memory(pix, lat, size, c.Batch, norm, std, uint64(c.Seed), true)
		test := memory(st.ProbePix, st.ProbeLat, size, c.Batch, norm, std, 0, false)
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
