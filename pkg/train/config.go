// Package train implements the study's training recipe for the models of package models:
// AdamW (decoupled weight decay on conv/dense kernels only), a learning-rate schedule with linear
// warm-up from a fraction of the peak followed by cosine decay, gradient clipping by global norm,
// a training objective given as a value (Objective; the default is the study's cross-entropy
// with label smoothing, SmoothedCrossEntropyObjective), seeded determinism, atomic checkpoints in a run directory
// (also at chosen steps, for training-chronology studies), resume after interruption, progress
// hooks and per-epoch metrics (metrics.jsonl and metrics.csv).
//
// It is built on GoMLX's model.Store / model.Exec, layers, and checkpoint.Handler. The optimizer
// is written here (it implements GoMLX's optimizer.Interface) because GoMLX's Adam applies
// weight decay to every variable, has no global-norm clipping, and its cosine schedule warms up
// from zero; the recipe follows PyTorch's AdamW, clip_grad_norm_, LinearLR + CosineAnnealingLR.
package train

import (
	"encoding/json"
	"fmt"
	"math"
	"os"

	"github.com/coarsealign/coarsealign/pkg/models"
)

// Recipe holds the optimisation hyper-parameters. DefaultRecipe gives the study's values.
type Recipe struct {
	LearningRate float64 `json:"learning_rate"` // peak learning rate (study: 5e-4).
	WeightDecay  float64 `json:"weight_decay"`  // decoupled decay on kernels only (study: 1e-3).
	Beta1        float64 `json:"beta1"`         // PyTorch AdamW default 0.9.
	Beta2        float64 `json:"beta2"`         // PyTorch AdamW default 0.999.
	Epsilon      float64 `json:"epsilon"`       // PyTorch AdamW default 1e-8.
	// Warm-up: WarmupSteps if > 0, else WarmupEpochs * steps per epoch (study: 2 epochs).
	WarmupSteps  int     `json:"warmup_steps,omitempty"`
	WarmupEpochs float64 `json:"warmup_epochs,omitempty"`
	// WarmupStart is the fraction of the peak rate at step 0 (study: 0.25).
	WarmupStart float64 `json:"warmup_start"`
	// MinLRFactor is the rate at the end of the cosine decay as a fraction of the peak (0).
	MinLRFactor    float64 `json:"min_lr_factor"`
	ClipNorm       float64 `json:"clip_norm"`       // global gradient-norm clip (study: 1); 0 disables.
	LabelSmoothing float64 `json:"label_smoothing"` // study: 0.1.
}

// DefaultRecipe returns the study's recipe: AdamW lr 5e-4, wd 1e-3 on weights only, clip 1,
// label smoothing 0.1, 2-epoch linear warm-up from 0.25*lr then cosine decay to 0
// (methods.md, "Training from scratch"); betas and epsilon are PyTorch's AdamW defaults.
func DefaultRecipe() Recipe {
	return Recipe{LearningRate: 5e-4, WeightDecay: 1e-3, Beta1: 0.9, Beta2: 0.999, Epsilon: 1e-8,
		WarmupEpochs: 2, WarmupStart: 0.25, ClipNorm: 1, LabelSmoothing: 0.1}
}

// Normalization holds per-channel statistics used to normalise images: x' = (x/255 - Mean)/Std
// for 8-bit pixels. The training statistics are stored in the run so stimuli are preprocessed
// like the training images.
type Normalization struct {
	Mean []float64 `json:"mean"`
	Std  []float64 `json:"std"`
}

// Config is everything a run needs besides the data; it is saved as config.json in the run dir.
type Config struct {
	Model     models.Spec   `json:"model"`
	Recipe    Recipe        `json:"recipe"`
	Seed      int64         `json:"seed"`
	BatchSize int           `json:"batch_size"`      // study: 32.
	Epochs    int           `json:"epochs"`          // study: 20.
	Steps     int           `json:"steps,omitempty"` // if > 0: total steps (overrides Epochs).
	Norm      Normalization `json:"normalization"`
	// CheckpointSteps lists global steps at which a checkpoint is kept permanently (training
	// chronology). Resume checkpoints are also written every CheckpointEvery steps (0: at the end
	// of every epoch) and the latest KeepLatest of them are kept (0 means 2).
	CheckpointSteps []int `json:"checkpoint_steps,omitempty"`
	CheckpointEvery int   `json:"checkpoint_every,omitempty"`
	KeepLatest      int   `json:"keep_latest,omitempty"`
	// Data describes the training data (free text/keys for provenance: directory, labels file...).
	Data map[string]string `json:"data,omitempty"`
	// Objective is the name of the training objective (Objective.Name); empty means
	// DefaultObjective. New sets it from the objective it is given.
	Objective string `json:"objective,omitempty"`
}

// ObjectiveName resolves the default: the name of the run's objective.
func (c Config) ObjectiveName() string {
	if c.Objective == "" {
		return DefaultObjective
	}
	return c.Objective
}

// Validate reports the first bad field.
func (c Config) Validate() error {
	if err := c.Model.Validate(); err != nil {
		return err
	}
	r := c.Recipe
	switch {
	case c.BatchSize < 1:
		return fmt.Errorf("train: config batch_size=%d, want >= 1", c.BatchSize)
	case c.Epochs < 1 && c.Steps < 1:
		return fmt.Errorf("train: config epochs=%d and steps=%d, want one >= 1", c.Epochs, c.Steps)
	case !(r.LearningRate > 0) || math.IsInf(r.LearningRate, 0):
		return fmt.Errorf("train: recipe learning_rate=%g, want > 0", r.LearningRate)
	case r.WeightDecay < 0 || math.IsNaN(r.WeightDecay):
		return fmt.Errorf("train: recipe weight_decay=%g, want >= 0", r.WeightDecay)
	case r.Beta1 < 0 || r.Beta1 >= 1 || r.Beta2 < 0 || r.Beta2 >= 1:
		return fmt.Errorf("train: recipe betas (%g, %g), want in [0,1)", r.Beta1, r.Beta2)
	case !(r.Epsilon > 0):
		return fmt.Errorf("train: recipe epsilon=%g, want > 0", r.Epsilon)
	case r.WarmupStart < 0 || r.WarmupStart > 1 || r.MinLRFactor < 0 || r.MinLRFactor > 1:
		return fmt.Errorf("train: recipe warmup_start=%g, min_lr_factor=%g, want in [0,1]", r.WarmupStart, r.MinLRFactor)
	case r.ClipNorm < 0 || math.IsNaN(r.ClipNorm):
		return fmt.Errorf("train: recipe clip_norm=%g, want >= 0", r.ClipNorm)
	case !(r.WarmupEpochs >= 0) || math.IsInf(r.WarmupEpochs, 0):
		return fmt.Errorf("train: recipe warmup_epochs=%g, want a finite value >= 0", r.WarmupEpochs)
	case c.Epochs < 0 || c.Steps < 0:
		return fmt.Errorf("train: config epochs=%d and steps=%d, want >= 0", c.Epochs, c.Steps)
	case r.LabelSmoothing < 0 || r.LabelSmoothing >= 1:
		return fmt.Errorf("train: recipe label_smoothing=%g, want in [0,1)", r.LabelSmoothing)
	}
	if n := len(c.Norm.Mean); n != 0 && (n != c.Model.Channels || len(c.Norm.Std) != n) {
		return fmt.Errorf("train: normalization has %d means and %d stds for %d channels", n, len(c.Norm.Std), c.Model.Channels)
	}
	for i, s := range c.Norm.Std {
		if !(s > 0) {
			return fmt.Errorf("train: normalization std[%d]=%g, want > 0", i, s)
		}
	}
	return nil
}

// TotalSteps is the planned number of optimisation steps for stepsPerEpoch steps per epoch.
func (c Config) TotalSteps(stepsPerEpoch int) int {
	if c.Steps > 0 {
		return c.Steps
	}
	return c.Epochs * stepsPerEpoch
}

// WarmupSteps resolves the warm-up length in steps.
func (c Config) WarmupSteps(stepsPerEpoch int) int {
	if c.Recipe.WarmupSteps > 0 {
		return c.Recipe.WarmupSteps
	}
	return int(math.Round(c.Recipe.WarmupEpochs * float64(stepsPerEpoch)))
}

// LearningRate is the schedule: the rate used by step t (0-based) of total steps with warm
// warm-up steps. During warm-up it rises linearly from WarmupStart*lr to lr (PyTorch
// LinearLR(start_factor, total_iters=warm)); afterwards it follows a half cosine from lr to
// MinLRFactor*lr over the remaining steps (CosineAnnealingLR(T_max=total-warm)).
// The graph computes the same formula in float32.
func (r Recipe) LearningRateAt(t, warm, total int) float64 {
	if t < warm {
		f := r.WarmupStart + (1-r.WarmupStart)*float64(t)/float64(warm)
		return r.LearningRate * f
	}
	span := total - warm
	if span <= 0 {
		return r.LearningRate
	}
	p := math.Min(1, float64(t-warm)/float64(span))
	lo := r.MinLRFactor * r.LearningRate
	return lo + (r.LearningRate-lo)*0.5*(1+math.Cos(math.Pi*p))
}

// SaveConfig writes c as indented JSON.
func SaveConfig(c Config, path string) error {
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(path, append(b, '\n'))
}

// LoadConfig reads and validates a config.json.
func LoadConfig(path string) (Config, error) {
	var c Config
	b, err := os.ReadFile(path)
	if err != nil {
		return c, err
	}
	if err := json.Unmarshal(b, &c); err != nil {
		return c, fmt.Errorf("train: %s: %w", path, err)
	}
	if err := c.Validate(); err != nil {
		return c, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// writeFileAtomic writes data to path through a temporary file and a rename.
func writeFileAtomic(path string, data []byte) error {
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
