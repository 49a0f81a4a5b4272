package study

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"gonum.org/v1/gonum/mat"

	"github.com/coarsealign/coarsealign/pkg/cifar10h"
	"github.com/coarsealign/coarsealign/pkg/data/k92"
	"github.com/coarsealign/coarsealign/pkg/features"
	"github.com/coarsealign/coarsealign/pkg/oddoneout"
	"github.com/coarsealign/coarsealign/pkg/rdm"
	"github.com/coarsealign/coarsealign/pkg/rsa"
	"github.com/coarsealign/coarsealign/pkg/sweep"
	"github.com/coarsealign/coarsealign/pkg/train"
)

// The probe-transfer test of the fourth seed study (Muttenthaler et al. 2023: "W learned on one
// dataset improves RSA on others"): for each model, at one layer (default the CIFAR-10H
// add-on's, PenultimateLayer), the features of the 92 images reduced to their top principal
// components as in OddOneOutRows (fitPCs), a probe fitted on all the 92-image triplets implied
// by the mean judgement RDM (oddoneout.FitCV: lambda by inner CV, the odd-one-out rows'
// settings), and the CIFAR-10 test images' activations at the same layer, projected with the
// same PCA and averaged per class: the RSA of the 10 class means with the human CIFAR-10H class
// structure (CIFAR10HClassRDM), before and after the probe (oddoneout.TransferMeans).

// Names of the transfer test's source triplets and target (TransferRow.Source, Target).
const (
	TransferSource        = "kriegeskorte92-behav-mean-triplets"
	TransferTargetClasses = "cifar10h-classes"
	TransferTargetImages  = "cifar10h-images"
)

// TransferOptions configure TransferModel and TransferRows; the zero value is the documented
// setting (docs/human-alignment.md, "Probe transfer").
type TransferOptions struct {
	// Layer is the layer of both stimulus sets (default PenultimateLayer of the architecture,
	// the CIFAR-10H add-on's default, e.g. fc7.post).
	Layer string
	// PerClass takes the first PerClass test images of each class in the official order
	// (at most 1,000). 0: all 1,000 per class, except in TransferRows for a run whose
	// eval.cifar10h.test is below 10,000 (e.g. the CI sweep's 500), which gets test/10.
	PerClass int
	// MaxTriplets (default 2000), PCs (default 32) and Seed are those of OddOneOutRows: the
	// same triplets, reduction and probe seed.
	MaxTriplets int
	PCs         int
	Seed        uint64
	// Draws is the number of bootstrap resamples of the images and of subsamples of the
	// classes (default 1000).
	Draws int
	// ImagesPerClass > 0 adds the per-image test (a second row, target TransferTargetImages):
	// the first ImagesPerClass of the images used per class, the RDM of their projected
	// activations against the RDM of their human distributions (cosine distance), with
	// ImageDraws (default 200) 90% subsamples of the images for the intervals.
	ImagesPerClass int
	ImageDraws     int
	// Probe overrides the probe settings (nil: those of OddOneOutRows, lambda by inner CV).
	Probe *oddoneout.ProbeOptions
	// Log receives one line per model (nil: none).
	Log io.Writer
}

func (o TransferOptions) withDefaults() TransferOptions {
	if o.MaxTriplets == 0 {
		o.MaxTriplets = 2000
	}
	if o.PCs == 0 {
		o.PCs = 32
	}
	if o.Draws == 0 {
		o.Draws = 1000
	}
	if o.ImageDraws == 0 {
		o.ImageDraws = 200
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	return o
}

// CIFAR10HClassRDM returns the 10 x 10 RDM of the human CIFAR-10H class structure of the
// official test images idx (repeats allowed, every class present): with C the human confusion
// matrix of those images (Set.ConfusionMatrix of the human distributions: C[t][c] the mean
// probability that people chose class c for an image of class t), the dissimilarity of
// classes t and c is 1 - (C[t][c] + C[c][t]) / 2, the symmetrised confusion turned into a
// distance. Only its ranks matter for a Spearman RSA.
func CIFAR10HClassRDM(set *cifar10h.Set, idx []int) (*rdm.RDM, error) {
	var seen [cifar10h.NumClasses]bool
	for _, i := range idx {
		if i < 0 || i >= set.N() {
			return nil, fmt.Errorf("study: cifar10h: image index %d outside 0..%d", i, set.N()-1)
		}
		seen[set.Labels[i]] = true
	}
	for c, ok := range seen {
		if !ok {
			return nil, fmt.Errorf("study: cifar10h: no image of class %d (%s) among the %d images", c, cifar10h.ClassNames[c], len(idx))
		}
	}
	conf := set.ConfusionMatrix(set.HumanProbs(idx), idx)
	const n = cifar10h.NumClasses
	sq := make([]float64, n*n)
	for t := 0; t < n; t++ {
		for c := 0; c < n; c++ {
			if t != c {
				sq[t*n+c] = 1 - (conf.At(t, c)+conf.At(c, t))/2
			}
		}
	}
	return rdm.FromSquare(TransferTargetClasses, sq, n, cifar10h.ClassNames[:])
}

// FirstPerClass returns the official indices of the first perClass test images of each class
// (all when perClass <= 0 or above a class's size), in the official order.
func FirstPerClass(set *cifar10h.Set, perClass int) []int {
	var count [cifar10h.NumClasses]int
	var out []int
	for i, l := range set.Labels {
		if perClass <= 0 || count[l] < perClass {
			out = append(out, i)
			count[l]++
		}
	}
	return out
}

// TransferModel runs the transfer test for one model (a run opened with train.OpenRun) on the
// data in dataDir (kriegeskorte92/ and cifar10h/ plus the CIFAR-10 test images, decoded with
// jpeg: "" or a sweep's data.jpeg). It returns the class-level row and, with ImagesPerClass,
// the per-image row, with their numbers and settings but not the run's identity.
func TransferModel(ctx context.Context, run *train.Run, dataDir, jpeg string, o TransferOptions) ([]oddoneout.TransferRow, error) {
	o = o.withDefaults()
	t0 := time.Now()
	spec := run.Config.Model
	layer := o.Layer
	if layer == "" {
		layer = PenultimateLayer(string(spec.Arch))
		if layer == "" {
			return nil, fmt.Errorf("study: transfer: architecture %q has no penultimate layer; set the layer", spec.Arch)
		}
	}
	row := oddoneout.TransferRow{Layer: layer, PCs: o.PCs, Source: TransferSource, Target: TransferTargetClasses}
	// Source: the 92 images' features at layer, their top PCs, the probe on all triplets.
	set92, err := loadK92(dataDir)
	if err != nil {
		return nil, err
	}
	trip, _, err := oddoneout.TripletsFromRDM(set92.BehavMean, oddoneout.TripletOptions{Max: o.MaxTriplets, Seed: o.Seed})
	if err != nil {
		return nil, err
	}
	b, err := newBackend()
	if err != nil {
		return nil, err
	}
	layers, err := features.ExtractRun(b, run, set92.Pixels, k92.ImageSize, k92.ImageSize)
	if err != nil {
		return nil, err
	}
	var x92 *mat.Dense
	for i := range layers {
		if layers[i].Name == layer {
			x92 = mat.NewDense(layers[i].Rows, layers[i].Cols, layers[i].Float64())
		}
	}
	if x92 == nil {
		return nil, fmt.Errorf("study: transfer: layer %q: the model has no such layer (have %s)", layer, strings.Join(features.LayerNames(layers), ", "))
	}
	scores, pca := fitPCs(x92, o.PCs)
	_, row.PCs = scores.Dims()
	popt := oddProbeOptions(o.Seed, -1)
	if o.Probe != nil {
		popt = *o.Probe
	}
	probe, err := oddoneout.FitCV(scores, trip, popt)
	if err != nil {
		return nil, fmt.Errorf("study: transfer: probe on the 92-image triplets: %w", err)
	}
	row.Triplets, row.Lambda = len(trip), probe.Lambda
	// Target: the CIFAR-10 test images' activations, projected with the same PCA.
	set, test, order, err := cifar10hData(dataDir, spec.InputSize, jpeg)
	if err != nil {
		return nil, err
	}
	official := FirstPerClass(set, o.PerClass)
	imgs := make([]int, len(official))
	group := make([]int, len(official))
	for k, i := range official {
		imgs[k], group[k] = order[i], set.Labels[i]
	}
	act, err := embedLayers(ctx, run, test, imgs, []string{layer})
	if err != nil {
		return nil, fmt.Errorf("study: transfer: CIFAR-10 test images: %w", err)
	}
	proj := pca.apply(act[0])
	target := func(idx []int) (*rdm.RDM, error) {
		off := make([]int, len(idx))
		for k, i := range idx {
			off[k] = official[i]
		}
		return CIFAR10HClassRDM(set, off)
	}
	res, err := oddoneout.TransferMeans(probe, proj, group, target, oddoneout.TransferOptions{Draws: o.Draws, Seed: o.Seed})
	if err != nil {
		return nil, fmt.Errorf("study: transfer: %w", err)
	}
	row.Items, row.Stimuli, row.Draws = res.Items, res.N, res.ItemDraws
	row.Raw, row.Probed, row.Gain = res.Raw, res.Probed, res.Gain
	row.RawLow, row.RawHigh, row.ProbedLow, row.ProbedHigh = res.RawLow, res.RawHigh, res.ProbedLow, res.ProbedHigh
	row.GainLow, row.GainHigh, row.GainLowStimuli, row.GainHighStimuli = res.GainLow, res.GainHigh, res.Low, res.High
	fmt.Fprintf(o.Log, "transfer: layer %s, %d PCs, lambda %g, %d images: raw %.3f, probed %.3f, gain %.3f [%.3f, %.3f] in %s\n",
		layer, row.PCs, row.Lambda, row.Items, row.Raw, row.Probed, row.Gain, row.GainLow, row.GainHigh, time.Since(t0).Round(time.Second))
	rows := []oddoneout.TransferRow{row}
	if o.ImagesPerClass > 0 {
		img, err := transferImages(probe, proj, set, official, row, o)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(o.Log, "transfer per image: %d images: raw %.3f, probed %.3f, gain %.3f [%.3f, %.3f] at %s\n",
			img.Items, img.Raw, img.Probed, img.Gain, img.GainLow, img.GainHigh, time.Since(t0).Round(time.Second))
		rows = append(rows, img)
	}
	return rows, nil
}

// transferImages is the per-image test: the first o.ImagesPerClass of the images official
// (rows of proj) per class, their RDM (correlation distance) against the cosine-distance RDM of
// their human distributions, with intervals over subsamples of the images (oddoneout.Transfer).
func transferImages(probe *oddoneout.Model, proj *mat.Dense, set *cifar10h.Set, official []int, base oddoneout.TransferRow, o TransferOptions) (oddoneout.TransferRow, error) {
	var count [cifar10h.NumClasses]int
	var rows, off []int
	for k, i := range official {
		if l := set.Labels[i]; count[l] < o.ImagesPerClass {
			count[l]++
			rows, off = append(rows, k), append(off, i)
		}
	}
	_, d := proj.Dims()
	x := mat.NewDense(len(rows), d, nil)
	for k, r := range rows {
		x.SetRow(k, proj.RawRowView(r))
	}
	human, err := rsa.RDMFromPatterns(TransferTargetImages, set.HumanProbs(off), rsa.CosineDist, nil)
	if err != nil {
		return base, fmt.Errorf("study: transfer: human RDM of %d images: %w", len(off), err)
	}
	res, err := oddoneout.Transfer(probe, x, human, oddoneout.TransferOptions{Draws: o.ImageDraws, Seed: o.Seed})
	if err != nil {
		return base, fmt.Errorf("study: transfer per image: %w", err)
	}
	row := base
	row.Target, row.Items, row.Stimuli, row.Draws = TransferTargetImages, len(off), len(off), res.Draws
	row.Raw, row.Probed, row.Gain = res.Raw, res.Probed, res.Gain
	row.RawLow, row.RawHigh, row.ProbedLow, row.ProbedHigh = res.RawLow, res.RawHigh, res.ProbedLow, res.ProbedHigh
	row.GainLow, row.GainHigh, row.GainLowStimuli, row.GainHighStimuli = res.Low, res.High, res.Low, res.High
	return row, nil
}

// TransferRows runs TransferModel for every done run of cfg under out, in the config's order,
// and returns its rows (one per run, two with ImagesPerClass) with the run's identity. It needs the runs' data source to be cifar10
// (their normalisation and input size are the network's).
func TransferRows(ctx context.Context, cfg *sweep.Config, out, dataDir string, o TransferOptions) ([]oddoneout.TransferRow, error) {
	var rows []oddoneout.TransferRow
	for _, r := range cfg.Expand() {
		if !sweep.IsDone(out, r.ID()) {
			continue
		}
		if err := ctx.Err(); err != nil {
			return rows, err
		}
		run, err := openRun(sweep.RunDir(out, r.ID())+"/"+TrainDir, r.Granularity == sweep.Untrained)
		if err != nil {
			return rows, fmt.Errorf("study: transfer: run %s (%s): %w", r.ID(), r.Label(), err)
		}
		ro := o
		if c := r.Eval.CIFAR10H; ro.PerClass == 0 && c != nil && c.Test > 0 && c.Test < cifar10h.NumImages {
			ro.PerClass = max(1, c.Test/cifar10h.NumClasses)
		}
		if ro.Log != nil {
			fmt.Fprintf(ro.Log, "run %s (%s): ", r.ID(), r.Label())
		}
		got, err := TransferModel(ctx, run, dataDir, r.Data.JPEG, ro)
		if err != nil {
			return rows, fmt.Errorf("run %s (%s): %w", r.ID(), r.Label(), err)
		}
		for _, row := range got {
			row.RunID, row.LabelSource, row.K, row.Seed = r.ID(), r.LabelSource, r.Granularity, r.Seed
			row.Arch, row.Width, row.InputSize = r.Arch.Name, r.Arch.Width, r.Arch.InputSize
			rows = append(rows, row)
		}
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("study: transfer: no done run of %s in %s", cfg.Name, out)
	}
	return rows, nil
}
