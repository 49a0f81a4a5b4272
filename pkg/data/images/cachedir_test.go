package images

import (
	"path/filepath"
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
