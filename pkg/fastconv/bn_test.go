package fastconv

import (
	"math/rand/v2"
	"testing"

	"github.com/gomlx/gomlx/core/graph"
)

// TestBatchNormMatchesDecomposed compares the native BatchNormForTraining / BatchNormGradient
// (fastconv backend) with the same normalization written with graph ops and differentiated by
// GoMLX (plain go backend), for the feature axis last and in the middle.
func TestBatchNormMatchesDecomposed(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for _, axis := range []int{3, 1} {
		x := randTensor(rng, 4, 5, 6, 7)
		c := x.Shape().Dimensions[axis]
		scale := randTensor(rng, c)
		offset := randTensor(rng, c)
		const eps = 1e-3
		expand := func(v *graph.Node) *graph.Node {
			dims := []int{1, 1, 1, 1}
			dims[axis] = c
			return graph.Reshape(v, dims...)
		}
		weights := func(y *graph.Node) *graph.Node {
			return graph.Sin(graph.MulScalar(graph.IotaFull(y.Graph(), y.Shape()), 0.37))
		}
		fast := func(in []*graph.Node) []*graph.Node {
			y, mean, variance := graph.InternalBatchNormForTraining(in[0], in[1], in[2], eps, axis)
			loss := graph.ReduceAllSum(graph.Mul(y, weights(y)))
			grads := graph.Gradient(loss, in[0], in[1], in[2])
			return append([]*graph.Node{y, mean, variance}, grads...)
		}
		ref := func(in []*graph.Node) []*graph.Node {
			x := in[0]
			var axes []int
			for i := range 4 {
				if i != axis {
					axes = append(axes, i)
				}
			}
			mean := graph.ReduceAndKeep(x, graph.ReduceMean, axes...)
			centered := graph.Sub(x, mean)
			variance := graph.ReduceAndKeep(graph.Square(centered), graph.ReduceMean, axes...)
			y := graph.Div(centered, graph.Sqrt(graph.AddScalar(variance, eps)))
			y = graph.Add(graph.Mul(y, expand(in[1])), expand(in[2]))
			loss := graph.ReduceAllSum(graph.Mul(y, weights(y)))
			grads := graph.Gradient(loss, in[0], in[1], in[2])
			return append([]*graph.Node{y, graph.Reshape(mean, c), graph.Reshape(variance, c)}, grads...)
		}
		var plain, fastOut [][]float32
		plain, _ = runOn(t, plainBackend, ref, x, scale, offset)
		fastOut, _ = runOn(t, fastBackend, fast, x, scale, offset)
		compareAll(t, []string{"y", "mean", "variance", "grad_x", "grad_scale", "grad_offset"}, plain, fastOut)
	}
}
