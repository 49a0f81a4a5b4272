package study

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/coarsealign/coarsealign/internal/fsutil"
	"github.com/coarsealign/coarsealign/pkg/chronology"
	"github.com/coarsealign/coarsealign/pkg/eval"
	"github.com/coarsealign/coarsealign/pkg/features"
	"github.com/coarsealign/coarsealign/pkg/sweep"
	"github.com/coarsealign/coarsealign/pkg/train"
)

// ChronologyDir holds a chronology run's per-checkpoint features: step-NNNNNNNN/, each as
// FeaturesDir (pkg/features: index.json and one 92 x units matrix per layer).
const ChronologyDir = "features-steps"

// StepDir is the folder of the features of the checkpoint at step inside ChronologyDir.
func StepDir(step int) string { return fmt.Sprintf("step-%08d", step) }

// keepChronology makes the training of a chronology run keep its schedule's checkpoints
// (sweep.Chronology.Schedule: 0, log-spaced steps, epoch ends, final).
func keepChronology(r sweep.Run, job *Job) {
	if r.Chronology == nil {
		return
	}
	spe := job.Data.StepsPerEpoch()
	job.Config.CheckpointSteps = r.Chronology.Schedule(spe, job.Config.TotalSteps(spe))
}

// ChronologySteps returns the kept steps of a chronology run's training folder: 0 and every
// checkpoint of the schedule present (train.ListCheckpoints), increasing.
func ChronologySteps(trainDir string) ([]int, error) {
	cfg, err := train.LoadConfig(filepath.Join(trainDir, train.ConfigFile))
	if err != nil {
		return nil, err
	}
	cks, err := train.ListCheckpoints(trainDir)
	if err != nil {
		return nil, err
	}
	keep := map[int]bool{}
	for _, s := range cfg.CheckpointSteps {
		keep[s] = true
	}
	steps := []int{0}
	for _, c := range cks {
		if keep[c.Step] && c.Step > 0 {
			steps = append(steps, c.Step)
		}
	}
	if len(steps) == 1 {
		return nil, fmt.Errorf("study: %s keeps no checkpoint of its chronology schedule %v", trainDir, cfg.CheckpointSteps)
	}
	return steps, nil
}

// chronologyFeatures extracts the 92-image features of every kept checkpoint of a chronology
// run into ChronologyDir (built atomically: an interrupted stage redoes it).
func chronologyFeatures(env *sweep.Env) error {
	if env.Run.Chronology == nil {
		return nil
	}
	dir := env.Path(TrainDir)
	steps, err := ChronologySteps(dir)
	if err != nil {
		return err
	}
	b, err := newBackend()
	if err != nil {
		return err
	}
	return env.WriteDir(ChronologyDir, func(tmp string) error {
		if err := fsutil.ChmodTempDir(tmp); err != nil {
			return err
		}
		for i, s := range steps {
			run, err := train.OpenRun(dir, s)
			if err != nil {
				return err
			}
			layers, idx, err := StimulusFeatures(b, env.DataDir, run, "kriegeskorte92")
			if err != nil {
				return fmt.Errorf("study: step %d: %w", s, err)
			}
			idx.Run = env.ID
			sub := filepath.Join(tmp, StepDir(s))
			if err := os.Mkdir(sub, 0o755); err != nil {
				return err
			}
			if err := features.Save(sub, layers, idx); err != nil {
				return err
			}
			env.Report(i+1, len(steps))
		}
		return nil
	})
}

// ReadChronologyFeatures reads a chronology run folder's per-checkpoint features (as
// ReadFeatures), by increasing step.
func ReadChronologyFeatures(runDir string) (steps []int, feats [][]eval.Features, err error) {
	entries, err := os.ReadDir(filepath.Join(runDir, ChronologyDir))
	if err != nil {
		return nil, nil, fmt.Errorf("study: %w", err)
	}
	for _, e := range entries {
		s, ok := strings.CutPrefix(e.Name(), "step-")
		if !e.IsDir() || !ok {
			continue
		}
		n, err := strconv.Atoi(s)
		if err != nil {
			continue
		}
		f, err := ReadFeatures(filepath.Join(runDir, ChronologyDir, e.Name()))
		if err != nil {
			return nil, nil, err
		}
		steps = append(steps, n)
		feats = append(feats, f)
	}
	if len(steps) == 0 {
		return nil, nil, fmt.Errorf("study: %s holds no step folder", filepath.Join(runDir, ChronologyDir))
	}
	return steps, feats, nil // os.ReadDir sorts by name: zero-padded steps sort numerically
}

// ChronologyEvalData returns data with the image-model targets (chronology.ImageModels of
// 92_modelRDMs.mat, "model:V1", ...) added: image-computable models, not brain data.
func ChronologyEvalData(dataDir string, data *eval.Data) (*eval.Data, error) {
	ms, err := chronology.LoadModelRDMs(dataDir, chronology.ImageModels)
	if err != nil {
		return nil, err
	}
	out := *data
	out.Targets = append([]eval.Target(nil), data.Targets...)
	for _, m := range ms {
		out.Targets = append(out.Targets, eval.Target{Name: m.Name, RDM: m})
	}
	return &out, nil
}

// evalChronology scores every kept checkpoint of a chronology run against data plus the image
// models, as the eval stage scores a final model (the same CIs and split-half layer
// selection), writing sweep.StepScoresFile and, for the final step, sweep.ScoresFile.
func (o Options) evalChronology(env *sweep.Env, data *eval.Data, opt eval.Options) error {
	data, err := ChronologyEvalData(env.DataDir, data)
	if err != nil {
		return err
	}
	steps, feats, err := ReadChronologyFeatures(env.Dir)
	if err != nil {
		return err
	}
	var all []sweep.StepScore
	var final []sweep.Score
	for i, s := range steps {
		rows, err := EvaluateLayers(feats[i], data, opt, o.Log, fmt.Sprintf("run %s step %d", env.ID, s))
		if err != nil {
			return err
		}
		scores := o.scoresOf(env, rows)
		for _, sc := range scores {
			all = append(all, sweep.StepScore{Step: s, Score: sc})
		}
		final = scores
		env.Report(i+1, len(steps))
		fmt.Fprintf(o.Log, "run %s: step %d scored (%d/%d)\n", env.ID, s, i+1, len(steps))
	}
	if err := env.WriteStepScores(all); err != nil {
		return err
	}
	return env.WriteScores(final)
}

// writeParams writes the run's number of trainable parameters (sweep.ParamsFile): the
// elements of the network's floating-point variables other than the optimiser's moments,
// step counter and batch-norm running statistics.
func writeParams(env *sweep.Env, run *train.Run) error {
	n := ParamCount(run)
	return env.WriteFile(sweep.ParamsFile, func(w io.Writer) error {
		_, err := fmt.Fprintln(w, n)
		return err
	})
}

// ParamCount counts the trainable parameters of an opened run (after its variables exist,
// e.g. after StimulusFeatures): weights, biases and batch-norm scales and offsets.
func ParamCount(run *train.Run) int {
	n := 0
	for v := range run.Store.IterVariables() {
		// The network's variables live under /model (pkg/models); batch-norm running
		// statistics are not trainable; an opened run holds no optimiser moments.
		if v.Trainable && v.Shape().DType.IsFloat() && strings.HasPrefix(v.Path(), "/model/") {
			n += v.Shape().Size()
		}
	}
	return n
}
