package models

import (
	"math"
	"testing"

	"github.com/coarsealign/coarsealign/pkg/backend"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// TestBatchNormGradient checks facts of the exact batch-norm gradient: the output is invariant
// to adding a constant to, or scaling, a channel of the input, so per channel the input gradient
// sums to zero over the batch and is orthogonal to the input (a gradient stopped at the batch
// statistics, as GoMLX's norm.BatchNorm, violates both). It also checks the running statistics
// update (momentum 0.9, unbiased variance: PyTorch's convention).
func TestBatchNormGradient(t *testing.T) {
	b, err := backend.New()
	if err != nil {
		t.Fatal(err)
	}
	const n, c = 6, 3
	x := make([]float32, n*c)
	w := make([]float32, n*c)
	for i := range x {
		x[i] = float32(math.Sin(float64(i)*1.7)) * float32(1+i%c)
		w[i] = float32(math.Cos(float64(i) * 0.9))
	}
	store := model.NewStore()
	exec, err := model.NewExec(b, store, func(scope *model.Scope, xn, wn *graph.Node) []*graph.Node {
		scope.Store().SetTraining(xn.Graph(), true)
		y := batchNorm(scope.In("bn"), xn, 0.9)
		loss := graph.ReduceAllSum(graph.Mul(y, wn))
		return []*graph.Node{y, graph.Gradient(loss, xn)[0]}
	})
	if err != nil {
		t.Fatal(err)
	}
	outs, err := exec.Call(tensors.FromFlatDataAndDimensions(x, n, c), tensors.FromFlatDataAndDimensions(w, n, c))
	if err != nil {
		t.Fatal(err)
	}
	y := tensors.MustCopyFlatData[float32](outs[0])
	gx := tensors.MustCopyFlatData[float32](outs[1])
	for ch := 0; ch < c; ch++ {
		var sum, dot, my, vy, mx float64
		for i := 0; i < n; i++ {
			sum += float64(gx[i*c+ch])
			dot += float64(gx[i*c+ch]) * float64(x[i*c+ch])
			my += float64(y[i*c+ch]) / n
			mx += float64(x[i*c+ch]) / n
		}
		for i := 0; i < n; i++ {
			vy += math.Pow(float64(y[i*c+ch])-my, 2) / n
		}
		if math.Abs(sum) > 1e-4 || math.Abs(dot) > 1e-4 {
			t.Errorf("channel %d: sum of input gradient %g, <gradient, x> %g; want 0", ch, sum, dot)
		}
		if math.Abs(my) > 1e-5 || math.Abs(vy-1) > 1e-3 {
			t.Errorf("channel %d: output mean %g variance %g; want 0, 1", ch, my, vy)
		}
		rm := tensors.MustCopyFlatData[float32](store.GetVariable("/bn/mean").MustValue())[ch]
		if !(math.Abs(float64(rm)-0.1*mx) <= 1e-5) {
			t.Errorf("channel %d: running mean %g, want 0.1*%g", ch, rm, mx)
		}
	}
}
