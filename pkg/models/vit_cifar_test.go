package models

import (
	"reflect"
	"testing"

	"github.com/coarsealign/coarsealign/pkg/arch"
)

// TestViTCIFARSpec: issue 17's sizes (width 192, MLP 4x, 3 heads, 6 blocks, patch 4), widths
// that keep the token width a multiple of the heads, and the depth fixed by the taps.
func TestViTCIFARSpec(t *testing.T) {
	s, err := DefaultSpec(ViTCIFAR, 10, arch.Params{Width: 1, InputSize: 32}, "")
	if err != nil {
		t.Fatal(err)
	}
	if s.Dim != 192 || s.MLPDim != 768 || s.Heads != 3 || s.Depth != 6 || s.PatchSize != 4 {
		t.Fatalf("spec %+v", s)
	}
	for w, dim := range map[float64]int{0.5: 96, 0.25: 48, 0.3: 57, 1.0 / 64: 3} {
		if d := DefaultViTCIFAR(10, 32, w).Dim; d != dim {
			t.Errorf("width %g: dim %d, want %d", w, d, dim)
		}
	}
	bad := s
	bad.Depth = 5
	if bad.Validate() == nil {
		t.Error("depth 5 accepted")
	}
	if _, err := DefaultSpec(ViTCIFAR, 10, arch.Params{Width: 1, InputSize: 30}, ""); err == nil {
		t.Error("input 30 accepted")
	}
	layout, err := TorchLayout(s)
	if err != nil || len(layout) != 104 { // 2 patch + 2 tokens + 6 x 16 + 2 LN + 2 head
		t.Fatalf("torch layout: %d entries, %v", len(layout), err)
	}
}

// TestViTCIFARTaps: every tap is [batch, dim]; 13 taps in network order.
func TestViTCIFARTaps(t *testing.T) {
	s := DefaultViTCIFAR(3, 16, 1.0/16) // dim 12, 16 patch tokens
	logits, got := runTaps(t, s, 2)
	if d := logits.Shape().Dimensions; !reflect.DeepEqual(d, []int{2, 3}) {
		t.Fatalf("logits %v", d)
	}
	if len(got) != 13 {
		t.Fatalf("%d taps: %v", len(got), got)
	}
	for name, d := range got {
		if !reflect.DeepEqual(d, []int{2, 12}) {
			t.Errorf("tap %s shape %v, want [2 12]", name, d)
		}
	}
}
