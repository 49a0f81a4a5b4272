package arch

import (
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
		{ViT, 32, true}, {ViT, 30, false}, {ViT, 64, true}, {ViT, 4, false}, {ViT, 224, true}} {
		if err := c.a.CheckInputSize(c.size); (err == nil) != c.ok {
			t.Errorf("%s input %d: err %v, want ok=%v", c.a.Name, c.size, err, c.ok)
		}
	}
	if err := ViT.Check(Params{Width: 0, InputSize: 32}); err == nil {
		t.Error("width 0 accepted")
	}
	if _, err := Get("resnet"); err == nil || !strings.Contains(err.Error(), "alexnet-bn, vit") {
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
