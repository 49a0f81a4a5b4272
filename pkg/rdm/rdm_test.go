package rdm

import (
	"math"
	"strings"
	"testing"
)

func TestIndexMatchesRowMajorUpperTriangle(t *testing.T) {
	for _, n := range []int{2, 3, 7, 92} {
		k := 0
		for i := 0; i < n; i++ {
			for j := i + 1; j < n; j++ {
				if got := Index(n, i, j); got != k {
					t.Fatalf("n=%d Index(%d,%d)=%d want %d", n, i, j, got, k)
				}
				if got := Index(n, j, i); got != k {
					t.Fatalf("n=%d Index(%d,%d)=%d want %d", n, j, i, got, k)
				}
				k++
			}
		}
		if m, err := SizeFromPairs(NumPairs(n)); err != nil || m != n {
			t.Fatalf("SizeFromPairs(%d)=%d,%v", NumPairs(n), m, err)
		}
	}
	// 4186 = 92*91/2, the vector length of the Kriegeskorte 92-image RDMs.
	if n, err := SizeFromPairs(4186); err != nil || n != 92 {
		t.Fatalf("SizeFromPairs(4186)=%d,%v", n, err)
	}
	if _, err := SizeFromPairs(4187); err == nil {
		t.Fatal("SizeFromPairs(4187) should fail")
	}
}

func TestSquareRoundTrip(t *testing.T) {
	vec := []float64{1, 2, 3, 4, 5, 6}
	r, err := FromVector("x", vec, nil)
	if err != nil {
		t.Fatal(err)
	}
	sq := r.Square()
	r2, err := FromSquare("x", sq, 4, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k := range vec {
		if r2.Vec[k] != vec[k] {
			t.Fatalf("round trip %v != %v", r2.Vec, vec)
		}
	}
	if r.At(3, 1) != 5 || r.At(2, 2) != 0 {
		t.Fatalf("At wrong: %v %v", r.At(3, 1), r.At(2, 2))
	}
}

func TestFromSquareErrors(t *testing.T) {
	if _, err := FromSquare("a", []float64{0, 1, 2, 0}, 2, nil); err == nil || !strings.Contains(err.Error(), "asymmetric") {
		t.Fatalf("want asymmetric error, got %v", err)
	}
	if _, err := FromSquare("a", []float64{1, 1, 1, 0}, 2, nil); err == nil || !strings.Contains(err.Error(), "diagonal") {
		t.Fatalf("want diagonal error, got %v", err)
	}
	if _, err := FromSquare("a", []float64{0, 1, 1}, 2, nil); err == nil {
		t.Fatal("want size error")
	}
	if _, err := FromSquare("a", []float64{0, math.NaN(), 1, 0}, 2, nil); err == nil {
		t.Fatal("want NaN mirror error")
	}
}

func TestSubsetDuplicatesAreNaN(t *testing.T) {
	r, _ := FromVector("x", []float64{1, 2, 3}, []string{"a", "b", "c"})
	s := r.Subset([]int{2, 0, 2})
	if s.N != 3 || s.Vec[0] != 2 || !math.IsNaN(s.Vec[1]) || s.Vec[2] != 2 {
		t.Fatalf("subset = %+v", s)
	}
	if s.IDs[0] != "c" || s.IDs[1] != "a" {
		t.Fatalf("ids = %v", s.IDs)
	}
}

func TestMeanIgnoresNaN(t *testing.T) {
	a, _ := FromVector("a", []float64{1, math.NaN(), 3}, nil)
	b, _ := FromVector("b", []float64{3, math.NaN(), 5}, nil)
	c, _ := FromVector("c", []float64{2, math.NaN(), math.NaN()}, nil)
	m, err := Mean("m", []*RDM{a, b, c})
	if err != nil {
		t.Fatal(err)
	}
	if m.Vec[0] != 2 || !math.IsNaN(m.Vec[1]) || m.Vec[2] != 4 {
		t.Fatalf("mean = %v", m.Vec)
	}
}
