package study

import (
	"fmt"

	"github.com/coarsealign/coarsealign/pkg/arch"
	"github.com/coarsealign/coarsealign/pkg/backend"
	"github.com/coarsealign/coarsealign/pkg/data/k92"
	"github.com/coarsealign/coarsealign/pkg/features"
	"github.com/coarsealign/coarsealign/pkg/sweep"
	"github.com/coarsealign/coarsealign/pkg/train"
	"github.com/gomlx/compute"
)

// Job is one network's training prepared from its settings: the pkg/train configuration, the
// training batches and the held-out batches. The sweep's train stage, its fine-net label
// source and the CLI's train command build it with NewJob, so the same settings give the same
// data order, augmentation and worker count.
type Job struct {
	Config train.Config
	// Set is the training set (images, split, statistics); Labels the training labels, one per
	// image of Set.DS.
	Set    *TrainingSet
	Labels []int32
	// Data yields the training batches (shuffled per epoch by the run's seed, augmented if
	// asked, the last partial batch dropped).
	Data *train.ImageData
	// Val yields the held-out batches (nil without held-out images); the CLI may replace it by
	// an official test split (EvalBatches).
	Val train.EvalData
}

// NewJob prepares training with cfg (see TrainConfig) on the training part of ts with labels
// (one per image of ts.DS), validating on its held-out part; batches are shuffled and augmented
// with cfg.Seed and prepared by workers goroutines (DefaultWorkers if < 1).
func NewJob(ts *TrainingSet, labels []int32, cfg train.Config, augment bool, workers int) (*Job, error) {
	if len(labels) != ts.DS.N {
		return nil, fmt.Errorf("study: %d labels for %d images", len(labels), ts.DS.N)
	}
	if workers < 1 {
		workers = DefaultWorkers
	}
	seed := uint64(cfg.Seed)
	j := &Job{Config: cfg, Set: ts, Labels: labels, Data: newBatches(ts, ts.Train, labels, cfg.BatchSize, seed, augment, true, workers)}
	if len(ts.Val) > 0 {
		j.Val = newBatches(ts, ts.Val, labels, EvalBatchSize, seed, false, false, workers)
	}
	return j, nil
}

// TrainSettings are the settings of one training run, as a sweep run holds them.
type TrainSettings struct {
	Data  sweep.Data
	Arch  sweep.Arch
	Train sweep.Train
	Seed  int64
	// Load holds the loader's options (image cache, coarse-label IDs, download).
	Load LoadOptions
	// Workers is the number of goroutines preparing each batch (DefaultWorkers if < 1).
	Workers int
	// Labels, if set, returns the training labels (one per image of ts.DS) and their number of
	// classes; nil means the data set's fine labels.
	Labels func(ts *TrainingSet) (labels []int32, classes int, err error)
}

// PrepareTraining prepares the run s describes: the training set (LoadTrainingSetWith), the
// network (ModelSpec), the configuration (TrainConfig) and the batches (NewJob). The sweep's
// train stage and the CLI's train command both call it, so the same settings give the same run.
func PrepareTraining(dataDir string, s TrainSettings) (*Job, error) {
	// The architecture settings are checked before any image is read.
	desc, err := arch.Get(s.Arch.Name)
	if err != nil {
		return nil, fmt.Errorf("study: %w", err)
	}
	if err := desc.Check(arch.Params{Width: s.Arch.Width, InputSize: s.Arch.InputSize}); err != nil {
		return nil, fmt.Errorf("study: %w", err)
	}
	ts, err := LoadTrainingSetWith(dataDir, s.Data, s.Arch.InputSize, s.Load)
	if err != nil {
		return nil, err
	}
	labels, k := ts.DS.Labels, len(ts.DS.Classes)
	if s.Labels != nil {
		if labels, k, err = s.Labels(ts); err != nil {
			return nil, err
		}
	}
	spec, err := ModelSpec(s.Arch, k)
	if err != nil {
		return nil, err
	}
	cfg := TrainConfig(spec, s.Train, int(s.Seed), ts)
	cfg.Seed = s.Seed
	return NewJob(ts, labels, cfg, s.Train.Augment, s.Workers)
}

// NewTrainer returns the trainer of j in the run folder dir ("" in memory), resuming from its
// latest checkpoint (train.New).
func (j *Job) NewTrainer(b compute.Backend, dir string, opts ...train.Option) (*train.Trainer, error) {
	return train.New(b, j.Config, dir, j.Data.StepsPerEpoch(), opts...)
}

// Stimuli names the stimulus sets features are extracted for.
var Stimuli = []string{"kriegeskorte92"}

// StimulusFeatures extracts every layer of run (train.OpenRun) for the stimulus set of dataDir
// ("kriegeskorte92", the 92-image set), preprocessed like the run's training images, with the
// index naming the set, the step and the stimulus IDs (Run is left to the caller): the sweep's
// features stage and the CLI's features command.
func StimulusFeatures(b compute.Backend, dataDir string, run *train.Run, stimuli string) ([]features.Layer, features.Index, error) {
	if stimuli != "kriegeskorte92" {
		return nil, features.Index{}, fmt.Errorf("study: stimulus set %q, want one of %v", stimuli, Stimuli)
	}
	set, err := loadK92(dataDir)
	if err != nil {
		return nil, features.Index{}, err
	}
	if b == nil {
		if b, err = backend.New(); err != nil {
			return nil, features.Index{}, err
		}
	}
	layers, err := features.ExtractRun(b, run, set.Pixels, k92.ImageSize, k92.ImageSize)
	if err != nil {
		return nil, features.Index{}, err
	}
	return layers, features.Index{Step: run.Step, Stimuli: stimuli, IDs: set.IDs}, nil
}
