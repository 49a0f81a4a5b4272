package train

import (
	"fmt"
	"iter"

	"github.com/coarsealign/coarsealign/pkg/data/images"
)

// ImageData adapts an images.Dataset (package data/images: uint8 cache, study augmentation,
// prefetching iterator) to Data and EvalData. Config.DropLast is forced on for training epochs
// and off for evaluation; evaluation uses epoch 0 without shuffling or augmentation.
type ImageData struct {
	DS     *images.Dataset
	Config images.BatchConfig
	// Targets holds per-image targets of the objective by name, [DS.N, ...] aligned with the
	// data set's images; batches carry the rows of their images (Batch.Targets).
	Targets map[string]Target
}

func (d *ImageData) n() int {
	if d.Config.Indices != nil {
		return len(d.Config.Indices)
	}
	return d.DS.N
}

// StepsPerEpoch implements Data.
func (d *ImageData) StepsPerEpoch() int {
	if d.Config.BatchSize < 1 {
		return 0
	}
	return d.n() / d.Config.BatchSize
}

// Shape implements Data.
func (d *ImageData) Shape() (int, int, int) { return d.DS.H, d.DS.W, 3 }

func (d *ImageData) iterate(epoch int, cfg images.BatchConfig) iter.Seq2[Batch, error] {
	return func(yield func(Batch, error) bool) {
		if err := checkPerImage(d.Targets, d.DS.N); err != nil {
			yield(Batch{}, fmt.Errorf("%w (the data set's images)", err))
			return
		}
		it, err := d.DS.Batches(epoch, cfg)
		if err != nil {
			yield(Batch{}, err)
			return
		}
		defer it.Close()
		for {
			b, ok := it.Next()
			if !ok {
				return
			}
			cont := yield(Batch{Images: b.Images, Labels: b.Labels, N: b.Size, Targets: gatherTargets(d.Targets, b.Indices)}, nil)
			it.Recycle(b) // the trainer has copied the batch into tensors by now.
			if !cont {
				return
			}
		}
	}
}

// Epoch implements Data.
func (d *ImageData) Epoch(epoch int) iter.Seq2[Batch, error] {
	cfg := d.Config
	cfg.DropLast = true
	return d.iterate(epoch, cfg)
}

// Batches implements EvalData.
func (d *ImageData) Batches() iter.Seq2[Batch, error] {
	cfg := d.Config
	cfg.DropLast, cfg.Shuffle, cfg.Augment = false, false, nil
	return d.iterate(0, cfg)
}
