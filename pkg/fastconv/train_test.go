package fastconv

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/layers"
	"github.com/gomlx/gomlx/ml/layers/norm"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train"
	"github.com/gomlx/gomlx/ml/train/loss"
	"github.com/gomlx/gomlx/ml/train/optimizer"
)

// TestTrainingDoesNotHang trains a small CNN (conv/BN/ReLU/max-pool/global pool/dense, the layer
// mix of the project's models) for a few Adam steps on the fastconv backend built by NewBackend
// settings (parallelism=-1). A watchdog fails the test if any step takes more than a minute: the
// executor deadlock seen with the default worker pool left steps blocked forever at 0% CPU.
// Run it under `go test -timeout` as well.
func TestTrainingDoesNotHang(t *testing.T) {
	backend, err := New("")
	must(err)
	store := model.NewStore()
	store.SetParam(model.ParamInitialSeed, int64(3))
	modelFn := func(scope *model.Scope, x *graph.Node) *graph.Node {
		for i, ch := range []int{16, 32} {
			s := scope.In("conv%d", i)
			x = Conv2D(s, x, ch, 3, NoBias())
			x = norm.BatchNorm(s, x, -1).Done()
			x = MaxPool2x2(Relu(x))
		}
		x = Conv2D(scope.In("conv2"), x, 32, 3, Stride(2))
		x = GlobalAvgPool(Relu(x))
		x = layers.DropoutStatic(scope.In("drop"), x, 0.3)
		return layers.DenseWithBias(scope.In("out"), x, 4)
	}
	trainer := train.NewTrainer(backend, store, modelFn, loss.SparseCategoricalCrossEntropyLogits,
		optimizer.Adam().LearningRate(3e-3).Done(), nil, nil)
	rng := rand.New(rand.NewPCG(9, 9))
	const batch, size = 16, 16
	images := make([]float32, batch*size*size*3)
	labels := make([]int32, batch)
	for i := range labels {
		labels[i] = int32(i % 4)
		// Class-dependent mean so the loss can go down.
		for j := range size * size * 3 {
			images[i*size*size*3+j] = float32(rng.NormFloat64()) + float32(labels[i])
		}
	}
	var losses []float32
	for step := range 6 {
		done := make(chan error, 1)
		go func() {
			x := tensors.FromFlatDataAndDimensions(append([]float32(nil), images...), batch, size, size, 3)
			y := tensors.FromFlatDataAndDimensions(append([]int32(nil), labels...), batch, 1)
			metrics, err := trainer.TrainStep(train.Batch{Inputs: []*tensors.Tensor{x}, Labels: []*tensors.Tensor{y}})
			if err == nil {
				losses = append(losses, tensors.MustCopyFlatData[float32](metrics[0])[0])
			}
			done <- err
		}()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("step %d: %+v", step, err)
			}
		case <-time.After(time.Minute):
			t.Fatalf("training step %d did not finish in a minute (executor hang?)", step)
		}
	}
	t.Logf("losses: %v", losses)
	for _, l := range losses {
		if math.IsNaN(float64(l)) || math.IsInf(float64(l), 0) {
			t.Fatalf("non-finite loss: %v", losses)
		}
	}
	if losses[len(losses)-1] >= losses[0] {
		t.Errorf("loss did not decrease: %v", losses)
	}
}
