package cifar10h

import (
	"math"
	"path/filepath"
	"testing"
	"time"

	"gonum.org/v1/gonum/mat"

	"github.com/coarsealign/coarsealign/pkg/data/images"
	"github.com/coarsealign/coarsealign/pkg/datadir"
	"github.com/coarsealign/coarsealign/pkg/stats"
)

// poolFeatures mean-pools each 32 x 32 RGB image of ds (rows idx) over 4 x 4 blocks:
// 8 x 8 x 3 = 192 features in [0, 1].
func poolFeatures(ds *images.Dataset, idx []int) *mat.Dense {
	const b = 4
	side := ds.H / b
	x := mat.NewDense(len(idx), side*side*3, nil)
	for k, i := range idx {
		img := ds.Image(i)
		row := x.RawRowView(k)
		for yy := 0; yy < ds.H; yy++ {
			for xx := 0; xx < ds.W; xx++ {
				for c := 0; c < 3; c++ {
					row[((yy/b)*side+xx/b)*3+c] += float64(img[(yy*ds.W+xx)*3+c]) / (255 * b * b)
				}
			}
		}
	}
	return x
}

// TestMappingCheck checks that test/<class>/<k>.jpg is the k-th test image of that class in
// the official order: a pixel readout's entropies and cross-entropies match the humans'
// image by image far better with that mapping than with the images shuffled within class.
//
// Measured (500 training images per class, 8 x 8 pooled pixels, lambda 0.01; 38% accuracy):
// within-class entropy Spearman 0.076 against 0.0005 +- 0.0078 for 20 shuffles (z = 9.7);
// cross-entropy 1.788 against 1.805 +- 0.0012 (z = 14). About 15 s, most of it decoding.
func TestMappingCheck(t *testing.T) {
	if testing.Short() {
		t.Skip("decodes the 60,000 CIFAR-10 JPEGs (about 10 s); skipped with -short")
	}
	s, dir := loadReal(t)
	root := filepath.Join(dir, "cifar10-jpg")
	start := time.Now()
	train, err := images.LoadFolder(filepath.Join(root, "train"), images.Options{})
	if err != nil {
		datadir.SkipOrFail(t, "CIFAR-10 training JPEGs: %v", err)
	}
	test, err := images.LoadFolder(filepath.Join(root, "test"), images.Options{})
	if err != nil {
		datadir.SkipOrFail(t, "CIFAR-10 test JPEGs: %v", err)
	}
	t.Logf("decoded %d + %d JPEGs in %v", train.N, test.N, time.Since(start))
	for c, name := range test.Classes {
		if name != ClassNames[c] || train.Classes[c] != name {
			t.Fatalf("class folder %d is %q, want %q", c, name, ClassNames[c])
		}
	}
	// Training images: perClass per class, fixed seed.
	const perClass = 500
	trIdx := images.SubsetPerClass(train.Labels, perClass, 1)
	ytr := make([]int, len(trIdx))
	for k, i := range trIdx {
		ytr[k] = int(train.Labels[i])
	}
	start = time.Now()
	ro, err := FitReadout(poolFeatures(train, trIdx), ytr, &ReadoutOptions{Lambdas: []float64{1e-2}, MaxIter: 300, GradTol: 1e-5})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("readout fitted on %d images in %v", len(trIdx), time.Since(start))
	// Test images in the official order through the assumed mapping.
	byPath := make(map[string]int, test.N)
	for i, p := range test.Paths {
		byPath[p] = i
	}
	order := make([]int, NumImages)
	for i, p := range s.ImagePaths() {
		j, ok := byPath[p]
		if !ok {
			t.Fatalf("image %d: %s not among the test JPEGs", i, p)
		}
		order[i] = j
	}
	model := ro.Predict(poolFeatures(test, order))
	res, err := s.Score(model, nil, &ScoreOptions{Resamples: 200, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("assumed mapping: %+v", res)
	// Shuffles within class: row i gets the prediction of another image of the same class.
	byClass := make([][]int, NumClasses)
	for i, l := range s.Labels {
		byClass[l] = append(byClass[l], i)
	}
	const shuffles = 20
	var ents, ces []float64
	r := stats.NewRand(5)
	for sh := 0; sh < shuffles; sh++ {
		perm := mat.NewDense(NumImages, NumClasses, nil)
		for _, members := range byClass {
			p := r.Perm(len(members))
			for k, i := range members {
				perm.SetRow(i, model.RawRowView(members[p[k]]))
			}
		}
		rs, err := s.Score(perm, nil, &ScoreOptions{Resamples: -1})
		if err != nil {
			t.Fatal(err)
		}
		ents = append(ents, rs.EntropySpearmanWithinClass.Value)
		ces = append(ces, rs.CrossEntropy.Value)
	}
	me, se := meanSD(ents)
	mc, sc := meanSD(ces)
	zEnt := (res.EntropySpearmanWithinClass.Value - me) / se
	zCE := (mc - res.CrossEntropy.Value) / sc
	t.Logf("within-class entropy Spearman: assumed %.4f, shuffled %.4f +- %.4f (z = %.1f)", res.EntropySpearmanWithinClass.Value, me, se, zEnt)
	t.Logf("cross-entropy: assumed %.4f, shuffled %.4f +- %.4f (z = %.1f)", res.CrossEntropy.Value, mc, sc, zCE)
	// A pixel readout is weak (chance is 0.1) but image-specific: both statistics must sit
	// far outside the shuffles' spread, and the true mapping must beat every shuffle.
	if res.Accuracy.Value < 0.3 {
		t.Errorf("pixel readout accuracy %.3f, want > 0.3", res.Accuracy.Value)
	}
	if zEnt < 5 || zCE < 5 {
		t.Errorf("the assumed mapping is not clearly better than shuffles within class: z = %.1f (entropy), %.1f (cross-entropy)", zEnt, zCE)
	}
	for k := range ents {
		if ents[k] >= res.EntropySpearmanWithinClass.Value || ces[k] <= res.CrossEntropy.Value {
			t.Errorf("shuffle %d scores as well as the assumed mapping: entropy Spearman %.4f, cross-entropy %.4f", k, ents[k], ces[k])
		}
	}
}

func meanSD(x []float64) (float64, float64) {
	m := stats.Mean(x)
	ss := 0.0
	for _, v := range x {
		ss += (v - m) * (v - m)
	}
	return m, math.Sqrt(ss / float64(len(x)-1))
}
