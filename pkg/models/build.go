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
	return build(scope, s, images, false)
}

// BuildShared is Build a second time in the same graph, from the scope of a first Build: the
// same variables (scope.Shared(ModelScope)) applied to other images, e.g. a stimulus-set batch
// of a training objective beside the training batch.
func BuildShared(scope *model.Scope, s Spec, images *graph.Node) (logits *graph.Node, taps []Tap) {
	return build(scope, s, images, true)
}

func build(scope *model.Scope, s Spec, images *graph.Node, shared bool) (logits *graph.Node, taps []Tap) {
	if err := s.Validate(); err != nil {
		panic(err)
	}
	d := images.Shape().Dimensions
	if len(d) != 4 || d[1] != s.InputSize || d[2] != s.InputSize || d[3] != s.Channels {
		panic(fmt.Sprintf("models: images shape %v, want [batch, %d, %d, %d]", d, s.InputSize, s.InputSize, s.Channels))
	}
	a, _ := Lookup(s.Arch) // Validate found it
	sc := scope.In
	if shared {
		sc = scope.Shared
	}
	logits, taps = a.Build(withInit(sc(ModelScope), s), s, images)
	if d := logits.Shape().Dimensions; len(d) != 2 || d[0] != images.Shape().Dimensions[0] || d[1] != s.NumClasses {
		panic(fmt.Sprintf("models: %s built logits of shape %v, want [batch, %d]", s.Arch, d, s.NumClasses))
	}
	checkTaps(s, taps)
	return logits, taps
}

// Logits is Build without the taps (for callers that need only the outputs; training
// objectives get the taps too, see package train).
func Logits(scope *model.Scope, s Spec, images *graph.Node) *graph.Node {
	l, _ := Build(scope, s, images)
	return l
}
