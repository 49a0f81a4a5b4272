package train

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"time"

	"github.com/coarsealign/coarsealign/internal/fsutil"
	"github.com/coarsealign/coarsealign/pkg/models"
	"github.com/coarsealign/coarsealign/pkg/progress"
	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train/optimizer"
)

// File names inside a run directory.
const (
	ConfigFile     = "config.json"
	MetricsJSONL   = "metrics.jsonl"
	MetricsCSV     = "metrics.csv"
	CheckpointsDir = "checkpoints"
)

// Trainer trains one model. Create it with New; it resumes from the latest checkpoint of its run
// directory if there is one.
type Trainer struct {
	Config  Config
	RunDir  string // "" keeps everything in memory (no config, checkpoints or metrics written).
	Backend compute.Backend
	Store   *model.Store
	// Reporter receives per-step and per-epoch progress (nil: none).
	Reporter progress.Reporter
	// StopAt, if > 0, makes Fit return (after saving a checkpoint) once the global step reaches
	// it, before the planned total: for sessions of a longer run, and tests of resume.
	StopAt int
	// Objective is what the trainer minimises, set by New (WithObjective; default
	// SmoothedCrossEntropyObjective) and recorded in Config.Objective; read-only.
	Objective Objective

	stepsPerEpoch int
	opt           *AdamW
	trainExec     *model.Exec
	evalExec      *model.Exec
}

// Option configures New.
type Option func(*options)

type options struct {
	objective *Objective
}

// WithObjective makes the trainer minimise o instead of the study's smoothed cross-entropy.
func WithObjective(o Objective) Option {
	return func(opt *options) { opt.objective = &o }
}

// New prepares training of cfg with stepsPerEpoch steps per epoch on backend b. If runDir is not
// empty it is created, cfg is written to runDir/config.json (or, if one is there, checked to
// describe the same model, recipe, seed, batch size and objective), and the latest checkpoint in
// it, if any, is loaded (resume). The objective is SmoothedCrossEntropyObjective unless an
// option gives another; its name is recorded in Config.Objective (a config naming another
// objective is an error).
func New(b compute.Backend, cfg Config, runDir string, stepsPerEpoch int, opts ...Option) (*Trainer, error) {
	var opt options
	for _, o := range opts {
		o(&opt)
	}
	obj := SmoothedCrossEntropyObjective()
	if opt.objective != nil {
		obj = *opt.objective
	}
	if err := obj.check(); err != nil {
		return nil, err
	}
	switch {
	case cfg.Objective == "" && obj.Name != DefaultObjective:
		cfg.Objective = obj.Name
	case cfg.ObjectiveName() != obj.Name:
		return nil, fmt.Errorf("train: config names objective %q, the trainer was given %q", cfg.ObjectiveName(), obj.Name)
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if stepsPerEpoch < 1 {
		return nil, fmt.Errorf("train: %d steps per epoch (fewer images than one batch of %d?)", stepsPerEpoch, cfg.BatchSize)
	}
	t := &Trainer{Config: cfg, RunDir: runDir, Backend: b, Store: model.NewStore(), Objective: obj, stepsPerEpoch: stepsPerEpoch}
	t.opt = &AdamW{Recipe: cfg.Recipe, WarmupSteps: cfg.WarmupSteps(stepsPerEpoch), TotalSteps: cfg.TotalSteps(stepsPerEpoch)}
	resumed := false
	if runDir != "" {
		if err := os.MkdirAll(filepath.Join(runDir, CheckpointsDir), 0o755); err != nil {
			return nil, err
		}
		// Another process training the folder would change it under this trainer: say so now,
		// before anything is written (Fit holds the lock while it trains).
		if h, held := fsutil.Locked(filepath.Join(runDir, LockFile)); held {
			return nil, busyError(runDir, &fsutil.BusyError{Path: filepath.Join(runDir, LockFile), Holder: h})
		}
		cpath := filepath.Join(runDir, ConfigFile)
		if old, err := LoadConfig(cpath); err == nil {
			if !sameRun(old, cfg) {
				return nil, fmt.Errorf("train: %s describes a different run (model, recipe, seed, batch size or objective differ); use another --out", cpath)
			}
		} else if !errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
		if err := SaveConfig(cfg, cpath); err != nil {
			return nil, err
		}
		if ck, err := LatestCheckpoint(runDir); err != nil {
			return nil, err
		} else if ck.Dir != "" {
			// Loaded into the fresh store before anything else: GoMLX's loader does not overwrite
			// an existing random-number state variable.
			if err := LoadCheckpoint(t.Store, ck.Dir); err != nil {
				return nil, err
			}
			resumed = true
		}
	}
	if !resumed {
		if err := t.Store.SetRNGStateFromSeed(cfg.Seed); err != nil {
			return nil, err
		}
	}
	return t, nil
}

func busyError(runDir string, err error) error {
	return fmt.Errorf("train: run folder %s is in use: %w; wait for that process to finish (or stop it), or use another run folder", runDir, err)
}

func sameRun(a, b Config) bool {
	return a.Model == b.Model && a.Recipe == b.Recipe && a.Seed == b.Seed && a.BatchSize == b.BatchSize &&
		reflect.DeepEqual(a.Norm, b.Norm) && a.ObjectiveName() == b.ObjectiveName()
}

// GlobalStep is the number of optimisation steps done so far.
func (t *Trainer) GlobalStep() int { return int(optimizer.GetGlobalStep(t.Store)) }

// StepsPerEpoch as given to New.
func (t *Trainer) StepsPerEpoch() int { return t.stepsPerEpoch }

// TotalSteps is the planned number of steps.
func (t *Trainer) TotalSteps() int { return t.Config.TotalSteps(t.stepsPerEpoch) }

// lossGraph builds the objective's loss and metrics on the graph of inputs (images, labels,
// then the objective's targets in order).
func (t *Trainer) lossGraph(scope *model.Scope, inputs []*graph.Node, training bool) (*graph.Node, []*graph.Node) {
	g := inputs[0].Graph()
	scope.Store().SetTraining(g, training)
	logits, taps := models.Build(scope, t.Config.Model, inputs[0])
	in := LossInput{Outputs: Outputs{Logits: logits, Taps: taps}, Images: inputs[0], Labels: inputs[1],
		Targets: map[string]*graph.Node{}, Config: t.Config, Scope: scope, Training: training}
	for i, name := range t.Objective.Targets {
		in.Targets[name] = inputs[2+i]
	}
	l, metrics := t.Objective.Loss(in)
	if l == nil || l.Shape().Rank() != 0 {
		panic(fmt.Sprintf("train: objective %q returned a loss that is not a scalar", t.Objective.Name))
	}
	if len(metrics) != len(t.Objective.Metrics) {
		panic(fmt.Sprintf("train: objective %q returned %d metrics for its %d names %v", t.Objective.Name, len(metrics), len(t.Objective.Metrics), t.Objective.Metrics))
	}
	l = graph.ConvertDType(l, dtypes.Float32)
	for i, m := range metrics {
		if m.Shape().Rank() != 0 {
			panic(fmt.Sprintf("train: objective %q metric %q is not a scalar", t.Objective.Name, t.Objective.Metrics[i]))
		}
		metrics[i] = graph.ConvertDType(m, dtypes.Float64)
	}
	return l, metrics
}

func (t *Trainer) execs() error {
	if t.trainExec != nil {
		return nil
	}
	var err error
	// Outputs: loss, learning rate, gradient norm, then the metrics.
	t.trainExec, err = model.NewExec(t.Backend, t.Store, func(scope *model.Scope, inputs []*graph.Node) []*graph.Node {
		l, metrics := t.lossGraph(scope, inputs, true)
		lr, norm := t.opt.Update(scope, l)
		return append([]*graph.Node{l, lr, norm}, metrics...)
	})
	if err != nil {
		return err
	}
	// Outputs: the loss times the batch size (the batch's sum, for the mean over all images),
	// then the metrics.
	t.evalExec, err = model.NewExec(t.Backend, t.Store, func(scope *model.Scope, inputs []*graph.Node) []*graph.Node {
		l, metrics := t.lossGraph(scope, inputs, false)
		n := float64(inputs[0].Shape().Dimensions[0])
		return append([]*graph.Node{graph.MulScalar(l, n)}, metrics...)
	})
	return err
}

// tensors returns the inputs of the executables for b: images, labels and the objective's
// targets.
func (t *Trainer) tensors(b Batch) ([]any, func(), error) {
	s := t.Config.Model
	want := b.N * s.InputSize * s.InputSize * s.Channels
	if b.N < 1 || len(b.Images) != want || len(b.Labels) != b.N {
		return nil, nil, fmt.Errorf("train: batch of %d images has %d floats and %d labels, want %d floats (%dx%dx%d each)",
			b.N, len(b.Images), len(b.Labels), want, s.InputSize, s.InputSize, s.Channels)
	}
	for i, l := range b.Labels {
		if l < 0 || int(l) >= s.NumClasses {
			return nil, nil, fmt.Errorf("train: batch label[%d]=%d outside [0,%d)", i, l, s.NumClasses)
		}
	}
	img := tensors.FromShape(shapes.Make(dtypes.Float32, b.N, s.InputSize, s.InputSize, s.Channels))
	tensors.MutableFlatData(img, func(f []float32) { copy(f, b.Images) })
	ts := []*tensors.Tensor{img, tensors.FromValue(b.Labels)}
	free := func() {
		for _, x := range ts {
			x.FinalizeAll()
		}
	}
	for _, name := range t.Objective.Targets {
		tg, ok := b.Targets[name]
		if !ok {
			free()
			return nil, nil, fmt.Errorf("train: objective %q needs target %q, the batch has none", t.Objective.Name, name)
		}
		if len(tg.Shape) == 0 || len(tg.Data) != tg.size() {
			free()
			return nil, nil, fmt.Errorf("train: target %q has shape %v and %d values", name, tg.Shape, len(tg.Data))
		}
		x := tensors.FromShape(shapes.Make(dtypes.Float32, tg.Shape...))
		tensors.MutableFlatData(x, func(f []float32) { copy(f, tg.Data) })
		ts = append(ts, x)
	}
	args := make([]any, len(ts))
	for i, x := range ts {
		args[i] = x
	}
	return args, free, nil
}

// StepResult holds the outputs of one training step.
type StepResult struct {
	Loss, LearningRate, GradNorm float64
	// Accuracy is the objective's "accuracy" metric (NaN if it reports none).
	Accuracy float64
	// Metrics holds every metric of the objective by name.
	Metrics map[string]float64
}

// scalar reads a float32 output; metric reads a (float64) metric output.
func scalar(t *tensors.Tensor) float64 { return float64(tensors.ToScalar[float32](t)) }
func metric(t *tensors.Tensor) float64 { return tensors.ToScalar[float64](t) }

// metricMap names the metric outputs.
func (t *Trainer) metricMap(outs []*tensors.Tensor) map[string]float64 {
	m := make(map[string]float64, len(outs))
	for i, name := range t.Objective.Metrics {
		m[name] = metric(outs[i])
	}
	return m
}

// accuracyOf returns m["accuracy"], NaN if absent.
func accuracyOf(m map[string]float64) float64 {
	if a, ok := m[AccuracyMetric]; ok {
		return a
	}
	return math.NaN()
}

// AccuracyMetric is the metric name shown as accuracy (progress bar, metrics files).
const AccuracyMetric = "accuracy"

// Step runs one optimisation step on b.
func (t *Trainer) Step(b Batch) (StepResult, error) {
	if err := t.execs(); err != nil {
		return StepResult{}, err
	}
	args, free, err := t.tensors(b)
	if err != nil {
		return StepResult{}, err
	}
	outs, err := t.trainExec.Call(args...)
	free()
	if err != nil {
		return StepResult{}, err
	}
	r := StepResult{Loss: scalar(outs[0]), LearningRate: scalar(outs[1]), GradNorm: scalar(outs[2]), Metrics: t.metricMap(outs[3:])}
	r.Accuracy = accuracyOf(r.Metrics)
	for _, o := range outs {
		o.FinalizeAll()
	}
	if math.IsNaN(r.Loss) || math.IsInf(r.Loss, 0) {
		return r, fmt.Errorf("train: loss is %g at step %d", r.Loss, t.GlobalStep())
	}
	return r, nil
}

// EvalResult is the objective on evaluation data: means over the images.
type EvalResult struct {
	Loss    float64
	Metrics map[string]float64
	N       int // number of images.
}

// Accuracy is the "accuracy" metric, NaN if the objective reports none.
func (r EvalResult) Accuracy() float64 { return accuracyOf(r.Metrics) }

// EvaluateAll returns the objective's loss and metrics over data (batch means weighted by batch
// size), in inference mode (batch-norm moving averages, no dropout). Without images they are NaN.
func (t *Trainer) EvaluateAll(data EvalData) (EvalResult, error) {
	res := EvalResult{Metrics: map[string]float64{}}
	if err := t.execs(); err != nil {
		return res, err
	}
	var sumLoss float64
	var batchMetrics [][]float64 // per batch: the metric means
	var sizes []int
	for b, err := range data.Batches() {
		if err != nil {
			return res, err
		}
		args, free, err := t.tensors(b)
		if err != nil {
			return res, err
		}
		outs, err := t.evalExec.Call(args...)
		free()
		if err != nil {
			return res, err
		}
		sumLoss += scalar(outs[0])
		m := make([]float64, len(t.Objective.Metrics))
		for i := range m {
			m[i] = metric(outs[1+i])
		}
		batchMetrics, sizes = append(batchMetrics, m), append(sizes, b.N)
		for _, o := range outs {
			o.FinalizeAll()
		}
		res.N += b.N
	}
	n := float64(res.N)
	if res.N == 0 {
		n = math.NaN()
	}
	res.Loss = sumLoss / n
	for i, name := range t.Objective.Metrics {
		// The mean weighted by batch size; exactly the batch's value for a single batch.
		v := 0.0
		for j, m := range batchMetrics {
			v += m[i] * (float64(sizes[j]) / n)
		}
		res.Metrics[name] = v
		if res.N == 0 {
			res.Metrics[name] = math.NaN()
		}
	}
	return res, nil
}

// Evaluate returns the mean loss (the objective's: for the default, the cross-entropy with the
// training label smoothing) and accuracy (NaN if the objective reports none) over data, in
// inference mode (batch-norm moving averages, no dropout).
func (t *Trainer) Evaluate(data EvalData) (meanLoss, accuracy float64, err error) {
	r, err := t.EvaluateAll(data)
	if err != nil {
		return 0, 0, err
	}
	return r.Loss, r.Accuracy(), nil
}

// Result summarises a Fit call.
type Result struct {
	Step                   int // global step reached.
	FinalLoss              float64
	TestLoss, TestAccuracy float64 // NaN without test data or if no epoch ended.
	// TestMetrics holds every metric of the objective on the test data at the last epoch end
	// (nil without).
	TestMetrics  map[string]float64
	Wall         time.Duration
	ImagesPerSec float64       // training images / (step time + data wait); evaluation excluded.
	DataWait     time.Duration // time waiting for batches.
	StepTime     time.Duration // time in training steps.
}

// Fit trains until the planned total (or StopAt), starting at the current global step: the
// batches of the current epoch already used are skipped, so a resumed run sees the same data as
// an uninterrupted one. At the end of every epoch it evaluates test (if not nil), writes a
// metrics record and, if CheckpointEvery is 0, a checkpoint; it also checkpoints every
// CheckpointEvery steps, at each step listed in CheckpointSteps, and when ctx is cancelled
// (returning ctx.Err(); cancelled on the last step of an epoch, it finishes that epoch's
// evaluation and record first).
//
// With a run directory, Fit holds its LockFile while it trains (an error naming the holding
// process if another one has it), drops the metrics records written after the checkpoint it
// resumes from (a session killed between an epoch's record and its checkpoint redoes that
// epoch), and records the outcome in StateFile: complete, stopped (StopAt), interrupted (ctx
// cancelled) or failed; "running" while it trains.
func (t *Trainer) Fit(ctx context.Context, data Data, test EvalData) (Result, error) {
	res := Result{TestLoss: math.NaN(), TestAccuracy: math.NaN()}
	if t.RunDir == "" {
		return t.fit(ctx, data, test)
	}
	lock, err := fsutil.TryLock(filepath.Join(t.RunDir, LockFile))
	if err != nil {
		return res, busyError(t.RunDir, err)
	}
	defer lock.Unlock()
	ck, err := LatestCheckpoint(t.RunDir)
	if err != nil {
		return res, err
	}
	if ck.Step > t.GlobalStep() {
		return res, fmt.Errorf("train: run folder %s has a checkpoint at step %d, ahead of this trainer's step %d (trained by another process since the trainer was made): make a new trainer to resume from it",
			t.RunDir, ck.Step, t.GlobalStep())
	}
	if err := truncateMetrics(t.RunDir, t.GlobalStep()); err != nil {
		return res, err
	}
	total := t.TotalSteps()
	if err := writeState(t.RunDir, State{Status: StatusRunning, Step: ck.Step, TotalSteps: total}); err != nil {
		return res, err
	}
	res, err = t.fit(ctx, data, test)
	st := State{Status: StatusFailed, TotalSteps: total}
	switch {
	case err == nil && t.GlobalStep() >= total:
		st.Status = StatusComplete
	case err == nil:
		st.Status = StatusStopped
	case ctx.Err() != nil && errors.Is(err, ctx.Err()):
		st.Status = StatusInterrupted
	default:
		st.Error = err.Error()
	}
	if ck, cerr := LatestCheckpoint(t.RunDir); cerr == nil {
		st.Step = ck.Step
	}
	if werr := writeState(t.RunDir, st); werr != nil && err == nil {
		err = werr
	}
	return res, err
}

func (t *Trainer) fit(ctx context.Context, data Data, test EvalData) (Result, error) {
	res := Result{TestLoss: math.NaN(), TestAccuracy: math.NaN()}
	if h, w, c := data.Shape(); h != t.Config.Model.InputSize || w != h || c != t.Config.Model.Channels {
		return res, fmt.Errorf("train: data images are %dx%dx%d, model wants %dx%dx%d", h, w, c,
			t.Config.Model.InputSize, t.Config.Model.InputSize, t.Config.Model.Channels)
	}
	if data.StepsPerEpoch() != t.stepsPerEpoch {
		return res, fmt.Errorf("train: data has %d steps per epoch, trainer was built for %d", data.StepsPerEpoch(), t.stepsPerEpoch)
	}
	total := t.TotalSteps()
	stop := total
	if t.StopAt > 0 && t.StopAt < stop {
		stop = t.StopAt
	}
	keep := map[int]bool{}
	for _, s := range t.Config.CheckpointSteps {
		keep[s] = true
	}
	rep := t.Reporter
	if rep == nil {
		rep = progress.Multi(nil)
	}
	defer rep.Close()
	start := time.Now()
	startStep := t.GlobalStep()
	var totalWait time.Duration
	images := 0
	for step := t.GlobalStep(); step < stop; {
		epoch := step / t.stepsPerEpoch
		skip := step % t.stepsPerEpoch
		var sumLoss float64
		sumMetrics := map[string]float64{}
		nSteps := 0
		var wait, compute time.Duration
		epochStart := time.Now()
		last := time.Now()
		var iterErr error
		cancelled := false
		for b, err := range data.Epoch(epoch) {
			wait += time.Since(last)
			if err != nil {
				iterErr = err
				break
			}
			if skip > 0 {
				skip--
				last = time.Now()
				continue
			}
			t0 := time.Now()
			r, err := t.Step(b)
			if err != nil {
				iterErr = err
				break
			}
			compute += time.Since(t0)
			step++
			nSteps++
			images += b.N
			sumLoss += r.Loss
			for k, v := range r.Metrics {
				sumMetrics[k] += v
			}
			res.FinalLoss = r.Loss
			el := time.Since(start)
			done := step - startStep
			rep.Step(progress.Update{Step: step, TotalSteps: total, Epoch: epoch, Loss: r.Loss, Accuracy: r.Accuracy,
				LearningRate: r.LearningRate, ImagesPerSec: float64(images) / el.Seconds(), Elapsed: el,
				ETA: time.Duration(float64(el) / float64(done) * float64(total-step))})
			if keep[step] || (t.Config.CheckpointEvery > 0 && step%t.Config.CheckpointEvery == 0) {
				if err := t.Save(); err != nil {
					return res, err
				}
			}
			if ctx.Err() != nil {
				res.Step = step
				if step%t.stepsPerEpoch == 0 || step >= total {
					// The epoch is complete: record it (below) before stopping, or a resumed
					// session would start the next epoch and this one would have no record.
					cancelled = true
					break
				}
				if err := t.Save(); err != nil {
					return res, err
				}
				return res, ctx.Err()
			}
			if step >= stop {
				break
			}
			last = time.Now()
		}
		if iterErr != nil {
			res.Step = step
			return res, iterErr
		}
		if nSteps == 0 && step < stop {
			return res, fmt.Errorf("train: epoch %d yielded no usable batch", epoch)
		}
		totalWait += wait
		res.StepTime += compute
		epochDone := step%t.stepsPerEpoch == 0 || step >= total
		if epochDone || step >= stop {
			trainMetrics := map[string]float64{}
			for _, name := range t.Objective.Metrics {
				trainMetrics[name] = sumMetrics[name] / float64(max(nSteps, 1))
			}
			ep := progress.Epoch{Epoch: epoch, Step: step, TrainLoss: sumLoss / float64(max(nSteps, 1)),
				TrainAccuracy: accuracyOf(trainMetrics), TestLoss: math.NaN(), TestAccuracy: math.NaN(),
				DataWait: wait, StepTime: compute, WallTime: time.Since(epochStart)}
			ep.ImagesPerSec = float64(nSteps*t.Config.BatchSize) / ep.WallTime.Seconds()
			var testMetrics map[string]float64
			if test != nil && epochDone {
				er, err := t.EvaluateAll(test)
				if err != nil {
					return res, err
				}
				ep.TestLoss, ep.TestAccuracy, testMetrics = er.Loss, er.Accuracy(), er.Metrics
				res.TestLoss, res.TestAccuracy, res.TestMetrics = ep.TestLoss, ep.TestAccuracy, er.Metrics
			}
			rep.EpochEnd(ep)
			if err := t.writeMetrics(ep, epochDone, trainMetrics, testMetrics); err != nil {
				return res, err
			}
			if t.Config.CheckpointEvery == 0 || step >= stop || cancelled {
				if err := t.Save(); err != nil {
					return res, err
				}
			}
		}
		if cancelled && step < total { // cancelled on the last step: the training is complete
			return res, ctx.Err()
		}
	}
	res.Step = t.GlobalStep()
	res.Wall = time.Since(start)
	res.DataWait = totalWait
	res.ImagesPerSec = float64(images) / (res.StepTime + res.DataWait).Seconds()
	return res, nil
}
