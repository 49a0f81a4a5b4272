// Package arch describes the model architectures without building them: a name, whether the
// width setting scales the network, the input sizes it is built for, its layer taps in network
// order and its penultimate tap. It imports only the standard library, so the sweep's config
// validation (pkg/sweep, which must not depend on GoMLX), the study (pkg/sweep/study) and the
// CLI read one list.
//
// The builders live in pkg/models: models.Register takes an architecture's description and its
// builder and registers the description here too, so adding an architecture is one file in
// pkg/models (or in any package the program imports) with one models.Register call. The two
// built-in architectures, AlexNetBN and ViT, are described in this package so that GoMLX-free
// programs (the sweep's tests and tools) know them as well.
package arch

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"sync"
)

// Params are the settings of an architecture that a sweep varies (sweep.Arch).
type Params struct {
	// Width multiplies channel counts and hidden widths (1 = the reference network); only for
	// architectures with Arch.Width, others ignore it.
	Width float64
	// InputSize is the side of the square input images in pixels.
	InputSize int
}

// Arch describes an architecture.
type Arch struct {
	// Name identifies the architecture in configs, run folders and the CLI ("alexnet-bn").
	Name string
	// Summary is a one-line description (the CLI's help).
	Summary string
	// Width reports whether Params.Width scales the network; architectures without it ignore
	// the setting.
	Width bool
	// MinWidth and MaxWidth, if > 0, bound Params.Width for an architecture with Width (Check):
	// below MinWidth layers would round to no channel and be clamped, above MaxWidth the network
	// is far beyond what it is meant for (a typo such as 25 for 0.25 would try to allocate
	// hundreds of gigabytes). Zero means no bound besides a finite width > 0.
	MinWidth, MaxWidth float64
	// InputSizes lists the input sizes the architecture is built for, increasing; nil means any
	// size >= MinInputSize that CheckInput (if set) accepts.
	InputSizes []int
	// CheckInput, if set, reports why an input size does not fit (used when InputSizes is nil).
	CheckInput func(size int) error
	// Taps returns the names of the layer taps of the network built for p, in network order
	// (the activations pkg/models' Build returns and pkg/features extracts).
	Taps func(p Params) []string
	// Penultimate is the tap before the classification head: the embedding of the training
	// images for the network label sources (the study: AlexNet's fc7 after ReLU).
	Penultimate string
}

// MinInputSize is the smallest input size of any architecture.
const MinInputSize = 8

// Weight initialisations (models.Spec.Init, sweep.Arch.Init), common to every architecture.
const (
	// InitTorch is PyTorch's default initialisation of nn.Conv2d and nn.Linear (the study's).
	InitTorch = "torch"
	// InitHeNormal is GoMLX's default (kernels N(0, 2/fan_in), biases 0).
	InitHeNormal = "he-normal"
)

// Inits lists the weight initialisations, the default first.
var Inits = []string{InitTorch, InitHeNormal}

// IsInit reports whether name is one of Inits.
func IsInit(name string) bool { return slices.Contains(Inits, name) }

// CheckInputSize reports whether the architecture is built for size x size inputs.
func (a *Arch) CheckInputSize(size int) error {
	if size < MinInputSize {
		return fmt.Errorf("%s input size %d: want >= %d", a.Name, size, MinInputSize)
	}
	if a.InputSizes != nil {
		if !slices.Contains(a.InputSizes, size) {
			return fmt.Errorf("%s input size %d: want one of %v", a.Name, size, a.InputSizes)
		}
		return nil
	}
	if a.CheckInput != nil {
		if err := a.CheckInput(size); err != nil {
			return fmt.Errorf("%s input size %d: %w", a.Name, size, err)
		}
	}
	return nil
}

// CheckWidth reports whether the architecture accepts width: finite and > 0 always, within
// [MinWidth, MaxWidth] for an architecture with Width.
func (a *Arch) CheckWidth(width float64) error {
	if !(width > 0) || math.IsInf(width, 0) {
		return fmt.Errorf("%s width %v: want a finite value > 0", a.Name, width)
	}
	if !a.Width {
		return nil
	}
	if a.MinWidth > 0 && width < a.MinWidth {
		return fmt.Errorf("%s width %v: want >= %v (narrower, its smallest layers would have no channel)", a.Name, width, a.MinWidth)
	}
	if a.MaxWidth > 0 && width > a.MaxWidth {
		return fmt.Errorf("%s width %v: want <= %v (1 is the reference network)", a.Name, width, a.MaxWidth)
	}
	return nil
}

// Check reports the first setting of p that does not fit the architecture; CheckAll reports
// every one.
func (a *Arch) Check(p Params) error {
	if err := a.CheckWidth(p.Width); err != nil {
		return err
	}
	return a.CheckInputSize(p.InputSize)
}

// CheckAll reports every setting of p that does not fit the architecture (width, input
// size), joined (errors.Join); nil if p fits.
func (a *Arch) CheckAll(p Params) error {
	return errors.Join(a.CheckWidth(p.Width), a.CheckInputSize(p.InputSize))
}

var (
	mu       sync.RWMutex
	registry = map[string]*Arch{}
)

// Register adds a to the registry. Registering the same description again is a no-op (pkg/models
// registers the built-ins' descriptions with their builders); another description under a
// registered name panics, as does a description without a name, Taps or Penultimate, or whose
// penultimate tap is not among its taps at its smallest input size: programming errors.
func Register(a *Arch) {
	if a == nil || a.Name == "" || a.Taps == nil || a.Penultimate == "" {
		panic(fmt.Sprintf("arch: Register(%+v): name, Taps and Penultimate are required", a))
	}
	if strings.ContainsAny(a.Name, " ,\t\n") {
		panic(fmt.Sprintf("arch: Register: name %q contains spaces or commas", a.Name))
	}
	if p, ok := a.sample(); ok && !slices.Contains(a.Taps(p), a.Penultimate) {
		panic(fmt.Sprintf("arch: Register(%s): penultimate tap %q is not among its taps %v", a.Name, a.Penultimate, a.Taps(p)))
	}
	mu.Lock()
	defer mu.Unlock()
	if old, dup := registry[a.Name]; dup {
		if old == a {
			return
		}
		panic(fmt.Sprintf("arch: architecture %q registered twice", a.Name))
	}
	registry[a.Name] = a
}

// sample returns settings the architecture accepts (width 1, the smallest valid input size).
func (a *Arch) sample() (Params, bool) {
	if len(a.InputSizes) > 0 {
		return Params{Width: 1, InputSize: a.InputSizes[0]}, true
	}
	for s := MinInputSize; s <= 1024; s++ {
		if a.CheckInput == nil || a.CheckInput(s) == nil {
			return Params{Width: 1, InputSize: s}, true
		}
	}
	return Params{}, false
}

// Lookup returns the registered architecture name.
func Lookup(name string) (*Arch, bool) {
	mu.RLock()
	defer mu.RUnlock()
	a, ok := registry[name]
	return a, ok
}

// Get is Lookup with an error naming the registered architectures.
func Get(name string) (*Arch, error) {
	if a, ok := Lookup(name); ok {
		return a, nil
	}
	return nil, fmt.Errorf("unknown architecture %q (registered: %s)", name, strings.Join(Names(), ", "))
}

// Names returns the registered names, sorted.
func Names() []string {
	mu.RLock()
	defer mu.RUnlock()
	out := make([]string, 0, len(registry))
	for n := range registry {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
