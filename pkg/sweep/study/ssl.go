package study

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"

	"github.com/coarsealign/coarsealign/pkg/progress"
	"github.com/coarsealign/coarsealign/pkg/ssl"
	"github.com/coarsealign/coarsealign/pkg/sweep"
	"github.com/coarsealign/coarsealign/pkg/train"
)

// Linear-probe sizes of the ssl runs: the first ProbeTrain training images (the split's order)
// and the first ProbeTest held-out images.
const (
	ProbeTrain = 5000
	ProbeTest  = 2000
)

// trainSSL is the train stage of the ssl granularity: the run's architecture trained with the
// SimCLR objective (pkg/ssl; projection head on the penultimate tap, NT-Xent at temperature
// 0.5) on two augmented views of the same training images, without labels, with the run's
// budget (train.batch images per step, i.e. 2*batch views; the recipe's AdamW, warm-up,
// decay and clipping; label smoothing and the study's augmentation do not apply). The
// held-out images give the evaluation loss. Afterwards a linear probe of the penultimate tap
// (frozen; ssl.LinearProbe) is fitted on ProbeTrain training images and scored on ProbeTest
// held-out images, written to train/probe.json.
func (o Options) trainSSL(ctx context.Context, env *sweep.Env) error {
	r := env.Run
	dir := env.Path(TrainDir)
	job, err := PrepareTraining(env.DataDir, TrainSettings{Data: r.Data, Arch: r.Arch, Train: r.Train, Seed: int64(r.Seed),
		Load: LoadOptions{Download: true}, Workers: DefaultWorkers})
	if err != nil {
		return err
	}
	ts := job.Set
	cfg := job.Config
	cfg.Data = map[string]string{"source": r.Data.Source, "path": r.Data.Path, "granularity": r.Granularity,
		"per_class": strconv.Itoa(r.Data.PerClass), "views": "simclr"}
	data := &ssl.TwoViews{DS: ts.DS, Indices: ts.Train, BatchSize: cfg.BatchSize, Seed: uint64(r.Seed), Stats: &ts.Stats}
	var val train.EvalData
	if len(ts.Val) > 0 {
		val = &ssl.TwoViews{DS: ts.DS, Indices: ts.Val, BatchSize: EvalBatchSize / 2, Seed: uint64(r.Seed), Stats: &ts.Stats}
	}
	b, err := newBackend()
	if err != nil {
		return err
	}
	tr, err := train.New(b, cfg, dir, data.StepsPerEpoch(), train.WithObjective(ssl.SimCLR(cfg.Model, ssl.Options{})))
	if err != nil {
		return err
	}
	if o.NewReporter != nil {
		tr.Reporter = o.NewReporter()
	} else if o.Progress != nil {
		tr.Reporter = progress.NewTerminal(o.Progress)
	}
	if _, err := tr.Fit(ctx, data, val); err != nil {
		return err
	}
	if err := writeTrainCurve(env, dir); err != nil {
		return err
	}
	tap := cfg.Model.Penultimate()
	trainIdx, testIdx := ts.Train[:min(ProbeTrain, len(ts.Train))], ts.Val[:min(ProbeTest, len(ts.Val))]
	if len(testIdx) == 0 {
		return fmt.Errorf("study: ssl run %s: no held-out images for the linear probe", r.ID())
	}
	fmt.Fprintf(o.Log, "ssl run: linear probe of %s on %d training / %d held-out images\n", tap, len(trainIdx), len(testIdx))
	xtr, ytr, err := ssl.TapFeatures(b, cfg.Model, tr.Store, ts.DS, trainIdx, ts.Stats, tap)
	if err != nil {
		return err
	}
	xte, yte, err := ssl.TapFeatures(b, cfg.Model, tr.Store, ts.DS, testIdx, ts.Stats, tap)
	if err != nil {
		return err
	}
	res, err := ssl.LinearProbe(xtr, ytr, xte, yte, uint64(r.Seed))
	if err != nil {
		return err
	}
	res.Tap = tap
	fmt.Fprintf(o.Log, "ssl run: linear-probe accuracy %.4f (training %.4f, lambda %g)\n", res.TestAccuracy, res.TrainAccuracy, res.Lambda)
	return ssl.SaveProbe(res, filepath.Join(dir, ssl.ProbeFile))
}
