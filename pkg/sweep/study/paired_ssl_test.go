package study

import (
	"context"
	"math"
	"testing"

	"github.com/coarsealign/coarsealign/pkg/datadir"
	"github.com/coarsealign/coarsealign/pkg/stats"
	"github.com/coarsealign/coarsealign/pkg/sweep"
)

// sslPairedConfig: fine, ssl and untrained baselines; the features stage is replaced by
// fakeFeatures (different features per granularity), the eval stage is the study's.
const sslPairedConfig = `
name: ci-ssl-paired
granularity: [fine, ssl, untrained]
seeds: [1]
archs: [{name: alexnet-bn, width: 0.0625, input_size: 32}]
train: {epochs: 1, steps: 1, batch: 8, lr: 1.0e-3}
data: {source: cifar10, per_class: 2}
eval: {bootstrap: 20, splits: 6, seed: 3, max_triplets: 300}
`

// TestPairedSSLThroughEvalStage: an ssl run goes through the study's eval stage like any run,
// so it stores its split values (draws.jsonl), and PairedFromSweep pairs it with the fine run:
// for every selected target and metric, the ssl row's difference and interval are those of the
// split-by-split differences of the two runs' stored draws, and Model is the ssl run's stored
// selected score.
func TestPairedSSLThroughEvalStage(t *testing.T) {
	dataDir := datadir.ForTest(t)
	set, err := loadK92(dataDir)
	if err != nil {
		datadir.SkipOrFail(t, "92-image data not available: %v", err)
	}
	cfg, err := sweep.Parse([]byte(sslPairedConfig))
	if err != nil {
		t.Fatal(err)
	}
	runs := cfg.Expand()
	out := t.TempDir()
	rn := &sweep.Runner{Out: out, DataDir: dataDir, Stages: []sweep.Stage{fakeFeatures(set), evalStage(t)}}
	if _, err := rn.Execute(context.Background(), runs); err != nil {
		t.Fatal(err)
	}
	rows, _, err := sweep.Collect(runs, out)
	if err != nil {
		t.Fatal(err)
	}
	var fine, ssl sweep.Run
	for _, r := range runs {
		switch r.Granularity {
		case sweep.Fine:
			fine = r
		case sweep.SSL:
			ssl = r
		}
	}
	read := func(r sweep.Run) map[string][]float64 {
		d, err := sweep.ReadDraws(sweep.DrawsPath(out, r.ID()))
		if err != nil {
			t.Fatalf("%s run: %v", r.Granularity, err)
		}
		m := map[string][]float64{}
		for _, x := range d {
			m[x.Target+"/"+x.Metric] = x.Values
		}
		return m
	}
	fd, sd := read(fine), read(ssl)
	stored := map[string]float64{}
	for _, r := range rows {
		if r.Selected && r.RunID == ssl.ID() {
			stored[r.Target+"/"+r.Metric] = r.Value
		}
	}
	pr, err := PairedFromSweep(runs, dataDir, "", nil, out)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, p := range pr {
		if p.K != sweep.SSL {
			continue
		}
		n++
		tm := p.Target + "/" + p.Metric
		a, b := sd[tm], fd[tm]
		if len(a) != 6 || len(b) != 6 {
			t.Fatalf("%s: %d ssl and %d fine split values, want 6 (eval.splits)", tm, len(a), len(b))
		}
		d := make([]float64, len(a))
		for s := range d {
			d[s] = a[s] - b[s]
		}
		lo, hi := stats.PercentileCI(d, 0.95)
		if math.Abs(p.Diff-stats.Mean(d)) > 1e-12 || p.Low != lo || p.High != hi || p.Splits != 6 {
			t.Errorf("%s: paired %v [%v, %v], want %v [%v, %v] from the draws", tm, p.Diff, p.Low, p.High, stats.Mean(d), lo, hi)
		}
		if math.Abs(p.Model-stored[tm]) > 1e-9 {
			t.Errorf("%s: ssl model %v, stored selected score %v", tm, p.Model, stored[tm])
		}
	}
	if n == 0 || n != len(sd) {
		t.Errorf("%d ssl paired rows for %d selected targets x metrics", n, len(sd))
	}
}
