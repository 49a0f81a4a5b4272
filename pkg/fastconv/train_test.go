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

// newTrainer is an Adam trainer (learning rate lr, sparse softmax cross-entropy) of modelFn on
// fastBackend, initialised from seed.
func newTrainer(seed int64, lr float64, modelFn func(*model.Scope, *graph.Node) *graph.Node) *train.Trainer {
	store := model.NewStore()
	store.SetParam(model.ParamInitialSeed, seed)
	return train.NewTrainer(fastBackend, store, modelFn, loss.SparseCategoricalCrossEntropyLogits,
		optimizer.Adam().LearningRate(lr).Done(), nil, nil)
}

// trainStep runs one step on copies of images [batch, size, size, 3] and labels [batch] and
// returns the loss.
func trainStep(tr *train.Trainer, images []float32, labels []int32, size int) (float32, error) {
	x := tensors.FromFlatDataAndDimensions(append([]float32(nil), images...), len(labels), size, size, 3)
	y := tensors.FromFlatDataAndDimensions(append([]int32(nil), labels...), len(labels), 1)
	metrics, err := tr.TrainStep(train.Batch{Inputs: []*tensors.Tensor{x}, Labels: []*tensors.Tensor{y}})
	if err != nil {
		return 0, err
	}
	return tensors.MustCopyFlatData[float32](metrics[0])[0], nil
}

// TestTrainingDoesNotHang trains a small CNN (conv/BN/ReLU/max-pool/global pool/dense, the layer
// mix of the project's models) for a few Adam steps on the fastgo backend with its default
// settings (parallelism=-1). A watchdog fails the test if any step takes more than a minute: the
// executor deadlock seen with the default worker pool left steps blocked forever at 0% CPU.
// Run it under `go test -timeout` as well.
func TestTrainingDoesNotHang(t *testing.T) {
	trainer := newTrainer(3, 3e-3, func(scope *model.Scope, x *graph.Node) *graph.Node {
		for i, ch := range []int{16, 32} {
			s := scope.In("conv%d", i)
			x = Conv2D(s, x, ch, 3, NoBias())
			// The graph formulation (as pkg/models' batchNorm): fastgo has no batch-norm ops.
			x = norm.BatchNorm(s, x, -1).UseBackendInference(false).Done()
			x = MaxPool2x2(Relu(x))
		}
		x = Conv2D(scope.In("conv2"), x, 32, 3, Stride(2))
		x = GlobalAvgPool(Relu(x))
		x = layers.DropoutStatic(scope.In("drop"), x, 0.3)
		return layers.DenseWithBias(scope.In("out"), x, 4)
	})
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
			l, err := trainStep(trainer, images, labels, size)
			if err == nil {
				losses = append(losses, l)
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

// BenchmarkTrainStepCNN3 is one Adam step of bench/train's cnn3-32 workload (3x3 convs
// 32/64/128, ReLU, 2x2 max-pool, global average pool, dense 10; batch 64 of 32x32x3) on the
// fastgo backend, compilation excluded.
func BenchmarkTrainStepCNN3(b *testing.B) {
	trainer := newTrainer(1, 1e-3, func(scope *model.Scope, x *graph.Node) *graph.Node {
		for i, ch := range []int{32, 64, 128} {
			x = Conv2D(scope.In("conv%d", i), x, ch, 3)
			x = MaxPool2x2(Relu(x))
		}
		return layers.DenseWithBias(scope.In("dense"), GlobalAvgPool(x), 10)
	})
	rng := rand.New(rand.NewPCG(1, 2))
	const batch, size = 64, 32
	images := make([]float32, batch*size*size*3)
	for i := range images {
		images[i] = float32(rng.NormFloat64())
	}
	labels := make([]int32, batch)
	for i := range labels {
		labels[i] = int32(i % 10)
	}
	if _, err := trainStep(trainer, images, labels, size); err != nil { // compile
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		if _, err := trainStep(trainer, images, labels, size); err != nil {
			b.Fatal(err)
		}
	}
}
