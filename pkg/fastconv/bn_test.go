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

// TestBatchNormInference compares the native BatchNormForInference with its formula.
func TestBatchNormInference(t *testing.T) {
	rng := rand.New(rand.NewPCG(19, 20))
	x := randTensor(rng, 3, 4, 5, 6)
	scale, offset, mean := randTensor(rng, 6), randTensor(rng, 6), randTensor(rng, 6)
	variance := randTensor(rng, 6)
	const eps = 1e-3
	fast := func(in []*graph.Node) []*graph.Node {
		v := graph.AddScalar(graph.Abs(in[4]), 0.1)
		return []*graph.Node{graph.InternalBatchNormForInference(in[0], in[1], in[2], in[3], v, eps, 3)}
	}
	ref := func(in []*graph.Node) []*graph.Node {
		v := graph.AddScalar(graph.Abs(in[4]), 0.1)
		e := func(n *graph.Node) *graph.Node { return graph.Reshape(n, 1, 1, 1, 6) }
		y := graph.Div(graph.Sub(in[0], e(in[3])), graph.Sqrt(graph.AddScalar(e(v), eps)))
		return []*graph.Node{graph.Add(graph.Mul(y, e(in[1])), e(in[2]))}
	}
	plain, _ := runOn(t, plainBackend, ref, x, scale, offset, mean, variance)
	fastOut, _ := runOn(t, fastBackend, fast, x, scale, offset, mean, variance)
	compareAll(t, []string{"y"}, plain, fastOut)
}
