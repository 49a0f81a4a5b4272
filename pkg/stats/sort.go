package stats

import (
	"math"
	"slices"
)

// floatKey maps a float64 to a uint64 whose unsigned order equals the numeric
// order of the floats (-0 and +0 map to the same key). NaN must be excluded by the caller.
func floatKey(f float64) uint64 {
	if f == 0 {
		f = 0 // fold -0 into +0 so that they tie
	}
	b := math.Float64bits(f)
	if b>>63 == 1 {
		return ^b
	}
	return b | 1<<63
}

// radixSmall is the length below which argsort falls back to a comparison sort.
const radixSmall = 512

// argsortKeys sorts keys in place (ascending, stable) and permutes idx alongside.
// kbuf and ibuf are scratch buffers of the same length (allocated if nil).
// It is an LSD radix sort over 11-bit digits that skips digits on which all keys agree.
func argsortKeys(keys []uint64, idx []uint32, kbuf []uint64, ibuf []uint32) {
	n := len(keys)
	if n < radixSmall {
		type kv struct {
			k uint64
			i uint32
		}
		tmp := make([]kv, n)
		for i := range keys {
			tmp[i] = kv{keys[i], idx[i]}
		}
		slices.SortStableFunc(tmp, func(a, b kv) int {
			switch {
			case a.k < b.k:
				return -1
			case a.k > b.k:
				return 1
			}
			return 0
		})
		for i := range tmp {
			keys[i], idx[i] = tmp[i].k, tmp[i].i
		}
		return
	}
	if kbuf == nil {
		kbuf = make([]uint64, n)
	}
	if ibuf == nil {
		ibuf = make([]uint32, n)
	}
	// 11-bit digits: 6 passes cover 64 bits; digits on which all keys agree are skipped.
	const bits, ndig = 11, 6
	const radix = 1 << bits
	var hist [ndig][radix]int
	for _, k := range keys {
		for d := 0; d < ndig; d++ {
			hist[d][(k>>(bits*d))&(radix-1)]++
		}
	}
	src, dst := keys, kbuf[:n]
	isrc, idst := idx, ibuf[:n]
	for d := 0; d < ndig; d++ {
		h := &hist[d]
		shift := uint(bits * d)
		if h[(src[0]>>shift)&(radix-1)] == n {
			continue // every key has the same digit: the pass would not move anything
		}
		var off [radix]int
		s := 0
		for b := 0; b < radix; b++ {
			off[b] = s
			s += h[b]
		}
		for i, k := range src {
			b := (k >> shift) & (radix - 1)
			p := off[b]
			dst[p] = k
			idst[p] = isrc[i]
			off[b] = p + 1
		}
		src, dst = dst, src
		isrc, idst = idst, isrc
	}
	if &src[0] != &keys[0] {
		copy(keys, src)
		copy(idx, isrc)
	}
}

// sortedOrder returns the permutation that sorts x ascending (stable) and the sorted keys.
// x must not contain NaN and must have fewer than 2^32 elements.
func sortedOrder(x []float64) (order []uint32, keys []uint64) {
	if uint64(len(x)) >= 1<<32 {
		panic("stats: more than 2^32-1 values")
	}
	keys = make([]uint64, len(x))
	order = make([]uint32, len(x))
	for i, v := range x {
		keys[i] = floatKey(v)
		order[i] = uint32(i)
	}
	argsortKeys(keys, order, nil, nil)
	return order, keys
}
