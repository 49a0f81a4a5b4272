package archtest

// This file is the whole of a new architecture: its description and builder, registered in one
// call. Nothing else in the repository names it, yet sweep configs, pkg/sweep/study, pkg/train
// and pkg/features accept it (TestToyArchitecture).

import (
	"math"

	"github.com/coarsealign/coarsealign/pkg/arch"
	"github.com/coarsealign/coarsealign/pkg/models"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/layers"
	"github.com/gomlx/gomlx/ml/layers/activation"
	"github.com/gomlx/gomlx/ml/model"
)

// toyConv is a 1-conv network: a 3x3 convolution with round(8*width) channels, ReLU, global
// average pooling and a linear head.
const toyConv = "toy-conv"

func init() {
	models.Register(models.Architecture{
		Arch: &arch.Arch{
			Name:        toyConv,
			Summary:     "one 3x3 convolution, ReLU, global average pool, linear head (a test architecture)",
			Width:       true,
			InputSizes:  []int{16, 32},
			Taps:        func(arch.Params) []string { return []string{"conv.pre", "conv.post", "pool"} },
			Penultimate: "pool",
		},
		Default: func(k int, p arch.Params) models.Spec {
			return models.Spec{NumClasses: k, InputSize: p.InputSize, Channels: 3, Width: p.Width}
		},
		Build: func(scope *model.Scope, s models.Spec, x *graph.Node) (*graph.Node, []models.Tap) {
			c := max(1, int(math.Round(8*s.Width)))
			pre := layers.Convolution(scope.In("conv"), x).Filters(c).KernelSize(3).PadSame().UseBias(true).Done()
			post := activation.Relu(pre)
			pool := graph.ReduceMean(post, 1, 2)
			logits := layers.Dense(scope.In("head"), pool, true, s.NumClasses)
			return logits, []models.Tap{{Name: "conv.pre", Node: pre}, {Name: "conv.post", Node: post}, {Name: "pool", Node: pool}}
		},
	})
}
