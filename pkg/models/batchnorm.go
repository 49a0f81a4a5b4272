package models

import (
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/initializer"
)

// bnEpsilon is PyTorch's BatchNorm default eps.
const bnEpsilon = 1e-5

// batchNorm normalises x over all axes but the last (channels/units), as PyTorch's
// BatchNorm1d/2d. In training the batch statistics are used and differentiated through (the
// exact batch-norm gradient; GoMLX's norm.BatchNorm stops the gradient at the batch mean and
// variance, which made training collapse at the study's learning rate), and the running
// statistics are updated as running = momentum*running + (1-momentum)*batch, with the unbiased
// batch variance for the running variance (PyTorch; momentum 0.9 here = PyTorch's 0.1). In
// inference the running statistics are used. Variables (in scope): "scale" (init 1) and
// "offset" (init 0), trainable; "mean" (0) and "variance" (1), not trainable.
func batchNorm(scope *model.Scope, x *graph.Node, momentum float64) *graph.Node {
	g := x.Graph()
	dtype := x.DType()
	rank := x.Rank()
	c := x.Shape().Dimensions[rank-1]
	vshape := shapes.Make(dtype, c)
	scale := scope.WithInitializer(initializer.One).VariableWithShape("scale", vshape).SetTrainable(true)
	offset := scope.WithInitializer(initializer.Zero).VariableWithShape("offset", vshape).SetTrainable(true)
	runMean := scope.WithInitializer(initializer.Zero).VariableWithShape("mean", vshape).SetTrainable(false)
	runVar := scope.WithInitializer(initializer.One).VariableWithShape("variance", vshape).SetTrainable(false)
	axes := make([]int, rank-1)
	bdims := make([]int, rank)
	for i := range axes {
		axes[i] = i
		bdims[i] = 1
	}
	bdims[rank-1] = c
	var mean, variance *graph.Node
	if scope.IsTraining(g) {
		mean = graph.ReduceMean(x, axes...)
		centred := graph.Sub(x, graph.Reshape(mean, bdims...))
		variance = graph.ReduceMean(graph.Square(centred), axes...)
		n := x.Shape().Size() / c
		unbiased := graph.MulScalar(graph.StopGradient(variance), float64(n)/float64(max(n-1, 1)))
		runMean.SetNodeValue(graph.Add(graph.MulScalar(runMean.NodeValue(g), momentum),
			graph.MulScalar(graph.StopGradient(mean), 1-momentum)))
		runVar.SetNodeValue(graph.Add(graph.MulScalar(runVar.NodeValue(g), momentum),
			graph.MulScalar(unbiased, 1-momentum)))
	} else {
		mean, variance = runMean.NodeValue(g), runVar.NodeValue(g)
	}
	inv := graph.Div(scale.NodeValue(g), graph.Sqrt(graph.AddScalar(variance, bnEpsilon)))
	y := graph.Mul(graph.Sub(x, graph.Reshape(mean, bdims...)), graph.Reshape(inv, bdims...))
	return graph.Add(y, graph.Reshape(offset.NodeValue(g), bdims...))
}
