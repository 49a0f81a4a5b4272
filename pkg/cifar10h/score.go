package cifar10h

import (
	"fmt"
	"math"
	"runtime"
	"sync"

	"gonum.org/v1/gonum/mat"

	"github.com/coarsealign/coarsealign/pkg/stats"
)

// Estimate is a score and its bootstrap percentile interval over images (Low and High are
// NaN when no resampling was asked for).
type Estimate struct {
	Value, Low, High float64
}

func (e Estimate) String() string {
	return fmt.Sprintf("%.4f [%.4f, %.4f]", e.Value, e.Low, e.High)
}

// Results are the scores of a model's predicted distributions against the human ones.
// Logarithms are natural (nats).
type Results struct {
	// N is the number of images scored.
	N int
	// Resamples, Level and Seed are the bootstrap settings that produced the intervals.
	Resamples int
	Level     float64
	Seed      uint64

	// CrossEntropy is the mean over images of -sum_c h_c log m_c, the cross-entropy of the
	// human distribution h under the model's m (Peterson et al. 2019's measure; lower is better).
	CrossEntropy Estimate
	// KL is the mean over images of KL(h || m) = CrossEntropy - H(h) (0 log 0 = 0).
	KL Estimate
	// Accuracy is the mean agreement of the model's top class with the majority human choice;
	// on a tie among k classes an image counts 1/k if the model's top class is one of them
	// (the expected accuracy under a uniformly random tie break). The model's top class is
	// its first largest probability.
	Accuracy Estimate
	// EntropySpearman is Spearman's correlation, across images, between the entropy of the
	// human distribution and that of the model's.
	EntropySpearman Estimate
	// EntropySpearmanWithinClass is the same correlation within each official class, averaged
	// over the classes with at least 3 images (classes with constant entropies are left out).
	EntropySpearmanWithinClass Estimate
	// ConfusionRSA is Spearman's correlation between the 90 off-diagonal entries of the
	// human and the model confusion matrices; entry (t, c) of a confusion matrix is the mean
	// probability of class c over the images of official class t. Off-diagonal only, so that
	// the correct-class mass (accuracy) does not drive it.
	ConfusionRSA Estimate
}

// ScoreOptions configure Score. The zero value gives the defaults.
type ScoreOptions struct {
	// Resamples is the number of bootstrap resamples of the images (0 means 1000; negative
	// means none, leaving the intervals NaN).
	Resamples int
	// Level is the interval's coverage (0 means 0.95).
	Level float64
	// Seed seeds the resampling; resample b uses its own generator derived from Seed and b,
	// so results do not depend on Workers.
	Seed uint64
	// Floor is the smallest model probability used inside a logarithm (0 means 1e-12), so
	// a zero probability gives a large finite cross-entropy.
	Floor float64
	// Workers is the number of resampling goroutines (0 means GOMAXPROCS).
	Workers int
}

// DefaultResamples is the number of bootstrap resamples when ScoreOptions.Resamples is 0.
const DefaultResamples = 1000

// distTol is how far a model distribution's sum may be from 1.
const distTol = 1e-4

// Score scores a model's predicted class distributions against the human ones.
// model is len(idx) x 10 and row k is the model's distribution for image idx[k] (official
// test index); nil idx means all 10000 images in the official order (model 10000 x 10).
// Rows must be non-negative and sum to 1 (within 1e-4). Indices must be distinct and in
// range. The bootstrap resamples the scored images with replacement and recomputes every
// score; intervals are percentile intervals. opts may be nil.
func (s *Set) Score(model mat.Matrix, idx []int, opts *ScoreOptions) (Results, error) {
	var o ScoreOptions
	if opts != nil {
		o = *opts
	}
	if o.Resamples == 0 {
		o.Resamples = DefaultResamples
	}
	if o.Level == 0 {
		o.Level = 0.95
	}
	if o.Floor == 0 {
		o.Floor = 1e-12
	}
	if o.Level <= 0 || o.Level >= 1 || o.Floor < 0 || o.Floor >= 1 {
		return Results{}, fmt.Errorf("cifar10h: score options: level %v must be in (0, 1) and floor %v in [0, 1)", o.Level, o.Floor)
	}
	if idx == nil {
		idx = make([]int, s.N())
		for i := range idx {
			idx[i] = i
		}
	}
	r, c := model.Dims()
	if r != len(idx) || c != NumClasses {
		return Results{}, fmt.Errorf("cifar10h: model distributions are %d x %d, want %d x %d (one row per scored image)", r, c, len(idx), NumClasses)
	}
	if len(idx) < 3 {
		return Results{}, fmt.Errorf("cifar10h: %d images scored, need at least 3", len(idx))
	}
	seen := make(map[int]bool, len(idx))
	for k, i := range idx {
		if i < 0 || i >= s.N() {
			return Results{}, fmt.Errorf("cifar10h: index %d (row %d) outside 0..%d", i, k, s.N()-1)
		}
		if seen[i] {
			return Results{}, fmt.Errorf("cifar10h: image %d listed twice (row %d)", i, k)
		}
		seen[i] = true
	}
	p := newPerImage(s, model, idx, o.Floor)
	if p.err != nil {
		return Results{}, p.err
	}
	all := make([]int, len(idx))
	for k := range all {
		all[k] = k
	}
	var sc scratch
	val := p.scores(all, &sc)
	res := Results{N: len(idx), Resamples: max(o.Resamples, 0), Level: o.Level, Seed: o.Seed}
	boot := make([][numScores]float64, max(o.Resamples, 0))
	if len(boot) > 0 {
		workers := o.Workers
		if workers <= 0 {
			workers = runtime.GOMAXPROCS(0)
		}
		var wg sync.WaitGroup
		next := make(chan int)
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var sc scratch
				sample := make([]int, len(idx))
				for b := range next {
					rng := stats.NewRand(mix(o.Seed, uint64(b)))
					for k := range sample {
						sample[k] = rng.IntN(len(idx))
					}
					boot[b] = p.scores(sample, &sc)
				}
			}()
		}
		for b := range boot {
			next <- b
		}
		close(next)
		wg.Wait()
	}
	est := func(j int) Estimate {
		e := Estimate{Value: val[j], Low: math.NaN(), High: math.NaN()}
		if len(boot) > 0 {
			col := make([]float64, len(boot))
			for b := range boot {
				col[b] = boot[b][j]
			}
			e.Low, e.High = stats.PercentileCI(col, o.Level)
		}
		return e
	}
	res.CrossEntropy, res.KL, res.Accuracy = est(scCE), est(scKL), est(scAcc)
	res.EntropySpearman, res.EntropySpearmanWithinClass, res.ConfusionRSA = est(scEnt), est(scEntClass), est(scRSA)
	return res, nil
}

// mix derives resample b's seed from the user's seed (splitmix64's finaliser).
func mix(seed, b uint64) uint64 {
	z := seed + (b+1)*0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

const (
	scCE = iota
	scKL
	scAcc
	scEnt
	scEntClass
	scRSA
	numScores
)

// perImage holds what the scores need per scored image (k indexes the scored images).
type perImage struct {
	ce, kl, acc  []float64
	hEnt, mEnt   []float64
	label        []int
	human, model [][NumClasses]float64
	err          error
}

func newPerImage(s *Set, model mat.Matrix, idx []int, floor float64) *perImage {
	n := len(idx)
	p := &perImage{
		ce: make([]float64, n), kl: make([]float64, n), acc: make([]float64, n),
		hEnt: make([]float64, n), mEnt: make([]float64, n), label: make([]int, n),
		human: make([][NumClasses]float64, n), model: make([][NumClasses]float64, n),
	}
	for k, i := range idx {
		h := s.Probs[i]
		var m [NumClasses]float64
		sum := 0.0
		for c := range m {
			m[c] = model.At(k, c)
			if math.IsNaN(m[c]) || m[c] < 0 {
				p.err = fmt.Errorf("cifar10h: model probability of image %d (row %d), class %d is %v", i, k, c, m[c])
				return p
			}
			sum += m[c]
		}
		if math.Abs(sum-1) > distTol {
			p.err = fmt.Errorf("cifar10h: model distribution of image %d (row %d) sums to %v, want 1", i, k, sum)
			return p
		}
		ce, hent, ment := 0.0, 0.0, 0.0
		top := 0
		for c := range m {
			if h[c] > 0 {
				ce -= h[c] * math.Log(max(m[c], floor))
				hent -= h[c] * math.Log(h[c])
			}
			if m[c] > 0 {
				ment -= m[c] * math.Log(m[c])
			}
			if m[c] > m[top] {
				top = c
			}
		}
		maj := s.Majority(i)
		for _, c := range maj {
			if c == top {
				p.acc[k] = 1 / float64(len(maj))
			}
		}
		p.ce[k], p.kl[k], p.hEnt[k], p.mEnt[k] = ce, ce-hent, hent, ment
		p.label[k], p.human[k], p.model[k] = s.Labels[i], h, m
	}
	return p
}

// scratch is reused across resamples by one goroutine.
type scratch struct {
	h, m   []float64
	ch, cm [NumClasses][]float64
}

// scores computes every score on the images sample (indices into the scored images, with repeats).
func (p *perImage) scores(sample []int, sc *scratch) [numScores]float64 {
	var out [numScores]float64
	n := float64(len(sample))
	sc.h, sc.m = sc.h[:0], sc.m[:0]
	for c := range sc.ch {
		sc.ch[c], sc.cm[c] = sc.ch[c][:0], sc.cm[c][:0]
	}
	var confH, confM [NumClasses][NumClasses]float64
	var perClass [NumClasses]float64
	for _, k := range sample {
		out[scCE] += p.ce[k]
		out[scKL] += p.kl[k]
		out[scAcc] += p.acc[k]
		sc.h = append(sc.h, p.hEnt[k])
		sc.m = append(sc.m, p.mEnt[k])
		l := p.label[k]
		sc.ch[l] = append(sc.ch[l], p.hEnt[k])
		sc.cm[l] = append(sc.cm[l], p.mEnt[k])
		perClass[l]++
		for c := 0; c < NumClasses; c++ {
			confH[l][c] += p.human[k][c]
			confM[l][c] += p.model[k][c]
		}
	}
	out[scCE] /= n
	out[scKL] /= n
	out[scAcc] /= n
	out[scEnt] = spearman(sc.h, sc.m)
	within := make([]float64, 0, NumClasses)
	for c := range sc.ch {
		if len(sc.ch[c]) >= 3 {
			within = append(within, spearman(sc.ch[c], sc.cm[c]))
		}
	}
	out[scEntClass] = stats.Mean(within)
	var offH, offM []float64
	for t := 0; t < NumClasses; t++ {
		if perClass[t] == 0 {
			continue
		}
		for c := 0; c < NumClasses; c++ {
			if c != t {
				offH = append(offH, confH[t][c]/perClass[t])
				offM = append(offM, confM[t][c]/perClass[t])
			}
		}
	}
	out[scRSA] = spearman(offH, offM)
	return out
}

// spearman is stats.Spearman, NaN when fewer than 3 values or either side is constant.
func spearman(x, y []float64) float64 {
	if len(x) < 3 || constant(x) || constant(y) {
		return math.NaN()
	}
	return stats.Spearman(x, y)
}

func constant(x []float64) bool {
	for _, v := range x[1:] {
		if v != x[0] {
			return false
		}
	}
	return true
}

// ConfusionMatrix returns the 10 x 10 matrix whose entry (t, c) is the mean of dist's
// probability of class c over the images of official class t; dist is len(idx) x 10 with
// row k for image idx[k] (nil idx: all images). With the human distributions (HumanProbs)
// it is the human confusion matrix of ConfusionRSA. It panics on mismatched shapes.
func (s *Set) ConfusionMatrix(dist mat.Matrix, idx []int) *mat.Dense {
	r, c := dist.Dims()
	if idx == nil && r == s.N() {
		idx = make([]int, r)
		for i := range idx {
			idx[i] = i
		}
	}
	if r != len(idx) || c != NumClasses {
		panic(fmt.Sprintf("cifar10h: distributions %d x %d for %d images", r, c, len(idx)))
	}
	out := mat.NewDense(NumClasses, NumClasses, nil)
	var n [NumClasses]float64
	for k, i := range idx {
		t := s.Labels[i]
		n[t]++
		for j := 0; j < NumClasses; j++ {
			out.Set(t, j, out.At(t, j)+dist.At(k, j))
		}
	}
	for t := 0; t < NumClasses; t++ {
		if n[t] > 0 {
			for j := 0; j < NumClasses; j++ {
				out.Set(t, j, out.At(t, j)/n[t])
			}
		}
	}
	return out
}

// HumanProbs returns the human distributions of images idx (nil: all) as a len(idx) x 10 matrix.
func (s *Set) HumanProbs(idx []int) *mat.Dense {
	if idx == nil {
		idx = make([]int, s.N())
		for i := range idx {
			idx[i] = i
		}
	}
	out := mat.NewDense(len(idx), NumClasses, nil)
	for k, i := range idx {
		out.SetRow(k, s.Probs[i][:])
	}
	return out
}
