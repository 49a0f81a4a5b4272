package arch

import (
	"math"
	"slices"
	"strings"
	"testing"
)

func TestBuiltins(t *testing.T) {
	if got := Names(); !slices.Contains(got, "alexnet-bn") || !slices.Contains(got, "vit") {
		t.Fatalf("Names() = %v", got)
	}
	a, err := Get("alexnet-bn")
	if err != nil || a != AlexNetBN {
		t.Fatalf("Get(alexnet-bn) = %v, %v", a, err)
	}
	if taps := a.Taps(Params{Width: 1, InputSize: 32}); len(taps) != 14 || taps[0] != "conv1.pre" || taps[13] != "fc7.post" {
		t.Errorf("alexnet-bn taps %v", taps)
	}
	for _, c := range []struct {
		a    *Arch
		size int
		ok   bool
	}{{AlexNetBN, 32, true}, {AlexNetBN, 64, true}, {AlexNetBN, 224, true}, {AlexNetBN, 48, false},
		{ViT, 32, true}, {ViT, 30, false}, {ViT, 64, true}, {ViT, 4, false}, {ViT, 224, true}, {VGGBN, 32, true}, {VGGBN, 64, false}} {
		if err := c.a.CheckInputSize(c.size); (err == nil) != c.ok {
			t.Errorf("%s input %d: err %v, want ok=%v", c.a.Name, c.size, err, c.ok)
		}
	}
	if err := ViT.Check(Params{Width: 0, InputSize: 32}); err == nil {
		t.Error("width 0 accepted")
	}
	if _, err := Get("resnet"); err == nil || !strings.Contains(err.Error(), "alexnet-bn, vgg-bn, vit") {
		t.Errorf("Get(resnet): %v", err)
	}
}

func TestRegister(t *testing.T) {
	toy := &Arch{Name: "arch-test-toy", Taps: func(Params) []string { return []string{"a", "b"} }, Penultimate: "b"}
	Register(toy)
	Register(toy) // the same description again: a no-op
	if a, ok := Lookup("arch-test-toy"); !ok || a != toy {
		t.Fatal("toy not registered")
	}
	mustPanic := func(what string, a *Arch) {
		t.Helper()
		defer func() {
			if recover() == nil {
				t.Errorf("%s: no panic", what)
			}
		}()
		Register(a)
	}
	mustPanic("duplicate", &Arch{Name: "arch-test-toy", Taps: toy.Taps, Penultimate: "b"})
	mustPanic("no taps", &Arch{Name: "x", Penultimate: "b"})
	mustPanic("penultimate not a tap", &Arch{Name: "y", Taps: toy.Taps, Penultimate: "c"})
}

// Widths outside an architecture's bounds are errors naming the bound (before, alexnet-bn
// accepted any width > 0: 25 for 0.25 tried to build a network of hundreds of gigabytes, and
// widths below 1/128 clamped layers to one channel without a word).
func TestWidthBounds(t *testing.T) {
	for _, c := range []struct {
		a     *Arch
		width float64
		want  string // "" = accepted
	}{
		{AlexNetBN, 1, ""}, {AlexNetBN, 0.0625, ""}, {AlexNetBN, AlexNetMinWidth, ""}, {AlexNetBN, AlexNetMaxWidth, ""},
		{AlexNetBN, AlexNetMinWidth * 0.99, "want >= 0.0078125"}, {AlexNetBN, 4.01, "want <= 4"}, {AlexNetBN, 25, "want <= 4"},
		{AlexNetBN, 0, "finite value > 0"}, {AlexNetBN, math.Inf(1), "finite value > 0"}, {AlexNetBN, math.NaN(), "finite value > 0"},
		{ViT, 25, ""}, {ViT, 1e-6, ""}, {ViT, 0, "finite value > 0"}, // ViT has no width setting: only > 0
	} {
		err := c.a.CheckWidth(c.width)
		if c.want == "" && err != nil || c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)) {
			t.Errorf("%s width %v: err %v, want %q", c.a.Name, c.width, err, c.want)
		}
		if cerr := c.a.Check(Params{Width: c.width, InputSize: 32}); (cerr == nil) != (err == nil) {
			t.Errorf("%s width %v: Check %v, CheckWidth %v", c.a.Name, c.width, cerr, err)
		}
	}
	// The minimum is where conv1 (64 channels at width 1) stops rounding to 0 channels.
	if math.Round(64*AlexNetMinWidth) < 1 || math.Round(64*AlexNetMinWidth*0.99) != 0 {
		t.Errorf("AlexNetMinWidth %v is not the rounding threshold of conv1", AlexNetMinWidth)
	}
	// CheckAll reports every problem, Check the first.
	err := AlexNetBN.CheckAll(Params{Width: 25, InputSize: 48})
	if err == nil || !strings.Contains(err.Error(), "width 25") || !strings.Contains(err.Error(), "input size 48") {
		t.Errorf("CheckAll: %v", err)
	}
	if AlexNetBN.CheckAll(Params{Width: 0.5, InputSize: 64}) != nil {
		t.Error("CheckAll rejects a valid setting")
	}
}
