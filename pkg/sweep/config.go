package sweep

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/coarsealign/coarsealign/pkg/arch"
	"github.com/coarsealign/coarsealign/pkg/data/images"
	"github.com/coarsealign/coarsealign/pkg/metric"
	"gopkg.in/yaml.v3"
)

// Granularity values besides the powers of two.
const (
	// Fine is the baseline trained on the data set's own (fine) class labels.
	Fine = "fine"
	// Untrained is the baseline with randomly initialised weights (no training).
	Untrained = "untrained"
)

// Label sources: where the embedding that the PCA median splits cut comes from.
// Any other value ending in ".npy" names a user file of shape n_train x d (float32/float64).
const (
	// SourceFineNet is a network of the sweep's architecture trained here on the fine labels.
	SourceFineNet = "fine-net"
	// SourcePixels uses the raw pixels (input_size x input_size x 3, in [0,1]) as the embedding.
	SourcePixels = "pixels"
	// SourceUntrainedNet uses the penultimate layer of a randomly initialised network.
	SourceUntrainedNet = "untrained-net"
)

// Config is a sweep: a grid of runs plus the settings they share. See the package
// documentation for the YAML schema. The zero value is not valid; use Parse or Load.
type Config struct {
	// Name of the sweep, used for the default output folder (runs/<name>).
	Name string `yaml:"name" json:"name"`
	// Out is the default output folder; the CLI's --out overrides it. Relative paths
	// are resolved against the working directory.
	Out string `yaml:"out,omitempty" json:"out,omitempty"`
	// LabelSources is an axis: label sources for the coarse (K-class) runs.
	LabelSources []string `yaml:"label_sources" json:"label_sources"`
	// Granularity is an axis: K values (powers of two, 2..1024) and/or "fine", "untrained".
	Granularity []string `yaml:"granularity" json:"granularity"`
	// Seeds is an axis: training seeds (also the seeds of weight initialisation).
	Seeds []int `yaml:"seeds" json:"seeds"`
	// Archs is an axis: the architectures.
	Archs []Arch `yaml:"archs" json:"archs"`
	// Labels holds the PCA settings of the coarse labelling.
	Labels LabelSpec `yaml:"labels" json:"labels"`
	// Train is the training budget and recipe shared by all trained runs.
	Train Train `yaml:"train" json:"train"`
	// Data names the training images.
	Data Data `yaml:"data" json:"data"`
	// Eval holds the evaluation settings.
	Eval Eval `yaml:"eval" json:"eval"`
}

// Arch is one architecture setting.
type Arch struct {
	// Name is a registered architecture (package arch): "alexnet-bn", "vit", or one a program
	// registers with models.Register.
	Name string `yaml:"name" json:"name"`
	// Width multiplies the channel counts / embedding width (1 = the paper's AlexNet).
	Width float64 `yaml:"width" json:"width"`
	// InputSize is the side of the square input images in pixels (32 for CIFAR, 224 for ImageNet).
	InputSize int `yaml:"input_size" json:"input_size"`
	// Init is the weight initialisation: "torch" (PyTorch's defaults, as the study's code; the
	// default) or "he-normal" (GoMLX's default, what coarsealign used before issue 8). Part of
	// every run's identity, so runs made with the old initialisation are never reused.
	Init string `yaml:"init,omitempty" json:"init,omitempty"`
}

// Weight initialisations of Arch.Init (package arch; pkg/models InitTorch, InitHeNormal).
const (
	InitTorch    = arch.InitTorch
	InitHeNormal = arch.InitHeNormal
)

// LabelSpec holds the settings of the PCA median-split labelling.
type LabelSpec struct {
	// PCs is the number of principal components split at their median (K <= 2^PCs). Default 6.
	PCs int `yaml:"pcs" json:"pcs"`
	// SourceEpochs is the training budget of the fine-net label source; 0 = Train.Epochs.
	SourceEpochs float64 `yaml:"source_epochs,omitempty" json:"source_epochs,omitempty"`
	// SourceSeed seeds the label-source network (fine-net, untrained-net). Default 0.
	SourceSeed int `yaml:"source_seed,omitempty" json:"source_seed,omitempty"`
}

// Train is the training recipe (methods.md section 1 for the paper's values).
type Train struct {
	// Epochs is the number of passes over the training split; Steps, if > 0, caps the number of
	// optimiser steps instead (then Epochs only scales the schedule).
	Epochs float64 `yaml:"epochs" json:"epochs"`
	Steps  int     `yaml:"steps,omitempty" json:"steps,omitempty"`
	// Batch is the mini-batch size.
	Batch int `yaml:"batch" json:"batch"`
	// LR is AdamW's peak learning rate; WeightDecay its decoupled weight decay (weights only).
	LR          float64 `yaml:"lr" json:"lr"`
	WeightDecay float64 `yaml:"weight_decay" json:"weight_decay"`
	// WarmupEpochs of linear warm-up from 0.25*LR, then cosine decay.
	WarmupEpochs float64 `yaml:"warmup_epochs" json:"warmup_epochs"`
	// LabelSmoothing of the cross-entropy (paper: 0.1); ClipNorm the gradient norm clip (paper: 1).
	LabelSmoothing float64 `yaml:"label_smoothing" json:"label_smoothing"`
	ClipNorm       float64 `yaml:"clip_norm" json:"clip_norm"`
	// Augment enables horizontal flips and +-10 degree rotations.
	Augment bool `yaml:"augment" json:"augment"`
}

// Data names the training images.
type Data struct {
	// Source is "cifar10" (the data dir's cifar10-jpg, or the binary release) or "images"
	// (an ImageNet-style folder of class subfolders, Path).
	Source string `yaml:"source" json:"source"`
	// Path is the image folder for Source "images", relative to the data directory unless absolute.
	Path string `yaml:"path,omitempty" json:"path,omitempty"`
	// PerClass keeps at most this many training images per class (0 = all).
	PerClass int `yaml:"per_class" json:"per_class"`
	// ValFraction is the held-out fraction of the fixed train/validation split (paper: 0.2).
	ValFraction float64 `yaml:"val_fraction" json:"val_fraction"`
	// SplitSeed seeds subset and split (paper: 42).
	SplitSeed int `yaml:"split_seed" json:"split_seed"`
	// JPEG is the JPEG colour conversion of folder images: "libjpeg" (the default: PIL's pixels)
	// or "go" (Go's image/jpeg, coarsealign's before 2026-12-01); see images.JPEGDecoder. Part of
	// the run identity, so runs decoded differently never mix (except that "go" is left out of
	// it: runs made before this field existed decoded with Go's conversion and keep their IDs).
	JPEG string `yaml:"jpeg" json:"jpeg,omitempty"`
}

// Eval holds the alignment evaluation settings.
type Eval struct {
	// Bootstrap is the number of subsamples (90% of the stimuli, without replacement) for the
	// percentile CIs (paper: 1000).
	Bootstrap int `yaml:"bootstrap" json:"bootstrap"`
	// Splits is the number of random split-halves of the stimuli used to select the layer
	// on one half and score it on the other (default 100, as pkg/eval).
	Splits int `yaml:"splits" json:"splits"`
	// Seed seeds bootstrap and splits.
	Seed int `yaml:"seed" json:"seed"`
	// MaxTriplets caps the odd-one-out triplets per RDM (0: all C(92,3) = 125,580; else a
	// seeded sample).
	MaxTriplets int `yaml:"max_triplets,omitempty" json:"max_triplets,omitempty"`
	// Metrics are the alignment metrics, by pkg/metric registry name (spearman, tau-a, corr,
	// kendall, cka-linear, cka-rbf-unbiased, encoding, oddoneout, ...; metric.Names). Empty
	// means metric.DefaultNames(), spearman and tau-a. Parse stores canonical names and a list
	// equal to the default as empty, so that runs made before the field existed keep their
	// identity; use MetricNames.
	Metrics []string `yaml:"metrics,omitempty" json:"metrics,omitempty"`
	// Targets are the user's own targets, scored beside the 92-image ones: measurements of the
	// same 92 stimuli (rows or RDM entries in the set's order).
	Targets []EvalTarget `yaml:"targets,omitempty" json:"targets,omitempty"`
}

// EvalTarget is a target stored in a .npy file (path relative to the working directory
// unless absolute): RDM, a square RDM or its upper-triangle vector; or Responses, a stimuli x
// units matrix (recorded units, voxels), which every metric can score, CKA and encoding
// included. Exactly one of the two is set.
type EvalTarget struct {
	Name      string `yaml:"name" json:"name"`
	RDM       string `yaml:"rdm,omitempty" json:"rdm,omitempty"`
	Responses string `yaml:"responses,omitempty" json:"responses,omitempty"`
}

// MetricNames returns the metrics to compute: Metrics, or the default when it is empty.
func (e Eval) MetricNames() []string {
	if len(e.Metrics) == 0 {
		return metric.DefaultNames()
	}
	return e.Metrics
}

// defaults stores the metric names canonically, and a list equal to the default as empty.
func (e *Eval) defaults() {
	if e.Splits == 0 {
		e.Splits = 100
	}
	for i, name := range e.Metrics {
		if m, err := metric.Lookup(name); err == nil {
			e.Metrics[i] = m.Name()
		}
	}
	if slices.Equal(e.Metrics, metric.DefaultNames()) {
		e.Metrics = nil
	}
}

// clashesWithK92 reports whether a target name is one of the 92-image targets' row names
// (pkg/eval.K92Data: mIT; hIT and behav with -mean, -subjects and /S; oddoneout-*).
func clashesWithK92(name string) bool {
	if name == "mIT" || strings.HasPrefix(name, "oddoneout-") {
		return true
	}
	for _, g := range []string{"hIT", "behav"} {
		if name == g || strings.HasPrefix(name, g+"-") || strings.HasPrefix(name, g+"/") {
			return true
		}
	}
	return false
}

// validate checks the evaluation settings; errors name the field.
func (e Eval) validate() error {
	if e.Bootstrap < 0 {
		return fmt.Errorf("field eval.bootstrap: %d must be >= 0", e.Bootstrap)
	}
	if e.Splits < 1 {
		return fmt.Errorf("field eval.splits: %d must be >= 1", e.Splits)
	}
	if e.MaxTriplets < 0 {
		return fmt.Errorf("field eval.max_triplets: %d must be >= 0", e.MaxTriplets)
	}
	provided := metric.RDM | metric.Triplets // the 92-image targets are RDMs
	seen := map[string]bool{}
	for i, t := range e.Targets {
		f := fmt.Sprintf("field eval.targets[%d]", i)
		switch {
		case strings.TrimSpace(t.Name) == "":
			return fmt.Errorf("%s.name: empty", f)
		case seen[t.Name]:
			return fmt.Errorf("%s.name: %q listed twice", f, t.Name)
		case (t.RDM == "") == (t.Responses == ""):
			return fmt.Errorf("%s: set exactly one of rdm (an RDM .npy file) and responses (a stimuli x units .npy file)", f)
		case t.RDM != "" && !strings.HasSuffix(strings.ToLower(t.RDM), ".npy"):
			return fmt.Errorf("%s.rdm: %q is not a .npy file", f, t.RDM)
		case t.Responses != "" && !strings.HasSuffix(strings.ToLower(t.Responses), ".npy"):
			return fmt.Errorf("%s.responses: %q is not a .npy file", f, t.Responses)
		}
		if clashesWithK92(t.Name) {
			return fmt.Errorf("%s.name: %q clashes with a 92-image target (mIT, hIT-*, behav-*, oddoneout-*)", f, t.Name)
		}
		seen[t.Name] = true
		if t.Responses != "" {
			provided |= metric.Patterns
		}
	}
	ms, err := metric.LookupAll(e.Metrics)
	if err != nil {
		return fmt.Errorf("field eval.%w", err)
	}
	for i, m := range ms {
		if m.Needs()&provided == 0 {
			return fmt.Errorf("field eval.metrics[%d]: %s needs %s; add a responses target to eval.targets", i, m.Name(), m.Needs())
		}
	}
	return nil
}

// Load reads a sweep configuration file (YAML or JSON).
func Load(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("sweep: %w", err)
	}
	c, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("sweep: %s: %w", path, err)
	}
	return c, nil
}

// MustLoad is Load that panics on error (for notebooks).
func MustLoad(path string) *Config {
	c, err := Load(path)
	if err != nil {
		panic(err)
	}
	return c
}

// Parse decodes a YAML (or JSON) sweep configuration, fills defaults and validates it.
// Unknown fields are errors, so a typo never silently changes a sweep.
func Parse(b []byte) (*Config, error) {
	var c Config
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("decode: %w", err)
	}
	c.defaults()
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

func (c *Config) defaults() {
	if c.Labels.PCs == 0 {
		c.Labels.PCs = 6
	}
	c.Eval.defaults()
	if c.Data.ValFraction == 0 {
		c.Data.ValFraction = 0.2
	}
	if c.Data.JPEG == "" {
		c.Data.JPEG = string(images.JPEGLibjpeg)
	}
	for i := range c.Archs {
		if c.Archs[i].Width == 0 {
			c.Archs[i].Width = 1
		}
		if c.Archs[i].Init == "" {
			c.Archs[i].Init = InitTorch
		}
	}
	for i, g := range c.Granularity {
		c.Granularity[i] = strings.ToLower(strings.TrimSpace(g))
	}
}

// Validate checks every field and returns an error naming the first bad one.
func (c *Config) Validate() error {
	if c.Name == "" {
		return fmt.Errorf("field name: empty")
	}
	if len(c.Granularity) == 0 {
		return fmt.Errorf("field granularity: empty")
	}
	needSource := false
	seen := map[string]bool{}
	for _, g := range c.Granularity {
		if seen[g] {
			return fmt.Errorf("field granularity: %q listed twice", g)
		}
		seen[g] = true
		if g == Fine || g == Untrained {
			continue
		}
		k, err := strconv.Atoi(g)
		if err != nil || k < 2 || k&(k-1) != 0 || k > 1024 {
			return fmt.Errorf("field granularity: %q is neither a power of two in [2,1024] nor %q/%q", g, Fine, Untrained)
		}
		if k > 1<<c.Labels.PCs {
			return fmt.Errorf("field granularity: K=%d needs more than labels.pcs=%d components", k, c.Labels.PCs)
		}
		needSource = true
	}
	if needSource && len(c.LabelSources) == 0 {
		return fmt.Errorf("field label_sources: empty but granularity has K values")
	}
	for _, s := range c.LabelSources {
		switch {
		case s == SourceFineNet, s == SourcePixels, s == SourceUntrainedNet:
		case strings.HasSuffix(s, ".npy"):
		default:
			return fmt.Errorf("field label_sources: %q is not %s, %s, %s or a .npy file", s, SourceFineNet, SourcePixels, SourceUntrainedNet)
		}
	}
	if len(c.Seeds) == 0 {
		return fmt.Errorf("field seeds: empty")
	}
	if len(c.Archs) == 0 {
		return fmt.Errorf("field archs: empty")
	}
	for i, a := range c.Archs {
		// The registry of package arch (GoMLX-free) knows every architecture pkg/models builds.
		desc, ok := arch.Lookup(a.Name)
		if !ok {
			return fmt.Errorf("field archs[%d].name: %q is not a registered architecture (%s)", i, a.Name, strings.Join(arch.Names(), ", "))
		}
		if !arch.IsInit(a.Init) {
			return fmt.Errorf("field archs[%d].init: %q is not %s or %s", i, a.Init, InitTorch, InitHeNormal)
		}
		if !(a.Width > 0) || math.IsInf(a.Width, 0) {
			return fmt.Errorf("field archs[%d].width: %v must be > 0", i, a.Width)
		}
		if err := desc.CheckInputSize(a.InputSize); err != nil {
			return fmt.Errorf("field archs[%d].input_size: %w", i, err)
		}
	}
	if c.Labels.PCs < 1 || c.Labels.PCs > 10 {
		return fmt.Errorf("field labels.pcs: %d not in [1,10]", c.Labels.PCs)
	}
	t := c.Train
	if !(t.Epochs > 0) && t.Steps <= 0 {
		return fmt.Errorf("field train: epochs or steps must be > 0")
	}
	if t.Batch <= 0 {
		return fmt.Errorf("field train.batch: %d must be > 0", t.Batch)
	}
	if !(t.LR > 0) {
		return fmt.Errorf("field train.lr: %v must be > 0", t.LR)
	}
	for name, v := range map[string]float64{"weight_decay": t.WeightDecay, "warmup_epochs": t.WarmupEpochs,
		"label_smoothing": t.LabelSmoothing, "clip_norm": t.ClipNorm, "epochs": t.Epochs} {
		if v < 0 || math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("field train.%s: %v must be finite and >= 0", name, v)
		}
	}
	if t.LabelSmoothing >= 1 {
		return fmt.Errorf("field train.label_smoothing: %v must be < 1", t.LabelSmoothing)
	}
	switch c.Data.Source {
	case "cifar10":
	case "images":
		if c.Data.Path == "" {
			return fmt.Errorf("field data.path: empty for source images")
		}
	default:
		return fmt.Errorf("field data.source: %q is not cifar10 or images", c.Data.Source)
	}
	if j := images.JPEGDecoder(c.Data.JPEG); j != images.JPEGLibjpeg && j != images.JPEGGo {
		return fmt.Errorf("field data.jpeg: %q is not %s or %s", c.Data.JPEG, images.JPEGLibjpeg, images.JPEGGo)
	}
	if c.Data.PerClass < 0 {
		return fmt.Errorf("field data.per_class: %d must be >= 0", c.Data.PerClass)
	}
	if !(c.Data.ValFraction >= 0 && c.Data.ValFraction < 1) {
		return fmt.Errorf("field data.val_fraction: %v not in [0,1)", c.Data.ValFraction)
	}
	if err := c.Eval.validate(); err != nil {
		return err
	}
	return nil
}

// Expand returns the grid's runs in a deterministic order: for each arch, for each
// granularity (in the config's order), for each label source (K runs only; the fine and
// untrained baselines do not depend on it), for each seed. Run.Index is the position.
func (c *Config) Expand() []Run {
	var runs []Run
	for _, a := range c.Archs {
		for _, g := range c.Granularity {
			sources := c.LabelSources
			if g == Fine || g == Untrained {
				sources = []string{""}
			}
			for _, src := range sources {
				for _, seed := range c.Seeds {
					r := Run{
						Granularity: g,
						LabelSource: src,
						Seed:        seed,
						Arch:        a,
						Train:       c.Train,
						Data:        c.Data,
						Eval:        c.Eval,
					}
					if src != "" {
						r.Labels = c.Labels
					}
					if g == Untrained {
						r.Train = Train{} // no training: the budget must not change the run's identity
					}
					r.Index = len(runs)
					runs = append(runs, r)
				}
			}
		}
	}
	return runs
}
