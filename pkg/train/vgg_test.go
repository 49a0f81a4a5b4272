package train

import (
	"math"
	"testing"
	"time"

	"github.com/coarsealign/coarsealign/pkg/backend"
	"github.com/coarsealign/coarsealign/pkg/models"
)

// The small VGG trains with the study's recipe like AlexNet-BN (TestTrainDeterministicAndLearns):
// the same seed gives the same losses, and the loss falls on the two-class toy images.
func TestVGGBNTrains(t *testing.T) {
	b, err := backend.New()
	if err != nil {
		t.Fatal(err)
	}
	cfg := tinyConfig(5)
	cfg.Model = models.DefaultVGGBN(2, 0.0625)
	data := tinyData(32, 8, 5) // 4 steps per epoch, 12 steps
	var losses [2][]float64
	withTimeout(t, 120*time.Second, func() {
		for run := 0; run < 2; run++ {
			tr, err := New(b, cfg, "", data.StepsPerEpoch())
			if err != nil {
				t.Error(err)
				return
			}
			for e := 0; e < cfg.Epochs; e++ {
				for bt, err := range data.Epoch(e) {
					if err != nil {
						t.Error(err)
						return
					}
					r, err := tr.Step(bt)
					if err != nil {
						t.Error(err)
						return
					}
					if math.IsNaN(r.Loss) || r.GradNorm <= 0 {
						t.Errorf("step %d: %+v", tr.GlobalStep(), r)
					}
					losses[run] = append(losses[run], r.Loss)
				}
			}
		}
	})
	if t.Failed() {
		return
	}
	for i := range losses[0] {
		if losses[0][i] != losses[1][i] {
			t.Fatalf("same seed, step %d: loss %v vs %v", i, losses[0][i], losses[1][i])
		}
	}
	n := len(losses[0])
	first, last := (losses[0][0]+losses[0][1])/2, (losses[0][n-1]+losses[0][n-2])/2
	t.Logf("losses %.4f", losses[0])
	if !(last < first) {
		t.Errorf("loss did not decrease: first steps %.4f, last steps %.4f", first, last)
	}
}
