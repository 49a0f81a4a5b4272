package train

import (
	"fmt"
	"iter"
	"math/rand/v2"
)

// Batch is a batch of normalised images and labels, and the extra targets an objective reads.
type Batch struct {
	Images []float32 // N x H x W x C, row-major (NHWC), normalised.
	Labels []int32   // N class indices in [0, K).
	N      int       // number of images.
	// Targets holds extra inputs of the objective by name (Objective.Targets): per-image
	// targets (soft labels [N, K], regression targets [N, ...]: first axis N) or whole tensors
	// (e.g. a stimulus-set batch [M, H, W, C] for an alignment term). MemoryData and ImageData
	// gather per-image targets; nil when the objective needs none.
	Targets map[string]Target
}

// Target is a float32 tensor: Data holds prod(Shape) values, row-major.
type Target struct {
	Shape []int
	Data  []float32
}

// size is prod(Shape).
func (t Target) size() int {
	n := 1
	for _, d := range t.Shape {
		n *= d
	}
	return n
}

// rows returns the rows idx (along the first axis) of t.
func (t Target) rows(idx []int) Target {
	row := t.size() / max(t.Shape[0], 1)
	out := Target{Shape: append([]int{len(idx)}, t.Shape[1:]...), Data: make([]float32, len(idx)*row)}
	for k, i := range idx {
		copy(out.Data[k*row:(k+1)*row], t.Data[i*row:(i+1)*row])
	}
	return out
}

// checkPerImage reports a target set whose tensors are not [n, ...] with prod(Shape) values.
func checkPerImage(targets map[string]Target, n int) error {
	for name, t := range targets {
		if len(t.Shape) == 0 || t.Shape[0] != n || len(t.Data) != t.size() {
			return fmt.Errorf("train: per-image target %q has shape %v and %d values for %d images", name, t.Shape, len(t.Data), n)
		}
	}
	return nil
}

// gatherTargets returns the rows idx of every per-image target (nil for none).
func gatherTargets(targets map[string]Target, idx []int) map[string]Target {
	if len(targets) == 0 {
		return nil
	}
	out := make(map[string]Target, len(targets))
	for name, t := range targets {
		out[name] = t.rows(idx)
	}
	return out
}

// Data is a source of training batches. Epoch must be deterministic: the same (source seed,
// epoch) yields the same batches in the same order, which is what makes resume exact (the
// trainer skips the batches of the current epoch already used). All batches of an epoch have
// the same size (the last partial batch is dropped) and StepsPerEpoch is their number.
type Data interface {
	Epoch(epoch int) iter.Seq2[Batch, error]
	StepsPerEpoch() int
	// Shape returns the image height, width and channels.
	Shape() (h, w, c int)
}

// EvalData is a source of evaluation batches (any order, all images, last batch may be short).
type EvalData interface {
	Batches() iter.Seq2[Batch, error]
}

// MemoryData is an in-memory Data / EvalData: images already normalised, shuffled per epoch
// with a PCG generator seeded by (Seed, epoch), optionally flipped horizontally at random
// (probability 1/2 per image, from the same generator).
type MemoryData struct {
	Images    []float32 // n x H x W x C.
	Labels    []int32
	H, W, C   int
	BatchSize int
	Seed      uint64
	Shuffle   bool
	Flip      bool
	// Targets holds per-image targets of the objective by name, [n, ...] aligned with Labels;
	// batches carry their rows (Batch.Targets).
	Targets map[string]Target
}

// Len is the number of images.
func (d *MemoryData) Len() int { return len(d.Labels) }

// Shape implements Data.
func (d *MemoryData) Shape() (int, int, int) { return d.H, d.W, d.C }

// StepsPerEpoch implements Data.
func (d *MemoryData) StepsPerEpoch() int { return d.Len() / d.BatchSize }

// Check reports inconsistent sizes.
func (d *MemoryData) Check() error {
	if d.H*d.W*d.C*d.Len() != len(d.Images) {
		return fmt.Errorf("train: memory data has %d floats for %d images of %dx%dx%d", len(d.Images), d.Len(), d.H, d.W, d.C)
	}
	if d.BatchSize < 1 {
		return fmt.Errorf("train: memory data batch size %d", d.BatchSize)
	}
	return checkPerImage(d.Targets, d.Len())
}

// Epoch implements Data.
func (d *MemoryData) Epoch(epoch int) iter.Seq2[Batch, error] {
	return func(yield func(Batch, error) bool) {
		if err := d.Check(); err != nil {
			yield(Batch{}, err)
			return
		}
		rng := rand.New(rand.NewPCG(d.Seed, uint64(epoch)+1))
		order := make([]int, d.Len())
		for i := range order {
			order[i] = i
		}
		if d.Shuffle {
			rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		}
		for s := 0; s+d.BatchSize <= len(order); s += d.BatchSize {
			if !yield(d.gather(order[s:s+d.BatchSize], rng), nil) {
				return
			}
		}
	}
}

// Batches implements EvalData: all images in order, without augmentation.
func (d *MemoryData) Batches() iter.Seq2[Batch, error] {
	return func(yield func(Batch, error) bool) {
		if err := d.Check(); err != nil {
			yield(Batch{}, err)
			return
		}
		for s := 0; s < d.Len(); s += d.BatchSize {
			idx := make([]int, 0, d.BatchSize)
			for i := s; i < min(s+d.BatchSize, d.Len()); i++ {
				idx = append(idx, i)
			}
			if !yield(d.gather(idx, nil), nil) {
				return
			}
		}
	}
}

func (d *MemoryData) gather(idx []int, rng *rand.Rand) Batch {
	sz := d.H * d.W * d.C
	b := Batch{Images: make([]float32, len(idx)*sz), Labels: make([]int32, len(idx)), N: len(idx),
		Targets: gatherTargets(d.Targets, idx)}
	for k, i := range idx {
		dst := b.Images[k*sz : (k+1)*sz]
		src := d.Images[i*sz : (i+1)*sz]
		if d.Flip && rng != nil && rng.IntN(2) == 1 {
			row := d.W * d.C
			for y := 0; y < d.H; y++ {
				for x := 0; x < d.W; x++ {
					copy(dst[y*row+x*d.C:y*row+(x+1)*d.C], src[y*row+(d.W-1-x)*d.C:y*row+(d.W-x)*d.C])
				}
			}
		} else {
			copy(dst, src)
		}
		b.Labels[k] = d.Labels[i]
	}
	return b
}
