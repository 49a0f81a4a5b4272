// Package study wires the coarse-label study's pipeline into sweep stages:
//
//	labels   -> labels.csv: the run's training labels (PCA median splits of a label source's
//	            embedding for K runs, via pkg/coarse; the fine labels for the fine baseline)
//	train    -> train/ (pkg/train run folder: config.json, checkpoints, metrics) and curve.jsonl
//	features -> features.json + features-*.bin: per-layer activations of the 92 stimuli
//	eval     -> scores.jsonl: pkg/eval's rows for the eval.metrics (default spearman, tau-a) against
//	            mIT, hIT, behaviour and the config's own targets; CIs; ceilings; split-half layer
//	            selection; odd-one-out (evalstage.go)
//
// The label source of the coarse runs is computed once per sweep folder (sweep.Env.Shared):
// "fine-net" trains a network of the run's architecture on the fine labels and embeds the
// training images with its penultimate layer; "untrained-net" uses a randomly initialised
// network; "pixels" the raw pixels; a ".npy" path a user embedding.
//
// The run preparation (LoadTrainingSetWith, ModelSpec, TrainConfig, NewJob, PrepareTraining,
// StimulusFeatures) is shared with the CLI's train and features commands, so the same settings
// give the same images, subset, split, model, recipe and batches there and in a sweep.
package study

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/coarsealign/coarsealign/internal/fsutil"
	"github.com/coarsealign/coarsealign/pkg/arch"
	"github.com/coarsealign/coarsealign/pkg/coarse"
	"github.com/coarsealign/coarsealign/pkg/models"
	"github.com/coarsealign/coarsealign/pkg/progress"
	"github.com/coarsealign/coarsealign/pkg/sweep"
	"github.com/coarsealign/coarsealign/pkg/train"
)

// Options configure the stages.
type Options struct {
	// Log receives one line per notable step (nil: none).
	Log io.Writer
	// Progress, if not nil, shows a training progress bar with ETA (pkg/progress) there.
	Progress io.Writer
	// NewReporter, if not nil, returns the progress reporter of each training (e.g.
	// gonbprogress.New in a notebook) and takes precedence over Progress. It is called once per
	// fit, since a fit closes its reporter when it ends.
	NewReporter func() progress.Reporter
}

// Stages returns the study's pipeline: labels, train, features, eval.
func Stages(o Options) []sweep.Stage {
	if o.Log == nil {
		o.Log = io.Discard
	}
	return []sweep.Stage{
		sweep.StageFunc{StageName: "labels", Fn: o.labels},
		sweep.StageFunc{StageName: "train", Fn: o.train},
		sweep.StageFunc{StageName: "features", Fn: o.features},
		sweep.StageFunc{StageName: "eval", Fn: o.eval},
	}
}

// Artifact names inside a run folder.
const (
	LabelsFile = "labels.csv"
	TrainDir   = "train"
)

// PenultimateLayer is the tap whose activations embed the training images for the network
// label sources: the architecture's penultimate tap (arch.Arch.Penultimate; the study:
// AlexNet's FC2, i.e. fc7 after ReLU). "" for an unknown architecture.
func PenultimateLayer(name string) string {
	if a, ok := arch.Lookup(name); ok {
		return a.Penultimate
	}
	return ""
}

// numClasses returns the output width of the run's network.
func numClasses(r sweep.Run, ts *TrainingSet) int {
	if k, ok := r.K(); ok {
		return k
	}
	return len(ts.DS.Classes)
}

// ModelSpec returns the network of architecture setting a with k outputs: the registered
// architecture's default spec (models.DefaultSpec) at a's width and input size, with a's
// initialisation. The sweep and the CLI's train command build their models here.
func ModelSpec(a sweep.Arch, k int) (models.Spec, error) {
	s, err := models.DefaultSpec(models.Arch(a.Name), k, arch.Params{Width: a.Width, InputSize: a.InputSize}, a.Init)
	if err != nil {
		return s, fmt.Errorf("study: %w", err)
	}
	return s, nil
}

// TrainConfig returns the pkg/train configuration of a network trained with budget t (the
// sweep's and the CLI's): the study's recipe (train.DefaultRecipe) with t's learning rate,
// weight decay, warm-up, label smoothing and clipping, and ts's normalisation statistics.
func TrainConfig(spec models.Spec, t sweep.Train, seed int, ts *TrainingSet) train.Config {
	rec := train.DefaultRecipe()
	rec.LearningRate = t.LR
	rec.WeightDecay = t.WeightDecay
	rec.WarmupEpochs = t.WarmupEpochs
	rec.LabelSmoothing = t.LabelSmoothing
	rec.ClipNorm = t.ClipNorm
	cfg := train.Config{Model: spec, Recipe: rec, Seed: int64(seed), BatchSize: t.Batch,
		Epochs: int(math.Ceil(t.Epochs)), Steps: t.Steps,
		Norm: train.Normalization{Mean: ts.Stats.Mean[:], Std: ts.Stats.Std[:]}}
	if t.Steps == 0 && t.Epochs != math.Trunc(t.Epochs) {
		cfg.Steps = int(math.Round(t.Epochs * float64(len(ts.Train)/t.Batch)))
	}
	if cfg.Epochs == 0 {
		cfg.Epochs = 1
	}
	return cfg
}

// ---- labels ----

func (o Options) labels(ctx context.Context, env *sweep.Env) error {
	r := env.Run
	ts, err := LoadTrainingSet(env.DataDir, r.Data, r.Arch.InputSize)
	if err != nil {
		return err
	}
	var labels []int32
	switch k, coarseRun := r.K(); {
	case coarseRun:
		codes, bits, err := o.sourceCodes(ctx, env, ts)
		if err != nil {
			return err
		}
		b := 0
		for 1<<b < k {
			b++
		}
		labels = make([]int32, len(codes))
		for i, c := range codes {
			labels[i] = int32(c >> (bits - b)) // label_K = code >> (Bits - log2 K): pkg/coarse's nesting
		}
	default:
		labels = ts.DS.Labels
	}
	return env.WriteFile(LabelsFile, func(w io.Writer) error {
		bw := bufio.NewWriter(w)
		fmt.Fprintln(bw, "index,id,label")
		for i, l := range labels {
			fmt.Fprintf(bw, "%d,%s,%d\n", i, ts.DS.Paths[i], l)
		}
		return bw.Flush()
	})
}

// readLabels reads the run's labels.csv (one label per image of the training set, in order).
func readLabels(path string, n int) ([]int32, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	var out []int32
	for line := 0; sc.Scan(); line++ {
		if line == 0 {
			continue
		}
		parts := strings.Split(sc.Text(), ",")
		v, err := strconv.Atoi(parts[len(parts)-1])
		if err != nil {
			return nil, fmt.Errorf("study: %s line %d: %w", path, line+1, err)
		}
		out = append(out, int32(v))
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("study: %s: %w", path, err)
	}
	if len(out) != n {
		return nil, fmt.Errorf("study: %s has %d labels for %d images", path, len(out), n)
	}
	return out, nil
}

// sourceSpec identifies a label source's embedding and PCA: the shared folder's key.
type sourceSpec struct {
	Source string          `json:"source"`
	Labels sweep.LabelSpec `json:"labels"`
	Data   sweep.Data      `json:"data"`
	Arch   sweep.Arch      `json:"arch"`
	Train  sweep.Train     `json:"train,omitempty"`
}

// codesFile holds one PCA code (Bits bits, PC1 the most significant) per training-set image.
const codesFile = "codes.txt"

// sourceCodes returns the full PCA codes of every image of ts for the run's label source,
// computing them once per sweep folder: the PCA is fitted on the training part and applied to
// all images (which reproduces the fitted labels exactly, pkg/coarse Apply).
func (o Options) sourceCodes(ctx context.Context, env *sweep.Env, ts *TrainingSet) ([]uint8, int, error) {
	r := env.Run
	spec := sourceSpec{Source: r.LabelSource, Labels: r.Labels, Data: r.Data}
	if r.LabelSource == sweep.SourceFineNet || r.LabelSource == sweep.SourceUntrainedNet {
		spec.Arch = r.Labels.SourceArchFor(r.Arch)
	}
	if r.LabelSource == sweep.SourceFineNet {
		spec.Train = r.Train
		if r.Labels.SourceEpochs > 0 {
			spec.Train.Epochs = r.Labels.SourceEpochs
			spec.Train.Steps = 0
		}
	}
	key, err := json.Marshal(spec)
	if err != nil {
		return nil, 0, err
	}
	sum := sha256.Sum256(key)
	netDir := filepath.Join(env.Out, "shared", "net-"+hex.EncodeToString(sum[:])[:sweep.IDLen])
	dir, err := env.Shared(ctx, "labels", spec, func(tmp string) error {
		if err := fsutil.ChmodTempDir(tmp); err != nil { // MkdirTemp makes 0700 folders
			return err
		}
		fmt.Fprintf(o.Log, "label source %s: computing the embedding of %d images\n", r.LabelSource, ts.DS.N)
		x, prov, err := o.embed(ctx, spec, ts, netDir)
		if err != nil {
			return err
		}
		trainX, err := rowsOf(x, ts.Train)
		if err != nil {
			return err
		}
		lab, err := coarse.FitSource(trainX, pathsOf(ts, ts.Train), prov, &coarse.Options{Bits: r.Labels.PCs, Seed: uint64(r.Labels.SourceSeed)})
		if err != nil {
			return err
		}
		if err := lab.Save(filepath.Join(tmp, "pca")); err != nil {
			return err
		}
		all, err := lab.Apply(x, 1<<lab.Bits)
		if err != nil {
			return err
		}
		f, err := os.Create(filepath.Join(tmp, codesFile))
		if err != nil {
			return err
		}
		bw := bufio.NewWriter(f)
		fmt.Fprintln(bw, lab.Bits)
		for _, c := range all {
			fmt.Fprintln(bw, c)
		}
		if err := bw.Flush(); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	})
	if err != nil {
		return nil, 0, fmt.Errorf("label source %s: %w", r.LabelSource, err)
	}
	return readCodes(filepath.Join(dir, codesFile), ts.DS.N)
}

func readCodes(path string, n int) ([]uint8, int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, 0, err
	}
	lines := strings.Fields(string(b))
	if len(lines) != n+1 {
		return nil, 0, fmt.Errorf("study: %s has %d codes for %d images", path, len(lines)-1, n)
	}
	bits, err := strconv.Atoi(lines[0])
	if err != nil || bits < 1 || bits > 8 {
		return nil, 0, fmt.Errorf("study: %s: bad bit count %q", path, lines[0])
	}
	codes := make([]uint8, n)
	for i, s := range lines[1:] {
		v, err := strconv.Atoi(s)
		if err != nil || v < 0 || v >= 1<<bits {
			return nil, 0, fmt.Errorf("study: %s line %d: bad code %q", path, i+2, s)
		}
		codes[i] = uint8(v)
	}
	return codes, bits, nil
}

func pathsOf(ts *TrainingSet, idx []int) []string {
	out := make([]string, len(idx))
	for i, j := range idx {
		out[i] = ts.DS.Paths[j]
	}
	return out
}

// ---- train ----

func (o Options) train(ctx context.Context, env *sweep.Env) error {
	r := env.Run
	dir := env.Path(TrainDir)
	if r.Granularity == sweep.SSL {
		return o.trainSSL(ctx, env)
	}
	if r.Granularity == sweep.Untrained {
		ts, err := LoadTrainingSet(env.DataDir, r.Data, r.Arch.InputSize)
		if err != nil {
			return err
		}
		spec, err := ModelSpec(r.Arch, numClasses(r, ts))
		if err != nil {
			return err
		}
		// No training: the run folder holds the config; train.OpenRun(dir, 0) initialises the
		// weights from the seed exactly as at the start of training.
		cfg := TrainConfig(spec, sweep.Train{Epochs: 1, Batch: 1, LR: 1}, r.Seed, ts)
		return env.WriteDir(TrainDir, func(tmp string) error {
			if err := fsutil.ChmodTempDir(tmp); err != nil { // MkdirTemp makes 0700 folders
				return err
			}
			return train.SaveConfig(cfg, filepath.Join(tmp, train.ConfigFile))
		})
	}
	job, err := PrepareTraining(env.DataDir, TrainSettings{Data: r.Data, Arch: r.Arch, Train: r.Train, Seed: int64(r.Seed),
		Load: LoadOptions{Download: true}, Workers: DefaultWorkers,
		Labels: func(ts *TrainingSet) ([]int32, int, error) {
			labels, err := readLabels(env.Path(LabelsFile), ts.DS.N)
			return labels, numClasses(r, ts), err
		}})
	if err != nil {
		return err
	}
	job.Config.Data = map[string]string{"source": r.Data.Source, "path": r.Data.Path, "granularity": r.Granularity,
		"label_source": r.LabelSource, "per_class": strconv.Itoa(r.Data.PerClass)}
	keepChronology(r, job)
	if err := o.run(ctx, job, dir); err != nil {
		return err
	}
	return writeTrainCurve(env, dir)
}

// writeTrainCurve writes the run's curve.jsonl from the metrics of the training run in dir.
func writeTrainCurve(env *sweep.Env, dir string) error {
	recs, err := train.ReadMetrics(dir)
	if err != nil {
		return err
	}
	curve := make([]sweep.EpochStat, 0, len(recs))
	for _, e := range recs {
		st := sweep.EpochStat{Epoch: float64(e.Epoch), Step: e.Step, TrainLoss: e.TrainLoss, TrainAcc: e.TrainAccuracy,
			ValLoss: math.NaN(), ValAcc: math.NaN()}
		if e.TestLoss != nil {
			st.ValLoss = *e.TestLoss
		}
		if e.TestAccuracy != nil {
			st.ValAcc = *e.TestAccuracy
		}
		curve = append(curve, st)
	}
	return env.WriteCurve(curve)
}

// fit trains cfg in dir (resuming from its latest checkpoint) on the training part of ts with
// labels, validating on the held-out part every epoch (a Job, as the train stage's and the
// CLI's). seed must be cfg.Seed, which seeds the batches.
func (o Options) fit(ctx context.Context, cfg train.Config, dir string, ts *TrainingSet, labels []int32, augment bool, seed uint64) error {
	if seed != uint64(cfg.Seed) {
		return fmt.Errorf("study: batch seed %d differs from the training seed %d", seed, cfg.Seed)
	}
	job, err := NewJob(ts, labels, cfg, augment, DefaultWorkers)
	if err != nil {
		return err
	}
	return o.run(ctx, job, dir)
}

// run trains job in dir with the options' progress reporting.
func (o Options) run(ctx context.Context, job *Job, dir string) error {
	b, err := newBackend()
	if err != nil {
		return err
	}
	tr, err := job.NewTrainer(b, dir)
	if err != nil {
		return err
	}
	if o.NewReporter != nil {
		tr.Reporter = o.NewReporter()
	} else if o.Progress != nil {
		tr.Reporter = progress.NewTerminal(o.Progress)
	}
	_, err = tr.Fit(ctx, job.Data, job.Val)
	return err
}
