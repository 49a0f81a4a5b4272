package images

import "testing"

func TestWithIDs(t *testing.T) {
	ds := &Dataset{N: 3, H: 1, W: 1, Pix: make([]uint8, 9), Labels: []int32{0, 1, 0},
		Paths: []string{"a/1.jpg", "b/2.jpg", "a/3.jpg"}, Classes: []string{"a", "b"}}
	sub, err := ds.WithIDs([]string{"a/3.jpg", "a/1.jpg", "zzz"})
	if err != nil {
		t.Fatal(err)
	}
	if sub.N != 2 || sub.Paths[0] != "a/1.jpg" || sub.Paths[1] != "a/3.jpg" {
		t.Fatalf("subset %v, want [a/1.jpg a/3.jpg] in data-set order", sub.Paths)
	}
	if all, err := ds.WithIDs([]string{"a/1.jpg", "b/2.jpg", "a/3.jpg"}); err != nil || all != ds {
		t.Fatalf("full cover should return ds itself: %v", err)
	}
	if _, err := ds.WithIDs([]string{"x"}); err == nil {
		t.Fatal("no overlap should be an error")
	}
}
