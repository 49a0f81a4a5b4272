package fastconv

import (
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
)

// Cheaper reverse-mode gradient for Max/Min, installed for the whole process when this package is
// imported. GoMLX's stock VJP builds Sign(Add(Sign(Sub(x, y)), 1)) and multiplies (5 elementwise
// passes per side, and Sign is slow on the go backend); this one computes the same values with one
// comparison and a Where per side: d/dx Max(x, y) = v where x >= y (ties go to x, as in GoMLX), and
// d/dy = v where x < y. Inputs with a shape different from the output (implicit broadcasting) use
// the stock VJP.
func init() {
	for _, nt := range []graph.NodeType{graph.NodeTypeMax, graph.NodeTypeMin} {
		orig := graph.VJPRegistration[nt]
		isMax := nt == graph.NodeTypeMax
		graph.VJPRegistration[nt] = func(node *graph.Node, vjpOutputs []*graph.Node, outputShape shapes.Shape) []*graph.Node {
			ins := node.Inputs()
			if len(ins) != 2 || len(vjpOutputs) != 1 || !ins[0].Shape().Equal(node.Shape()) || !ins[1].Shape().Equal(node.Shape()) {
				return orig(node, vjpOutputs, outputShape)
			}
			v := vjpOutputs[0]
			var side0 *graph.Node
			if isMax {
				side0 = graph.GreaterOrEqual(ins[0], ins[1])
			} else {
				side0 = graph.LessOrEqual(ins[0], ins[1])
			}
			zero := graph.ScalarZero(v.Graph(), v.DType())
			return []*graph.Node{graph.Where(side0, v, zero), graph.Where(side0, zero, v)}
		}
	}
}
