package cifar10h

import (
	"math"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/coarsealign/coarsealign/pkg/stats"
)

// synthSet returns n images (label i % 10) with 50 random responses each, most on the label.
func synthSet(n int, seed uint64) *Set {
	r := stats.NewRand(seed)
	s := &Set{Counts: make([][NumClasses]int, n), Probs: make([][NumClasses]float64, n), Labels: make([]int, n)}
	for i := 0; i < n; i++ {
		l := i % NumClasses
		s.Labels[i] = l
		conf := r.Float64() * 0.6 // share of responses spread over the other classes
		for k := 0; k < 50; k++ {
			c := l
			if r.Float64() < conf {
				c = r.IntN(NumClasses)
			}
			s.Counts[i][c]++
		}
		for c := range s.Probs[i] {
			s.Probs[i][c] = float64(s.Counts[i][c]) / 50
		}
	}
	return s
}

// smooth mixes each human distribution with the uniform one: (1-a) h + a/10.
func smooth(s *Set, a float64) *mat.Dense {
	m := s.HumanProbs(nil)
	r, c := m.Dims()
	for i := 0; i < r; i++ {
		for j := 0; j < c; j++ {
			m.Set(i, j, (1-a)*m.At(i, j)+a/NumClasses)
		}
	}
	return m
}

func TestScoreHumanAgainstItself(t *testing.T) {
	s := synthSet(500, 1)
	res, err := s.Score(s.HumanProbs(nil), nil, &ScoreOptions{Resamples: 50})
	if err != nil {
		t.Fatal(err)
	}
	meanH := 0.0
	for i := range s.Probs {
		for _, p := range s.Probs[i] {
			if p > 0 {
				meanH -= p * math.Log(p)
			}
		}
	}
	meanH /= float64(s.N())
	for _, c := range []struct {
		name      string
		got, want float64
	}{
		{"cross-entropy = mean human entropy", res.CrossEntropy.Value, meanH},
		{"KL", res.KL.Value, 0},
		{"entropy Spearman", res.EntropySpearman.Value, 1},
		{"within-class entropy Spearman", res.EntropySpearmanWithinClass.Value, 1},
		{"confusion RSA", res.ConfusionRSA.Value, 1},
	} {
		if math.Abs(c.got-c.want) > 1e-12 {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	// Accuracy against the majority is 1 except for ties, which count 1/k.
	wantAcc := 0.0
	for i := range s.Labels {
		maj := s.Majority(i)
		if maj[0] == firstMax(s.Probs[i][:]) {
			wantAcc += 1 / float64(len(maj))
		}
	}
	if got := res.Accuracy.Value; math.Abs(got-wantAcc/float64(s.N())) > 1e-12 {
		t.Errorf("accuracy %v, want %v", got, wantAcc/float64(s.N()))
	}
	if !(res.KL.Low <= 1e-15 && res.CrossEntropy.Low <= res.CrossEntropy.Value && res.CrossEntropy.Value <= res.CrossEntropy.High) {
		t.Errorf("intervals %v %v", res.KL, res.CrossEntropy)
	}
}

func firstMax(x []float64) int {
	b := 0
	for i, v := range x {
		if v > x[b] {
			b = i
		}
	}
	return b
}

// TestScoreHandComputed checks each score on three images against values worked by hand.
func TestScoreHandComputed(t *testing.T) {
	s := &Set{Labels: []int{0, 1, 2}, Counts: make([][NumClasses]int, 3), Probs: make([][NumClasses]float64, 3)}
	s.Counts[0][0], s.Counts[0][1] = 2, 2 // a tie between classes 0 and 1
	s.Counts[1][1] = 4
	s.Counts[2][2], s.Counts[2][0] = 3, 1
	for i := range s.Counts {
		for c, k := range s.Counts[i] {
			s.Probs[i][c] = float64(k) / 4
		}
	}
	m := mat.NewDense(3, NumClasses, nil)
	m.Set(0, 0, 0.5)
	m.Set(0, 1, 0.25)
	m.Set(0, 2, 0.25)
	m.Set(1, 1, 1)
	m.Set(2, 2, 0.5)
	m.Set(2, 0, 0.5)
	res, err := s.Score(m, nil, &ScoreOptions{Resamples: -1})
	if err != nil {
		t.Fatal(err)
	}
	// CE: image 0: -(.5 log .5 + .5 log .25) = 1.5 log 2; image 1: 0;
	// image 2: -(.75 log .5 + .25 log .5) = log 2. Mean: 2.5 log 2 / 3.
	// H(h): log 2, 0, -(.75 log .75 + .25 log .25). KL = CE - H.
	hw := -(0.75*math.Log(0.75) + 0.25*math.Log(0.25))
	wantCE := 2.5 * math.Log(2) / 3
	wantKL := (1.5*math.Log(2) - math.Log(2) + 0 + math.Log(2) - hw) / 3
	// Accuracy: image 0 tie {0, 1}, model picks 0: 1/2; image 1: 1; image 2: model's first
	// largest is class 0 (0.5 = 0.5), majority 2: 0. Mean 0.5.
	// Entropies: human (log 2, 0, hw = 0.562), model (1.040, 0, log 2): ranks (3,1,2) and (3,1,2): 1.
	for _, c := range []struct {
		name      string
		got, want float64
	}{
		{"CE", res.CrossEntropy.Value, wantCE}, {"KL", res.KL.Value, wantKL},
		{"accuracy", res.Accuracy.Value, 0.5}, {"entropy Spearman", res.EntropySpearman.Value, 1},
	} {
		if math.Abs(c.got-c.want) > 1e-12 {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	// One image per class: within-class correlations are undefined.
	if !math.IsNaN(res.EntropySpearmanWithinClass.Value) || !math.IsNaN(res.CrossEntropy.Low) {
		t.Errorf("within-class %v, CI low %v: want NaN", res.EntropySpearmanWithinClass.Value, res.CrossEntropy.Low)
	}
}

func TestScoreBootstrapDeterministic(t *testing.T) {
	s := synthSet(300, 2)
	m := smooth(s, 0.3)
	a, err := s.Score(m, nil, &ScoreOptions{Resamples: 200, Seed: 7, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := s.Score(m, nil, &ScoreOptions{Resamples: 200, Seed: 7, Workers: 3})
	c, _ := s.Score(m, nil, &ScoreOptions{Resamples: 200, Seed: 8})
	if a != b {
		t.Errorf("results depend on the number of workers:\n%+v\n%+v", a, b)
	}
	if a.KL.Low == c.KL.Low && a.KL.High == c.KL.High {
		t.Errorf("seed has no effect: %v %v", a.KL, c.KL)
	}
	for _, e := range []Estimate{a.CrossEntropy, a.KL, a.EntropySpearman} {
		if !(e.Low < e.Value && e.Value < e.High) {
			t.Errorf("interval %v does not bracket its value", e)
		}
	}
	for _, e := range []Estimate{a.Accuracy, a.EntropySpearmanWithinClass, a.ConfusionRSA} {
		if !(e.Low <= e.High) || math.IsNaN(e.Low) {
			t.Errorf("interval %v", e)
		}
	}
	// Smoothing with the uniform distribution nearly keeps the entropy order (exactly only for
	// equal supports) and keeps the order of the confusion entries.
	if a.EntropySpearman.Value < 0.99 || a.ConfusionRSA.Value < 0.99 || a.KL.Value <= 0 {
		t.Errorf("smoothed human: %+v", a)
	}
}

func TestScoreSubset(t *testing.T) {
	s := synthSet(200, 3)
	m := smooth(s, 0.2)
	idx := []int{5, 17, 3, 120, 77, 42, 199, 0, 64, 11, 150, 33}
	sub := mat.NewDense(len(idx), NumClasses, nil)
	sset := &Set{}
	for k, i := range idx {
		sub.SetRow(k, m.RawRowView(i))
		sset.Counts = append(sset.Counts, s.Counts[i])
		sset.Probs = append(sset.Probs, s.Probs[i])
		sset.Labels = append(sset.Labels, s.Labels[i])
	}
	got, err := s.Score(sub, idx, &ScoreOptions{Resamples: 20})
	if err != nil {
		t.Fatal(err)
	}
	want, _ := sset.Score(sub, nil, &ScoreOptions{Resamples: 20})
	if got != want {
		t.Errorf("subset by index %+v\n!= subset set %+v", got, want)
	}
}

func TestScoreErrors(t *testing.T) {
	s := synthSet(20, 4)
	good := smooth(s, 0.5)
	bad := mat.DenseCopyOf(good)
	bad.Set(4, 2, bad.At(4, 2)+0.1)
	neg := mat.DenseCopyOf(good)
	neg.Set(6, 1, -0.01)
	for _, c := range []struct {
		name string
		m    mat.Matrix
		idx  []int
		want string
	}{
		{"shape", mat.NewDense(19, NumClasses, nil), nil, "19 x 10, want 20 x 10"},
		{"sum", bad, nil, "image 4 (row 4) sums to"},
		{"negative", neg, nil, "image 6 (row 6), class 1"},
		{"duplicate", good.Slice(0, 3, 0, NumClasses), []int{1, 2, 1}, "image 1 listed twice"},
		{"range", good.Slice(0, 3, 0, NumClasses), []int{1, 2, 20}, "index 20 (row 2) outside 0..19"},
	} {
		_, err := s.Score(c.m, c.idx, &ScoreOptions{Resamples: -1})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.name, err, c.want)
		}
	}
}

func TestScoreReal(t *testing.T) {
	s, _ := loadReal(t)
	res, err := s.Score(smooth(s, 0.1), nil, &ScoreOptions{Resamples: 100})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("smoothed human distributions (a = 0.1): %+v", res)
	if res.KL.Value <= 0 || res.EntropySpearman.Value < 0.95 || res.EntropySpearmanWithinClass.Value < 0.99 ||
		res.ConfusionRSA.Value < 0.99 || res.Accuracy.Value < 0.99 {
		t.Errorf("%+v", res)
	}
	cm := s.ConfusionMatrix(s.HumanProbs(nil), nil)
	// The diagonal of the human confusion matrix is the mean human accuracy per class (> 0.9).
	for c := 0; c < NumClasses; c++ {
		if d := cm.At(c, c); d < 0.9 {
			t.Errorf("human confusion (%s, %s) = %.3f", ClassNames[c], ClassNames[c], d)
		}
	}
}
