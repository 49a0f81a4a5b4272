package eval

import (
	"math"
	"path/filepath"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/coarsealign/coarsealign/pkg/cka"
	"github.com/coarsealign/coarsealign/pkg/data/npy"
	"github.com/coarsealign/coarsealign/pkg/metric"
	"github.com/coarsealign/coarsealign/pkg/rsa"
)

func lookup(t *testing.T, names ...string) []metric.Metric {
	t.Helper()
	ms, err := metric.LookupAll(names)
	if err != nil {
		t.Fatal(err)
	}
	return ms
}

// withResponses adds a response-matrix target "resp": the exact layer's patterns plus noise.
func withResponses(layers []Features, data *Data) *Data {
	ex := layers[2]
	x := make([]float64, len(ex.X))
	for i := range x {
		x[i] = ex.X[i] + 0.3*math.Sin(float64(7*i))
	}
	d := *data
	d.Targets = append(append([]Target(nil), data.Targets...), Target{Name: "resp", Responses: x, Units: ex.D})
	return &d
}

// Any registered metric runs through the same resampling: rows per applicable target and
// metric, CKA rows equal to pkg/cka on the same features, encoding only on response targets,
// ceilings only for RSA metrics.
func TestRegistryMetricsInEvaluate(t *testing.T) {
	layers, data := synthetic(4, 30)
	data = withResponses(layers, data)
	ms := lookup(t, "spearman", "corr", "cka-linear", "cka-rbf-unbiased", "encoding", "oddoneout")
	opt := Options{Metrics: ms, Draws: 8, Splits: 4, Seed: 2, MaxTriplets: 500}
	rows, err := Evaluate(layers, data, opt)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		for _, tg := range []string{"single", "resp", "brain-mean", "brain/2", "brain-subjects", "behav-subjects"} {
			want := len(layers)
			if m.Name() == "encoding" && tg != "resp" {
				want = 0
			}
			if got := len(Find(rows, "", tg, m.Name(), false)); got != want {
				t.Errorf("%s %s: %d profile rows, want %d", m.Name(), tg, got, want)
			}
			sel := Find(rows, "", tg, m.Name(), true)
			if want > 0 && (len(sel) != 1 || sel[0].Layer != "exact") {
				t.Errorf("%s %s: selected %+v, want exact", m.Name(), tg, sel)
			}
		}
	}
	resp := data.Targets[1]
	y := mat.NewDense(30, resp.Units, resp.Responses)
	single := mat.NewSymDense(30, data.Targets[0].RDM.Square())
	for _, m := range ms[2:4] {
		opt := m.(metric.CKA).Options()
		kt, _ := cka.DistanceGram(single, opt.Kernel, 0)
		for _, f := range layers {
			x := mat.NewDense(f.N, f.D, f.X)
			want, err := cka.CKA(x, y, opt)
			if err != nil {
				t.Fatal(err)
			}
			if r := Find(rows, f.Layer, "resp", m.Name(), false)[0]; math.Abs(r.Value-want) > 1e-9 || !math.IsNaN(r.CeilLow) || math.IsNaN(r.CILow) {
				t.Errorf("%s %s resp: %+v, cka.CKA %.12f", m.Name(), f.Layer, r, want)
			}
			// An RDM target enters CKA as the kernel of points with those squared distances.
			k, _ := cka.PatternGram(x, opt.Kernel, 0)
			want, _ = cka.GramCKA(k, kt, opt.Estimator)
			if got := Find(rows, f.Layer, "single", m.Name(), false)[0].Value; math.Abs(got-want) > 1e-9 {
				t.Errorf("%s %s single: %.12f, cka %.12f", m.Name(), f.Layer, got, want)
			}
		}
	}
	if r := Find(rows, "exact", "brain-subjects", "corr", false)[0]; math.IsNaN(r.CeilLow) {
		t.Errorf("corr has no noise ceiling: %+v", r)
	}
	if r := Find(rows, "exact", "brain-subjects", "cka-linear", true)[0]; !math.IsNaN(r.CeilLow) {
		t.Errorf("cka has a noise ceiling: %+v", r)
	}
	// The registry's odd-one-out on the behaviour mean equals the group's odd-one-out row.
	a := Find(rows, "noisy", "behav-mean", "oddoneout", false)[0].Value
	b := Find(rows, "noisy", "oddoneout-behav-mean", "accuracy", false)[0].Value
	if a != b {
		t.Errorf("oddoneout metric %.12f, group odd-one-out row %.12f", a, b)
	}
	// The response target's RSA rows use its correlation-distance RDM.
	rr, _ := rsa.RDMFromPatternSlice("r", resp.Responses, 30, resp.Units, rsa.Correlation, nil)
	ex, _ := rsa.RDMFromPatternSlice("e", layers[2].X, 30, layers[2].D, rsa.Correlation, nil)
	if want := rsa.MustCompare(ex, rr, rsa.Spearman); math.Abs(Find(rows, "exact", "resp", "spearman", false)[0].Value-want) > 1e-12 {
		t.Errorf("spearman on the response target differs from rsa.Compare %.12f", want)
	}
}

// meanSqDiff is a toy metric whose lower values are better: the mean squared difference of
// the model and target RDMs (z-scored). Registering it is all it takes to use it in Evaluate.
type meanSqDiff struct{}

func (meanSqDiff) Name() string         { return "test-mean-sq-diff" }
func (meanSqDiff) Needs() metric.Input  { return metric.RDM }
func (meanSqDiff) HigherIsBetter() bool { return false }
func (meanSqDiff) Prepare(models, targets []*metric.Rep, _ metric.Settings) (metric.Prepared, error) {
	return msdPrepared{models, targets}, nil
}

type msdPrepared struct{ models, targets []*metric.Rep }

func (p msdPrepared) NewScorer() metric.Scorer { return p }
func (p msdPrepared) Score(idx []int, out [][]float64) {
	z := func(r *metric.Rep) []float64 {
		v := r.RDM.Subset(idx).Vec
		mu, ss := 0.0, 0.0
		for _, x := range v {
			mu += x
		}
		mu /= float64(len(v))
		for _, x := range v {
			ss += (x - mu) * (x - mu)
		}
		sd := math.Sqrt(ss / float64(len(v)))
		out := make([]float64, len(v))
		for i, x := range v {
			out[i] = (x - mu) / sd
		}
		return out
	}
	for i, m := range p.models {
		a := z(m)
		for j, t := range p.targets {
			b := z(t)
			s := 0.0
			for k := range a {
				s += (a[k] - b[k]) * (a[k] - b[k])
			}
			out[i][j] = s / float64(len(a))
		}
	}
}

func init() { metric.Register(meanSqDiff{}) }

func TestToyMetricLowerIsBetter(t *testing.T) {
	layers, data := synthetic(5, 30)
	rows, err := Evaluate(layers, data, Options{Metrics: lookup(t, "test-mean-sq-diff"), Draws: 10, Splits: 5})
	if err != nil {
		t.Fatal(err)
	}
	prof := Find(rows, "", "single", "test-mean-sq-diff", false)
	if len(prof) != 3 || !(prof[2].Value < prof[1].Value && prof[1].Value < prof[0].Value) {
		t.Fatalf("profile %+v: want random > noisy > exact", prof)
	}
	for _, tg := range []string{"single", "brain-subjects"} {
		if sel := Find(rows, "", tg, "test-mean-sq-diff", true); len(sel) != 1 || sel[0].Layer != "exact" {
			t.Errorf("%s: selected %+v, want exact (lowest)", tg, sel)
		}
	}
}

func TestLoadTarget(t *testing.T) {
	layers, data := synthetic(6, 20)
	dir := t.TempDir()
	rp, sp := filepath.Join(dir, "resp.npy"), filepath.Join(dir, "rdm.npy")
	if err := npy.WriteMatrix(rp, 20, layers[2].D, layers[2].X); err != nil {
		t.Fatal(err)
	}
	if err := npy.WriteMatrix(sp, 20, 20, data.Targets[0].RDM.Square()); err != nil {
		t.Fatal(err)
	}
	resp, err := LoadTarget("V4", "", rp)
	if err != nil || resp.Units != layers[2].D || len(resp.Responses) != 20*layers[2].D {
		t.Fatalf("responses: %+v %v", resp, err)
	}
	r, err := LoadTarget("mine", sp, "")
	if err != nil || r.RDM.N != 20 || r.RDM.Name != "mine" {
		t.Fatalf("rdm: %+v %v", r, err)
	}
	rows, err := Evaluate(layers, &Data{Targets: []Target{resp, r}}, Options{Metrics: lookup(t, "tau-a", "cka-linear"), Draws: 5, Splits: 2})
	if err != nil {
		t.Fatal(err)
	}
	if v := Find(rows, "exact", "V4", "cka-linear", false)[0].Value; math.Abs(v-1) > 1e-9 {
		t.Errorf("CKA of a layer with its own patterns: %v", v)
	}
	if len(Find(rows, "", "mine", "tau-a", false)) != 3 {
		t.Error("no rows for the RDM file target")
	}
	for _, c := range [][3]string{{"", sp, ""}, {"x", "", ""}, {"x", sp, rp}, {"x", filepath.Join(dir, "missing.npy"), ""}} {
		if _, err := LoadTarget(c[0], c[1], c[2]); err == nil {
			t.Errorf("LoadTarget%q: no error", c)
		} else if c[0] == "x" && !strings.Contains(err.Error(), `"x"`) {
			t.Errorf("LoadTarget%q: error %v does not name the target", c, err)
		}
	}
}
