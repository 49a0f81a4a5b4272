package run

import (
	"math"
	"testing"

	"github.com/coarsealign/coarsealign/pkg/backend"
	"github.com/coarsealign/coarsealign/pkg/spatial"
	"github.com/coarsealign/coarsealign/pkg/train"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// The objective on fixed outputs equals the loss computed by hand: for 2 images, K = 3 categories
// and the regression latents x and rot_z (columns x, sin, cos), the category weight 2 times the
// smoothed cross-entropy (eps 0.1: targets 0.9 + 0.1/3 on the label, 0.1/3 elsewhere) plus the
// MSE of x plus 0.5 times the mean squared error of the (sin, cos) pair.
func TestObjectiveByHand(t *testing.T) {
	b, err := backend.New()
	if err != nil {
		t.Fatal(err)
	}
	ts := spatial.TargetSet{Name: "t", Latents: []string{spatial.Category, "x", "rot_z"}, Weights: map[string]float64{spatial.Category: 2, "rot_z": 0.5}}
	obj := Objective(ts, 3)
	if spatial.Outputs(ts, 3) != 6 || len(obj.Metrics) != 2 {
		t.Fatalf("outputs %d, metrics %v", spatial.Outputs(ts, 3), obj.Metrics)
	}
	logits := [][]float32{{1, 2, 0.5, 0.3, -0.2, 0.9}, {0, -1, 1, -0.4, 0.1, 0.2}}
	labels := []int32{1, 2}
	y := [][]float32{{0.5, 0, 1}, {-1, 0.6, -0.8}}
	cfg := train.Config{Recipe: train.DefaultRecipe()}
	out, err := graph.ExecOnceN(b, func(l, lab, tgt *graph.Node) []*graph.Node {
		loss, m := obj.Loss(train.LossInput{Outputs: train.Outputs{Logits: l}, Labels: lab, Targets: map[string]*graph.Node{TargetName: tgt}, Config: cfg})
		return append([]*graph.Node{loss}, m...)
	}, logits, labels, y)
	if err != nil {
		t.Fatal(err)
	}
	got := float64(tensors.MustCopyFlatData[float32](out[0])[0])
	var ce, mx, mr float64
	for i := range 2 {
		lse := 0.0
		for c := range 3 {
			lse += math.Exp(float64(logits[i][c]))
		}
		lse = math.Log(lse)
		for c := range 3 {
			p := 0.1 / 3
			if int32(c) == labels[i] {
				p += 0.9
			}
			ce -= p * (float64(logits[i][c]) - lse)
		}
		mx += math.Pow(float64(logits[i][3]-y[i][0]), 2)
		mr += math.Pow(float64(logits[i][4]-y[i][1]), 2) + math.Pow(float64(logits[i][5]-y[i][2]), 2)
	}
	want := 2*ce/2 + mx/2 + 0.5*mr/4
	if math.Abs(got-want) > 1e-5 {
		t.Errorf("loss %.7f, by hand %.7f", got, want)
	}
}
