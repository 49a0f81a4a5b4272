package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/coarsealign/coarsealign/pkg/arch"
	"github.com/coarsealign/coarsealign/pkg/backend"
	"github.com/coarsealign/coarsealign/pkg/coarse"
	"github.com/coarsealign/coarsealign/pkg/data/images"
	"github.com/coarsealign/coarsealign/pkg/datadir"
	"github.com/coarsealign/coarsealign/pkg/fastconv"
	"github.com/coarsealign/coarsealign/pkg/models"
	"github.com/coarsealign/coarsealign/pkg/progress"
	"github.com/coarsealign/coarsealign/pkg/sweep"
	"github.com/coarsealign/coarsealign/pkg/sweep/study"
	"github.com/coarsealign/coarsealign/pkg/train"
)

func init() {
	register("train", "train a model with the study's recipe into a run folder (resumes if interrupted)", runTrain)
}

// parseSteps parses "100,200,500" into step numbers.
func parseSteps(s string) ([]int, error) {
	if s == "" {
		return nil, nil
	}
	var out []int
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || v < 1 {
			return nil, fmt.Errorf("--checkpoint-steps: %q is not a positive step number", f)
		}
		out = append(out, v)
	}
	return out, nil
}

func runTrain(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("train", stderr)
	dataFlag := fs.String("data", "", "data directory (default $COARSEALIGN_DATA, else the user cache folder)")
	imagesFlag := fs.String("images", "cifar10", "training images: cifar10 (DATA/cifar10-jpg, else the official binary in DATA) or an ImageFolder path (root/<class>/*.jpg)")
	labelsFlag := fs.String("labels", "fine", "labels: fine (the image classes) or a coarse-label folder written by 'coarsealign labels' (with --k)")
	kFlag := fs.Int("k", 0, "number of coarse classes K (a power of two) when --labels is a folder")
	archFlag := fs.String("model", "alexnet-bn", "architecture: "+strings.Join(arch.Names(), ", "))
	input := fs.Int("input", 32, "input size in pixels: 32 or 64 (CPU variants), 224 (original AlexNet geometry, GPU)")
	width := fs.Float64("width", 0.5, "AlexNet channel/FC width multiplier (1 = 64..256 channels, FC 4096)")
	epochs := fs.Int("epochs", 20, "epochs (study: 20)")
	steps := fs.Int("steps", 0, "total steps instead of --epochs (e.g. for a quick check)")
	batch := fs.Int("batch", 32, "batch size (study: 32)")
	perClass := fs.Int("per-class", 0, "use only N images per class before the split (seeded by the split seed 42, nested; as a sweep's data.per_class); 0 uses all")
	seed := fs.Int64("seed", 1, "seed of initialisation, dropout, data order and augmentation (study: 1, 2, 3)")
	out := fs.String("out", "", "run folder (config, checkpoints, metrics); rerunning with the same flags resumes")
	lr := fs.Float64("lr", 5e-4, "peak learning rate (AdamW)")
	wd := fs.Float64("wd", 1e-3, "weight decay on conv/dense kernels only")
	warmup := fs.Float64("warmup-epochs", 2, "linear warm-up from 0.25*lr, in epochs")
	augment := fs.Bool("augment", true, "horizontal flips and +-10 degree rotations (the study's augmentation)")
	testFlag := fs.String("test", "auto", "test set: official (cifar10 test split), split (fixed 80/20 split, seed 42), none; auto = official for cifar10 with fine labels, else split")
	ckSteps := fs.String("checkpoint-steps", "", "comma-separated global steps whose checkpoints are kept (training chronology)")
	ckEvery := fs.Int("checkpoint-every", 0, "also checkpoint every N steps (0: at the end of every epoch)")
	cacheFlag := fs.String("cache", "", "decoded-image cache folder (default: user cache folder/coarsealign/images; 'none' disables)")
	workers := fs.Int("workers", study.DefaultWorkers, "goroutines preparing each batch (the sweep's default)")
	quiet := fs.Bool("quiet", false, "no progress bar (epoch lines only)")
	initFlag := fs.String("init", models.InitTorch, "weight initialisation: torch (PyTorch's defaults, the study's) or he-normal (GoMLX's)")
	jpegFlag := fs.String("jpeg", string(images.JPEGLibjpeg), "JPEG colour conversion: libjpeg (PIL's pixels, the default) or go (Go's image/jpeg, before 2026-12-01)")
	initFrom := fs.String("init-from", "", "start from PyTorch weights: a folder of <state_dict key>.npy files (see models.TorchLayout; alexnet-bn)")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		fmt.Fprintf(stderr, "coarsealign train: unexpected argument %q\n", pos[0])
		return errUsage
	}
	if *out == "" {
		fmt.Fprintln(stderr, "coarsealign train: --out is required")
		return errUsage
	}
	switch {
	case *steps < 0:
		return fmt.Errorf("--steps %d: want >= 0 (0: use --epochs)", *steps)
	case !(*warmup >= 0) || math.IsInf(*warmup, 0):
		return fmt.Errorf("--warmup-epochs %g: want a finite value >= 0", *warmup)
	case *kFlag != 0 && *labelsFlag == "fine":
		return fmt.Errorf("--k %d applies to coarse labels (--labels DIR), not --labels fine", *kFlag)
	}
	checkpointSteps, err := parseSteps(*ckSteps)
	if err != nil {
		return err
	}
	// Watch for SIGINT/SIGTERM from here on: the trainer checkpoints and stops on the first.
	intr := newInterrupt(stderr)
	defer intr.Stop()
	dataDir := datadir.Resolve(*dataFlag)
	if _, err := arch.Get(*archFlag); err != nil {
		return fmt.Errorf("--model: %w", err)
	}

	// The data settings, as a sweep's: the same loader, per-class subset and split (seed 42).
	if *perClass < 0 {
		return fmt.Errorf("--per-class %d: must be >= 0 (0 uses every image)", *perClass)
	}
	if j := images.JPEGDecoder(*jpegFlag); j != images.JPEGLibjpeg && j != images.JPEGGo {
		return fmt.Errorf("--jpeg %q: want %s or %s", *jpegFlag, images.JPEGLibjpeg, images.JPEGGo)
	}
	d := sweep.Data{Source: "cifar10", PerClass: *perClass, SplitSeed: images.StudySplitSeed, JPEG: *jpegFlag}
	if *imagesFlag != "cifar10" {
		root, err := filepath.Abs(*imagesFlag)
		if err != nil {
			return err
		}
		d.Source, d.Path = "images", root
	}
	mode := *testFlag
	if mode == "auto" {
		mode = "split"
		if *imagesFlag == "cifar10" && *labelsFlag == "fine" {
			mode = "official"
		}
	}
	switch mode {
	case "official":
		if *imagesFlag != "cifar10" || *labelsFlag != "fine" {
			return fmt.Errorf("--test official needs --images cifar10 --labels fine")
		}
	case "split":
		d.ValFraction = images.StudyTestFraction
	case "none":
	default:
		return fmt.Errorf("--test %q: want auto, official, split or none", *testFlag)
	}

	// Coarse labels restrict the images to those they label (they may have been fitted on a
	// subset, e.g. with --per-class).
	var coarseLabels *coarse.Labeling
	load := study.LoadOptions{Cache: *cacheFlag}
	if *labelsFlag != "fine" {
		l, err := coarse.Load(*labelsFlag)
		if err != nil {
			return err
		}
		if *kFlag < 2 {
			return fmt.Errorf("--labels %s needs --k (one of %v)", *labelsFlag, l.Ks())
		}
		if err := l.CheckK(*kFlag); err != nil {
			return fmt.Errorf("--k %d with --labels %s: %w", *kFlag, *labelsFlag, err)
		}
		if l.IDs == nil {
			return fmt.Errorf("--labels %s has no image IDs to match the training images", *labelsFlag)
		}
		coarseLabels, load.IDs = l, l.IDs
	}
	labelDesc := "fine"
	settings := study.TrainSettings{Data: d, Seed: *seed, Load: load, Workers: *workers,
		Arch: sweep.Arch{Name: *archFlag, Width: *width, InputSize: *input, Init: *initFlag},
		Train: sweep.Train{Epochs: float64(*epochs), Steps: *steps, Batch: *batch, LR: *lr, WeightDecay: *wd,
			WarmupEpochs: *warmup, LabelSmoothing: train.DefaultRecipe().LabelSmoothing, ClipNorm: train.DefaultRecipe().ClipNorm,
			Augment: *augment}}
	if coarseLabels != nil {
		labelDesc = fmt.Sprintf("%s K=%d", *labelsFlag, *kFlag)
		settings.Labels = func(ts *study.TrainingSet) ([]int32, int, error) {
			if ts.Selected < ts.SourceN {
				fmt.Fprintf(stdout, "labels cover %d of %d images: training on those\n", ts.Selected, ts.SourceN)
			}
			labels, err := ts.DS.AlignLabels(coarseLabels.IDs, coarseLabels.Labels(*kFlag))
			return labels, *kFlag, err
		}
	}
	t0 := time.Now()
	job, err := study.PrepareTraining(dataDir, settings)
	if err != nil {
		if coarseLabels != nil {
			return fmt.Errorf("--labels %s: %w", *labelsFlag, err)
		}
		return err
	}
	ts, spec := job.Set, job.Config.Model
	job.Config.CheckpointSteps, job.Config.CheckpointEvery = checkpointSteps, *ckEvery
	job.Config.Data = map[string]string{"images": *imagesFlag, "source": ts.Source, "labels": labelDesc, "test": mode,
		"per_class": strconv.Itoa(*perClass), "augment": strconv.FormatBool(*augment), "jpeg": *jpegFlag}
	if *initFrom != "" {
		job.Config.Data["init_from"] = *initFrom
	}
	if mode == "official" {
		testDS, _, err := study.LoadImages(dataDir, "cifar10", "", "test", *input,
			images.Options{CacheDir: images.CacheDirFor(*cacheFlag), JPEG: images.JPEGDecoder(*jpegFlag)}, false)
		if err != nil {
			return err
		}
		job.Val = study.EvalBatches(testDS, nil, nil, ts.Stats, *workers)
	}
	fmt.Fprintf(stdout, "images: %d training (%dx%d) from %s, labels %s (%d classes), test %s; loaded in %s\n",
		len(ts.Train), ts.DS.H, ts.DS.W, ts.Source, labelDesc, spec.NumClasses, mode, time.Since(t0).Round(time.Millisecond))

	b, err := backend.New()
	if err != nil {
		return err
	}
	fastconv.WarnIfNoSIMD(stderr)
	tr, err := job.NewTrainer(b, *out)
	if err != nil {
		return err
	}
	if s := tr.GlobalStep(); s > 0 {
		fmt.Fprintf(stdout, "resuming %s at step %d of %d\n", *out, s, tr.TotalSteps())
	} else if *initFrom != "" {
		if err := models.ImportTorch(tr.Store, spec, *initFrom); err != nil {
			return fmt.Errorf("--init-from: %w", err)
		}
		fmt.Fprintf(stdout, "initial weights from PyTorch: %s\n", *initFrom)
	}
	fmt.Fprintf(stdout, "model %s (input %d, width %g, K %d) on backend %s; %d steps of %d images (%d per epoch)\n",
		spec.Arch, spec.InputSize, spec.Width, spec.NumClasses, fastconv.BackendInfo(b), tr.TotalSteps(), *batch, tr.StepsPerEpoch())
	var reps progress.Multi
	if !*quiet {
		term := progress.NewTerminal(stderr) // a bar on a terminal, plain lines in a log
		term.EpochLines = false              // epochPrinter writes them, on stdout
		reps = append(reps, term)
	}
	reps = append(reps, epochPrinter{stdout})
	tr.Reporter = reps

	ctx := intr.Context()
	if err := ctx.Err(); err != nil { // interrupted while the images were loading
		return intr.Err(err, "nothing trained")
	}
	res, err := tr.Fit(ctx, job.Data, job.Val)
	if errors.Is(err, context.Canceled) {
		fmt.Fprintf(stdout, "interrupted at step %d of %d: checkpoint saved, the run is unfinished (%s); rerun the same command to resume\n",
			res.Step, tr.TotalSteps(), filepath.Join(*out, train.StateFile))
		return intr.Err(err, fmt.Sprintf("stopped at step %d of %d, checkpoint saved in %s, the run is unfinished; rerun the same command to resume", res.Step, tr.TotalSteps(), *out))
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "done: step %d, final batch loss %.4f, test accuracy %.2f%%, %.1f images/s, wall %s (data wait %s)\n",
		res.Step, res.FinalLoss, 100*res.TestAccuracy, res.ImagesPerSec, res.Wall.Round(time.Second), res.DataWait.Round(time.Millisecond))
	return nil
}

// epochPrinter writes one line per epoch to w (stdout), next to the stderr progress bar.
type epochPrinter struct{ w io.Writer }

func (p epochPrinter) Step(progress.Update)      {}
func (p epochPrinter) EpochEnd(e progress.Epoch) { fmt.Fprintln(p.w, progress.EpochLine(e)) }
func (p epochPrinter) Close()                    {}
