package backend

import (
	"strings"
	"testing"

	"github.com/gomlx/compute/gobackend"
	"github.com/gomlx/gomlx/core/graph"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in     string
		kind   Kind
		config string
		bad    bool
	}{
		{"", Go, DefaultGoConfig, false},
		{"go", Go, DefaultGoConfig, false},
		{"go:ops_sequential", Go, "ops_sequential", false},
		{"xla", XLA, "", false},
		{"xla:cuda", XLA, "cuda", false},
		{"tpu", 0, "", true},
	} {
		c, err := Parse(tc.in)
		if tc.bad {
			if err == nil {
				t.Errorf("Parse(%q): want error", tc.in)
			}
			continue
		}
		if err != nil || c.Kind != tc.kind || c.Config != tc.config {
			t.Errorf("Parse(%q) = %+v, %v; want kind %v config %q", tc.in, c, err, tc.kind, tc.config)
		}
	}
}

func TestGoBackendRuns(t *testing.T) {
	b, err := NewFromConfig("go")
	if err != nil {
		t.Fatal(err)
	}
	out := graph.MustExecOnce(b, func(x *graph.Node) *graph.Node { return graph.MulScalar(x, 2) }, []float32{1, 2})
	if got := out.Value().([]float32); got[0] != 2 || got[1] != 4 {
		t.Fatalf("2*[1 2] = %v", got)
	}
}

// TestXLA runs a tiny graph on XLA when a PJRT plugin is installed and checks the error
// message otherwise.
func TestXLA(t *testing.T) {
	if FindPlugin("cpu") == "" && FindPlugin("cuda") == "" {
		_, err := NewFromConfig("xla:cpu")
		if err == nil || !strings.Contains(err.Error(), "XLA backend requested") {
			t.Fatalf("want a clear error without plugin, got %v", err)
		}
		t.Skipf("no PJRT plugin in %v: XLA path not exercised (error was: %v)", PluginDirs(), err)
	}
	cfg := "xla:cpu"
	if FindPlugin("cpu") == "" {
		cfg = "xla:cuda"
	}
	if !xlaAvailable {
		t.Skip("built without cgo: XLA backend not compiled in")
	}
	b, err := NewFromConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	out := graph.MustExecOnce(b, func(x *graph.Node) *graph.Node { return graph.MulScalar(x, 2) }, []float32{1, 2})
	if got := out.Value().([]float32); got[0] != 2 || got[1] != 4 {
		t.Fatalf("2*[1 2] = %v", got)
	}
}

// TestSelfCheck: the self-check graph runs on the plain backend and agrees with itself, and the
// default go backend (fastconv wrapper, or plain after a failed self-check) passes it.
func TestSelfCheck(t *testing.T) {
	plain, err := gobackend.New(DefaultGoConfig)
	if err != nil {
		t.Fatal(err)
	}
	if err := SelfCheck(plain, plain); err != nil {
		t.Fatal(err)
	}
	b, err := NewFromConfig("go")
	if err != nil {
		t.Fatal(err)
	}
	if err := SelfCheck(b, plain); err != nil {
		t.Fatal(err)
	}
	t.Logf("default go backend: %s", b.Name())
}
