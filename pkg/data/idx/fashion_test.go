package idx

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadFashionSynthetic(t *testing.T) {
	dir := t.TempDir()
	pix := make([]byte, 2*4*4)
	for i := range pix {
		pix[i] = byte(i * 7)
	}
	im := filepath.Join(dir, "im")
	lb := filepath.Join(dir, "lb")
	os.WriteFile(im, gz(encode(Uint8, []int{2, 4, 4}, pix)), 0o644)
	os.WriteFile(lb, encode(Uint8, []int{2}, []byte{3, 9}), 0o644)
	ds, err := ReadFashion(im, lb, 0)
	if err != nil {
		t.Fatal(err)
	}
	if ds.N != 2 || ds.H != 4 || ds.Labels[1] != 9 || ds.Paths[1] != "im#1" {
		t.Fatalf("got N=%d H=%d labels %v paths %v", ds.N, ds.H, ds.Labels, ds.Paths)
	}
	for j := 0; j < 16; j++ { // greyscale replicated to R, G, B
		p := ds.Image(1)[3*j : 3*j+3]
		if p[0] != pix[16+j] || p[1] != p[0] || p[2] != p[0] {
			t.Fatalf("pixel %d: %v, want %d x3", j, p, pix[16+j])
		}
	}
	big, err := ReadFashion(im, lb, 8)
	if err != nil || big.H != 8 || len(big.Pix) != 2*8*8*3 {
		t.Fatalf("resized: %v", err)
	}
	os.WriteFile(lb, encode(Uint8, []int{2}, []byte{3, 10}), 0o644)
	if _, err := ReadFashion(im, lb, 0); err == nil || !strings.Contains(err.Error(), lb) {
		t.Errorf("label 10: %v", err)
	}
	os.WriteFile(lb, encode(Uint8, []int{3}, []byte{3, 1, 2}), 0o644)
	if _, err := ReadFashion(im, lb, 0); err == nil || !strings.Contains(err.Error(), lb) {
		t.Errorf("3 labels for 2 images: %v", err)
	}
}

// TestFashionMNISTDebian reads the real files of Debian's dataset-fashion-mnist: 60,000
// training and 10,000 test images of 28x28, 6,000 and 1,000 per class (the Fashion-MNIST
// README, github.com/zalandoresearch/fashion-mnist).
func TestFashionMNISTDebian(t *testing.T) {
	if _, err := os.Stat(DebianFashionDir); err != nil {
		t.Skip("dataset-fashion-mnist not installed")
	}
	if testing.Short() {
		t.Skip("reads 30 MB")
	}
	for _, f := range []FashionFile{FashionTrainImages, FashionTrainLabels, FashionTestImages, FashionTestLabels} {
		got, err := contentDigest(findFashion(t.TempDir(), f))
		if err != nil || got != f.ContentSHA256 {
			t.Errorf("%s: %s %v", f.Name, got, err)
		}
	}
	for _, c := range []struct {
		train bool
		n     int
	}{{true, 60000}, {false, 10000}} {
		ds, err := LoadFashionMNIST(t.TempDir(), c.train, 32, false)
		if err != nil {
			t.Fatal(err)
		}
		if ds.N != c.n || ds.H != 32 {
			t.Fatalf("N=%d H=%d", ds.N, ds.H)
		}
		for k, n := range ds.ClassCounts() {
			if n != c.n/10 {
				t.Errorf("class %d: %d images", k, n)
			}
		}
	}
}

func TestFetchFashionChecksContent(t *testing.T) {
	payload := encode(Uint8, []int{1}, []byte{4})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(gz(payload)) }))
	defer srv.Close()
	dir := t.TempDir()
	f := FashionFile{Name: "x-labels-idx1-ubyte", ContentSHA256: "00"}
	if _, err := FetchFashion(context.Background(), dir, srv.URL+"/", f); err == nil || !strings.Contains(err.Error(), "SHA-256") {
		t.Fatalf("wrong digest accepted: %v", err)
	}
	if findFashion(dir, f) != "" {
		t.Fatal("a file that failed its check was kept")
	}
	tmp := filepath.Join(dir, "p")
	os.WriteFile(tmp, payload, 0o644)
	f.ContentSHA256, _ = contentDigest(tmp)
	p, err := FetchFashion(context.Background(), dir, srv.URL+"/", f)
	if err != nil || findFashion(dir, f) != p {
		t.Fatalf("fetch: %q %v", p, err)
	}
}
