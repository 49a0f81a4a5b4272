package ssl

import (
	"fmt"

	"github.com/coarsealign/coarsealign/pkg/models"
	"github.com/coarsealign/coarsealign/pkg/train"
	"github.com/gomlx/compute"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/layers/activation"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/nn"
)

// Options configure SimCLR. The zero value of a field means its default.
type Options struct {
	// Tap is the representation the projection head reads (default: the architecture's
	// penultimate tap, e.g. AlexNet-BN's fc7.post, the ViT's head.pre): what the sweep's
	// features and a linear probe evaluate.
	Tap string
	// Hidden and Out are the widths of the projection head Dense-ReLU-Dense (default: the
	// tap's width, and 128 as in SimCLR).
	Hidden, Out int
	// Temperature of NT-Xent (default 0.5, SimCLR's CIFAR-10 setting at batch 256-512).
	Temperature float64
}

func (o Options) withDefaults(spec models.Spec) Options {
	if o.Tap == "" {
		o.Tap = spec.Penultimate()
	}
	if o.Out == 0 {
		o.Out = 128
	}
	if o.Temperature == 0 {
		o.Temperature = 0.5
	}
	return o
}

// Name is the objective's name for these options, part of a run's identity.
func (o Options) Name() string {
	return fmt.Sprintf("simclr:tap=%s,hidden=%d,out=%d,tau=%g", o.Tap, o.Hidden, o.Out, o.Temperature)
}

// SimCLR returns the SimCLR objective for networks of spec: the batch's images are 2N views
// (TwoViews: rows i and i+N are one image), the projection head g (Dense-ReLU-Dense, variables
// under /objective/projection, trained with the network and saved in its checkpoints, not used
// by feature extraction) maps the tap to z, and the loss is NTXent(z, Temperature). It reports
// "accuracy": the fraction of views whose nearest other view (cosine) is their partner. The
// labels are not read, and the network's classification head receives no gradient.
func SimCLR(spec models.Spec, o Options) train.Objective {
	o = o.withDefaults(spec)
	return train.Objective{
		Name:    o.Name(),
		Metrics: []string{"accuracy"},
		Loss: func(in train.LossInput) (*graph.Node, []*graph.Node) {
			h := in.Tap(o.Tap)
			if h.Rank() != 2 {
				panic(fmt.Sprintf("ssl: SimCLR tap %q has shape %v, want [batch, units]", o.Tap, h.Shape().Dimensions))
			}
			hidden := o.Hidden
			if hidden == 0 {
				hidden = h.Shape().Dimensions[1]
			}
			sc := in.Scope.In("objective").In("projection")
			z := activation.Relu(projDense(sc.In("fc1"), h, hidden))
			z = projDense(sc.In("fc2"), z, o.Out)
			loss, acc := NTXent(z, o.Temperature)
			return loss, []*graph.Node{acc}
		},
	}
}

// projDense is x [n, in] times "weights" [in, out] plus "biases" [out] (GoMLX's default
// initialiser of the scope; weights decayed like every kernel).
func projDense(scope *model.Scope, x *graph.Node, out int) *graph.Node {
	in := x.Shape().Dimensions[1]
	sc := scope.In("dense")
	w := sc.VariableWithShape("weights", shapes.Make(x.DType(), in, out)).NodeValue(x.Graph())
	b := sc.VariableWithShape("biases", shapes.Make(x.DType(), out)).NodeValue(x.Graph())
	return nn.Dense(x, w, b, compute.DenseLayoutInputOutputs)
}
