package coarse

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// Saved labelings follow the umask (0644 files with umask 022), as os.Create would: not the
// 0600 of os.CreateTemp, which others (a shared project folder, a web server) cannot read.
func TestSaveFollowsUmask(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	l, err := FitSource(synth(40, 8, 3), nil, Provenance{Source: "npy"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "labels")
	if err := l.Save(dir); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{LabelsFile, ProvenanceFile, MeanFile, ComponentsFile} {
		st, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o644 {
			t.Errorf("%s: mode %o, want 644", name, st.Mode().Perm())
		}
	}
}
