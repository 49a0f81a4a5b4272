package ssl

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/coarsealign/coarsealign/pkg/cifar10h"
	"github.com/coarsealign/coarsealign/pkg/data/images"
	"github.com/coarsealign/coarsealign/pkg/features"
	"github.com/coarsealign/coarsealign/pkg/models"
	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/ml/model"
	"gonum.org/v1/gonum/mat"
)

// ProbeFile is the linear probe's result in a SimCLR run folder.
const ProbeFile = "probe.json"

// ProbeResult is a linear probe of frozen features: a multinomial logistic regression
// (cifar10h.FitReadout: standardised features, L2 penalty chosen by cross-validation) fitted
// on the training images' features and scored on held-out images.
type ProbeResult struct {
	Tap            string  `json:"tap"`
	Units          int     `json:"units"`
	TrainN         int     `json:"train_n"`
	TestN          int     `json:"test_n"`
	Lambda         float64 `json:"lambda"`
	TrainAccuracy  float64 `json:"train_accuracy"`
	TestAccuracy   float64 `json:"test_accuracy"`
	Classes        int     `json:"classes"`
	ChanceAccuracy float64 `json:"chance_accuracy"`
}

// ProbeLambdas is the penalty grid of the probe (3-fold CV): a coarse part of
// cifar10h.DefaultLambdas that keeps the probe to a few minutes on 2 cores.
var ProbeLambdas = []float64{1e-3, 1e-2, 1e-1, 1}

// TapFeatures returns the activations of tap (rows: the images idx of ds, normalised by
// stats, no augmentation) of the model spec with the variables of store, as a len(idx) x units
// matrix, with the images' labels. It runs the network in chunks of 256 images.
func TapFeatures(b compute.Backend, spec models.Spec, store *model.Store, ds *images.Dataset, idx []int, stats images.Stats, tap string) (*mat.Dense, []int, error) {
	ex, err := features.NewExtractor(b, spec, store)
	if err != nil {
		return nil, nil, err
	}
	ex.BatchSize = 64
	names := ex.Names()
	col := -1
	for i, n := range names {
		if n == tap {
			col = i
		}
	}
	if col < 0 {
		return nil, nil, fmt.Errorf("ssl: %s has no tap %q (taps %v)", spec.Arch, tap, names)
	}
	if ds.H != spec.InputSize || ds.W != spec.InputSize {
		return nil, nil, fmt.Errorf("ssl: images are %dx%d, the model takes %d", ds.H, ds.W, spec.InputSize)
	}
	size := ds.ImageSize()
	var x *mat.Dense
	labels := make([]int, len(idx))
	const chunk = 256
	for lo := 0; lo < len(idx); lo += chunk {
		hi := min(lo+chunk, len(idx))
		imgs := make([]float32, (hi-lo)*size)
		for k, i := range idx[lo:hi] {
			src := ds.Image(i)
			for p, v := range src {
				c := p % 3
				imgs[k*size+p] = float32((float64(v)/255 - stats.Mean[c]) / stats.Std[c])
			}
			labels[lo+k] = int(ds.Labels[i])
		}
		layers, err := ex.Extract(imgs, hi-lo)
		if err != nil {
			return nil, nil, err
		}
		L := layers[col]
		if x == nil {
			x = mat.NewDense(len(idx), L.Cols, nil)
		}
		for r := range hi - lo {
			row := L.Row(r)
			for c, v := range row {
				x.Set(lo+r, c, float64(v))
			}
		}
	}
	return x, labels, nil
}

// LinearProbe fits the probe on (trainX, trainY) and scores it on (testX, testY); labels in
// 0..9 (cifar10h.FitReadout's 10 classes).
func LinearProbe(trainX *mat.Dense, trainY []int, testX *mat.Dense, testY []int, seed uint64) (ProbeResult, error) {
	r, err := cifar10h.FitReadout(trainX, trainY, &cifar10h.ReadoutOptions{Lambdas: ProbeLambdas, Folds: 3, Seed: seed, MaxIter: 300})
	if err != nil {
		return ProbeResult{}, fmt.Errorf("ssl: linear probe: %w", err)
	}
	_, units := trainX.Dims()
	res := ProbeResult{Units: units, TrainN: len(trainY), TestN: len(testY), Lambda: r.Lambda, Classes: 10, ChanceAccuracy: 0.1,
		TrainAccuracy: accuracy(r.Predict(trainX), trainY), TestAccuracy: accuracy(r.Predict(testX), testY)}
	return res, nil
}

// accuracy is the fraction of rows of p whose arg-max is the label.
func accuracy(p *mat.Dense, y []int) float64 {
	hits := 0
	for i, l := range y {
		row := p.RawRowView(i)
		best := 0
		for c := range row {
			if row[c] > row[best] {
				best = c
			}
		}
		if best == l {
			hits++
		}
	}
	return float64(hits) / float64(len(y))
}

// SaveProbe writes r as JSON to path.
func SaveProbe(r ProbeResult, path string) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// ReadProbe reads a ProbeFile written by SaveProbe.
func ReadProbe(path string) (ProbeResult, error) {
	var r ProbeResult
	b, err := os.ReadFile(path)
	if err != nil {
		return r, err
	}
	if err := json.Unmarshal(b, &r); err != nil {
		return r, fmt.Errorf("ssl: %s: %w", path, err)
	}
	return r, nil
}
