package main

import (
	"context"
	"fmt"
	"io"
	"os/signal"
	"syscall"

	"github.com/coarsealign/coarsealign/pkg/datadir"
	"github.com/coarsealign/coarsealign/pkg/spatial"
	srun "github.com/coarsealign/coarsealign/pkg/spatial/run"
)

func init() {
	register("spatial run", "the spatial-latent study: train AlexNet-BN on pkg/scenes renders per training target, decode latents, CKA between models, 92-image alignment (configs/studies/spatial-latents.yaml)", runSpatial)
}

func runSpatial(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("spatial run", stderr)
	cfgFlag := fs.String("config", "configs/studies/spatial-latents.yaml", "study config (pkg/spatial.Config)")
	out := fs.String("out", "", "output folder (default runs/<name>); finished models and features are reused")
	figs := fs.String("figures", "", "also write the figures (SVG, PNG, CSV) into this folder")
	dataFlag := fs.String("data", "", "data directory (default $COARSEALIGN_DATA)")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		fmt.Fprintf(stderr, "coarsealign spatial run: unexpected argument %q\n", pos[0])
		return errUsage
	}
	c, err := spatial.LoadConfig(*cfgFlag)
	if err != nil {
		return err
	}
	dir := *out
	if dir == "" {
		dir = "runs/" + c.Name
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	logf := func(f string, a ...any) { fmt.Fprintf(stdout, f+"\n", a...) }
	st, err := srun.Run(ctx, c, dir, datadir.Resolve(*dataFlag), logf)
	if err != nil {
		return err
	}
	return spatialReport(st, dir, *figs, datadir.Resolve(*dataFlag), logf)
}
