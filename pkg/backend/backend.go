// Package backend selects the GoMLX compute backend used for training and feature extraction.
//
// The default is GoMLX's pure-Go backend (no C libraries) wrapped by package fastconv/fastgo
// (native im2col convolution and max-pool kernels with gradients) and configured with
// DefaultGoConfig, which avoids an executor deadlock seen with the default worker pool (every
// worker held a matmul waiting for a free worker). This package is the one backend selector.
// Setting GOMLX_BACKEND=xla, xla:cpu or xla:cuda selects XLA, which needs a PJRT plugin
// (.so) on the machine; New reports a one-line error naming the places searched when none is
// present, instead of letting go-xla try (and fail) to download one.
package backend

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/coarsealign/coarsealign/pkg/fastconv/fastgo"
	"github.com/gomlx/compute"
	"github.com/gomlx/compute/gobackend"
)

// EnvVar is the environment variable read by New (the one GoMLX itself reads).
const EnvVar = compute.ConfigEnvVar // "GOMLX_BACKEND"

// DefaultGoConfig is the configuration given to the pure-Go backend when GOMLX_BACKEND is
// unset or names the go backend without options: one worker per core and no nested pool
// (parallelism=-1), the setting that avoided the executor hang in every run we made.
const DefaultGoConfig = fastgo.DefaultInnerConfig

// Kind names a family of backends.
type Kind int

const (
	// Go is GoMLX's pure-Go backend (package github.com/gomlx/compute/gobackend) inside the
	// fastconv wrapper.
	Go Kind = iota
	// XLA is the OpenXLA/PJRT backend (package github.com/gomlx/go-xla/compute/xla), CPU or CUDA.
	XLA
)

// Choice is a parsed GOMLX_BACKEND value.
type Choice struct {
	Kind   Kind
	Name   string // backend name registered in compute ("go", "xla").
	Config string // text after the first ':', e.g. "cuda" or "parallelism=2".
}

// Parse interprets a GOMLX_BACKEND value. Empty means the pure-Go backend with
// DefaultGoConfig; "go" or "go:CONFIG" (also "fastgo[:CONFIG]", the same thing); "xla", "xla:cpu", "xla:cuda" (or any xla:PLUGIN).
// Other names are rejected with an error.
func Parse(value string) (Choice, error) {
	name, config, _ := strings.Cut(strings.TrimSpace(value), ":")
	switch name {
	case "", gobackend.BackendName, fastgo.BackendName:
		if config == "" {
			config = DefaultGoConfig
		}
		return Choice{Kind: Go, Name: gobackend.BackendName, Config: config}, nil
	case "xla", "stablehlo", "hlo", "shlo":
		return Choice{Kind: XLA, Name: "xla", Config: config}, nil
	}
	return Choice{}, fmt.Errorf("backend: unknown %s=%q (want go, go:CONFIG, xla, xla:cpu or xla:cuda)", EnvVar, value)
}

// PluginDirs returns the directories searched for PJRT plugins, in order:
// the entries of PJRT_PLUGIN_LIBRARY_PATH (':'-separated), ~/.local/lib/go-xla and
// /usr/local/lib/go-xla (the places go-xla itself searches).
func PluginDirs() []string {
	var dirs []string
	for _, d := range filepath.SplitList(os.Getenv("PJRT_PLUGIN_LIBRARY_PATH")) {
		if d != "" {
			dirs = append(dirs, d)
		}
	}
	if home, err := os.UserHomeDir(); err == nil {
		dirs = append(dirs, filepath.Join(home, ".local", "lib", "go-xla"))
	}
	return append(dirs, "/usr/local/lib/go-xla")
}

// FindPlugin returns the path of a PJRT plugin file for the given platform ("cpu", "cuda";
// empty matches any) in PluginDirs or one level below them (go-xla installs CUDA under
// nvidia/), or "" if there is none. Plugin files are named pjrt_c_api_<platform>_plugin.so
// (or pjrt-plugin-*.so / *.dylib on other layouts).
func FindPlugin(platform string) string {
	for _, dir := range PluginDirs() {
		for _, pattern := range []string{"*.so", "*/*.so", "*.dylib", "*/*.dylib"} {
			matches, _ := filepath.Glob(filepath.Join(dir, pattern))
			for _, m := range matches {
				base := strings.ToLower(filepath.Base(m))
				if !strings.Contains(base, "pjrt") {
					continue
				}
				if platform == "" || strings.Contains(base, strings.ToLower(platform)) {
					return m
				}
			}
		}
	}
	return ""
}

// xlaAvailable is set by xla.go when the XLA backend is compiled in (cgo builds).
var xlaAvailable bool

var (
	mu     sync.Mutex
	cached = map[string]compute.Backend{}
)

// New returns the backend selected by GOMLX_BACKEND (see Parse). Backends are cached per
// configuration, so repeated calls share one backend (and its compiled executables).
func New() (compute.Backend, error) {
	return NewFromConfig(os.Getenv(EnvVar))
}

// NewFromConfig is New for an explicit configuration string instead of GOMLX_BACKEND.
func NewFromConfig(value string) (compute.Backend, error) {
	c, err := Parse(value)
	if err != nil {
		return nil, err
	}
	key := c.Name + ":" + c.Config + ":" + os.Getenv(PlainGoEnvVar)
	mu.Lock()
	defer mu.Unlock()
	if b, ok := cached[key]; ok {
		return b, nil
	}
	var b compute.Backend
	switch c.Kind {
	case Go:
		b, err = newGo(c.Config)
	case XLA:
		b, err = newXLA(c)
	}
	if err != nil {
		return nil, err
	}
	cached[key] = b
	return b, nil
}

// MustNew is New that panics on error, for notebooks.
func MustNew() compute.Backend {
	b, err := New()
	if err != nil {
		panic(err)
	}
	return b
}

// PlainGoEnvVar, when set to 1, makes New return the plain pure-Go backend without the
// fastconv wrapper (stock convolutions: slow, and max-pool gradients only through
// fastconv's Reshape+ReduceMax fallback). An escape hatch for debugging the wrapper.
const PlainGoEnvVar = "COARSEALIGN_PLAIN_GO"

// newGoFn builds the pure-Go backend, wrapped by fastconv unless PlainGoEnvVar=1 or the wrapper
// fails SelfCheck against the plain backend (then a one-line warning goes to stderr and the
// plain backend is used: slower, but correct).
var newGoFn = func(config string) (compute.Backend, error) {
	plain, err := fastgo.NewGo(config) // like gobackend.New, keeping its config line off stdout
	if err != nil || os.Getenv(PlainGoEnvVar) == "1" {
		return plain, err
	}
	fast, err := fastgo.New(config)
	if err != nil {
		warnf("warning: fastconv backend unavailable (%v); using the plain pure-Go backend (slow convolutions)", err)
		return plain, nil
	}
	if err := SelfCheck(fast, plain); err != nil {
		warnf("warning: fastconv backend failed its self-check (%s); using the plain pure-Go backend (slow convolutions)", oneLine(err))
		return plain, nil
	}
	return fast, nil
}

func oneLine(err error) string {
	s := strings.ReplaceAll(err.Error(), "\n", "; ")
	if len(s) > 300 {
		s = s[:300] + "..."
	}
	return s
}

func newGo(config string) (compute.Backend, error) {
	b, err := newGoFn(config)
	if err != nil {
		return nil, fmt.Errorf("backend: creating the pure-Go backend with config %q: %w", config, err)
	}
	return b, nil
}

func newXLA(c Choice) (compute.Backend, error) {
	platform := c.Config
	if i := strings.IndexAny(platform, ",;"); i >= 0 {
		platform = platform[:i]
	}
	if !xlaAvailable {
		return nil, fmt.Errorf("backend: XLA backend requested (%s=xla%s) but this binary was built without it (needs cgo; rebuild with CGO_ENABLED=1); see README 'GPU'",
			EnvVar, colon(c.Config))
	}
	if FindPlugin(platform) == "" {
		return nil, fmt.Errorf("backend: XLA backend requested but no PJRT plugin found (looked in PJRT_PLUGIN_LIBRARY_PATH, ~/.local/lib/go-xla, /usr/local/lib/go-xla); see README 'GPU'")
	}
	b, err := compute.NewWithConfig(c.Name + colon(c.Config))
	if err != nil {
		return nil, fmt.Errorf("backend: creating XLA backend %q: %w", c.Name+colon(c.Config), err)
	}
	return b, nil
}

func colon(s string) string {
	if s == "" {
		return ""
	}
	return ":" + s
}
