package eval

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/coarsealign/coarsealign/pkg/rdm"
	"github.com/coarsealign/coarsealign/pkg/rsa"
)

// benchData: 14 layers of 92 stimuli (64 units) and targets laid out like the 92-image set:
// one single RDM, a group of 4 and a group of 16 subjects (22 base targets, no odd-one-out).
func benchData() ([]Features, *Data) {
	rng := rand.New(rand.NewPCG(7, 7))
	const n, d = 92, 64
	p := make([]float64, n*d)
	for i := range p {
		p[i] = rng.NormFloat64()
	}
	noisy := func(sd float64) []float64 {
		x := make([]float64, len(p))
		for i := range x {
			x[i] = p[i] + sd*rng.NormFloat64()
		}
		return x
	}
	rdmOf := func(x []float64) *rdm.RDM {
		r, err := rsa.RDMFromPatternSlice("t", x, n, d, rsa.Correlation, nil)
		if err != nil {
			panic(err)
		}
		return r
	}
	var layers []Features
	for l := 0; l < 14; l++ {
		layers = append(layers, Features{Layer: fmt.Sprintf("l%02d", l), X: noisy(0.2 * float64(l+1)), N: n, D: d})
	}
	var g4, g16 []*rdm.RDM
	for s := 0; s < 4; s++ {
		g4 = append(g4, rdmOf(noisy(1)))
	}
	for s := 0; s < 16; s++ {
		g16 = append(g16, rdmOf(noisy(2)))
	}
	return layers, &Data{Targets: []Target{{Name: "single", RDM: rdmOf(noisy(0.5))}},
		Groups: []Group{{Name: "g4", Subjects: g4}, {Name: "g16", Subjects: g16}}}
}

// BenchmarkEvaluate: spearman and tau-a, 200 subsamples and 20 half splits, one worker.
func BenchmarkEvaluate(b *testing.B) {
	layers, data := benchData()
	for b.Loop() {
		if _, err := Evaluate(layers, data, Options{Draws: 200, Splits: 20, Seed: 1, Workers: 1}); err != nil {
			b.Fatal(err)
		}
	}
}
