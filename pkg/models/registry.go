package models

import (
	"fmt"
	"slices"
	"sort"
	"sync"

	"github.com/coarsealign/coarsealign/pkg/arch"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// BuildFunc adds an architecture's network to the graph of images ([batch, InputSize,
// InputSize, Channels] float32, normalised). scope is the model's scope (ModelScope) with the
// kernel initializer of s.Init; dropout and batch statistics follow scope.IsTraining(graph).
// It returns the logits [batch, NumClasses] and the taps, in the order of s.TapNames().
type BuildFunc func(scope *model.Scope, s Spec, images *graph.Node) (logits *graph.Node, taps []Tap)

// Architecture is a buildable architecture: its description (package arch) and its builder.
//
// Adding an architecture is one file with one Register call in an init function, e.g.
//
//	func init() {
//		models.Register(models.Architecture{
//			Arch: &arch.Arch{Name: "tiny-cnn", Width: true, InputSizes: []int{32},
//				Taps: func(arch.Params) []string { return []string{"conv.post"} }, Penultimate: "conv.post"},
//			Default: func(k int, p arch.Params) models.Spec {
//				return models.Spec{NumClasses: k, InputSize: p.InputSize, Channels: 3, Width: p.Width}
//			},
//			Build: buildTinyCNN,
//		})
//	}
//
// after which sweep configs (archs: [{name: tiny-cnn, ...}]), pkg/sweep/study, pkg/train,
// pkg/features and the CLI's --model accept it (see TestToyArchitecture in internal/archtest).
type Architecture struct {
	// Arch describes the architecture. Register registers it in package arch too (a no-op for
	// the built-ins, which package arch describes itself).
	Arch *arch.Arch
	// Default returns the spec of the network with k outputs at the settings p (DefaultSpec
	// fills Arch if it is empty, and Init).
	Default func(k int, p arch.Params) Spec
	// Check, if set, reports the first inconsistent architecture-specific field of s; the
	// common fields (classes, channels, dropout, init, input size) are checked by Spec.Validate.
	Check func(s Spec) error
	// Taps, if set, returns the tap names of s in network order (for specs whose taps depend on
	// fields beyond arch.Params, e.g. the ViT's depth); nil means Arch.Taps(s.Params()).
	Taps func(s Spec) []string
	// Build adds the network to a graph.
	Build BuildFunc
	// TorchLayout, if set, lists the PyTorch state_dict entries of s and their variables
	// (see TorchLayout), so that ImportTorch can load a PyTorch twin's weights.
	TorchLayout func(s Spec) ([]TorchTensor, error)
}

var (
	regMu    sync.RWMutex
	builders = map[Arch]Architecture{}
)

// Register adds an architecture. It panics on a missing field or a name registered twice:
// programming errors, found at start-up.
func Register(a Architecture) {
	if a.Arch == nil || a.Default == nil || a.Build == nil {
		panic("models: Register needs Arch, Default and Build")
	}
	arch.Register(a.Arch)
	regMu.Lock()
	defer regMu.Unlock()
	name := Arch(a.Arch.Name)
	if _, dup := builders[name]; dup {
		panic(fmt.Sprintf("models: architecture %q registered twice", name))
	}
	builders[name] = a
}

// Lookup returns the registered architecture name.
func Lookup(name Arch) (Architecture, bool) {
	regMu.RLock()
	defer regMu.RUnlock()
	a, ok := builders[name]
	return a, ok
}

// Architectures returns the names of the buildable architectures, sorted.
func Architectures() []string {
	regMu.RLock()
	defer regMu.RUnlock()
	out := make([]string, 0, len(builders))
	for n := range builders {
		out = append(out, string(n))
	}
	sort.Strings(out)
	return out
}

func lookupSpec(s Spec) (Architecture, error) {
	if a, ok := Lookup(s.Arch); ok {
		return a, nil
	}
	return Architecture{}, fmt.Errorf("models: spec arch=%q, want one of %v", s.Arch, Architectures())
}

// DefaultSpec returns the spec of architecture name with k outputs at the sweep's settings p
// and weight initialisation init ("" is InitTorch), validated: what the sweep (pkg/sweep/study)
// and the CLI train.
func DefaultSpec(name Arch, k int, p arch.Params, init string) (Spec, error) {
	a, ok := Lookup(name)
	if !ok {
		return Spec{}, fmt.Errorf("models: architecture %q, want one of %v", name, Architectures())
	}
	if err := a.Arch.Check(p); err != nil {
		return Spec{}, fmt.Errorf("models: %w", err)
	}
	s := a.Default(k, p)
	if s.Arch == "" {
		s.Arch = name
	}
	s.Init = init
	return s, s.Validate()
}

// Params returns the sweep-level settings of s.
func (s Spec) Params() arch.Params { return arch.Params{Width: s.Width, InputSize: s.InputSize} }

// Penultimate returns the name of the tap before the classification head (arch.Arch.Penultimate),
// or "" for an unknown architecture.
func (s Spec) Penultimate() string {
	if a, ok := Lookup(s.Arch); ok {
		return a.Arch.Penultimate
	}
	return ""
}

// checkTaps panics unless the builder of s returned the taps TapNames announces.
func checkTaps(s Spec, taps []Tap) {
	want := s.TapNames()
	got := make([]string, len(taps))
	for i, t := range taps {
		got[i] = t.Name
	}
	if !slices.Equal(got, want) {
		panic(fmt.Sprintf("models: %s built taps %v, its TapNames are %v", s.Arch, got, want))
	}
}
