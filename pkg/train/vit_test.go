package train

import (
	"math"
	"testing"
	"time"

	"github.com/coarsealign/coarsealign/pkg/backend"
	"github.com/coarsealign/coarsealign/pkg/models"
)

func TestViTTrains(t *testing.T) {
	b, err := backend.New()
	if err != nil {
		t.Fatal(err)
	}
	cfg := tinyConfig(4)
	cfg.Model = models.Spec{Arch: models.ViT, NumClasses: 2, InputSize: 32, Channels: 3, PatchSize: 8, Dim: 16,
		Depth: 1, Heads: 2, MLPDim: 32}
	data := tinyData(16, 8, 4)
	withTimeout(t, 60*time.Second, func() {
		tr, err := New(b, cfg, "", data.StepsPerEpoch())
		if err != nil {
			t.Error(err)
			return
		}
		for e := 0; e < 2; e++ {
			for bt := range data.Epoch(e) {
				r, err := tr.Step(bt)
				if err != nil {
					t.Error(err)
					return
				}
				if math.IsNaN(r.Loss) || r.GradNorm <= 0 {
					t.Errorf("step %d: %+v", tr.GlobalStep(), r)
				}
			}
		}
		// The class token and position embedding are trainable but not decayed.
		if v := tr.Store.GetVariable("/model/cls/token"); v == nil || !v.Trainable {
			t.Error("class token missing or frozen")
		}
	})
}
