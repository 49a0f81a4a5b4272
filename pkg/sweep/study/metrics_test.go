package study

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/coarsealign/coarsealign/pkg/cka"
	"github.com/coarsealign/coarsealign/pkg/data/k92"
	"github.com/coarsealign/coarsealign/pkg/data/npy"
	"github.com/coarsealign/coarsealign/pkg/datadir"
	"github.com/coarsealign/coarsealign/pkg/features"
	"github.com/coarsealign/coarsealign/pkg/metric"
	"github.com/coarsealign/coarsealign/pkg/sweep"
)

// metricsConfig: the two baselines, no training; the features stage is replaced by
// synthetic 92-image features, the eval stage is the study's.
const metricsConfig = `
name: ci-metrics
granularity: [fine, untrained]
seeds: [1]
archs: [{name: alexnet-bn, width: 0.0625, input_size: 32}]
train: {epochs: 1, steps: 1, batch: 8, lr: 1.0e-3}
data: {source: cifar10, per_class: 2}
eval: {bootstrap: 20, splits: 4, seed: 3, max_triplets: 300%s}
`

// fakeFeatures writes three layers derived from the 92 images' category vectors, the
// granularity and the seed (not the run ID, so runs differing only in eval settings get the
// same features).
func fakeFeatures(set *k92.Set) sweep.Stage {
	return sweep.StageFunc{StageName: "features", Fn: func(ctx context.Context, env *sweep.Env) error {
		r := env.Run
		rng := rand.New(rand.NewPCG(uint64(r.Seed), uint64(len(r.Granularity))))
		var layers []features.Layer
		for l, noise := range []float64{0.3, 1, 3} {
			d := 8 + 8*l
			x := make([]float32, k92.NumImages*d)
			for i := 0; i < k92.NumImages; i++ {
				for j := 0; j < d; j++ {
					v := noise * rng.NormFloat64()
					if set.CategoryVectors[i][j%k92.NumCategories] {
						v++
					}
					x[i*d+j] = float32(v)
				}
			}
			layers = append(layers, features.Layer{Name: fmt.Sprintf("layer%d", l+1), Rows: k92.NumImages, Cols: d, Data: x, Shape: []int{d}})
		}
		return env.WriteDir(FeaturesDir, func(tmp string) error {
			return features.Save(tmp, layers, features.Index{Run: env.ID, Stimuli: "kriegeskorte92", IDs: set.IDs})
		})
	}}
}

func evalStage(t *testing.T) sweep.Stage {
	for _, s := range Stages(Options{}) {
		if s.Name() == "eval" {
			return s
		}
	}
	t.Fatal("no eval stage")
	return nil
}

// runMetricsSweep runs metricsConfig with the eval line's extra text and returns its runs,
// rows and output folder.
func runMetricsSweep(t *testing.T, dataDir string, set *k92.Set, extra string) ([]sweep.Run, []sweep.Row, string) {
	t.Helper()
	cfg, err := sweep.Parse([]byte(fmt.Sprintf(metricsConfig, extra)))
	if err != nil {
		t.Fatal(err)
	}
	runs := cfg.Expand()
	out := t.TempDir()
	rn := &sweep.Runner{Out: out, DataDir: dataDir, Stages: []sweep.Stage{fakeFeatures(set), evalStage(t)}}
	if _, err := rn.Execute(context.Background(), runs); err != nil {
		t.Fatal(err)
	}
	rows, missing, err := sweep.Collect(runs, out)
	if err != nil || len(missing) > 0 {
		t.Fatalf("collect: %v, missing %v", err, missing)
	}
	return runs, rows, out
}

// Issue 9's done-when: a sweep with eval.metrics [spearman, tau-a, corr, cka-linear,
// cka-rbf-unbiased] has rows for all five metrics, and its CKA rows equal pkg/cka on the same
// features, for a response-matrix target from the config and for the 92-image RDM targets.
// Adding metrics leaves the default metrics' rows unchanged.
func TestSweepEvalMetrics(t *testing.T) {
	dataDir := datadir.ForTest(t)
	set, err := loadK92(dataDir)
	if err != nil {
		datadir.SkipOrFail(t, "92-image data not available: %v", err)
	}
	rng := rand.New(rand.NewPCG(9, 9))
	const units = 20
	v4 := make([]float64, k92.NumImages*units)
	for i := range v4 {
		v4[i] = rng.NormFloat64()
		if set.CategoryVectors[i/units][i%units%k92.NumCategories] {
			v4[i] += 2
		}
	}
	v4Path := filepath.Join(t.TempDir(), "v4.npy")
	if err := npy.WriteMatrix(v4Path, k92.NumImages, units, v4); err != nil {
		t.Fatal(err)
	}
	five := []string{"spearman", "tau-a", "corr", "cka-linear", "cka-rbf-unbiased"}
	runs, rows, out := runMetricsSweep(t, dataDir, set, fmt.Sprintf(", metrics: [%s], targets: [{name: V4, responses: %s}]", strings.Join(five, ", "), v4Path))

	type key struct{ run, layer, target, metric, split string }
	byKey := map[key]sweep.Row{}
	metrics := map[string]bool{}
	count := map[[3]string]int{}
	for _, r := range rows {
		byKey[key{r.RunID, r.Layer, r.Target, r.Metric, r.Split}] = r
		metrics[r.Metric] = true
		count[[3]string{r.RunID, r.Target, r.Metric}]++
	}
	for _, m := range five {
		if !metrics[m] {
			t.Errorf("no rows for metric %s (have %v)", m, metrics)
		}
		for _, run := range runs {
			for _, tg := range []string{"mIT", "hIT-subjects", "behav-mean", "V4"} {
				if n := count[[3]string{run.ID(), tg, m}]; n != 4 { // 3 layers on all stimuli + 1 selected
					t.Errorf("run %s %s %s: %d rows, want 4", run.Label(), tg, m, n)
				}
			}
		}
	}

	mit := mat.NewSymDense(k92.NumImages, set.MIT.Square())
	y := mat.NewDense(k92.NumImages, units, v4)
	checked := 0
	for _, name := range []string{"cka-linear", "cka-rbf-unbiased"} {
		m, _ := metric.Lookup(name)
		opt := m.(metric.CKA).Options()
		mitKernel, err := cka.DistanceGram(mit, opt.Kernel, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, run := range runs {
			layers, err := ReadFeatures(filepath.Join(sweep.RunDir(out, run.ID()), FeaturesDir))
			if err != nil {
				t.Fatal(err)
			}
			for _, l := range layers {
				x := mat.NewDense(l.N, l.D, l.X)
				onV4, err := cka.CKA(x, y, opt)
				if err != nil {
					t.Fatal(err)
				}
				k, err := cka.PatternGram(x, opt.Kernel, 0)
				if err != nil {
					t.Fatal(err)
				}
				onMIT, err := cka.GramCKA(k, mitKernel, opt.Estimator)
				if err != nil {
					t.Fatal(err)
				}
				for tg, want := range map[string]float64{"V4": onV4, "mIT": onMIT} {
					r, ok := byKey[key{run.ID(), l.Layer, tg, name, "all"}]
					if !ok || math.Abs(r.Value-want) > 1e-9 {
						t.Errorf("run %s %s %s %s: row %v (found %v), pkg/cka %.12f", run.Label(), l.Layer, name, tg, r.Value, ok, want)
					}
					checked++
				}
			}
		}
	}
	if checked != 2*2*3*2 {
		t.Errorf("%d CKA rows checked", checked)
	}

	// The default metrics' rows (and the odd-one-out rows) do not depend on the other metrics.
	defRuns, defRows, _ := runMetricsSweep(t, dataDir, set, "")
	same := map[string]string{} // run ID of the default sweep -> the same run with five metrics
	for i := range defRuns {
		same[defRuns[i].ID()] = runs[i].ID()
	}
	n := 0
	for _, r := range defRows {
		if r.Metric != "spearman" && r.Metric != "tau-a" && r.Metric != "accuracy" {
			t.Fatalf("default sweep has metric %s", r.Metric)
		}
		o, ok := byKey[key{same[r.RunID], r.Layer, r.Target, r.Metric, r.Split}]
		same := func(a, b float64) bool { return a == b || (math.IsNaN(a) && math.IsNaN(b)) }
		if !ok || !same(o.Value, r.Value) || !same(o.CILow, r.CILow) || !same(o.CeilingLow, r.CeilingLow) || o.Note != r.Note {
			t.Fatalf("%s %s %s %s: default sweep %+v, five metrics %+v", r.Layer, r.Target, r.Metric, r.Split, r.Score, o.Score)
		}
		n++
	}
	if n == 0 {
		t.Fatal("default sweep has no rows")
	}
}
