package npy

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// Written matrices follow the umask (0644 with umask 022), not os.CreateTemp's 0600.
func TestWriteFollowsUmask(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	path := filepath.Join(t.TempDir(), "m.npy")
	if err := WriteMatrix32(path, 1, 2, []float32{1, 2}); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o644 {
		t.Errorf("mode %o, want 644", st.Mode().Perm())
	}
	syscall.Umask(0o077)
	if err := WriteMatrix32(path, 1, 2, []float32{1, 2}); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
		t.Errorf("umask 077: mode %o, want 600", st.Mode().Perm())
	}
}
