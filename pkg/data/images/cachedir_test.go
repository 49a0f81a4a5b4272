package images

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCacheDirFor(t *testing.T) {
	if got := CacheDirFor("none"); got != "" {
		t.Fatalf("none -> %q, want empty (no cache)", got)
	}
	if got := CacheDirFor("/x/y"); got != "/x/y" {
		t.Fatalf("/x/y -> %q", got)
	}
	t.Setenv("XDG_CACHE_HOME", "/cachehome")
	t.Setenv("HOME", "/home/u")
	if got, want := CacheDirFor(""), filepath.Join("/cachehome", "coarsealign", "images"); got != want {
		t.Fatalf("default -> %q, want %q", got, want)
	}
}

// A cache folder that cannot be created is not fatal: the images are decoded without a cache,
// after one warning naming the folder and the --cache flag.
func TestUnusableCacheDirFallsBack(t *testing.T) {
	var warn bytes.Buffer
	cacheWarnings = &warn
	defer func() { cacheWarnings = os.Stderr }()
	file := filepath.Join(t.TempDir(), "a-file")
	os.WriteFile(file, []byte("x"), 0o644)
	bad := filepath.Join(file, "images") // under a regular file: cannot be created, even by root
	src := smallFolder(t, 2, 2)
	for i := 0; i < 2; i++ {
		ds, err := LoadFolder(src, Options{CacheDir: bad, Size: 8})
		if err != nil {
			t.Fatalf("load %d with an unusable cache folder: %v", i, err)
		}
		if ds.N != 4 {
			t.Fatalf("%d images", ds.N)
		}
	}
	if w := warn.String(); strings.Count(w, "warning: image cache folder "+bad+" cannot be used") != 1 || !strings.Contains(w, "--cache none") {
		t.Fatalf("warnings %q, want one naming the folder and --cache", w)
	}
}
