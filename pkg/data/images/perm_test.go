package images

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// Cache files follow the umask (0644 with umask 022), not os.CreateTemp's 0600, so a cache
// folder shared by a group works.
func TestCacheFileFollowsUmask(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	cache := t.TempDir()
	if _, err := LoadFolder(smallFolder(t, 2, 2), Options{CacheDir: cache, Size: 8}); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(cache, "*.cache"))
	if len(files) != 1 {
		t.Fatalf("cache files %v", files)
	}
	st, err := os.Stat(files[0])
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o644 {
		t.Errorf("cache file mode %o, want 644", st.Mode().Perm())
	}
}
