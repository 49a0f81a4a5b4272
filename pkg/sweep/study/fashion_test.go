package study

import (
	"os"
	"testing"

	"github.com/coarsealign/coarsealign/pkg/data/idx"
	"github.com/coarsealign/coarsealign/pkg/sweep"
)

// TestFashionMNISTTrainingSet loads Fashion-MNIST as a sweep's data source: 28x28 greyscale
// resized to the model's 32x32 input, grey replicated to R, G and B, 10 classes of which
// per_class are kept (Fashion-MNIST README: 6,000 training images per class).
func TestFashionMNISTTrainingSet(t *testing.T) {
	if _, err := os.Stat(idx.DebianFashionDir); err != nil {
		t.Skip("dataset-fashion-mnist not installed")
	}
	ts, err := LoadTrainingSet(t.TempDir(), sweep.Data{Source: "fashion-mnist", PerClass: 10, ValFraction: 0.2, SplitSeed: 42}, 32)
	if err != nil {
		t.Fatal(err)
	}
	if ts.DS.N != 100 || ts.DS.H != 32 || len(ts.DS.Classes) != 10 || ts.SourceN != 60000 || len(ts.Train) != 80 {
		t.Fatalf("N=%d H=%d classes=%d source=%d train=%d", ts.DS.N, ts.DS.H, len(ts.DS.Classes), ts.SourceN, len(ts.Train))
	}
	px := ts.DS.Image(3)
	for p := 0; p < len(px); p += 3 {
		if px[p] != px[p+1] || px[p] != px[p+2] {
			t.Fatalf("pixel %d is not grey: %v", p/3, px[p:p+3])
		}
	}
	if ts.Stats.Mean[0] != ts.Stats.Mean[1] {
		t.Errorf("channel means differ: %v", ts.Stats.Mean)
	}
}
