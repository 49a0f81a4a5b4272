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

	"github.com/coarsealign/coarsealign/pkg/models"
	"github.com/coarsealign/coarsealign/pkg/progress"
	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train/loss"
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

	stepsPerEpoch int
	opt           *AdamW
	trainExec     *model.Exec
	evalExec      *model.Exec
}

// New prepares training of cfg with stepsPerEpoch steps per epoch on backend b. If runDir is not
// empty it is created, cfg is written to runDir/config.json (or, if one is there, checked to
// describe the same model, recipe, seed and batch size), and the latest checkpoint in it, if any,
// is loaded (resume).
func New(b compute.Backend, cfg Config, runDir string, stepsPerEpoch int) (*Trainer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if stepsPerEpoch < 1 {
		return nil, fmt.Errorf("train: %d steps per epoch (fewer images than one batch of %d?)", stepsPerEpoch, cfg.BatchSize)
	}
	t := &Trainer{Config: cfg, RunDir: runDir, Backend: b, Store: model.NewStore(), stepsPerEpoch: stepsPerEpoch}
	t.opt = &AdamW{Recipe: cfg.Recipe, WarmupSteps: cfg.WarmupSteps(stepsPerEpoch), TotalSteps: cfg.TotalSteps(stepsPerEpoch)}
	resumed := false
	if runDir != "" {
		if err := os.MkdirAll(filepath.Join(runDir, CheckpointsDir), 0o755); err != nil {
			return nil, err
		}
		cpath := filepath.Join(runDir, ConfigFile)
		if old, err := LoadConfig(cpath); err == nil {
			if !sameRun(old, cfg) {
				return nil, fmt.Errorf("train: %s describes a different run (model, recipe, seed or batch size differ); use another --out", cpath)
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

func sameRun(a, b Config) bool {
	return a.Model == b.Model && a.Recipe == b.Recipe && a.Seed == b.Seed && a.BatchSize == b.BatchSize &&
		reflect.DeepEqual(a.Norm, b.Norm)
}

// GlobalStep is the number of optimisation steps done so far.
func (t *Trainer) GlobalStep() int { return int(optimizer.GetGlobalStep(t.Store)) }

// StepsPerEpoch as given to New.
func (t *Trainer) StepsPerEpoch() int { return t.stepsPerEpoch }

// TotalSteps is the planned number of steps.
func (t *Trainer) TotalSteps() int { return t.Config.TotalSteps(t.stepsPerEpoch) }

// SmoothedCrossEntropy is the mean cross-entropy of logits [n,K] against labels [n] smoothed as
// (1-eps)*onehot + eps/K (PyTorch CrossEntropyLoss(label_smoothing=eps)).
func SmoothedCrossEntropy(logits, labels *graph.Node, eps float64) *graph.Node {
	k := logits.Shape().Dimensions[1]
	target := graph.OneHot(labels, k, logits.DType())
	if eps > 0 {
		target = graph.AddScalar(graph.MulScalar(target, 1-eps), eps/float64(k))
	}
	return loss.CategoricalCrossEntropyLogits([]*graph.Node{target}, []*graph.Node{logits})
}

// correct is the number of rows of logits whose arg-max equals the label (float32 scalar).
func correct(logits, labels *graph.Node) *graph.Node {
	pred := graph.ArgMax(logits, -1, labels.DType())
	return graph.ReduceAllSum(graph.ConvertDType(graph.Equal(pred, labels), logits.DType()))
}

func (t *Trainer) execs() error {
	if t.trainExec != nil {
		return nil
	}
	spec := t.Config.Model
	eps := t.Config.Recipe.LabelSmoothing
	var err error
	t.trainExec, err = model.NewExec(t.Backend, t.Store, func(scope *model.Scope, images, labels *graph.Node) []*graph.Node {
		g := images.Graph()
		scope.Store().SetTraining(g, true)
		logits := models.Logits(scope, spec, images)
		l := SmoothedCrossEntropy(logits, labels, eps)
		c := correct(logits, labels)
		lr, norm := t.opt.Update(scope, l)
		return []*graph.Node{l, c, lr, norm}
	})
	if err != nil {
		return err
	}
	t.evalExec, err = model.NewExec(t.Backend, t.Store, func(scope *model.Scope, images, labels *graph.Node) []*graph.Node {
		g := images.Graph()
		scope.Store().SetTraining(g, false)
		logits := models.Logits(scope, spec, images)
		l := SmoothedCrossEntropy(logits, labels, eps)
		n := float64(labels.Shape().Dimensions[0])
		return []*graph.Node{graph.MulScalar(l, n), correct(logits, labels)}
	})
	return err
}

func (t *Trainer) tensors(b Batch) (*tensors.Tensor, *tensors.Tensor, error) {
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
	return img, tensors.FromValue(b.Labels), nil
}

// StepResult holds the outputs of one training step.
type StepResult struct {
	Loss, Accuracy, LearningRate, GradNorm float64
}

// Step runs one optimisation step on b.
func (t *Trainer) Step(b Batch) (StepResult, error) {
	if err := t.execs(); err != nil {
		return StepResult{}, err
	}
	img, lab, err := t.tensors(b)
	if err != nil {
		return StepResult{}, err
	}
	outs, err := t.trainExec.Call(img, lab)
	img.FinalizeAll()
	lab.FinalizeAll()
	if err != nil {
		return StepResult{}, err
	}
	r := StepResult{
		Loss:         float64(tensors.ToScalar[float32](outs[0])),
		Accuracy:     float64(tensors.ToScalar[float32](outs[1])) / float64(b.N),
		LearningRate: float64(tensors.ToScalar[float32](outs[2])),
		GradNorm:     float64(tensors.ToScalar[float32](outs[3])),
	}
	for _, o := range outs {
		o.FinalizeAll()
	}
	if math.IsNaN(r.Loss) || math.IsInf(r.Loss, 0) {
		return r, fmt.Errorf("train: loss is %g at step %d", r.Loss, t.GlobalStep())
	}
	return r, nil
}

// Evaluate returns the mean loss (with the training label smoothing) and accuracy over data,
// in inference mode (batch-norm moving averages, no dropout).
func (t *Trainer) Evaluate(data EvalData) (meanLoss, accuracy float64, err error) {
	if err := t.execs(); err != nil {
		return 0, 0, err
	}
	var sumLoss, sumCorrect float64
	n := 0
	for b, err := range data.Batches() {
		if err != nil {
			return 0, 0, err
		}
		img, lab, err := t.tensors(b)
		if err != nil {
			return 0, 0, err
		}
		outs, err := t.evalExec.Call(img, lab)
		img.FinalizeAll()
		lab.FinalizeAll()
		if err != nil {
			return 0, 0, err
		}
		sumLoss += float64(tensors.ToScalar[float32](outs[0]))
		sumCorrect += float64(tensors.ToScalar[float32](outs[1]))
		n += b.N
	}
	if n == 0 {
		return math.NaN(), math.NaN(), nil
	}
	return sumLoss / float64(n), sumCorrect / float64(n), nil
}

// Result summarises a Fit call.
type Result struct {
	Step                   int // global step reached.
	FinalLoss              float64
	TestLoss, TestAccuracy float64 // NaN without test data or if no epoch ended.
	Wall                   time.Duration
	ImagesPerSec           float64       // training images / (step time + data wait); evaluation excluded.
	DataWait               time.Duration // time waiting for batches.
	StepTime               time.Duration // time in training steps.
}

// Fit trains until the planned total (or StopAt), starting at the current global step: the
// batches of the current epoch already used are skipped, so a resumed run sees the same data as
// an uninterrupted one. At the end of every epoch it evaluates test (if not nil), writes a
// metrics record and, if CheckpointEvery is 0, a checkpoint; it also checkpoints every
// CheckpointEvery steps, at each step listed in CheckpointSteps, and when ctx is cancelled
// (returning ctx.Err()).
func (t *Trainer) Fit(ctx context.Context, data Data, test EvalData) (Result, error) {
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
		var sumLoss, sumAcc float64
		nSteps := 0
		var wait, compute time.Duration
		epochStart := time.Now()
		last := time.Now()
		var iterErr error
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
			sumAcc += r.Accuracy
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
			ep := progress.Epoch{Epoch: epoch, Step: step, TrainLoss: sumLoss / float64(max(nSteps, 1)),
				TrainAccuracy: sumAcc / float64(max(nSteps, 1)), TestLoss: math.NaN(), TestAccuracy: math.NaN(),
				DataWait: wait, StepTime: compute, WallTime: time.Since(epochStart)}
			ep.ImagesPerSec = float64(nSteps*t.Config.BatchSize) / ep.WallTime.Seconds()
			if test != nil && epochDone {
				var err error
				ep.TestLoss, ep.TestAccuracy, err = t.Evaluate(test)
				if err != nil {
					return res, err
				}
				res.TestLoss, res.TestAccuracy = ep.TestLoss, ep.TestAccuracy
			}
			rep.EpochEnd(ep)
			if err := t.writeMetrics(ep, epochDone); err != nil {
				return res, err
			}
			if t.Config.CheckpointEvery == 0 || step >= stop {
				if err := t.Save(); err != nil {
					return res, err
				}
			}
		}
	}
	res.Step = t.GlobalStep()
	res.Wall = time.Since(start)
	res.DataWait = totalWait
	res.ImagesPerSec = float64(images) / (res.StepTime + res.DataWait).Seconds()
	return res, nil
}
