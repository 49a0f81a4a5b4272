package eval

import (
	"math/rand/v2"
	"testing"

	"github.com/coarsealign/coarsealign/pkg/stats"
)

// BenchmarkTauA: one tau-a on a 90% subsample of 92 stimuli (3403 of 4186 pairs).
func BenchmarkTauA(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	x, y := prepare(randRDM(rng, 92, 0)), prepare(randRDM(rng, 92, 0))
	pi := newPairIndex(92)
	mask := make([]bool, 92)
	for _, i := range stats.SubsampleIndices(stats.NewRand(1), 92, 83) {
		mask[i] = true
	}
	var sub subset
	pi.makeSubset(mask, &sub)
	var ts tauScratch
	ty := tiePairs(y, &sub)
	var o targetOrder
	for b.Loop() {
		orderOf(x, &sub, true, &o)
		tauA(&o, y, ty, &ts)
	}
}
