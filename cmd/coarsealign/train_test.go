package main

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coarsealign/coarsealign/pkg/datadir"
	"github.com/coarsealign/coarsealign/pkg/features"
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
