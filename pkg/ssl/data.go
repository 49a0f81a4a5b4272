package ssl

import (
	"fmt"
	"iter"
	"math/rand/v2"

	"github.com/coarsealign/coarsealign/pkg/data/images"
	"github.com/coarsealign/coarsealign/pkg/train"
)

// TwoViews is a train.Data and train.EvalData of SimCLR batches: each batch of BatchSize images
// holds 2*BatchSize augmented views, the first view of every image followed by the second
// (rows i and i+BatchSize are the positive pair). Labels are the images' class labels
// (duplicated), which the SimCLR objective does not read. Training epochs are shuffled by a PCG
// permutation seeded by (Seed, epoch) and drop the last partial batch; every view is drawn
// from a generator seeded by (Seed, epoch, image index, view), so batches do not depend on
// timing. Evaluation batches (Batches) use epoch 0 in data-set order, with augmentation: the
// contrastive loss needs two views.
type TwoViews struct {
	DS *images.Dataset
	// Indices are the images used (nil: all of DS).
	Indices []int
	// BatchSize is the number of images per batch (each gives two views).
	BatchSize int
	Seed      uint64
	// Stats normalise the views (nil: DS.Stats); use the training set's for every split.
	Stats *images.Stats
	// Aug is the augmentation of each view (the zero value means DefaultAugment).
	Aug Augment
}

// viewStream separates the views' generators from other uses of the seed.
const viewStream = 0x53494d434c52 // "SIMCLR"

func (d *TwoViews) idx() []int {
	if d.Indices != nil {
		return d.Indices
	}
	out := make([]int, d.DS.N)
	for i := range out {
		out[i] = i
	}
	return out
}

// StepsPerEpoch implements train.Data.
func (d *TwoViews) StepsPerEpoch() int {
	if d.BatchSize < 1 {
		return 0
	}
	return len(d.idx()) / d.BatchSize
}

// Shape implements train.Data.
func (d *TwoViews) Shape() (int, int, int) { return d.DS.H, d.DS.W, 3 }

// Epoch implements train.Data.
func (d *TwoViews) Epoch(epoch int) iter.Seq2[train.Batch, error] {
	idx := d.idx()
	perm := rand.New(rand.NewPCG(d.Seed, uint64(epoch)^viewStream)).Perm(len(idx))
	order := make([]int, len(idx))
	for i, p := range perm {
		order[i] = idx[p]
	}
	return d.batches(epoch, order, true)
}

// Batches implements train.EvalData.
func (d *TwoViews) Batches() iter.Seq2[train.Batch, error] { return d.batches(0, d.idx(), false) }

func (d *TwoViews) batches(epoch int, order []int, dropLast bool) iter.Seq2[train.Batch, error] {
	return func(yield func(train.Batch, error) bool) {
		if d.BatchSize < 1 {
			yield(train.Batch{}, fmt.Errorf("ssl: batch size %d, want >= 1", d.BatchSize))
			return
		}
		st := d.DS.Stats
		if d.Stats != nil {
			st = *d.Stats
		}
		aug := d.Aug
		if aug == (Augment{}) {
			aug = DefaultAugment
		}
		size := d.DS.ImageSize()
		for lo := 0; lo < len(order); lo += d.BatchSize {
			hi := min(lo+d.BatchSize, len(order))
			if dropLast && hi-lo < d.BatchSize {
				return
			}
			n := hi - lo
			b := train.Batch{Images: make([]float32, 2*n*size), Labels: make([]int32, 2*n), N: 2 * n}
			for k, i := range order[lo:hi] {
				for v := range 2 {
					rng := rand.New(rand.NewPCG(d.Seed^viewStream, uint64(epoch)<<40|uint64(i)<<1|uint64(v)))
					row := v*n + k
					aug.View(b.Images[row*size:(row+1)*size], d.DS.Image(i), d.DS.H, d.DS.W, st.Mean, st.Std, rng)
					b.Labels[row] = d.DS.Labels[i]
				}
			}
			if !yield(b, nil) {
				return
			}
		}
	}
}
