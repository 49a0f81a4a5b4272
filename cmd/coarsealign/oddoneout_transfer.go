package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/coarsealign/coarsealign/pkg/datadir"
	"github.com/coarsealign/coarsealign/pkg/oddoneout"
	"github.com/coarsealign/coarsealign/pkg/plots"
	"github.com/coarsealign/coarsealign/pkg/sweep/study"
)

func init() {
	register("oddoneout transfer", "probe transfer: a probe fitted on the 92-image triplets, tested on the CIFAR-10H class structure, per done run: oddoneout transfer CONFIG [--out DIR] [--csv FILE]", runOddOneOutTransfer)
}

func runOddOneOutTransfer(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("oddoneout transfer", stderr)
	out := fs.String("out", "", "sweep output folder (default: the config's out, else runs/<name>)")
	data := fs.String("data", "", "data directory (default $COARSEALIGN_DATA, else the user cache)")
	csvPath := fs.String("csv", "", "write the table to FILE (default: stdout)")
	figure := fs.String("figure", "", "also draw DIR/transfer_vs_k.{svg,png,csv}")
	layer := fs.String("layer", "", "layer of both stimulus sets (default: the architecture's penultimate tap, as the CIFAR-10H add-on)")
	perClass := fs.Int("per-class", 0, "first N CIFAR-10 test images per class in the official order (0: all 1,000, or the sweep's eval.cifar10h.test/10 when that is set below 10,000)")
	pcs := fs.Int("pcs", 32, "principal components of the 92-image features the probe reads")
	triplets := fs.Int("triplets", 2000, "92-image triplets implied by the mean judgement RDM (seeded sample)")
	perImage := fs.Int("images-per-class", 0, "also the per-image test on the first N of those images per class (RDM of the images vs RDM of their human distributions; 0: off)")
	draws := fs.Int("draws", 1000, "bootstrap resamples of the images (and subsamples of the classes) for the 95% intervals")
	seed := fs.Uint64("seed", 0, "seed of the triplets, the probe and the resampling")
	labelSource := fs.String("label-source", "", "with --figure: the coarse runs' label source (default: the only one)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: coarsealign oddoneout transfer CONFIG [--out DIR] [--csv FILE] [--figure DIR] [--per-class N] [--layer L]")
		fs.PrintDefaults()
	}
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		fs.Usage()
		return errUsage
	}
	switch {
	case *perClass < 0 || *perImage < 0:
		return fmt.Errorf("--per-class %d, --images-per-class %d: want >= 0", *perClass, *perImage)
	case *pcs < 1 || *triplets < 1 || *draws < 1:
		return fmt.Errorf("--pcs %d, --triplets %d, --draws %d: each must be >= 1", *pcs, *triplets, *draws)
	}
	c, err := loadSweepConfig(pos[0])
	if err != nil {
		return err
	}
	o := sweepOut(*out, c)
	if st, err := os.Stat(o); err != nil || !st.IsDir() {
		return fmt.Errorf("sweep output folder %s does not exist (run 'coarsealign sweep run %s' first, or pass --out)", o, pos[0])
	}
	intr := newInterrupt(stderr)
	defer intr.Stop()
	rows, err := study.TransferRows(intr.Context(), c, o, datadir.Resolve(*data), study.TransferOptions{Layer: *layer,
		PerClass: *perClass, PCs: *pcs, MaxTriplets: *triplets, Draws: *draws, ImagesPerClass: *perImage, Seed: *seed, Log: stderr})
	if err != nil {
		return intr.Err(err, "re-run the same command")
	}
	w := stdout
	if *csvPath != "" {
		fh, err := os.Create(*csvPath)
		if err != nil {
			return err
		}
		defer fh.Close()
		w = fh
	}
	if err := oddoneout.WriteTransferCSV(w, rows); err != nil {
		return err
	}
	if *figure != "" {
		f, err := plots.TransferVsK(rows, study.TransferTargetClasses, *labelSource)
		if err != nil {
			return err
		}
		if _, err := f.Save(*figure, "transfer_vs_k"); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "wrote %s\n", filepath.Join(*figure, "transfer_vs_k.svg"))
		if *perImage > 0 {
			if f, err = plots.TransferVsK(rows, study.TransferTargetImages, *labelSource); err != nil {
				return err
			}
			if _, err := f.Save(*figure, "transfer_images_vs_k"); err != nil {
				return err
			}
		}
	}
	return nil
}
