package scenes

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strings"

	"gopkg.in/yaml.v3"
)

// Range is a latent's distribution: uniform on [Min, Max], or Fixed at one value when Min == Max.
// In YAML a number fixes the latent (`distance: 6`) and a pair is a range (`distance: [4, 9]`).
type Range struct{ Min, Max float64 }

// Fixed reports whether the latent is held at one value.
func (r Range) Fixed() bool { return r.Min == r.Max }

// at maps u in [0, 1) to the range.
func (r Range) at(u float64) float64 {
	if r.Fixed() {
		return r.Min
	}
	return r.Min + (r.Max-r.Min)*u
}

// Mid is the centre of the range.
func (r Range) Mid() float64 { return (r.Min + r.Max) / 2 }

// UnmarshalYAML reads a number or a [min, max] pair.
func (r *Range) UnmarshalYAML(n *yaml.Node) error {
	var v float64
	if n.Kind == yaml.ScalarNode {
		if err := n.Decode(&v); err != nil {
			return err
		}
		*r = Range{v, v}
		return nil
	}
	var p []float64
	if err := n.Decode(&p); err != nil || len(p) != 2 {
		return fmt.Errorf("line %d: want a number or [min, max]", n.Line)
	}
	*r = Range{p[0], p[1]}
	return nil
}

// MarshalYAML writes a fixed range as a number, else as a pair.
func (r Range) MarshalYAML() (any, error) {
	if r.Fixed() {
		return r.Min, nil
	}
	return []float64{r.Min, r.Max}, nil
}

// Background kinds.
const (
	BgPlain    = "plain"    // one colour (BgColor).
	BgGradient = "gradient" // a linear blend of two colours at an angle.
	BgNoise    = "noise"    // value noise: a coarse random colour grid, bilinearly interpolated.
	BgCIFAR    = "cifar"    // a crop of a CIFAR-10 training image (Config.CIFAR).
)

// Config is a scene distribution: image size, camera, objects and every latent's range. Angles
// are in degrees in the file and in Latents (the rendering converts). The zero value is not valid:
// start from DefaultConfig.
type Config struct {
	// Size is the image side in pixels; Supersample the samples per pixel side (anti-aliasing).
	Size        int `yaml:"size"`
	Supersample int `yaml:"supersample"`
	// FOV is the camera's field of view (degrees), horizontal and vertical.
	FOV float64 `yaml:"fov"`
	// Ambient is the ambient light fraction in [0, 1]; the rest is Lambertian.
	Ambient float64 `yaml:"ambient"`
	// Categories names the shape families used (labels follow this order); empty means all of
	// Categories. Identities is the number of identities per category (1..8).
	Categories []string `yaml:"categories"`
	Identities int      `yaml:"identities"`
	// X and Y are the object centre's image position in [-1, 1] (-1 left/bottom edge, +1
	// right/top edge); Distance its depth along the optical axis; Scale its bounding radius.
	X, Y, Distance, Scale Range
	// RotX, RotY, RotZ are Euler angles in degrees (EulerMatrix order: x first).
	RotX Range `yaml:"rot_x"`
	RotY Range `yaml:"rot_y"`
	RotZ Range `yaml:"rot_z"`
	// LightAzimuth and LightElevation (degrees) give the light direction (LightDir).
	LightAzimuth   Range `yaml:"light_azimuth"`
	LightElevation Range `yaml:"light_elevation"`
	// Backgrounds are the kinds drawn uniformly per image; BgColor holds the plain colour's or the
	// gradient's first colour's grey level and BgHue its hue in [0, 1) (0.5 grey level and any hue
	// with BgSaturation 0 is grey); the second gradient colour and the noise grid are drawn from
	// the image's generator.
	Backgrounds  []string `yaml:"backgrounds"`
	BgLevel      Range    `yaml:"bg_level"`
	BgHue        Range    `yaml:"bg_hue"`
	BgSaturation Range    `yaml:"bg_saturation"`
	// CIFAR is where crops come from when Backgrounds holds "cifar".
	CIFAR CIFARConfig `yaml:"cifar"`
}

// CIFARConfig selects the CIFAR-10 training images whose crops are backgrounds.
type CIFARConfig struct {
	// Dir is an ImageFolder (<class>/<image>.jpg); "" means $COARSEALIGN_DATA/cifar10-jpg/train.
	Dir string `yaml:"dir"`
	// Pool is the number of images used, spread evenly over the sorted file list (default 512).
	Pool int `yaml:"pool"`
	// Crop is the crop side as a fraction of the image side.
	Crop Range `yaml:"crop"`
}

// DefaultConfig is every latent varying over a range that keeps the object inside the image.
func DefaultConfig() Config {
	return Config{
		Size: 32, Supersample: 2, FOV: 40, Ambient: 0.3,
		Identities: 4,
		X:          Range{-0.5, 0.5}, Y: Range{-0.5, 0.5}, Distance: Range{4, 7}, Scale: Range{1, 1.5},
		RotX: Range{-90, 90}, RotY: Range{-90, 90}, RotZ: Range{-90, 90},
		LightAzimuth: Range{-60, 60}, LightElevation: Range{-30, 60},
		Backgrounds: []string{BgPlain, BgGradient, BgNoise},
		BgLevel:     Range{0.15, 0.85}, BgHue: Range{0, 1}, BgSaturation: Range{0, 0.5},
		CIFAR: CIFARConfig{Pool: 512, Crop: Range{0.5, 1}},
	}
}

// LoadConfig reads a YAML file: fields not given keep DefaultConfig's values; unknown fields are
// errors naming the file.
func LoadConfig(path string) (Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Config{}, err
	}
	c, err := ParseConfig(b)
	if err != nil {
		return Config{}, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// ParseConfig parses a YAML scene config over DefaultConfig and validates it.
func ParseConfig(b []byte) (Config, error) {
	c := DefaultConfig()
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
		return Config{}, fmt.Errorf("scenes config: %w", err)
	}
	return c, c.Validate()
}

// Validate reports every invalid field, one per line.
func (c Config) Validate() error {
	var errs []string
	bad := func(f string, a ...any) { errs = append(errs, fmt.Sprintf(f, a...)) }
	if c.Size < 4 || c.Size > 1024 {
		bad("size: %d (want 4..1024)", c.Size)
	}
	if c.Supersample < 1 || c.Supersample > 8 {
		bad("supersample: %d (want 1..8)", c.Supersample)
	}
	if !(c.FOV > 1 && c.FOV < 170) {
		bad("fov: %v degrees (want 1..170)", c.FOV)
	}
	if !(c.Ambient >= 0 && c.Ambient <= 1) {
		bad("ambient: %v (want 0..1)", c.Ambient)
	}
	for i, n := range c.Categories {
		if categoryIndex(n) < 0 {
			bad("categories[%d]: unknown category %q (known: %s)", i, n, strings.Join(CategoryNames(), ", "))
		}
		for _, m := range c.Categories[:i] {
			if m == n {
				bad("categories[%d]: %q repeated", i, n)
			}
		}
	}
	if c.Identities < 1 || c.Identities > 8 {
		bad("identities: %d (want 1..8)", c.Identities)
	}
	rng := func(name string, r Range, lo, hi float64) {
		if math.IsNaN(r.Min) || math.IsNaN(r.Max) || r.Min > r.Max || r.Min < lo || r.Max > hi {
			bad("%s: [%v, %v] (want min <= max within [%v, %v])", name, r.Min, r.Max, lo, hi)
		}
	}
	rng("x", c.X, -2, 2)
	rng("y", c.Y, -2, 2)
	rng("scale", c.Scale, 0.01, 100)
	rng("distance", c.Distance, 0.01, 1e4)
	if c.Distance.Min <= c.Scale.Max*1.05 {
		bad("distance: min %v must exceed 1.05 x scale max %v (the object would cross the camera)", c.Distance.Min, c.Scale.Max)
	}
	for _, a := range []struct {
		n string
		r Range
	}{{"rot_x", c.RotX}, {"rot_y", c.RotY}, {"rot_z", c.RotZ}, {"light_azimuth", c.LightAzimuth}} {
		rng(a.n, a.r, -720, 720)
	}
	rng("light_elevation", c.LightElevation, -90, 90)
	rng("bg_level", c.BgLevel, 0, 1)
	rng("bg_hue", c.BgHue, 0, 1)
	rng("bg_saturation", c.BgSaturation, 0, 1)
	if len(c.Backgrounds) == 0 {
		bad("backgrounds: empty (want some of plain, gradient, noise, cifar)")
	}
	for i, b := range c.Backgrounds {
		switch b {
		case BgPlain, BgGradient, BgNoise:
		case BgCIFAR:
			if c.CIFAR.Pool < 1 {
				bad("cifar.pool: %d (want >= 1)", c.CIFAR.Pool)
			}
			rng("cifar.crop", c.CIFAR.Crop, 0.05, 1)
		default:
			bad("backgrounds[%d]: unknown kind %q (want plain, gradient, noise, cifar)", i, b)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("scenes config:\n  %s", strings.Join(errs, "\n  "))
	}
	return nil
}

// categories returns the indices (into Categories) of the config's categories.
func (c Config) categories() []int {
	if len(c.Categories) == 0 {
		out := make([]int, len(Categories))
		for i := range out {
			out[i] = i
		}
		return out
	}
	out := make([]int, len(c.Categories))
	for i, n := range c.Categories {
		out[i] = categoryIndex(n)
	}
	return out
}

// NumCategories is the number of categories (class labels) of the config.
func (c Config) NumCategories() int { return len(c.categories()) }

// CategoryName returns the name of label k.
func (c Config) CategoryName(k int) string { return Categories[c.categories()[k]].Name }
