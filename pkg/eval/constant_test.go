package eval

import "testing"

func TestConstantStimulus(t *testing.T) {
	cases := []struct {
		f    Features
		i    int
		want bool
	}{
		{Features{Layer: "ok", N: 2, D: 2, X: []float64{1, 2, 3, 4}}, 0, false},
		{Features{Layer: "row1", N: 2, D: 2, X: []float64{1, 2, 3, 3}}, 1, true},
		{Features{Layer: "empty", N: 2, D: 0, X: nil}, 0, true},
		{Features{Layer: "one unit", N: 2, D: 1, X: []float64{1, 2}}, 0, true},
	}
	for _, c := range cases {
		i, got := ConstantStimulus(c.f)
		if got != c.want || (got && i != c.i) {
			t.Errorf("%s: got (%d, %v), want (%d, %v)", c.f.Layer, i, got, c.i, c.want)
		}
	}
}
