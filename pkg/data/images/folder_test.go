package images

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// writePNG writes a w x h PNG of one colour to path, creating its folder.
func writePNG(t *testing.T, path string, w, h int, c color.RGBA) {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < w*h; i++ {
		img.Pix[4*i], img.Pix[4*i+1], img.Pix[4*i+2], img.Pix[4*i+3] = c.R, c.G, c.B, c.A
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// An empty class folder (or one holding no image file) is an error naming it, from LoadFolder,
// CacheKey and CountFolder alike: before, it counted as a class without images.
func TestEmptyClassFolderIsAnError(t *testing.T) {
	root := t.TempDir()
	writePNG(t, filepath.Join(root, "cat", "a.png"), 4, 4, color.RGBA{200, 0, 0, 255})
	writePNG(t, filepath.Join(root, "cat", "sub", "b.png"), 4, 4, color.RGBA{0, 200, 0, 255})
	writePNG(t, filepath.Join(root, "dog", "c.png"), 4, 4, color.RGBA{0, 0, 200, 255})
	os.MkdirAll(filepath.Join(root, ".hidden"), 0o755) // hidden folders are not classes

	counts, err := CountFolder(root)
	if err != nil {
		t.Fatal(err)
	}
	if want := []ClassCount{{"cat", 2}, {"dog", 1}}; !slices.Equal(counts, want) {
		t.Fatalf("CountFolder = %v, want %v", counts, want)
	}
	ds, err := LoadFolder(root, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ds.Classes, []string{"cat", "dog"}) || ds.N != 3 {
		t.Fatalf("classes %v, N %d", ds.Classes, ds.N)
	}

	// An empty class folder, and one with only a text file.
	os.MkdirAll(filepath.Join(root, "bird"), 0o755)
	os.MkdirAll(filepath.Join(root, "emu", "deeper"), 0o755)
	os.WriteFile(filepath.Join(root, "emu", "notes.txt"), []byte("no images here"), 0o644)
	check := func(what string, err error) {
		t.Helper()
		if err == nil {
			t.Fatalf("%s: no error with empty class folders", what)
		}
		for _, want := range []string{"bird", "emu", root, "2 of the 4 class folders"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%s: error %q does not mention %q", what, err, want)
			}
		}
		if strings.Contains(err.Error(), "cat") || strings.Contains(err.Error(), "dog") {
			t.Errorf("%s: error %q names a class with images", what, err)
		}
	}
	_, err = LoadFolder(root, Options{})
	check("LoadFolder", err)
	_, err = LoadFolder(root, Options{CacheDir: t.TempDir()})
	check("LoadFolder with cache", err)
	_, err = CacheKey(root, Options{})
	check("CacheKey", err)
	_, err = CountFolder(root)
	check("CountFolder", err)

	// Only empty folders: the old message.
	only := t.TempDir()
	os.MkdirAll(filepath.Join(only, "a"), 0o755)
	if _, err := CountFolder(only); err == nil || !strings.Contains(err.Error(), "no .jpg/.jpeg/.png files") {
		t.Errorf("only empty classes: %v", err)
	}
	if _, err := CountFolder(filepath.Join(only, "missing")); err == nil {
		t.Error("missing folder: no error")
	}
}

// A class whose every image is corrupt is an error under SkipCorrupt too: skipping them all
// would leave the class without images.
func TestSkipCorruptEmptiedClassIsAnError(t *testing.T) {
	root := t.TempDir()
	writePNG(t, filepath.Join(root, "cat", "a.png"), 4, 4, color.RGBA{200, 0, 0, 255})
	writePNG(t, filepath.Join(root, "dog", "ok.png"), 4, 4, color.RGBA{0, 0, 200, 255})
	os.WriteFile(filepath.Join(root, "dog", "bad.png"), []byte("not a png"), 0o644)
	ds, err := LoadFolder(root, Options{Policy: SkipCorrupt})
	if err != nil || ds.N != 2 || len(ds.Skipped) != 1 {
		t.Fatalf("one corrupt file of two: %v, %v", ds, err)
	}
	os.Remove(filepath.Join(root, "dog", "ok.png"))
	_, err = LoadFolder(root, Options{Policy: SkipCorrupt})
	if err == nil || !strings.Contains(err.Error(), "dog") || !strings.Contains(err.Error(), "bad.png") {
		t.Fatalf("class with only corrupt images: %v", err)
	}
}
