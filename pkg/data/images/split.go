package images

import (
	"fmt"
	"math/rand/v2"
	"sort"
)

// StudySplitSeed is the seed of the study's fixed 80/20 train/test split (methods.md §1).
const StudySplitSeed = 42

// StudyTestFraction is the held-out fraction of the study's split (80/20).
const StudyTestFraction = 0.2

// splitmix64 is the SplitMix64 finaliser (Steele, Lea & Flood 2014), used to derive
// independent RNG seeds from (seed, stream, index).
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// newRNG returns a PCG generator determined by seed and the given stream identifiers.
func newRNG(seed uint64, ids ...uint64) *rand.Rand {
	a := splitmix64(seed)
	b := splitmix64(a ^ 0x5851f42d4c957f2d)
	for _, id := range ids {
		a = splitmix64(a ^ splitmix64(id))
		b = splitmix64(b + id)
	}
	return rand.New(rand.NewPCG(a, b))
}

// Stream identifiers keep the RNG uses of the package independent.
const (
	streamSplit uint64 = iota + 1
	streamSubset
	streamShuffle
	streamAugment
)

// SplitIndices splits 0..n-1 into a training and a test part: a permutation
// seeded by seed, the first round(n*testFrac) indices going to the test part.
// Both parts are returned in increasing order. The study uses
// SplitIndices(n, StudyTestFraction, StudySplitSeed).
func SplitIndices(n int, testFrac float64, seed uint64) (train, test []int) {
	if testFrac < 0 || testFrac > 1 || n < 0 {
		panic(fmt.Sprintf("images: SplitIndices(n=%d, testFrac=%g): want n >= 0 and testFrac in [0,1]", n, testFrac))
	}
	perm := newRNG(seed, streamSplit).Perm(n)
	nt := int(float64(n)*testFrac + 0.5)
	test = append([]int(nil), perm[:nt]...)
	train = append([]int(nil), perm[nt:]...)
	sort.Ints(test)
	sort.Ints(train)
	return train, test
}

// SubsetPerClass picks up to nPerClass indices of each class from labels
// (classes with fewer images give all of theirs). Within a class the choice is a
// seeded permutation of that class's indices, so it depends only on seed and
// on which images have that label, and subsets are nested: a larger nPerClass
// keeps every index of a smaller one. The result is in increasing order.
func SubsetPerClass(labels []int32, nPerClass int, seed uint64) []int {
	byClass := map[int32][]int{}
	for i, l := range labels {
		byClass[l] = append(byClass[l], i)
	}
	var out []int
	for c, idx := range byClass {
		perm := newRNG(seed, streamSubset, uint64(c)).Perm(len(idx))
		for _, p := range perm[:min(nPerClass, len(idx))] {
			out = append(out, idx[p])
		}
	}
	sort.Ints(out)
	return out
}
