package models

import (
	"github.com/coarsealign/coarsealign/pkg/fastconv"
	"github.com/gomlx/gomlx/core/graph"
)

// maxPool is a window x window max pool with the given stride over [batch, H, W, C], no padding:
// fastconv.MaxPool (graph.MaxPool on backends with SelectAndScatterMax: XLA, the fastgo wrapper;
// Reshape + ReduceMax for non-overlapping pools on the plain go backend, where overlapping ones
// panic).
func maxPool(x *graph.Node, window, stride int) *graph.Node {
	return fastconv.MaxPool(x, window, stride)
}
