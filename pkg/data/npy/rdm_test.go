package npy

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestReadRDM(t *testing.T) {
	dir := t.TempDir()
	sq := filepath.Join(dir, "sq.npy")
	if err := WriteMatrix(sq, 3, 3, []float64{0, 1, 2, 1, 0, 3, 2, 3, 0}); err != nil {
		t.Fatal(err)
	}
	vec := filepath.Join(dir, "vec.npy")
	if err := WriteMatrix(vec, 1, 3, []float64{1, 2, 3}); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{sq, vec} {
		r, err := ReadRDM(p)
		if err != nil || r.N != 3 || !slices.Equal(r.Vec, []float64{1, 2, 3}) {
			t.Errorf("%s: %+v, %v", p, r, err)
		}
	}
	for name, m := range map[string][]float64{"asym.npy": {0, 1, 2, 0}, "rect.npy": {1, 2, 3, 4, 5, 6}, "four.npy": {1, 2, 3, 4}} {
		p := filepath.Join(dir, name)
		rows, cols := 2, len(m)/2
		if name == "four.npy" {
			rows, cols = 1, 4
		}
		if err := WriteMatrix(p, rows, cols, m); err != nil {
			t.Fatal(err)
		}
		if _, err := ReadRDM(p); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s: %v", name, err)
		}
	}
}
