package brainguided

import (
	"fmt"
	"math/rand/v2"
	"slices"
)

// Stratum names the category of each image of the 92-image set from its flags (k92.Set
// Human, Face, Animal, Natural): human face, human body, animal face, animal body, natural
// object, artificial object.
func Stratum(human, face, animal, natural bool) string {
	switch {
	case human && face:
		return "human face"
	case human:
		return "human body"
	case animal && face:
		return "animal face"
	case animal:
		return "animal body"
	case natural:
		return "natural"
	}
	return "artificial"
}

// StratifiedSplit splits the items (strata[i] is item i's category) into nTrain training and
// len(strata)-nTrain test items, each category contributing to the test set in proportion to
// its size (largest remainders, ties broken by the seeded generator), the items drawn at random
// (PCG seeded by seed). Both index lists are sorted.
func StratifiedSplit(strata []string, nTrain int, seed uint64) (trainIdx, testIdx []int, err error) {
	n := len(strata)
	if nTrain < 1 || nTrain >= n {
		return nil, nil, fmt.Errorf("brainguided: %d training items of %d", nTrain, n)
	}
	r := rand.New(rand.NewPCG(seed, 0x6272616e))
	groups := map[string][]int{}
	var names []string
	for i, s := range strata {
		if _, ok := groups[s]; !ok {
			names = append(names, s)
		}
		groups[s] = append(groups[s], i)
	}
	slices.Sort(names)
	nTest := n - nTrain
	quota := make([]int, len(names))
	type rem struct {
		k    int
		frac float64
		tie  float64
	}
	var rems []rem
	used := 0
	for k, s := range names {
		exact := float64(nTest) * float64(len(groups[s])) / float64(n)
		quota[k] = int(exact)
		used += quota[k]
		rems = append(rems, rem{k, exact - float64(quota[k]), r.Float64()})
	}
	slices.SortFunc(rems, func(a, b rem) int {
		if a.frac != b.frac {
			if a.frac > b.frac {
				return -1
			}
			return 1
		}
		if a.tie > b.tie {
			return -1
		}
		return 1
	})
	for i := 0; used < nTest; i++ {
		quota[rems[i%len(rems)].k]++
		used++
	}
	for k, s := range names {
		g := slices.Clone(groups[s])
		r.Shuffle(len(g), func(i, j int) { g[i], g[j] = g[j], g[i] })
		testIdx = append(testIdx, g[:quota[k]]...)
		trainIdx = append(trainIdx, g[quota[k]:]...)
	}
	slices.Sort(trainIdx)
	slices.Sort(testIdx)
	return trainIdx, testIdx, nil
}
