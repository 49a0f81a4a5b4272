package images

import (
	"fmt"
	"sync"
	"time"
)

// BatchConfig configures Dataset.Batches.
type BatchConfig struct {
	// BatchSize is the number of images per batch (> 0).
	BatchSize int
	// Shuffle orders each epoch by a permutation seeded by (Seed, epoch); else data-set order.
	Shuffle bool
	// DropLast drops the last batch of an epoch if it is smaller than BatchSize.
	DropLast bool
	// Seed seeds shuffling and augmentation.
	Seed uint64
	// Augment, if not nil, is applied to every image (see StudyAugment).
	Augment *Augment
	// Stats normalises the pixels; nil means the data set's own Stats. Use the
	// training set's Stats for every split.
	Stats *Stats
	// Indices restricts the epoch to these images (e.g. a split); nil means all.
	Indices []int
	// Labels, if not nil, replaces ds.Labels (length ds.N, aligned by index).
	Labels []int32
	// Prefetch is the number of batches prepared ahead (channel capacity); 0 means 2.
	Prefetch int
	// Workers is the number of goroutines preparing one batch; 0 means 1.
	Workers int
}

// Batch is one batch of images and labels.
type Batch struct {
	// Index is the batch number within the epoch (0-based).
	Index int
	// Size is the number of images B; H and W their size.
	Size, H, W int
	// Images holds B x H x W x 3 float32 values (NHWC, row-major), normalised.
	Images []float32
	// Labels holds B int32 labels.
	Labels []int32
	// Indices holds the B data-set indices of the images.
	Indices []int
}

// Iterator yields the batches of one epoch, prepared in the background.
type Iterator struct {
	ch   chan *Batch
	stop chan struct{}
	done sync.WaitGroup
	once sync.Once
	wait time.Duration
	n    int
	free chan *Batch
}

// Batches returns an iterator over the batches of epoch (0-based) under cfg.
// A background goroutine prepares batches ahead; call Close when stopping
// early. The same ds, cfg and epoch always give the same batches.
func (ds *Dataset) Batches(epoch int, cfg BatchConfig) (*Iterator, error) {
	if cfg.BatchSize <= 0 {
		return nil, fmt.Errorf("images: BatchSize %d must be positive", cfg.BatchSize)
	}
	labels := ds.Labels
	if cfg.Labels != nil {
		if len(cfg.Labels) != ds.N {
			return nil, fmt.Errorf("images: %d replacement labels for %d images", len(cfg.Labels), ds.N)
		}
		labels = cfg.Labels
	}
	st := &ds.Stats
	if cfg.Stats != nil {
		st = cfg.Stats
	}
	for c := 0; c < 3; c++ {
		if !(st.Std[c] > 0) {
			return nil, fmt.Errorf("images: Stats.Std[%d] = %g must be positive", c, st.Std[c])
		}
	}
	order := cfg.Indices
	if order == nil {
		order = make([]int, ds.N)
		for i := range order {
			order[i] = i
		}
	} else {
		order = append([]int(nil), order...)
		for _, i := range order {
			if i < 0 || i >= ds.N {
				return nil, fmt.Errorf("images: index %d out of range [0,%d)", i, ds.N)
			}
		}
	}
	if cfg.Shuffle {
		rng := newRNG(cfg.Seed, streamShuffle, uint64(epoch))
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
	}
	nb := len(order) / cfg.BatchSize
	if !cfg.DropLast && len(order)%cfg.BatchSize != 0 {
		nb++
	}
	prefetch := cfg.Prefetch
	if prefetch <= 0 {
		prefetch = 2
	}
	workers := max(cfg.Workers, 1)
	it := &Iterator{ch: make(chan *Batch, prefetch), stop: make(chan struct{}), n: nb, free: make(chan *Batch, prefetch+1)}
	s := ds.ImageSize()
	it.done.Add(1)
	go func() {
		defer it.done.Done()
		defer close(it.ch)
		for b := 0; b < nb; b++ {
			lo, hi := b*cfg.BatchSize, min((b+1)*cfg.BatchSize, len(order))
			bs := hi - lo
			var batch *Batch
			select {
			case batch = <-it.free:
			default:
				batch = &Batch{}
			}
			if cap(batch.Images) < bs*s {
				batch.Images = make([]float32, bs*s)
			}
			batch.Images = batch.Images[:bs*s]
			batch.Labels = append(batch.Labels[:0], make([]int32, bs)...)
			batch.Indices = append(batch.Indices[:0], order[lo:hi]...)
			batch.Index, batch.Size, batch.H, batch.W = b, bs, ds.H, ds.W
			fillOne := func(k int) {
				i := order[lo+k]
				batch.Labels[k] = labels[i]
				dst := batch.Images[k*s : (k+1)*s]
				if cfg.Augment == nil {
					normalise(dst, ds.Image(i), st)
					return
				}
				rng := newRNG(cfg.Seed, streamAugment, uint64(epoch), uint64(lo+k))
				augmentInto(dst, ds.Image(i), ds.H, ds.W, st, cfg.Augment, rng)
			}
			if workers == 1 {
				for k := 0; k < bs; k++ {
					fillOne(k)
				}
			} else {
				var wg sync.WaitGroup
				for w := 0; w < workers; w++ {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for k := w; k < bs; k += workers {
							fillOne(k)
						}
					}()
				}
				wg.Wait()
			}
			select {
			case it.ch <- batch:
			case <-it.stop:
				return
			}
		}
	}()
	return it, nil
}

// NumBatches returns the number of batches of the epoch.
func (it *Iterator) NumBatches() int { return it.n }

// Next returns the next batch, or false at the end of the epoch. The time spent
// blocked waiting for the background goroutine is added to WaitTime.
func (it *Iterator) Next() (*Batch, bool) {
	t0 := time.Now()
	b, ok := <-it.ch
	it.wait += time.Since(t0)
	return b, ok
}

// Recycle hands a batch the caller no longer uses back to the iterator, which
// may reuse its buffers for a later batch. Optional.
func (it *Iterator) Recycle(b *Batch) {
	select {
	case it.free <- b:
	default:
	}
}

// WaitTime returns the total time Next has blocked waiting for data so far.
func (it *Iterator) WaitTime() time.Duration { return it.wait }

// Close stops the background goroutine and waits for it; safe to call more than once.
func (it *Iterator) Close() {
	it.once.Do(func() { close(it.stop) })
	for range it.ch {
	}
	it.done.Wait()
}
