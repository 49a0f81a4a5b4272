package rsa

import (
	"math"
	"slices"
	"testing"

	"github.com/coarsealign/coarsealign/pkg/rdm"
)

func TestBootstrapReproducibleAndSane(t *testing.T) {
	a := randomRDM("a", 40, 21)
	b := &rdm.RDM{Name: "b", N: a.N, Vec: make([]float64, len(a.Vec))}
	noise := randomRDM("noise", 40, 22)
	for k := range b.Vec {
		b.Vec[k] = a.Vec[k] + 0.5*noise.Vec[k]
	}
	opt := BootOptions{Draws: 200, Seed: 5}
	for name, f := range map[string]func(a, b *rdm.RDM, m Method, o BootOptions) (BootResult, error){
		"bootstrap": BootstrapStimuli, "subsample": SubsampleStimuli,
	} {
		r1, err := f(a, b, Spearman, opt)
		if err != nil {
			t.Fatal(err)
		}
		r2, _ := f(a, b, Spearman, opt)
		if !slices.Equal(r1.Samples, r2.Samples) {
			t.Fatalf("%s: same seed, different samples", name)
		}
		r3, _ := f(a, b, Spearman, BootOptions{Draws: 200, Seed: 6})
		if slices.Equal(r1.Samples, r3.Samples) {
			t.Fatalf("%s: different seeds, same samples", name)
		}
		if len(r1.Samples) != 200 || !(r1.Low < r1.Estimate && r1.Estimate < r1.High) || r1.High-r1.Low > 0.5 {
			t.Errorf("%s: estimate %v CI [%v, %v]", name, r1.Estimate, r1.Low, r1.High)
		}
		for _, v := range r1.Samples {
			if math.IsNaN(v) {
				t.Fatalf("%s: NaN sample", name)
			}
		}
	}
	// Subsampling without replacement keeps 90% (36 of 40): its spread is smaller
	// than the full bootstrap's.
	bs, _ := BootstrapStimuli(a, b, Spearman, opt)
	ss, _ := SubsampleStimuli(a, b, Spearman, opt)
	if !(ss.SD < bs.SD) {
		t.Errorf("subsample SD %v not below bootstrap SD %v", ss.SD, bs.SD)
	}
}

func TestBootstrapSubjects(t *testing.T) {
	model := randomRDM("model", 15, 1)
	subj := []*rdm.RDM{randomRDM("s1", 15, 2), randomRDM("s2", 15, 3), randomRDM("s3", 15, 4)}
	res, err := BootstrapSubjects(model, subj, Corr, BootOptions{Draws: 300, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	var vals []float64
	for _, s := range subj {
		v, _ := Compare(model, s, Corr)
		vals = append(vals, v)
	}
	if !(math.Abs(res.Estimate-meanOf(vals)) <= 1e-15) {
		t.Errorf("estimate %v, mean of subjects %v", res.Estimate, meanOf(vals))
	}
	lo, hi := slices.Min(vals), slices.Max(vals)
	for _, v := range res.Samples {
		if v < lo-1e-15 || v > hi+1e-15 {
			t.Fatalf("bootstrap mean %v outside [%v, %v]", v, lo, hi)
		}
	}
}

func TestPermutationTest(t *testing.T) {
	a := randomRDM("a", 20, 31)
	b := &rdm.RDM{Name: "b", N: a.N, Vec: make([]float64, len(a.Vec))}
	for k, v := range a.Vec {
		b.Vec[k] = v * v // monotone in a: strong relation
	}
	res, err := PermutationTest(a, b, Spearman, 199, 1)
	if err != nil {
		t.Fatal(err)
	}
	if res.P != 1.0/200 {
		t.Errorf("related RDMs: p = %v, want the minimum 1/200", res.P)
	}
	unrelated := randomRDM("u", 20, 99)
	res2, _ := PermutationTest(a, unrelated, Spearman, 199, 1)
	if res2.P < 0.01 {
		t.Errorf("unrelated RDMs: p = %v", res2.P)
	}
	res3, _ := PermutationTest(a, unrelated, Spearman, 199, 1)
	if res3.P != res2.P {
		t.Error("not reproducible")
	}
}

func TestNoiseCeilingAnalytic(t *testing.T) {
	// Identical subjects: both bounds are 1 for every method.
	s := randomRDM("s", 12, 3)
	subj := []*rdm.RDM{s, s, s}
	for _, m := range Methods() {
		lo, up, err := NoiseCeiling(subj, m)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(lo-1) > 1e-12 || math.Abs(up-1) > 1e-12 {
			t.Errorf("%v: identical subjects give [%v, %v]", m, lo, up)
		}
	}
	// Noisy subjects: lower < upper.
	subj = []*rdm.RDM{randomRDM("1", 12, 1), randomRDM("2", 12, 2), randomRDM("3", 12, 3)}
	for _, m := range Methods() {
		lo, up, err := NoiseCeiling(subj, m)
		if err != nil {
			t.Fatal(err)
		}
		if !(lo < up) {
			t.Errorf("%v: lower %v >= upper %v", m, lo, up)
		}
	}
	if _, _, err := NoiseCeiling(subj[:1], Spearman); err == nil {
		t.Error("one subject accepted")
	}
}

func TestPoolRanksForRankMethods(t *testing.T) {
	a, _ := rdm.FromVector("a", []float64{1, 10, 100}, nil)
	b, _ := rdm.FromVector("b", []float64{3, 2, 1}, nil)
	p, err := Pool("p", []*rdm.RDM{a, b}, Spearman)
	if err != nil {
		t.Fatal(err)
	}
	// ranks (1,2,3) and (3,2,1) average to (2,2,2).
	if !slices.Equal(p.Vec, []float64{2, 2, 2}) {
		t.Errorf("pooled ranks %v", p.Vec)
	}
	p, _ = Pool("p", []*rdm.RDM{a, b}, Corr)
	if slices.Min(p.Vec) != 0 {
		t.Errorf("corr pooling must shift the minimum to 0: %v", p.Vec)
	}
}

func TestSplitHalfCeiling(t *testing.T) {
	s := randomRDM("s", 15, 1)
	noise := []*rdm.RDM{randomRDM("n1", 15, 2), randomRDM("n2", 15, 3), randomRDM("n3", 15, 4), randomRDM("n4", 15, 5)}
	reps := make([]*rdm.RDM, 4)
	for i, nz := range noise {
		reps[i] = &rdm.RDM{Name: nz.Name, N: 15, Vec: make([]float64, len(s.Vec))}
		for k := range s.Vec {
			reps[i].Vec[k] = s.Vec[k] + 0.7*nz.Vec[k]
		}
	}
	res, err := SplitHalfCeiling(reps, Spearman, 10, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Splits) != 10 || !(res.Raw < res.Reliability && res.Reliability < 1) {
		t.Errorf("split-half %+v", res)
	}
	// Spearman–Brown: corrected = 2 raw/(1+raw) for a single split.
	two, _ := SplitHalfCeiling(reps[:2], Spearman, 10, 1)
	r, _ := Compare(reps[0], reps[1], Spearman)
	if len(two.Splits) != 1 || math.Abs(two.Reliability-2*r/(1+r)) > 1e-15 {
		t.Errorf("two repetitions: %+v, raw %v", two, r)
	}
}
