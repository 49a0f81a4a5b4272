package stats

import (
	"math"
	"runtime"
)

// KendallCounts are the pair counts behind Kendall's tau for m observations.
// Of the Total = m(m-1)/2 pairs, Discordant are ordered oppositely by x and y,
// TiesX are tied in x, TiesY tied in y and TiesXY tied in both (TiesXY is
// included in TiesX and TiesY). Concordant = Total - Discordant - TiesX - TiesY + TiesXY.
type KendallCounts struct {
	Total, Discordant, TiesX, TiesY, TiesXY int64
}

// ConMinusDis returns concordant minus discordant pairs.
func (c KendallCounts) ConMinusDis() int64 {
	return c.Total - c.TiesX - c.TiesY + c.TiesXY - 2*c.Discordant
}

// TauA returns (con - dis) / Total, clipped to [-1, 1].
func (c KendallCounts) TauA() float64 {
	if c.Total == 0 {
		return math.NaN()
	}
	return clip1(float64(c.ConMinusDis()) / float64(c.Total))
}

// TauB returns (con - dis) / sqrt((Total - TiesX)(Total - TiesY)), clipped to [-1, 1];
// NaN when x or y is constant (as scipy.stats.kendalltau).
func (c KendallCounts) TauB() float64 {
	if c.Total == c.TiesX || c.Total == c.TiesY {
		return math.NaN()
	}
	return clip1(float64(c.ConMinusDis()) / math.Sqrt(float64(c.Total-c.TiesX)) / math.Sqrt(float64(c.Total-c.TiesY)))
}

func clip1(v float64) float64 { return math.Min(1, math.Max(-1, v)) }

// Kendall counts concordance for x and y in O(m log m) time (Knight 1966): sort
// the pairs by x then y, count ties, then count discordant pairs as the swaps a
// stable merge sort of y needs. Memory: 24 bytes per observation of scratch
// (two key and two index arrays), so a 50M-pair RDM needs 1.2 GB besides its input.
// x and y must not contain NaN (it panics otherwise) and hold fewer than 2^32 values.
func Kendall(x, y []float64) KendallCounts {
	checkLen(x, y)
	if hasNaN(x) || hasNaN(y) {
		panic("stats: Kendall input holds NaN")
	}
	m := len(x)
	c := KendallCounts{Total: int64(m) * int64(m-1) / 2}
	if m < 2 {
		return c
	}
	if uint64(m) >= 1<<32 {
		panic("stats: more than 2^32-1 values")
	}
	keys := make([]uint64, m)
	kbuf := make([]uint64, m)
	idx := make([]uint32, m)
	ibuf := make([]uint32, m)
	// 1. Sort by y, counting ties in y.
	for i, v := range y {
		keys[i] = floatKey(v)
		idx[i] = uint32(i)
	}
	argsortKeys(keys, idx, kbuf, ibuf)
	// 2. Walking the y order, replace each index by the dense rank of its y (0-based,
	// equal values equal rank) and each y key by the x key of the same observation.
	rank := uint32(0)
	run := int64(1)
	prev := keys[0]
	keys[0] = floatKey(x[idx[0]])
	idx[0] = 0
	for i := 1; i < m; i++ {
		k := keys[i]
		if k != prev {
			rank++
			c.TiesY += run * (run - 1) / 2
			run = 1
		} else {
			run++
		}
		prev = k
		keys[i] = floatKey(x[idx[i]])
		idx[i] = rank
	}
	c.TiesY += run * (run - 1) / 2
	// 3. Stable sort of the y ranks by x: the result is ordered by x, then y.
	argsortKeys(keys, idx, kbuf, ibuf)
	kbuf = nil
	seq := idx
	// 4. Ties in x and joint ties.
	runX, runXY := int64(1), int64(1)
	for i := 1; i < m; i++ {
		if keys[i] == keys[i-1] {
			runX++
			if seq[i] == seq[i-1] {
				runXY++
			} else {
				c.TiesXY += runXY * (runXY - 1) / 2
				runXY = 1
			}
		} else {
			c.TiesX += runX * (runX - 1) / 2
			c.TiesXY += runXY * (runXY - 1) / 2
			runX, runXY = 1, 1
		}
	}
	c.TiesX += runX * (runX - 1) / 2
	c.TiesXY += runXY * (runXY - 1) / 2
	// 5. Discordant pairs = strict inversions of seq (i < j with seq[i] > seq[j]).
	c.Discordant = countInversionsPar(seq, ibuf)
	return c
}

// mergeCount merges the sorted runs l and r into dst (len(dst) == len(l)+len(r))
// and returns the number of pairs (a in l, b in r) with a > b. The loop is written
// without data-dependent branches (the comparison result is used arithmetically),
// which avoids branch mispredictions on random data.
func mergeCount(dst, l, r []uint32) int64 {
	var inv int64
	i, j, k := 0, 0, 0
	nl, nr := len(l), len(r)
	for i < nl && j < nr {
		a, b := l[i], r[j]
		var c int // 1 when b is taken: b jumps over the nl-i remaining left elements
		if b < a {
			c = 1
		}
		v := a
		if c == 1 {
			v = b
		}
		dst[k] = v
		inv += int64(c * (nl - i))
		j += c
		i += 1 - c
		k++
	}
	k += copy(dst[k:], l[i:])
	copy(dst[k:], r[j:])
	return inv
}

// parallelMin is the length from which countInversionsPar splits the work.
const parallelMin = 1 << 16

// countInversionsPar is CountInversions that sorts the two halves on two
// goroutines (when GOMAXPROCS > 1) and merges them, counting the cross inversions.
func countInversionsPar(a, buf []uint32) int64 {
	n := len(a)
	if n < parallelMin || runtime.GOMAXPROCS(0) < 2 {
		return CountInversions(a, buf)
	}
	mid := n / 2
	var left int64
	done := make(chan struct{})
	go func() {
		left = CountInversions(a[:mid], buf[:mid])
		close(done)
	}()
	right := CountInversions(a[mid:], buf[mid:])
	<-done
	inv := left + right + mergeCount(buf[:n], a[:mid], a[mid:])
	copy(a, buf[:n])
	return inv
}

// CountInversions sorts a in place and returns the number of pairs i < j with a[i] > a[j]
// (equal values are not inversions): the discordant pairs of Kendall's tau when a holds
// the ranks of y in x order (Knight 1966). buf is scratch of at least len(a). Bottom-up
// merge sort with a branch-free merge; runs of 32 are insertion-sorted first. Kendall and
// pkg/rsa's subset scorer (tau-a and tau-b on stimulus subsets) both count with it.
func CountInversions(a, buf []uint32) int64 {
	n := len(a)
	var inv int64
	const run = 32
	for lo := 0; lo < n; lo += run {
		hi := min(lo+run, n)
		for i := lo + 1; i < hi; i++ {
			v := a[i]
			j := i
			for j > lo && a[j-1] > v {
				a[j] = a[j-1]
				j--
			}
			inv += int64(i - j)
			a[j] = v
		}
	}
	src, dst := a, buf[:n]
	for width := run; width < n; width *= 2 {
		for lo := 0; lo < n; lo += 2 * width {
			mid := min(lo+width, n)
			hi := min(lo+2*width, n)
			inv += mergeCount(dst[lo:hi], src[lo:mid], src[mid:hi])
		}
		src, dst = dst, src
	}
	if n > 0 && &src[0] != &a[0] {
		copy(a, src)
	}
	return inv
}

// KendallTauB returns Kendall's tau-b (tie-corrected, as scipy.stats.kendalltau and
// rsatoolbox 'kendall'); NaN if an input holds NaN or is constant.
func KendallTauB(x, y []float64) float64 {
	checkLen(x, y)
	if hasNaN(x) || hasNaN(y) {
		return math.NaN()
	}
	return Kendall(x, y).TauB()
}

// KendallTauA returns Kendall's tau-a, (con - dis) / (m(m-1)/2), rsatoolbox's 'tau-a'
// (the right choice when a model RDM predicts ties); NaN if an input holds NaN.
func KendallTauA(x, y []float64) float64 {
	checkLen(x, y)
	if hasNaN(x) || hasNaN(y) {
		return math.NaN()
	}
	return Kendall(x, y).TauA()
}
