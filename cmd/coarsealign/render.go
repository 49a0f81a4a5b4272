package main

import (
	"fmt"
	"io"
	"math"
	"path/filepath"
	"time"

	"github.com/coarsealign/coarsealign/pkg/datadir"
	"github.com/coarsealign/coarsealign/pkg/plots"
	"github.com/coarsealign/coarsealign/pkg/scenes"
)

func init() {
	register("render", "render N procedural 3D scenes with known latents as an ImageFolder of PNGs plus latents.csv (pkg/scenes)", runRender)
}

func runRender(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("render", stderr)
	cfgFlag := fs.String("config", "", "scene config YAML (pkg/scenes.Config; fields omitted keep the defaults; default: the defaults)")
	n := fs.Int("n", 100, "number of images")
	seed := fs.Uint64("seed", 1, "seed: image i's latents come from (seed, i)")
	out := fs.String("out", "", "output folder: <category>/<index>.png and latents.csv (required)")
	workers := fs.Int("workers", 0, "rendering goroutines (0: GOMAXPROCS)")
	grid := fs.Int("grid", 0, "also save an example grid figure (this many images per category) as <out>/examples.{svg,png,csv}")
	dataFlag := fs.String("data", "", "data directory (for cifar backgrounds; default $COARSEALIGN_DATA)")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 || *out == "" || *n < 1 {
		fmt.Fprintln(stderr, "coarsealign render: --out is required, --n must be >= 1, no positional arguments")
		return errUsage
	}
	cfg := scenes.DefaultConfig()
	if *cfgFlag != "" {
		if cfg, err = scenes.LoadConfig(*cfgFlag); err != nil {
			return err
		}
	}
	s, err := scenes.NewScene(cfg, datadir.Resolve(*dataFlag))
	if err != nil {
		return err
	}
	t0 := time.Now()
	if err := s.WriteFolder(*out, *seed, *n, *workers); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %d images (%dx%d) and %s in %.1fs\n", *n, cfg.Size, cfg.Size, filepath.Join(*out, "latents.csv"), time.Since(t0).Seconds())
	if *grid > 0 {
		pix, lat := s.RenderBatch(*seed, 0, min(*n, 64**grid), *workers)
		f, err := plots.ScenesGrid(pix, cfg.Size, lat, plots.ImageGridOptions{PerClass: *grid, TileCols: int(math.Ceil(math.Sqrt(float64(*grid)))), Cols: 5, Seed: *seed})
		if err != nil {
			return err
		}
		if _, err := f.Save(*out, "examples"); err != nil {
			return err
		}
	}
	return nil
}
