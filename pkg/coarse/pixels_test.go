package coarse

import (
	"path/filepath"
	"testing"

	"github.com/coarsealign/coarsealign/pkg/data/images"
	"github.com/coarsealign/coarsealign/pkg/datadir"
	"gonum.org/v1/gonum/floats"
)

// TestPixelsCIFAR fits raw-pixel labels on 40 images per class of the CIFAR-10
// test JPEGs (n = 400 < d = 3072: the exact Gram path) and checks the randomized
// method against it on real data.
func TestPixelsCIFAR(t *testing.T) {
	ds, err := images.LoadFolder(filepath.Join(datadir.ForTest(t), "cifar10-jpg", "test"), images.Options{})
	if err != nil {
		datadir.SkipOrFail(t, "%v", err)
	}
	sub := ds.Subset(images.SubsetPerClass(ds.Labels, 40, 1))
	x := NewPixelMatrix(sub.Pix, sub.N, sub.ImageSize())
	ex, err := FitSource(x, sub.Paths, Provenance{Source: "pixels", Dataset: "cifar10-jpg", Split: "test"}, &Options{Method: Exact})
	if err != nil {
		t.Fatal(err)
	}
	rd, err := Fit(x, &Options{Method: Randomized, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	for k := 0; k < 6; k++ {
		if c := floats.Dot(ex.Components.RawRowView(k), rd.Components.RawRowView(k)); c < 0.999 {
			t.Errorf("PC%d: cos(exact, randomized) = %.6f", k+1, c)
		}
	}
	// PC1 of natural images' normalised pixels carries a large share of the variance.
	if r := ex.ExplainedRatio(); r[0] < 0.1 || r[0] < r[1] {
		t.Errorf("explained variance ratio %v", r)
	}
	for _, c := range ex.ClassCounts(2) {
		if c != 200 {
			t.Fatalf("K=2 counts %v, want 200/200", ex.ClassCounts(2))
		}
	}
	agree := 0
	for i := range ex.Codes {
		if ex.Codes[i]>>3 == rd.Codes[i]>>3 {
			agree++
		}
	}
	if agree < 395 {
		t.Errorf("K=8 labels agree on %d of 400 images", agree)
	}
	t.Logf("explained %.4f; K=8 agreement %d/400", ex.ExplainedRatio(), agree)
}
