package models

import (
	"fmt"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// Tap is a named activation inside a model: Node is [batch, ...] (e.g. [batch, H, W, C] for a
// conv layer, [batch, units] for an FC layer, [batch, tokens, dim] for a transformer block).
type Tap struct {
	Name string
	Node *graph.Node
}

// ModelScope is the scope (under the root) holding every model variable.
const ModelScope = "model"

// Build adds the model described by s to the graph of images, with its variables in
// scope.In(ModelScope). images is [batch, InputSize, InputSize, Channels] float32, normalised.
// It returns the logits [batch, NumClasses] and the taps in the order of s.TapNames().
// Dropout and batch-norm statistics follow scope.IsTraining(graph).
// It panics (package prefix) if s is invalid or images has the wrong shape: a caller bug.
func Build(scope *model.Scope, s Spec, images *graph.Node) (logits *graph.Node, taps []Tap) {
	if err := s.Validate(); err != nil {
		panic(err)
	}
	d := images.Shape().Dimensions
	if len(d) != 4 || d[1] != s.InputSize || d[2] != s.InputSize || d[3] != s.Channels {
		panic(fmt.Sprintf("models: images shape %v, want [batch, %d, %d, %d]", d, s.InputSize, s.InputSize, s.Channels))
	}
	scope = withInit(scope.In(ModelScope), s)
	switch s.Arch {
	case AlexNetBN:
		return buildAlexNetBN(scope, s, images)
	case ViT:
		return buildViT(scope, s, images)
	}
	panic("models: unreachable")
}

// Logits is Build without the taps.
func Logits(scope *model.Scope, s Spec, images *graph.Node) *graph.Node {
	l, _ := Build(scope, s, images)
	return l
}
