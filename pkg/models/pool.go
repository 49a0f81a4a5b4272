package models

import (
	"fmt"

	"github.com/coarsealign/coarsealign/pkg/fastconv"
	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/graph"
)

// maxPool is a window x window max pool with the given stride over [batch, H, W, C], no padding.
// On backends that can differentiate graph.MaxPool (SelectAndScatterMax: XLA, the fastconv
// wrapper) it is fastconv.MaxPool; otherwise (plain pure-Go backend) non-overlapping pools are
// built from Reshape + ReduceMax, which differentiate everywhere.
func maxPool(x *graph.Node, window, stride int) *graph.Node {
	caps := x.Graph().Backend().Capabilities()
	if caps.Operations[compute.OpTypeSelectAndScatterMax] && caps.Operations[compute.OpTypeReduceWindow] {
		return fastconv.MaxPool(x, window, stride)
	}
	if window != stride {
		panic(fmt.Sprintf("models: overlapping max pool (window %d, stride %d) needs a backend with SelectAndScatterMax (XLA or fastconv)", window, stride))
	}
	d := x.Shape().Dimensions
	b, h, w, c := d[0], d[1]/window, d[2]/window, d[3]
	if h*window != d[1] || w*window != d[2] {
		x = graph.Slice(x, graph.AxisRange(), graph.AxisRange(0, h*window), graph.AxisRange(0, w*window))
	}
	return graph.ReduceMax(graph.Reshape(x, b, h, window, w, window, c), 2, 4)
}
