package chronology

import (
	"math"
	"math/rand/v2"
	"testing"
)

// synthObs builds observations from a known linear model: value = 0.1 + 0.02 log2(params) +
// 0.03 log2(per class) - 0.05 [fashion-mnist], plus per-draw noise of SD 0.01 around it.
func synthObs() []Obs {
	rng := rand.New(rand.NewPCG(3, 4))
	var obs []Obs
	for _, dom := range []string{"cifar10", "fashion-mnist"} {
		for _, p := range []int{1000, 4000, 16000} {
			for _, pc := range []int{20, 60, 180} {
				for _, seed := range []int{1, 2} {
					v := 0.1 + 0.02*math.Log2(float64(p)) + 0.03*math.Log2(float64(pc))
					if dom == "fashion-mnist" {
						v -= 0.05
					}
					o := Obs{Params: p, Width: float64(p) / 16000, PerClass: pc, Epochs: 2, Domain: dom, Seed: seed, Target: "mIT", Value: v}
					for range 200 {
						o.Draws = append(o.Draws, v+0.01*rng.NormFloat64())
					}
					obs = append(obs, o)
				}
			}
		}
	}
	return obs
}

func TestModelRecoversCoefficients(t *testing.T) {
	coefs, err := Model(synthObs(), 1)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{"intercept": 0.1, "log2(params)": 0.02, "log2(images per class)": 0.03, "domain=fashion-mnist": -0.05, "R2": 1}
	if len(coefs) != len(want) {
		t.Fatalf("%d coefficients: %+v", len(coefs), coefs)
	}
	for _, c := range coefs {
		if math.Abs(c.Value-want[c.Term]) > 1e-9 || !(c.Low <= want[c.Term]+1e-9 && want[c.Term] <= c.High+1e-9) && c.Term != "R2" {
			t.Errorf("%s: %+v, want %v inside the CI", c.Term, c.Estimate, want[c.Term])
		}
	}
}

func TestEffects(t *testing.T) {
	es := Effects(synthObs(), 1)
	// size: 16000 vs 1000 params is 4 doublings of 0.02; images: 180 vs 20 is log2(9) x 0.03;
	// domain: fashion-mnist minus cifar10 is -0.05.
	want := map[string]float64{FactorSize: 0.08, FactorImages: 0.03 * math.Log2(9), FactorDomain: -0.05}
	if len(es) != 3 {
		t.Fatalf("effects %+v", es)
	}
	for _, e := range es {
		if math.Abs(e.Value-want[e.Factor]) > 1e-9 || !(e.Low < e.Value && e.Value < e.High) || e.Cells != 6 && e.Factor != FactorDomain {
			t.Errorf("%s: %+v (cells %d), want %v", e.Factor, e.Estimate, e.Cells, want[e.Factor])
		}
	}
}
