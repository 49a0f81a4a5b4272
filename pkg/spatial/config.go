package spatial

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/coarsealign/coarsealign/pkg/scenes"
)

// Config is a spatial-latent study (configs/studies/spatial-latents.yaml). Fields omitted in the file
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
