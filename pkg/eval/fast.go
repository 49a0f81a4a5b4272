package eval

import (
	"math"
	"sort"

	"github.com/coarsealign/coarsealign/pkg/rdm"
)

// prepared is an RDM with its pair order precomputed, so that Spearman and Kendall
// tau-a on any subset of stimuli need no sorting: the sorted order of a subset's
// pairs is the full order filtered by membership.
type prepared struct {
	vec   []float64
	order []int32 // pair indices sorted by value (ties in index order)
	dense []int32 // dense rank of each pair's value (equal values, equal rank)
	ties  bool    // some values are equal
}

func prepare(r *rdm.RDM) *prepared {
	m := len(r.Vec)
	p := &prepared{vec: r.Vec, order: make([]int32, m), dense: make([]int32, m)}
	for k := range p.order {
		p.order[k] = int32(k)
	}
	sort.SliceStable(p.order, func(a, b int) bool { return r.Vec[p.order[a]] < r.Vec[p.order[b]] })
	rank := int32(-1)
	prev := math.Inf(-1)
	for a, k := range p.order {
		if a == 0 || r.Vec[k] != prev {
			rank++
			prev = r.Vec[k]
		}
		p.dense[k] = rank
	}
	p.ties = int(rank)+1 < m
	return p
}

// subset describes the pairs of an RDM over n stimuli that lie within a stimulus subset.
type subset struct {
	pos []int32 // pos[k] = position of pair k among the subset's pairs (row-major order), -1 if out
	m   int     // number of pairs in the subset
}

// pairIndex holds the stimulus indices of each pair of the vector form.
type pairIndex struct{ i, j []int32 }

func newPairIndex(n int) pairIndex {
	m := rdm.NumPairs(n)
	p := pairIndex{i: make([]int32, 0, m), j: make([]int32, 0, m)}
	for a := 0; a < n; a++ {
		for b := a + 1; b < n; b++ {
			p.i = append(p.i, int32(a))
			p.j = append(p.j, int32(b))
		}
	}
	return p
}

// makeSubset fills s for the stimuli marked in in (length n). Subset pairs keep the
// row-major order of the full vector, which is the vector order of rdm.Subset for
// increasing stimulus indices.
func (p pairIndex) makeSubset(in []bool, s *subset) {
	if cap(s.pos) < len(p.i) {
		s.pos = make([]int32, len(p.i))
	}
	s.pos = s.pos[:len(p.i)]
	c := int32(0)
	for k := range p.i {
		if in[p.i[k]] && in[p.j[k]] {
			s.pos[k] = c
			c++
		} else {
			s.pos[k] = -1
		}
	}
	s.m = int(c)
}

// centredRanks writes into dst (length s.m) the average ranks (1-based, ties averaged,
// as scipy.stats.rankdata) of r's pairs in the subset, minus their mean (m+1)/2, and
// returns the Euclidean norm of the result.
func centredRanks(r *prepared, s *subset, dst []float64) float64 {
	mean := float64(s.m+1) / 2
	// Walk the full order; runs of equal values among kept pairs share their average rank.
	next := 0 // rank (0-based) of the next kept pair
	runStart := -1
	var runKeys []int32
	flush := func() {
		if len(runKeys) == 0 {
			return
		}
		avg := float64(runStart+next-1)/2 + 1 - mean
		for _, k := range runKeys {
			dst[s.pos[k]] = avg
		}
		runKeys = runKeys[:0]
	}
	prev := math.NaN()
	for _, k := range r.order {
		if s.pos[k] < 0 {
			continue
		}
		v := r.vec[k]
		if v != prev {
			flush()
			runStart = next
			prev = v
		}
		runKeys = append(runKeys, k)
		next++
	}
	flush()
	ss := 0.0
	for _, v := range dst[:s.m] {
		ss += v * v
	}
	return math.Sqrt(ss)
}

// spearmanFromRanks returns the Pearson correlation of two centred rank vectors with
// norms na, nb; 0 when either is constant (rsatoolbox's convention, as rsa.Compare).
func spearmanFromRanks(a, b []float64, na, nb float64) float64 {
	if na == 0 || nb == 0 {
		return 0
	}
	s := 0.0
	for i := range a {
		s += a[i] * b[i]
	}
	v := s / (na * nb)
	return math.Max(-1, math.Min(1, v))
}

// tiePairs returns the number of pairs of subset entries tied in r's values.
func tiePairs(r *prepared, s *subset) int64 {
	var ties, run int64
	prev := int32(-1)
	for _, k := range r.order {
		if s.pos[k] < 0 {
			continue
		}
		if r.dense[k] == prev {
			run++
		} else {
			ties += run * (run - 1) / 2
			run = 1
			prev = r.dense[k]
		}
	}
	return ties + run*(run-1)/2
}

// tauScratch holds buffers for tauA.
type tauScratch struct {
	seq, buf []int32
}

// targetOrder is a target's subset pairs in increasing target order, with the runs of
// tied target values (only runs longer than one).
type targetOrder struct {
	keys []int32
	runs [][2]int32 // [start, end) into keys
	ties int64      // tied pairs in the target
}

// orderOf fills o with x's subset pairs in x order (keep true), or with the pairs
// outside the subset (keep false).
func orderOf(x *prepared, s *subset, keep bool, o *targetOrder) {
	o.keys = o.keys[:0]
	o.runs = o.runs[:0]
	runStart := int32(0)
	prev := int32(-1)
	for _, k := range x.order {
		if (s.pos[k] >= 0) != keep {
			continue
		}
		if d := x.dense[k]; d != prev {
			if n := int32(len(o.keys)); n-runStart > 1 {
				o.runs = append(o.runs, [2]int32{runStart, n})
			}
			runStart = int32(len(o.keys))
			prev = d
		}
		o.keys = append(o.keys, k)
	}
	if n := int32(len(o.keys)); n-runStart > 1 {
		o.runs = append(o.runs, [2]int32{runStart, n})
	}
	o.ties = 0
	for _, r := range o.runs {
		l := int64(r[1] - r[0])
		o.ties += l * (l - 1) / 2
	}
}

// tauA returns Kendall's tau-a between target x (given by its subset order o) and
// model y on the subset: (concordant - discordant) / (m(m-1)/2), as
// rsa.Compare(..., rsa.TauA). tiesY is the tied pair count of y in the subset
// (tiePairs). The pairs are visited in x order with ties broken by y, so the
// discordant pairs are the strict inversions of the y ranks (Knight 1966), counted
// by merge sort.
func tauA(o *targetOrder, y *prepared, tiesY int64, sc *tauScratch) float64 {
	m := len(o.keys)
	if m < 2 {
		return math.NaN()
	}
	if cap(sc.seq) < m {
		sc.seq = make([]int32, m)
		sc.buf = make([]int32, m)
	}
	seq := sc.seq[:m]
	dense := y.dense
	for a, k := range o.keys {
		seq[a] = dense[k]
	}
	var tiesXY int64
	for _, r := range o.runs {
		run := seq[r[0]:r[1]]
		sortInt32(run)
		var c int64 = 1
		for a := 1; a < len(run); a++ {
			if run[a] == run[a-1] {
				c++
			} else {
				tiesXY += c * (c - 1) / 2
				c = 1
			}
		}
		tiesXY += c * (c - 1) / 2
	}
	dis := inversions(seq, sc.buf[:m])
	total := int64(m) * int64(m-1) / 2
	v := float64(total-o.ties-tiesY+tiesXY-2*dis) / float64(total)
	return math.Max(-1, math.Min(1, v))
}

// pairTau holds, for one (target x, model y) pair of RDMs on the full stimulus set,
// the inversion counts that let tau-a on a large subset be computed from the few
// pairs left out. The full sequence is y's dense ranks with pairs ordered by x and,
// within tied x, by y. It is only valid when x and y do not both have ties (then no
// pair is tied in both on any subset).
type pairTau struct {
	fullInv int64   // strict inversions of the full sequence
	invWith []int32 // invWith[k]: inversions that pair k takes part in
}

func newPairTau(x, y *prepared) *pairTau {
	m := len(x.order)
	seq := make([]int32, m)
	keys := make([]int32, m)
	copy(keys, x.order)
	for a, k := range keys {
		seq[a] = y.dense[k]
	}
	if x.ties { // sort runs of tied x by y, keys along
		for a := 0; a < m; {
			b := a + 1
			for b < m && x.dense[keys[b]] == x.dense[keys[a]] {
				b++
			}
			if b-a > 1 {
				run := keys[a:b]
				sort.Slice(run, func(i, j int) bool { return y.dense[run[i]] < y.dense[run[j]] })
				for i, k := range run {
					seq[a+i] = y.dense[k]
				}
			}
			a = b
		}
	}
	// Fenwick tree over dense ranks: earlier elements greater, later elements smaller.
	size := 0
	for _, v := range seq {
		size = max(size, int(v)+1)
	}
	tree := make([]int32, size+1)
	add := func(i int) {
		for i++; i <= size; i += i & -i {
			tree[i]++
		}
	}
	le := func(i int) int32 { // count of values <= i
		var c int32
		for i++; i > 0; i -= i & -i {
			c += tree[i]
		}
		return c
	}
	pt := &pairTau{invWith: make([]int32, m)}
	for a, v := range seq {
		g := int32(a) - le(int(v)) // earlier and greater
		pt.invWith[keys[a]] += g
		pt.fullInv += int64(g)
		add(int(v))
	}
	clear(tree)
	for a := m - 1; a >= 0; a-- {
		v := seq[a]
		var l int32
		if v > 0 {
			l = le(int(v) - 1) // later and smaller
		}
		pt.invWith[keys[a]] += l
		add(int(v))
	}
	return pt
}

// tauAComplement is tauA for the kept pairs computed from the removed pairs: o lists
// the pairs outside the subset (orderOf with keep false), m the kept count, tiesX and
// tiesY the tied pair counts among the kept pairs. Valid only when pt is (x and y do
// not both have ties).
func tauAComplement(o *targetOrder, y *prepared, pt *pairTau, m int, tiesX, tiesY int64, sc *tauScratch) float64 {
	if m < 2 {
		return math.NaN()
	}
	r := len(o.keys)
	if cap(sc.seq) < r {
		sc.seq = make([]int32, r)
		sc.buf = make([]int32, r)
	}
	seq := sc.seq[:r]
	var with int64
	for a, k := range o.keys {
		seq[a] = y.dense[k]
		with += int64(pt.invWith[k])
	}
	for _, run := range o.runs {
		sortInt32(seq[run[0]:run[1]])
	}
	dis := pt.fullInv - with + inversions(seq, sc.buf[:r])
	total := int64(m) * int64(m-1) / 2
	v := float64(total-tiesX-tiesY-2*dis) / float64(total)
	return math.Max(-1, math.Min(1, v))
}

func sortInt32(a []int32) {
	if len(a) < 16 {
		for i := 1; i < len(a); i++ {
			for j := i; j > 0 && a[j] < a[j-1]; j-- {
				a[j], a[j-1] = a[j-1], a[j]
			}
		}
		return
	}
	sort.Slice(a, func(i, j int) bool { return a[i] < a[j] })
}

// inversions sorts a in place and returns the number of pairs i < j with a[i] > a[j]
// (equal values are not inversions) by bottom-up merge sort. The merge is branch-free
// (the element taken is selected arithmetically), which avoids the branch mispredictions
// that dominate on unordered data. Values must be non-negative (dense ranks). buf has len(a).
func inversions(a, buf []int32) int64 {
	n := len(a)
	var inv int64
	src, dst := a, buf[:n]
	for width := 1; width < n; width *= 2 {
		for lo := 0; lo < n; lo += 2 * width {
			mid := min(lo+width, n)
			hi := min(lo+2*width, n)
			left, right, out := src[lo:mid], src[mid:hi], dst[lo:hi]
			nl, nr := len(left), len(right)
			i, j, k := 0, 0, 0
			for i < nl && j < nr {
				l, r := int64(left[i]), int64(right[j])
				t := int((uint64(r-l) >> 63)) // 1 if r < l
				out[k] = int32(l + (r-l)*int64(t))
				inv += int64(t * (nl - i))
				j += t
				i += 1 - t
				k++
			}
			k += copy(out[k:], left[i:])
			copy(out[k:], right[j:])
		}
		src, dst = dst, src
	}
	if n > 0 && &src[0] != &a[0] {
		copy(a, src)
	}
	return inv
}
