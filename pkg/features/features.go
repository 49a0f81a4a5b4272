// Package features extracts per-layer activations of a model for a set of stimuli, as plain
// matrices (stimuli x units), THINGSvision-style: one call runs every tap of the network in one
// forward pass (a second executable over the trained variables, in inference mode), optionally
// reduces large layers by a sparse random projection, and saves .npy files with a JSON index.
//
// Preprocessing follows training: images are resized to the model's input size (bilinear, as
// package data/images) and normalised with the training statistics stored in the run.
package features

import (
	"fmt"
	"image"
	"math"

	"github.com/coarsealign/coarsealign/pkg/models"
	"github.com/coarsealign/coarsealign/pkg/train"
	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"golang.org/x/image/draw"
)

// Layer is the activation matrix of one tap: Rows stimuli x Cols units, row-major float32.
type Layer struct {
	Name  string
	Rows  int
	Cols  int
	Data  []float32
	Shape []int // per-stimulus activation shape before flattening (e.g. [H, W, C]).
	// Projection is set when Data is a random projection of the OrigCols-wide activations.
	Projection *Projection
	OrigCols   int
}

// Row returns stimulus i's vector (a sub-slice, not a copy).
func (l *Layer) Row(i int) []float32 { return l.Data[i*l.Cols : (i+1)*l.Cols] }

// Float64 returns a float64 copy of Data (for gonum).
func (l *Layer) Float64() []float64 {
	out := make([]float64, len(l.Data))
	for i, v := range l.Data {
		out[i] = float64(v)
	}
	return out
}

// Extractor runs all taps of a model over the variables of a store.
type Extractor struct {
	Spec      models.Spec
	Store     *model.Store
	Backend   compute.Backend
	BatchSize int // images per forward pass (default 32).
	exec      *model.Exec
}

// NewExtractor returns an extractor for spec over store (e.g. train.Trainer.Store, or
// train.OpenRun(...).Store). Variables missing from store are initialised from its random
// state: the untrained model.
func NewExtractor(b compute.Backend, spec models.Spec, store *model.Store) (*Extractor, error) {
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	e := &Extractor{Spec: spec, Store: store, Backend: b, BatchSize: 32}
	var err error
	e.exec, err = model.NewExec(b, store, func(scope *model.Scope, x *graph.Node) []*graph.Node {
		scope.Store().SetTraining(x.Graph(), false)
		logits, taps := models.Build(scope, spec, x)
		out := make([]*graph.Node, 0, len(taps)+1)
		for _, t := range taps {
			out = append(out, t.Node)
		}
		return append(out, logits)
	})
	return e, err
}

// Names returns the layer names Extract returns, in network order ("logits" last).
func (e *Extractor) Names() []string { return append(e.Spec.TapNames(), "logits") }

// Extract runs the model on n images (n x S x S x C floats, NHWC, already normalised; see
// Preprocess) and returns one Layer per tap and the logits, in network order, each n x units.
func (e *Extractor) Extract(imgs []float32, n int) ([]Layer, error) {
	s := e.Spec
	sz := s.InputSize * s.InputSize * s.Channels
	if n < 1 || len(imgs) != n*sz {
		return nil, fmt.Errorf("features: %d floats for %d images of %dx%dx%d", len(imgs), n, s.InputSize, s.InputSize, s.Channels)
	}
	names := e.Names()
	layers := make([]Layer, len(names))
	bs := e.BatchSize
	if bs < 1 {
		bs = 32
	}
	for lo := 0; lo < n; lo += bs {
		hi := min(lo+bs, n)
		x := tensors.FromShape(shapes.Make(dtypes.Float32, hi-lo, s.InputSize, s.InputSize, s.Channels))
		tensors.MutableFlatData(x, func(f []float32) { copy(f, imgs[lo*sz:hi*sz]) })
		outs, err := e.exec.Call(x)
		x.FinalizeAll()
		if err != nil {
			return nil, err
		}
		for k, o := range outs {
			dims := o.Shape().Dimensions
			cols := 1
			for _, d := range dims[1:] {
				cols *= d
			}
			L := &layers[k]
			if L.Data == nil {
				*L = Layer{Name: names[k], Rows: n, Cols: cols, Shape: append([]int(nil), dims[1:]...),
					Data: make([]float32, n*cols), OrigCols: cols}
			}
			copy(L.Data[lo*cols:hi*cols], tensors.MustCopyFlatData[float32](o))
			o.FinalizeAll()
		}
	}
	for _, L := range layers {
		for _, v := range L.Data {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return nil, fmt.Errorf("features: layer %s has non-finite activations", L.Name)
			}
		}
	}
	return layers, nil
}

// Preprocess resizes RGB images (each h x w x 3 bytes, row-major interleaved) to size x size
// (centre square, bilinear: golang.org/x/image/draw.BiLinear, as data/images.LoadFolder) and
// normalises them as (p/255 - mean[c])/std[c]. It returns len(pixels) x size x size x 3 floats.
func Preprocess(pixels [][]uint8, h, w, size int, norm train.Normalization) ([]float32, error) {
	if len(norm.Mean) != 3 || len(norm.Std) != 3 {
		return nil, fmt.Errorf("features: normalization has %d means and %d stds, want 3 (RGB)", len(norm.Mean), len(norm.Std))
	}
	out := make([]float32, len(pixels)*size*size*3)
	src := image.NewRGBA(image.Rect(0, 0, w, h))
	dst := image.NewRGBA(image.Rect(0, 0, size, size))
	for i, px := range pixels {
		if len(px) != h*w*3 {
			return nil, fmt.Errorf("features: image %d has %d bytes, want %dx%dx3", i, len(px), h, w)
		}
		for p := 0; p < h*w; p++ {
			src.Pix[4*p], src.Pix[4*p+1], src.Pix[4*p+2], src.Pix[4*p+3] = px[3*p], px[3*p+1], px[3*p+2], 255
		}
		side := min(w, h)
		x0, y0 := (w-side)/2, (h-side)/2
		if side == size && w == h {
			copy(dst.Pix, src.Pix)
		} else {
			draw.BiLinear.Scale(dst, dst.Bounds(), src, image.Rect(x0, y0, x0+side, y0+side), draw.Src, nil)
		}
		o := out[i*size*size*3:]
		for p := 0; p < size*size; p++ {
			for c := 0; c < 3; c++ {
				o[3*p+c] = float32((float64(dst.Pix[4*p+c])/255 - norm.Mean[c]) / norm.Std[c])
			}
		}
	}
	return out, nil
}

// ExtractRun extracts every layer of a run's model (see train.OpenRun) for RGB stimuli
// (each h x w x 3 bytes), preprocessed like the training images: resized to the model's input
// size and normalised with the run's training statistics.
func ExtractRun(b compute.Backend, run *train.Run, pixels [][]uint8, h, w int) ([]Layer, error) {
	spec := run.Config.Model
	if spec.Channels != 3 {
		return nil, fmt.Errorf("features: run %s model takes %d channels, stimuli are RGB", run.Dir, spec.Channels)
	}
	if len(run.Config.Norm.Mean) == 0 {
		return nil, fmt.Errorf("features: run %s has no normalization statistics in %s", run.Dir, train.ConfigFile)
	}
	x, err := Preprocess(pixels, h, w, spec.InputSize, run.Config.Norm)
	if err != nil {
		return nil, err
	}
	e, err := NewExtractor(b, spec, run.Store)
	if err != nil {
		return nil, err
	}
	return e.Extract(x, len(pixels))
}

// LayerNames returns the names of layers, in order.
func LayerNames(layers []Layer) []string {
	out := make([]string, len(layers))
	for i, L := range layers {
		out[i] = L.Name
	}
	return out
}
