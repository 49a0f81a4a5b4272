package study

import (
	"context"
	"fmt"
	"io"
	"math"

	"github.com/coarsealign/coarsealign/pkg/data/k92"
	"github.com/coarsealign/coarsealign/pkg/eval"
	"github.com/coarsealign/coarsealign/pkg/metric"
	"github.com/coarsealign/coarsealign/pkg/sweep"
)

// EvalOptions returns pkg/eval's options for a sweep's eval settings: the metrics by
// registry name (sweep.Eval.MetricNames), bootstrap draws (0: no intervals), splits, seed and
// the triplet cap.
func EvalOptions(e sweep.Eval) (eval.Options, error) {
	ms, err := metric.LookupAll(e.MetricNames())
	if err != nil {
		return eval.Options{}, fmt.Errorf("study: eval.%w", err)
	}
	opt := eval.Options{Metrics: ms, Draws: e.Bootstrap, Splits: e.Splits, Seed: uint64(e.Seed), MaxTriplets: e.MaxTriplets}
	if opt.Draws == 0 {
		opt.Draws = -1
	}
	return opt, nil
}

// EvalData returns the 92-image targets (eval.K92Data) followed by the sweep's own targets
// (sweep.Eval.Targets, read with eval.LoadTarget).
func EvalData(set *k92.Set, e sweep.Eval) (*eval.Data, error) {
	data := eval.K92Data(set)
	for _, t := range e.Targets {
		tg, err := eval.LoadTarget(t.Name, t.RDM, t.Responses)
		if err != nil {
			return nil, err
		}
		data.Targets = append(data.Targets, tg)
	}
	return data, nil
}

// EvaluateLayers scores layers against data with opt (eval.Evaluate), after dropping the layers
// whose pattern is constant for some stimulus (e.g. dead ReLUs of an untrained net: their
// correlation RDM is undefined), each reported on log as "<who>: layer L ...". The sweep's eval
// stage and `coarsealign eval` both score through it.
func EvaluateLayers(layers []eval.Features, data *eval.Data, opt eval.Options, log io.Writer, who string) ([]eval.Row, error) {
	var keep []eval.Features
	for _, l := range layers {
		if i, constant := eval.ConstantStimulus(l); constant {
			fmt.Fprintf(log, "%s: layer %s: stimulus %d has a constant pattern; skipped\n", who, l.Layer, i)
			continue
		}
		keep = append(keep, l)
	}
	if len(keep) == 0 {
		return nil, fmt.Errorf("%s: no layer to score", who)
	}
	return eval.Evaluate(keep, data, opt)
}

func (o Options) eval(ctx context.Context, env *sweep.Env) error {
	r := env.Run
	layers, err := ReadFeatures(env.Path(FeaturesDir))
	if err != nil {
		return err
	}
	set, err := loadK92(env.DataDir)
	if err != nil {
		return err
	}
	data, err := EvalData(set, r.Eval)
	if err != nil {
		return err
	}
	opt, err := EvalOptions(r.Eval)
	if err != nil {
		return err
	}
	if r.Chronology != nil {
		return o.evalChronology(env, data, opt)
	}
	opt.KeepDraws = true
	rows, err := EvaluateLayers(layers, data, opt, o.Log, "run "+env.ID)
	if err != nil {
		return err
	}
	if err := env.WriteDraws(SelectedDraws(rows)); err != nil {
		return err
	}
	return env.WriteScores(o.scoresOf(env, rows))
}

// scoresOf converts pkg/eval's rows into the results table's scores, leaving out (and
// logging) undefined ones.
func (o Options) scoresOf(env *sweep.Env, rows []eval.Row) []sweep.Score {
	scores := make([]sweep.Score, 0, len(rows))
	skipped := 0
	for _, e := range rows {
		if math.IsNaN(e.Value) || math.IsInf(e.Value, 0) {
			// A metric undefined for this layer and target (e.g. CKA of a degenerate kernel).
			if skipped == 0 {
				fmt.Fprintf(o.Log, "run %s: %s of layer %s with %s is undefined; skipped\n", env.ID, e.Metric, e.Layer, e.Target)
			}
			skipped++
			continue
		}
		scores = append(scores, sweep.Score{Layer: e.Layer, Target: e.Target, Metric: e.Metric, Value: e.Value,
			CILow: e.CILow, CIHigh: e.CIHigh, CeilingLow: e.CeilLow, CeilingHigh: e.CeilHigh,
			Selected: e.Selected, Split: e.Split, SD: e.SD, N: e.N, Note: e.Note})
	}
	if skipped > 1 {
		fmt.Fprintf(o.Log, "run %s: %d undefined scores skipped in all\n", env.ID, skipped)
	}
	return scores
}
