// Package oddoneout scores embeddings against human odd-one-out (triplet)
// judgements, as in Muttenthaler et al. (2023), "Human alignment of neural
// network representations" (ICLR), and the THINGS triplet task (Hebart et al. 2020).
//
// A triplet is three stimuli; the human chose one as the odd one out, which is
// the same as saying the other two form the most similar pair. An embedding X
// (n x d, row i is stimulus i) chooses the pair with the highest similarity
// (Cosine, Dot: x_i . x_j, or Euclidean: -|x_i - x_j|), and its odd one is the third
// item. Zero-shot accuracy is the fraction of triplets where the embedding's odd one
// equals the human's; chance is 1/3.
//
// Evaluate follows the study's rules (LukasMut/human_alignment): cosine similarity by
// default, and a tie for the most similar pair counts as wrong (TiesWrong); it reports
// bootstrap intervals over triplets and over stimuli (Bootstrap). ZeroShot and
// AccuracyFromSimilarity, used by pkg/metric and pkg/eval, split a tie instead: the
// expected accuracy under random tie-breaking (1/number of tied pairs when the human pair
// is among them, TiesSplit); both are deterministic. With continuous features ties are
// rare and the two agree.
//
// Triplet files (ReadTriplets) follow THINGS: one row per triplet, three object indices,
// the human's odd one last.
//
// "Triplets implied by similarity judgements" (TripletsFromRDM): when the data
// are a dissimilarity matrix rather than triplet choices (e.g. the 92-image
// behavioural RDMs of Mur et al. 2013), every triplet {i,j,k} is assigned the
// choice that the matrix implies: the pair with the lowest dissimilarity stays
// together and the third item is the odd one. Triplets whose two lowest
// dissimilarities are equal are ambiguous and skipped. For small n all C(n,3)
// triplets are used; otherwise a seeded random sample without repetition.
//
// Linear probing (Fit, Probe) follows the study's code: the embedding is standardised
// (one mean and one standard deviation over all entries; per-column and RMS scaling are
// options), W (d x d') starts from N(0, 1e-3^2) (identity as an option), the pair
// similarity is (x_i W) . (x_j W), the loss is the cross-entropy of a softmax over the
// three pair similarities with the human pair as the label plus lambda * ||W - W0||_F
// (not squared; W0 = 0, or the identity), minimised by Adam. Probe cross-validates over
// objects by default (3 folds; a test triplet has all three objects in the held-out fold,
// a training triplet none), chooses lambda from {1, ..., 1e-5} by an inner cross-validation
// in each outer fold, and reports held-out accuracy with bootstrap intervals.
//
// The package never imports GoMLX.
package oddoneout

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"

	"github.com/coarsealign/coarsealign/pkg/rdm"
)

// Triplet is one odd-one-out judgement: I and J are the pair judged most similar,
// Odd is the odd one out. Indices are rows of the embedding.
type Triplet struct {
	I, J, Odd int
}

// Similarity selects the embedding similarity.
type Similarity int

const (
	// Cosine is x_i . x_j / (|x_i| |x_j|), the study's default (the zero value).
	Cosine Similarity = iota
	// Dot is the inner product x_i . x_j.
	Dot
	// Euclidean is the negative Euclidean distance -|x_i - x_j|.
	Euclidean
)

// String returns "cosine", "dot" or "euclidean".
func (s Similarity) String() string {
	switch s {
	case Dot:
		return "dot"
	case Cosine:
		return "cosine"
	case Euclidean:
		return "euclidean"
	}
	return fmt.Sprintf("Similarity(%d)", int(s))
}

// ParseSimilarity returns the Similarity named "cosine", "dot" or "euclidean".
func ParseSimilarity(name string) (Similarity, error) {
	for _, s := range []Similarity{Cosine, Dot, Euclidean} {
		if s.String() == name {
			return s, nil
		}
	}
	return 0, fmt.Errorf("oddoneout: unknown similarity %q (want cosine, dot or euclidean)", name)
}

// SimilarityMatrix returns the n x n similarity matrix of the rows of x (n x d).
// For Cosine, a zero row has similarity 0 with everything. For Euclidean the entries
// are -sqrt(max(0, |x_i|^2 + |x_j|^2 - 2 x_i . x_j)), with an exact 0 diagonal.
func SimilarityMatrix(x mat.Matrix, sim Similarity) *mat.SymDense {
	n, _ := x.Dims()
	xd := mat.DenseCopyOf(x)
	if sim == Cosine {
		for i := 0; i < n; i++ {
			row := xd.RawRowView(i)
			s := 0.0
			for _, v := range row {
				s += v * v
			}
			if s > 0 {
				s = 1 / math.Sqrt(s)
			}
			for j := range row {
				row[j] *= s
			}
		}
	}
	g := mat.NewSymDense(n, nil)
	g.SymOuterK(1, xd)
	if sim == Euclidean {
		sq := make([]float64, n)
		for i := range sq {
			sq[i] = g.At(i, i)
		}
		for i := 0; i < n; i++ {
			g.SetSym(i, i, 0)
			for j := i + 1; j < n; j++ {
				g.SetSym(i, j, -math.Sqrt(math.Max(0, sq[i]+sq[j]-2*g.At(i, j))))
			}
		}
	}
	return g
}

// ZeroShot returns the accuracy of embedding x (n x d) on the triplets: the fraction
// (ties split, see package doc) whose most similar pair under sim is the human pair.
// It returns an error for NaN/Inf entries, no triplets, or an index outside 0..n-1.
func ZeroShot(x mat.Matrix, triplets []Triplet, sim Similarity) (float64, error) {
	n, _ := x.Dims()
	if err := checkInput(x, triplets, n); err != nil {
		return 0, err
	}
	return AccuracyFromSimilarity(SimilarityMatrix(x, sim), triplets), nil
}

// AccuracyFromSimilarity scores triplets against a precomputed n x n similarity matrix
// (indices must be valid; see ZeroShot).
func AccuracyFromSimilarity(s mat.Symmetric, triplets []Triplet) float64 {
	if len(triplets) == 0 {
		return math.NaN()
	}
	acc := 0.0
	for _, t := range triplets {
		acc += score(s.At(t.I, t.J), s.At(t.I, t.Odd), s.At(t.J, t.Odd))
	}
	return acc / float64(len(triplets))
}

// score returns the credit for a triplet whose human pair has similarity h and
// other pairs a, b: 1 if h is the unique maximum, 1/m if it ties m-ways for the maximum.
func score(h, a, b float64) float64 {
	if h < a || h < b {
		return 0
	}
	m := 1.0
	if a == h {
		m++
	}
	if b == h {
		m++
	}
	return 1 / m
}

func checkInput(x mat.Matrix, triplets []Triplet, n int) error {
	r, c := x.Dims()
	for i := 0; i < r; i++ {
		for j := 0; j < c; j++ {
			if v := x.At(i, j); math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("oddoneout: embedding[%d,%d] is %g", i, j, v)
			}
		}
	}
	if len(triplets) == 0 {
		return fmt.Errorf("oddoneout: no triplets")
	}
	for k, t := range triplets {
		if t.I < 0 || t.J < 0 || t.Odd < 0 || t.I >= n || t.J >= n || t.Odd >= n {
			return fmt.Errorf("oddoneout: triplet %d (%d,%d,odd %d) has an index outside 0..%d", k, t.I, t.J, t.Odd, n-1)
		}
		if t.I == t.J || t.I == t.Odd || t.J == t.Odd {
			return fmt.Errorf("oddoneout: triplet %d (%d,%d,odd %d) repeats a stimulus", k, t.I, t.J, t.Odd)
		}
	}
	return nil
}

// TripletOptions configure TripletsFromRDM.
type TripletOptions struct {
	// Max is the largest number of triplets returned; 0 or >= C(n,3) means all triplets
	// (in lexicographic order of the sorted stimulus indices), otherwise a seeded sample
	// of distinct triplets.
	Max  int
	Seed uint64
}

// TripletsFromRDM returns the triplets implied by a dissimilarity matrix (package doc):
// for each triplet the pair with the lowest dissimilarity stays and the third item is
// the odd one; triplets with a tie for the lowest dissimilarity, or with a NaN pair,
// are skipped. The second return value counts the skipped triplets among those considered.
// Returns an error if r has fewer than 3 stimuli.
func TripletsFromRDM(r *rdm.RDM, opt TripletOptions) ([]Triplet, int, error) {
	n := r.N
	if n < 3 {
		return nil, 0, fmt.Errorf("oddoneout: RDM %q has %d stimuli; need at least 3", r.Name, n)
	}
	total := n * (n - 1) * (n - 2) / 6
	var out []Triplet
	skipped := 0
	add := func(i, j, k int) {
		t, ok := implied(r, i, j, k)
		if ok {
			out = append(out, t)
		} else {
			skipped++
		}
	}
	if opt.Max <= 0 || opt.Max >= total {
		out = make([]Triplet, 0, total)
		for i := 0; i < n; i++ {
			for j := i + 1; j < n; j++ {
				for k := j + 1; k < n; k++ {
					add(i, j, k)
				}
			}
		}
		return out, skipped, nil
	}
	rng := rand.New(rand.NewPCG(opt.Seed, 0x7269706c6574))
	seen := make(map[[3]int]bool, opt.Max)
	for len(seen) < opt.Max {
		i, j, k := rng.IntN(n), rng.IntN(n), rng.IntN(n)
		if i == j || i == k || j == k {
			continue
		}
		key := sort3(i, j, k)
		if seen[key] {
			continue
		}
		seen[key] = true
		add(key[0], key[1], key[2])
	}
	return out, skipped, nil
}

func sort3(a, b, c int) [3]int {
	if a > b {
		a, b = b, a
	}
	if b > c {
		b, c = c, b
	}
	if a > b {
		a, b = b, a
	}
	return [3]int{a, b, c}
}

func implied(r *rdm.RDM, i, j, k int) (Triplet, bool) {
	dij, dik, djk := r.At(i, j), r.At(i, k), r.At(j, k)
	if math.IsNaN(dij) || math.IsNaN(dik) || math.IsNaN(djk) {
		return Triplet{}, false
	}
	switch {
	case dij < dik && dij < djk:
		return Triplet{I: i, J: j, Odd: k}, true
	case dik < dij && dik < djk:
		return Triplet{I: i, J: k, Odd: j}, true
	case djk < dij && djk < dik:
		return Triplet{I: j, J: k, Odd: i}, true
	}
	return Triplet{}, false
}
