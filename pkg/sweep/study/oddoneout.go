package study

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/coarsealign/coarsealign/pkg/oddoneout"
	"github.com/coarsealign/coarsealign/pkg/sweep"
)

// Odd-one-out with CIs and linear probing on the 92 images (notebook 04): for each done run,
// the 92-stimulus features of the layer selected for the similarity judgements, scored on the
// triplets implied by the subjects' mean judgement RDM (oddoneout.TripletsFromRDM) zero-shot
// (cosine, ties wrong; oddoneout.Evaluate) and after a linear probe (oddoneout.Probe:
// object-disjoint 3-fold CV, lambda by inner CV), both with bootstrap CIs over stimuli.

// Target names of OddOneOutRows (metric "accuracy", chance 1/3).
const (
	TargetOddZeroShot = "oddoneout-zeroshot-behav-mean"
	TargetOddProbed   = "oddoneout-probed-behav-mean"
)

// OddOneOutOptions configure OddOneOutRows; the zero value is the notebook's setting.
type OddOneOutOptions struct {
	// Metric is the RSA metric whose "behav-subjects" layer selection picks the layer
	// (default "spearman").
	Metric string
	// MaxTriplets caps the triplets (default 2000, a seeded sample of the C(92,3) = 125,580).
	MaxTriplets int
	// PCs is the number of principal components of the standardised features the probe reads
	// (default 32): with 92 stimuli the features span at most 91 dimensions, and a d x d probe
	// of a 1024-wide layer would be slow for nothing.
	PCs int
	// Boot is the number of bootstrap resamples (default 1000); Seed seeds triplets, folds
	// and resamples.
	Boot int
	Seed uint64
}

func (o OddOneOutOptions) withDefaults() OddOneOutOptions {
	if o.Metric == "" {
		o.Metric = "spearman"
	}
	if o.MaxTriplets == 0 {
		o.MaxTriplets = 2000
	}
	if o.PCs == 0 {
		o.PCs = 32
	}
	if o.Boot == 0 {
		o.Boot = 1000
	}
	return o
}

// OddOneOutRows scores the done runs of cfg under out whose results are rows (the table) and
// returns one zero-shot and one probed row per run (Selected, Split "all", CI over stimuli,
// N the test triplets, Note the layer and lambdas), ready for plots.GranularityFromRows.
func OddOneOutRows(cfg *sweep.Config, rows []sweep.Row, out, dataDir string, o OddOneOutOptions) ([]sweep.Row, error) {
	o = o.withDefaults()
	set, err := loadK92(dataDir)
	if err != nil {
		return nil, err
	}
	trip, _, err := oddoneout.TripletsFromRDM(set.BehavMean, oddoneout.TripletOptions{Max: o.MaxTriplets, Seed: o.Seed})
	if err != nil {
		return nil, err
	}
	layerOf := map[string]string{}
	for _, r := range rows {
		if r.Target == "behav-subjects" && r.Metric == o.Metric && r.Selected {
			layerOf[r.RunID] = r.Layer
		}
	}
	var res []sweep.Row
	for _, run := range cfg.Expand() {
		layer, ok := layerOf[run.ID()]
		if !ok || !sweep.IsDone(out, run.ID()) {
			continue
		}
		feats, err := ReadFeatures(sweep.RunDir(out, run.ID()) + "/" + FeaturesDir)
		if err != nil {
			return nil, err
		}
		var x *mat.Dense
		for _, f := range feats {
			if f.Layer == layer {
				x = mat.NewDense(f.N, f.D, f.X)
			}
		}
		if x == nil {
			return nil, fmt.Errorf("study: run %s has no features of layer %s", run.ID(), layer)
		}
		zs, err := oddoneout.Evaluate(x, trip, oddoneout.Options{Boot: o.Boot, Seed: o.Seed})
		if err != nil {
			return nil, fmt.Errorf("study: run %s layer %s: %w", run.ID(), layer, err)
		}
		pr, err := oddoneout.Probe(topPCs(x, o.PCs), trip, oddProbeOptions(o.Seed, o.Boot))
		if err != nil {
			return nil, fmt.Errorf("study: run %s layer %s: probe: %w", run.ID(), layer, err)
		}
		base := sweep.Row{RunID: run.ID(), Index: run.Index, LabelSource: run.LabelSource, K: run.Granularity, Seed: run.Seed,
			Arch: run.Arch.Name, Width: run.Arch.Width, InputSize: run.Arch.InputSize}
		add := func(target string, r *oddoneout.Result, note string) {
			row := base
			row.Score = sweep.Score{Layer: layer, Target: target, Metric: "accuracy", Value: r.Accuracy,
				CILow: r.ByStimuli.Low, CIHigh: r.ByStimuli.High, CeilingLow: math.NaN(), CeilingHigh: math.NaN(),
				Selected: true, Split: "all", SD: math.NaN(), N: r.Triplets, Note: note}
			res = append(res, row)
		}
		add(TargetOddZeroShot, zs, fmt.Sprintf("cosine, all %d triplets", len(trip)))
		add(TargetOddProbed, pr.Held, fmt.Sprintf("probe on %d PCs, held-out objects (3 folds), lambdas %v; zero-shot on the same test triplets %.3f", o.PCs, pr.Lambda, pr.HeldZeroShot.Accuracy))
	}
	if len(res) == 0 {
		return nil, fmt.Errorf("study: no done run of %s in %s has a layer selected for behav-subjects (%s)", cfg.Name, out, o.Metric)
	}
	return res, nil
}

// oddProbeOptions are the probe settings of the 92-image odd-one-out rows and of the transfer
// test (TransferRows): 150 full-batch Adam steps at lr 0.05, lambda from {0.1, 0.01, 0.001} by
// inner CV, otherwise oddoneout's defaults (the study's probe).
func oddProbeOptions(seed uint64, boot int) oddoneout.ProbeOptions {
	return oddoneout.ProbeOptions{Seed: seed, Steps: 150, LR: 0.05, Lambdas: []float64{1e-1, 1e-2, 1e-3}, Boot: boot}
}

// topPCs returns the scores of the top k principal components of the standardised columns of
// x (n x d), n x min(k, n-1, d).
func topPCs(x *mat.Dense, k int) *mat.Dense {
	s, _ := fitPCs(x, k)
	return s
}

// pcaMap is the reduction of topPCs as a map that also applies to other rows: columns
// standardised with the fitted data's mean and standard deviation (ddof 0), then projected on
// its top principal axes.
type pcaMap struct {
	mean, sd []float64
	// v is d x k (the right singular vectors); nil when the SVD failed and topPCs kept all
	// standardised columns.
	v *mat.Dense
}

// fitPCs returns topPCs(x, k) (as U S of the standardised x) and the map that gives it.
func fitPCs(x *mat.Dense, k int) (*mat.Dense, *pcaMap) {
	n, d := x.Dims()
	z := mat.DenseCopyOf(x)
	p := &pcaMap{mean: make([]float64, d), sd: make([]float64, d)}
	for j := 0; j < d; j++ {
		s, ss := 0.0, 0.0
		for i := 0; i < n; i++ {
			s += z.At(i, j)
		}
		m := s / float64(n)
		for i := 0; i < n; i++ {
			v := z.At(i, j) - m
			ss += v * v
		}
		sd := math.Sqrt(ss / float64(n))
		if sd == 0 {
			sd = 1
		}
		p.mean[j], p.sd[j] = m, sd
		for i := 0; i < n; i++ {
			z.Set(i, j, (z.At(i, j)-m)/sd)
		}
	}
	var svd mat.SVD
	if !svd.Factorize(z, mat.SVDThin) {
		return z, p
	}
	k = min(k, n-1, d)
	var u, v mat.Dense
	svd.UTo(&u)
	svd.VTo(&v)
	sv := svd.Values(nil)
	out := mat.NewDense(n, k, nil)
	for i := 0; i < n; i++ {
		for j := 0; j < k; j++ {
			out.Set(i, j, u.At(i, j)*sv[j])
		}
	}
	p.v = mat.DenseCopyOf(v.Slice(0, d, 0, k))
	return out, p
}

// apply maps rows y (m x d, the fitted data's columns) to their scores, m x k.
func (p *pcaMap) apply(y mat.Matrix) *mat.Dense {
	m, d := y.Dims()
	if d != len(p.mean) {
		panic(fmt.Sprintf("study: PCA fitted on %d columns applied to %d", len(p.mean), d))
	}
	z := mat.NewDense(m, d, nil)
	for i := 0; i < m; i++ {
		row := z.RawRowView(i)
		for j := range row {
			row[j] = (y.At(i, j) - p.mean[j]) / p.sd[j]
		}
	}
	if p.v == nil {
		return z
	}
	var out mat.Dense
	out.Mul(z, p.v)
	return &out
}
