package metric

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/coarsealign/coarsealign/pkg/cka"
	"github.com/coarsealign/coarsealign/pkg/encoding"
	"github.com/coarsealign/coarsealign/pkg/oddoneout"
	"github.com/coarsealign/coarsealign/pkg/rdm"
	"github.com/coarsealign/coarsealign/pkg/rsa"
	"github.com/coarsealign/coarsealign/pkg/stats"
)

func TestRegistry(t *testing.T) {
	want := []string{"cka-linear", "cka-linear-unbiased", "cka-rbf", "cka-rbf-unbiased", "corr", "corr_cov",
		"cosine", "cosine_cov", "encoding", "kendall", "oddoneout", "oddoneout-dot", "rho-a", "spearman", "tau-a"}
	if got := Names(); !slices.Equal(got, want) {
		t.Fatalf("Names() = %v\nwant      %v", got, want)
	}
	for alias, name := range map[string]string{"Pearson": "corr", "corr-cov": "corr_cov", " TAU_A ": "tau-a",
		"tau-b": "kendall", "ridge": "encoding", "cka-rbf-debiased": "cka-rbf-unbiased", "odd-one-out": "oddoneout"} {
		m, err := Lookup(alias)
		if err != nil || m.Name() != name {
			t.Errorf("Lookup(%q) = %v, %v; want %s", alias, m, err, name)
		}
	}
	if _, err := Lookup("nope"); err == nil || !strings.Contains(err.Error(), "cka-linear") {
		t.Errorf("unknown name: %v (want the list of names)", err)
	}
	if _, err := LookupAll([]string{"spearman", "foo"}); err == nil || !strings.Contains(err.Error(), "metrics[1]") {
		t.Errorf("unknown name in a list: %v", err)
	}
	if _, err := LookupAll([]string{"corr", "pearson"}); err == nil || !strings.Contains(err.Error(), "metrics[1]") {
		t.Errorf("duplicate: %v", err)
	}
	if ms := Default(); len(ms) != 2 || ms[0].Name() != "spearman" || ms[1].Name() != "tau-a" {
		t.Errorf("Default() = %v", ms)
	}
	defer func() {
		if recover() == nil {
			t.Error("registering a taken name did not panic")
		}
	}()
	Register(RSA{rsa.Spearman})
}

// reps: two layers (patterns) and three targets: responses, an RDM, the responses' RDM.
func testReps(t *testing.T, n int) (models []*Rep, resp, rdmT *Rep) {
	rng := rand.New(rand.NewPCG(3, 9))
	latent := make([]float64, n*6)
	for i := range latent {
		latent[i] = rng.NormFloat64()
	}
	mix := func(d int, noise float64) []float64 {
		x := make([]float64, n*d)
		for i := 0; i < n; i++ {
			for j := 0; j < d; j++ {
				v := noise * rng.NormFloat64()
				for k := 0; k < 6; k++ {
					v += latent[i*6+k] * math.Sin(float64(1+j*6+k))
				}
				x[i*d+j] = v
			}
		}
		return x
	}
	models = []*Rep{NewPatterns("wide", mix(40, 1), n, 40), NewPatterns("narrow", mix(5, 0.5), n, 5)}
	resp = NewPatterns("resp", mix(12, 0.8), n, 12)
	r, err := rsa.RDMFromPatternSlice("t", mix(9, 1.5), n, 9, rsa.Correlation, nil)
	if err != nil {
		t.Fatal(err)
	}
	return models, resp, NewRDM("rdm", r)
}

func dense(r *Rep) *mat.Dense { return mat.NewDense(r.N, r.D, r.X) }

// Every metric on all stimuli equals the package it wraps.
func TestMetricsEqualTheirPackages(t *testing.T) {
	models, resp, rdmT := testReps(t, 30)
	s := Settings{Seed: 4}
	respRDM, _ := resp.Dissimilarity()
	for _, name := range Names() {
		m, _ := Lookup(name)
		for _, target := range []*Rep{resp, rdmT} {
			if !Applies(m, target) {
				if name != "encoding" || target != rdmT {
					t.Errorf("%s does not apply to %s", name, target.Name)
				}
				continue
			}
			for _, model := range models {
				got, err := Score(m, model, target, nil, s)
				if err != nil {
					t.Fatalf("%s %s %s: %v", name, model.Name, target.Name, err)
				}
				var want float64
				switch mm := m.(type) {
				case RSA:
					a, _ := model.Dissimilarity()
					b, _ := target.Dissimilarity()
					want, err = rsa.Compare(a, b, mm.Method)
				case CKA:
					if target.X != nil {
						want, err = cka.CKA(dense(model), dense(target), mm.Options())
						break
					}
					l, _ := cka.DistanceGram(mat.NewSymDense(30, target.RDM.Square()), mm.Kernel, 0)
					k, _ := cka.PatternGram(dense(model), mm.Kernel, 0)
					want, err = cka.GramCKA(k, l, mm.Estimator)
				case Encoding:
					var res *encoding.Result
					res, err = encoding.Ridge(dense(model), dense(target), encoding.Options{Seed: 4})
					if err == nil {
						want = res.Score
					}
				case OddOneOut:
					r := respRDM
					if target.X == nil {
						r = target.RDM
					}
					trip, _, _ := oddoneout.TripletsFromRDM(r, oddoneout.TripletOptions{})
					want, err = oddoneout.ZeroShot(dense(model), trip, mm.Similarity)
				default:
					t.Fatalf("untested metric type %T", m)
				}
				if err != nil {
					t.Fatal(err)
				}
				if math.Abs(got-want) > 1e-9 {
					t.Errorf("%s %s vs %s: %.12f, package %.12f", name, model.Name, target.Name, got, want)
				}
			}
		}
	}
}

// subRep restricts a Rep to the stimuli idx.
func subRep(r *Rep, idx []int) *Rep {
	out := &Rep{Name: r.Name, N: len(idx), D: r.D}
	if r.X != nil {
		out.X = rows(r, idx).RawMatrix().Data
	}
	if r.RDM != nil {
		out.RDM = r.RDM.Subset(idx)
	}
	return out
}

// On a subset, every metric equals the same metric on the restricted representations, and
// one scorer reused across subsets gives the same values as fresh ones.
func TestSubsetsEqualRestrictedReps(t *testing.T) {
	models, resp, rdmT := testReps(t, 24)
	targets := []*Rep{resp, rdmT}
	s := Settings{Seed: 2}
	r := stats.NewRand(5)
	subsets := [][]int{stats.SubsampleIndices(r, 24, 21), stats.SubsampleIndices(r, 24, 12), stats.SubsampleIndices(r, 24, 3)}
	for _, name := range Names() {
		m, _ := Lookup(name)
		var ts []*Rep
		for _, tg := range targets {
			if Applies(m, tg) {
				ts = append(ts, tg)
			}
		}
		p, err := m.Prepare(models, ts, s)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		sc := p.NewScorer()
		out := outMatrix(len(models), len(ts))
		for _, idx := range subsets {
			sc.Score(idx, out)
			for i, model := range models {
				for j, tg := range ts {
					want, err := Score(m, subRep(model, idx), subRep(tg, idx), nil, s)
					if err != nil && len(idx) > 3 {
						t.Fatalf("%s k=%d: %v", name, len(idx), err)
					}
					got := out[i][j]
					if err != nil {
						want = math.NaN()
					}
					if !(math.Abs(got-want) <= 1e-9) && !(math.IsNaN(got) && math.IsNaN(want)) {
						t.Errorf("%s k=%d %s vs %s: subset %.12f, restricted %.12f", name, len(idx), model.Name, tg.Name, got, want)
					}
				}
			}
		}
	}
}

func TestPrepareErrors(t *testing.T) {
	models, resp, rdmT := testReps(t, 20)
	enc, _ := Lookup("encoding")
	if _, err := enc.Prepare(models, []*Rep{rdmT}, Settings{}); err == nil || !strings.Contains(err.Error(), `"rdm"`) {
		t.Errorf("encoding on an RDM target: %v", err)
	}
	short := NewPatterns("short", make([]float64, 19*3), 19, 3)
	for _, name := range []string{"spearman", "cka-linear", "oddoneout"} {
		m, _ := Lookup(name)
		if _, err := m.Prepare(append(models, short), []*Rep{resp}, Settings{}); err == nil || !strings.Contains(err.Error(), "short") {
			t.Errorf("%s with a wrong-sized model: %v", name, err)
		}
	}
	holey := &rdm.RDM{Name: "holey", N: 20, Vec: append([]float64(nil), rdmT.RDM.Vec...)}
	holey.Vec[0] = math.NaN()
	c, _ := Lookup("cka-rbf")
	if _, err := c.Prepare(models, []*Rep{NewRDM("holey", holey)}, Settings{}); err == nil || !strings.Contains(err.Error(), "holey") {
		t.Errorf("CKA with a NaN RDM: %v", err)
	}
}
