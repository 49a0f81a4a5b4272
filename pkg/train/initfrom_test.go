package train

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coarsealign/coarsealign/pkg/backend"
	"github.com/gomlx/gomlx/ml/model"
)

// A trainer initialised from another's store starts at step 0 with that model's weights and
// batch-norm statistics (and none of its optimizer state), and its first step moves from there.
func TestInitFrom(t *testing.T) {
	b, err := backend.New()
	if err != nil {
		t.Fatal(err)
	}
	cfg := tinyConfig(4)
	cfg.Epochs = 1
	data := tinyData(16, 8, 3)
	withTimeout(t, 120*time.Second, func() {
		src, err := New(b, cfg, "", data.StepsPerEpoch())
		if err != nil {
			t.Error(err)
			return
		}
		for bt, err := range data.Epoch(0) {
			if err == nil {
				_, err = src.Step(bt)
			}
			if err != nil {
				t.Error(err)
				return
			}
		}
		want := modelParams(t, src.Store)
		dst, err := New(b, cfg, "", data.StepsPerEpoch())
		if err != nil {
			t.Error(err)
			return
		}
		if err := dst.InitFrom(src.Store); err != nil {
			t.Error(err)
			return
		}
		got := modelParams(t, dst.Store)
		nModel := 0
		for path, w := range want {
			g, ok := got[path]
			switch {
			case strings.HasPrefix(path, ModelScope+"/"):
				nModel++
				if !ok || !slices.Equal(g, w) {
					t.Errorf("%s not copied", path)
				}
			case ok:
				t.Errorf("%s (not a model variable) was copied", path)
			}
		}
		if nModel == 0 || dst.GlobalStep() != 0 {
			t.Errorf("%d model variables copied, step %d", nModel, dst.GlobalStep())
		}
		for bt, err := range data.Epoch(0) {
			if err == nil {
				_, err = dst.Step(bt)
			}
			if err != nil {
				t.Error(err)
				return
			}
			break
		}
		if slices.Equal(modelParams(t, dst.Store)[ModelScope+"/fc8/dense/weights"], want[ModelScope+"/fc8/dense/weights"]) {
			t.Error("a step after InitFrom changed nothing")
		}
		if err := dst.InitFrom(src.Store); err == nil {
			t.Error("InitFrom after a step was accepted")
		}
		fresh, _ := New(b, cfg, "", data.StepsPerEpoch())
		if err := fresh.InitFrom(model.NewStore()); err == nil {
			t.Error("InitFrom of an empty store was accepted")
		}
	})
}
