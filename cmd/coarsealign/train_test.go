package main

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/coarsealign/coarsealign/pkg/datadir"
	"github.com/coarsealign/coarsealign/pkg/features"
	"github.com/coarsealign/coarsealign/pkg/sweep"
	"github.com/coarsealign/coarsealign/pkg/sweep/study"
	"github.com/coarsealign/coarsealign/pkg/train"
)

// tinyFolder writes an ImageFolder of 2 classes x 10 PNGs (32x32): class "a" dark, "b" bright.
func tinyFolder(t *testing.T) string {
	root := filepath.Join(t.TempDir(), "imgs")
	for ci, cls := range []string{"a", "b"} {
		dir := filepath.Join(root, cls)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 10; i++ {
			img := image.NewRGBA(image.Rect(0, 0, 32, 32))
			for y := 0; y < 32; y++ {
				for x := 0; x < 32; x++ {
					v := uint8(40 + 150*ci + (x*y+i*13)%50)
					img.Set(x, y, color.RGBA{v, uint8(255 - v), v / 2, 255})
				}
			}
			f, err := os.Create(filepath.Join(dir, string(rune('0'+i))+".png"))
			if err != nil {
				t.Fatal(err)
			}
			if err := png.Encode(f, img); err != nil {
				t.Fatal(err)
			}
			f.Close()
		}
	}
	return root
}

func TestTrainAndFeaturesCommands(t *testing.T) {
	root := tinyFolder(t)
	runDir := filepath.Join(t.TempDir(), "run")
	args := []string{"train", "--images", root, "--steps", "3", "--width", "0.0625", "--batch", "4", "--seed", "2",
		"--test", "split", "--cache", "none", "--quiet", "--checkpoint-steps", "1", "--out", runDir}
	var out, errb bytes.Buffer
	if code := run(args, &out, &errb); code != 0 {
		t.Fatalf("train exit %d: %s", code, errb.String())
	}
	if !strings.Contains(out.String(), "done: step 3") {
		t.Fatalf("train output:\n%s", out.String())
	}
	cks, err := train.ListCheckpoints(runDir)
	if err != nil || len(cks) != 2 || cks[0].Step != 1 || cks[1].Step != 3 {
		t.Fatalf("checkpoints %v, %v; want steps 1 and 3", cks, err)
	}
	out.Reset()
	if code := run(args, &out, &errb); code != 0 || !strings.Contains(out.String(), "resuming") {
		t.Fatalf("rerun exit %d, output:\n%s", code, out.String())
	}
	feat := filepath.Join(t.TempDir(), "feat")
	out.Reset()
	code := run([]string{"features", "--data", datadir.ForTest(t), "--run", runDir, "--step", "1", "--out", feat,
		"--layers", "conv1.pre,fc7.post,logits"}, &out, &errb)
	if code != 0 {
		t.Fatalf("features exit %d: %s", code, errb.String())
	}
	idx, layers, err := features.Load(feat)
	if err != nil {
		t.Fatal(err)
	}
	if idx.Step != 1 || len(layers) != 3 || layers[0].Rows != 92 || layers[0].Cols != 32*32*4 || layers[2].Cols != 2 {
		t.Fatalf("index %+v, %d layers", idx, len(layers))
	}
	if code := run([]string{"features", "--run", runDir, "--out", feat, "--layers", "nope"}, &out, &errb); code != 1 {
		t.Fatalf("unknown layer: exit %d", code)
	}
}

// TestTrainCoarseLabels trains on K=2 PCA median-split labels written by 'coarsealign labels'.
func TestTrainCoarseLabels(t *testing.T) {
	root := tinyFolder(t)
	labelsDir := filepath.Join(t.TempDir(), "labels")
	var out, errb bytes.Buffer
	if code := run([]string{"labels", "--images", root, "--cache", "none", "--k", "2", "--out", labelsDir}, &out, &errb); code != 0 {
		t.Fatalf("labels exit %d: %s", code, errb.String())
	}
	runDir := filepath.Join(t.TempDir(), "run")
	out.Reset()
	args := []string{"train", "--images", root, "--labels", labelsDir, "--k", "2", "--steps", "2", "--width", "0.0625",
		"--batch", "4", "--cache", "none", "--quiet", "--out", runDir}
	if code := run(args, &out, &errb); code != 0 {
		t.Fatalf("train exit %d: %s", code, errb.String())
	}
	cfg, err := train.LoadConfig(filepath.Join(runDir, train.ConfigFile))
	if err != nil || cfg.Model.NumClasses != 2 || !strings.Contains(cfg.Data["labels"], "K=2") {
		t.Fatalf("config %+v, %v", cfg, err)
	}
	if code := run([]string{"train", "--images", root, "--labels", labelsDir, "--out", runDir}, &out, &errb); code != 1 {
		t.Fatalf("missing --k: exit %d", code)
	}
}

// The train command prepares its run as the sweep does (study.PrepareTraining): for the same
// settings the same model, recipe, seed, per-class subset and split (hence the same
// normalisation statistics) and worker count.
func TestTrainMatchesSweepPreparation(t *testing.T) {
	root := tinyFolder(t)
	runDir := filepath.Join(t.TempDir(), "run")
	var out, errb bytes.Buffer
	args := []string{"train", "--images", root, "--per-class", "8", "--test", "split", "--steps", "1", "--width", "0.0625",
		"--batch", "4", "--seed", "3", "--cache", "none", "--quiet", "--out", runDir}
	if code := run(args, &out, &errb); code != 0 {
		t.Fatalf("train exit %d: %s", code, errb.String())
	}
	cli, err := train.LoadConfig(filepath.Join(runDir, train.ConfigFile))
	if err != nil {
		t.Fatal(err)
	}
	rec := train.DefaultRecipe()
	job, err := study.PrepareTraining(t.TempDir(), study.TrainSettings{
		Data:  sweep.Data{Source: "images", Path: root, PerClass: 8, ValFraction: 0.2, SplitSeed: 42},
		Arch:  sweep.Arch{Name: "alexnet-bn", Width: 0.0625, InputSize: 32, Init: sweep.InitTorch},
		Train: sweep.Train{Epochs: 20, Steps: 1, Batch: 4, LR: rec.LearningRate, WeightDecay: rec.WeightDecay, WarmupEpochs: 2, LabelSmoothing: rec.LabelSmoothing, ClipNorm: rec.ClipNorm, Augment: true},
		Seed:  3, Load: study.LoadOptions{Cache: "none"}})
	if err != nil {
		t.Fatal(err)
	}
	sw := job.Config
	if cli.Model != sw.Model || cli.Recipe != sw.Recipe || cli.Seed != sw.Seed || cli.BatchSize != sw.BatchSize ||
		cli.Epochs != sw.Epochs || cli.Steps != sw.Steps || !reflect.DeepEqual(cli.Norm, sw.Norm) {
		t.Errorf("CLI config %+v\nsweep config %+v", cli, sw)
	}
	if len(job.Set.Train) != 13 || len(job.Set.Val) != 3 { // 8 per class x 2, round(16*0.2) held out
		t.Errorf("split %d/%d, want 13/3", len(job.Set.Train), len(job.Set.Val))
	}
	if w := job.Data.Config.Workers; w != study.DefaultWorkers {
		t.Errorf("sweep batches use %d workers, want %d", w, study.DefaultWorkers)
	}
	if !strings.Contains(out.String(), "images: 13 training") {
		t.Errorf("train output:\n%s", out.String())
	}
}
