// Package brainguided is the fine-tuning protocol and honest evaluation of brain-guided
// training (the ReAlnet mechanism, Lu & Wang; docs/brain-guided.md): a trained model is
// fine-tuned on a task term plus beta times an alignment term (pkg/objectives) towards the human
// IT RDM of 3 of the 4 subjects on training stimuli of the 92-image set, and scored on held-out
// stimuli, the held-out subject (with the noise ceiling on the same stimuli), macaque IT and
// behaviour, against beta = 0 and permuted-target controls trained with the same schedule, and
// for its CIFAR-10 test accuracy.
package brainguided

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"slices"

	"gopkg.in/yaml.v3"
)

// Config is a brain-guided study (configs/studies/brain-guided.yaml). Unknown YAML keys are errors.
type Config struct {
	// Name of the study (the default output folder is runs/<name>).
	Name string `yaml:"name"`
	// Start is the training-run folder (config.json, checkpoints/) of the model to fine-tune; a
	// path relative to the config file's folder is resolved there by Load.
	Start string `yaml:"start"`
	// Loss is the alignment term: rdm | soft-spearman | encoding (pkg/objectives).
	Loss string `yaml:"loss"`
	// Tau is the soft-rank temperature of soft-spearman; Dims the MDS dimensions of encoding.
	Tau  float64 `yaml:"tau"`
	Dims int     `yaml:"dims"`
	// Task is the task term: ce (cross-entropy on CIFAR-10 training labels) | distill (to the
	// frozen starting model's class probabilities).
	Task string `yaml:"task"`
	// Layer carries the alignment term: a tap name, or "auto" (default): per split, the layer of
	// the starting model best aligned (Spearman) with the training target on training stimuli.
	Layer string `yaml:"layer"`
	// Betas are the weights of the alignment term; 0 (the control) must be among them.
	Betas []float64 `yaml:"betas"`
	// PermutedBetas are the betas at which the permuted-target control is trained.
	PermutedBetas []float64 `yaml:"permuted_betas"`
	// Splits is the number of seeded stimulus splits (>= 5 for the study); split s holds out
	// human-IT subject s mod 4 (the training target is the mean of the other 3).
	Splits int `yaml:"splits"`
	// TrainStimuli is the number of training stimuli (of 92, stratified by category).
	TrainStimuli int `yaml:"train_stimuli"`
	// Steps of fine-tuning, each on Batch CIFAR-10 training images plus all training stimuli.
	Steps int `yaml:"steps"`
	Batch int `yaml:"batch"`
	// LR is the (constant) AdamW learning rate; weight decay and clipping follow the start run.
	LR float64 `yaml:"lr"`
	// TrainImages CIFAR-10 training images (a seeded subset) feed the task term; TestImages
	// CIFAR-10 test images (a seeded subset; 0: all 10,000) give the accuracy.
	TrainImages int `yaml:"train_images"`
	TestImages  int `yaml:"test_images"`
	// Seed of the splits, the permutations, the image subsets and the fine-tuning runs.
	Seed uint64 `yaml:"seed"`
}

// Defaults fills unset fields with the study's defaults.
func (c *Config) Defaults() {
	if c.Loss == "" {
		c.Loss = "rdm"
	}
	if c.Task == "" {
		c.Task = "ce"
	}
	if c.Layer == "" {
		c.Layer = "auto"
	}
	if c.Tau == 0 {
		c.Tau = 0.02
	}
	if c.Dims == 0 {
		c.Dims = 16
	}
	if c.Splits == 0 {
		c.Splits = 5
	}
	if c.TrainStimuli == 0 {
		c.TrainStimuli = 64
	}
	if c.Batch == 0 {
		c.Batch = 64
	}
	if c.LR == 0 {
		c.LR = 1e-4
	}
	if c.TrainImages == 0 {
		c.TrainImages = 4096
	}
}

// Validate reports the first bad field, naming it.
func (c *Config) Validate() error {
	bad := func(f string, v any, want string) error {
		return fmt.Errorf("brain-guided config: %s = %v, want %s", f, v, want)
	}
	switch {
	case c.Name == "":
		return bad("name", `""`, "a name")
	case c.Start == "":
		return bad("start", `""`, "a training-run folder")
	case c.Loss != "rdm" && c.Loss != "soft-spearman" && c.Loss != "encoding":
		return bad("loss", c.Loss, "rdm, soft-spearman or encoding")
	case c.Task != "ce" && c.Task != "distill":
		return bad("task", c.Task, "ce or distill")
	case !(c.Tau > 0):
		return bad("tau", c.Tau, "> 0")
	case c.Dims < 2 || c.Dims >= c.TrainStimuli:
		return bad("dims", c.Dims, fmt.Sprintf("2..%d", c.TrainStimuli-1))
	case !slices.Contains(c.Betas, 0):
		return bad("betas", c.Betas, "a list holding 0 (the control)")
	case c.Splits < 1:
		return bad("splits", c.Splits, ">= 1")
	case c.TrainStimuli < 12 || c.TrainStimuli > 92-12:
		return bad("train_stimuli", c.TrainStimuli, "12..80 (of 92, leaving >= 12 test stimuli)")
	case c.Steps < 1:
		return bad("steps", c.Steps, ">= 1")
	case c.Batch < 2:
		return bad("batch", c.Batch, ">= 2")
	case !(c.LR > 0) || math.IsInf(c.LR, 0):
		return bad("lr", c.LR, "> 0")
	case c.TrainImages < c.Batch:
		return bad("train_images", c.TrainImages, fmt.Sprintf(">= batch (%d)", c.Batch))
	case c.TestImages < 0:
		return bad("test_images", c.TestImages, ">= 0")
	}
	for i, b := range append(slices.Clone(c.Betas), c.PermutedBetas...) {
		if !(b >= 0) || math.IsInf(b, 0) {
			return bad(fmt.Sprintf("betas[%d]", i), b, "finite values >= 0")
		}
	}
	for i, b := range c.Betas {
		if slices.Contains(c.Betas[:i], b) {
			return bad("betas", c.Betas, "distinct values")
		}
	}
	return nil
}

// Parse reads a YAML config (unknown keys are errors), fills defaults and validates it.
func Parse(b []byte) (*Config, error) {
	var c Config
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("brain-guided config: %w", err)
	}
	c.Defaults()
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

// Load parses the config file path.
func Load(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	c, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}
