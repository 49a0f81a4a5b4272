package models

import (
	"slices"
	"testing"

	"github.com/coarsealign/coarsealign/pkg/arch"
)

// Every registered architecture's defaults are valid, announce the taps its description lists,
// and include the penultimate tap.
func TestRegisteredArchitecturesAgree(t *testing.T) {
	names := Architectures()
	if !slices.Contains(names, string(AlexNetBN)) || !slices.Contains(names, string(ViT)) {
		t.Fatalf("Architectures() = %v", names)
	}
	for _, n := range names {
		a, _ := Lookup(Arch(n))
		if d, ok := arch.Lookup(n); !ok || d != a.Arch {
			t.Errorf("%s: arch registry holds %v, models %v", n, d, a.Arch)
		}
		sizes := a.Arch.InputSizes
		if sizes == nil {
			sizes = []int{32, 64}
		}
		for _, size := range sizes {
			p := arch.Params{Width: 0.5, InputSize: size}
			s, err := DefaultSpec(Arch(n), 4, p, "")
			if err != nil {
				t.Errorf("%s at %d: %v", n, size, err)
				continue
			}
			if s.Arch != Arch(n) || s.NumClasses != 4 || s.InputSize != size {
				t.Errorf("%s at %d: default spec %+v", n, size, s)
			}
			if got, want := s.TapNames(), a.Arch.Taps(p); !slices.Equal(got, want) {
				t.Errorf("%s at %d: spec taps %v, description %v", n, size, got, want)
			}
			if !slices.Contains(s.TapNames(), s.Penultimate()) {
				t.Errorf("%s: penultimate %q not a tap", n, s.Penultimate())
			}
		}
	}
	if _, err := DefaultSpec("resnet", 4, arch.Params{Width: 1, InputSize: 32}, ""); err == nil {
		t.Error("DefaultSpec(resnet) = nil error")
	}
	if _, err := DefaultSpec(AlexNetBN, 4, arch.Params{Width: 1, InputSize: 48}, ""); err == nil {
		t.Error("DefaultSpec(alexnet-bn, 48) = nil error")
	}
	if s, err := DefaultSpec(AlexNetBN, 4, arch.Params{Width: 1, InputSize: 32}, InitHeNormal); err != nil || s.Init != InitHeNormal {
		t.Errorf("init not passed through: %+v, %v", s, err)
	}
}

// The AlexNet-BN input sizes of package arch (which the sweep validates with) are the
// geometries AlexNetGeometryFor builds.
func TestAlexNetSizesMatchGeometries(t *testing.T) {
	for size := 1; size <= 256; size++ {
		_, err := AlexNetGeometryFor(size)
		if inArch := arch.AlexNetBN.CheckInputSize(size) == nil; (err == nil) != inArch {
			t.Errorf("input size %d: geometry %v, arch accepts %v", size, err == nil, inArch)
		}
	}
	if InitTorch != arch.InitTorch || InitHeNormal != arch.InitHeNormal {
		t.Error("init names differ from package arch's")
	}
}
