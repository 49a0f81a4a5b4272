package fetch

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

var payload = []byte("92 images, 4186 pairs\n")

func sum(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// server serves payload at /ok, a corrupted copy at /bad and a 500 at /fail, on loopback.
func server(t *testing.T) *httptest.Server {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/ok":
			w.Write(payload)
		case "/bad":
			w.Write(append([]byte("X"), payload[1:]...))
		default:
			http.Error(w, "boom", http.StatusInternalServerError)
		}
	}))
	t.Cleanup(s.Close)
	return s
}

func noTemps(t *testing.T, dir string) {
	t.Helper()
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".part") {
			t.Fatalf("temporary file %s left behind", e.Name())
		}
	}
}

func TestDownload(t *testing.T) {
	s := server(t)
	dir := t.TempDir()
	dest := filepath.Join(dir, "sub", "file.bin")
	ctx := context.Background()

	// Checksum mismatch: nothing at dest.
	err := Download(ctx, s.URL+"/bad", dest, sum(payload), nil)
	var ce *ChecksumError
	if !errors.As(err, &ce) || ce.Want != sum(payload) {
		t.Fatalf("mismatch: err = %v", err)
	}
	if _, err := os.Stat(dest); !os.IsNotExist(err) {
		t.Fatal("corrupt download left at the destination")
	}
	noTemps(t, filepath.Dir(dest))

	// Server error.
	err = Download(ctx, s.URL+"/fail", dest, sum(payload), nil)
	if err == nil || !strings.Contains(err.Error(), "500") {
		t.Fatalf("server error: err = %v", err)
	}

	// Size cap.
	err = Download(ctx, s.URL+"/ok", dest, sum(payload), &Options{MaxBytes: 5})
	if err == nil || !strings.Contains(err.Error(), "limit") {
		t.Fatalf("size cap: err = %v", err)
	}

	// Success.
	var log strings.Builder
	if err := Download(ctx, s.URL+"/ok", dest, sum(payload), &Options{Progress: &log}); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(dest); string(got) != string(payload) {
		t.Fatalf("content %q", got)
	}
	if !strings.Contains(log.String(), "sha256 ok") {
		t.Fatalf("progress %q", log.String())
	}
	noTemps(t, filepath.Dir(dest))
}

func TestEnsureAndCheck(t *testing.T) {
	s := server(t)
	dir := t.TempDir()
	f := File{Name: "set/a.bin", URL: s.URL + "/ok", SHA256: sum(payload)}

	err := Check(dir, f)
	var me *MissingError
	if !errors.As(err, &me) {
		t.Fatalf("Check on empty dir: %v", err)
	}
	want := "file set/a.bin missing from " + dir + "; download " + f.URL + " and put it at " + filepath.Join(dir, "set", "a.bin") + " (or set COARSEALIGN_DATA)"
	if err.Error() != want {
		t.Fatalf("message\n%s\nwant\n%s", err, want)
	}

	if err := Ensure(context.Background(), dir, []File{f}, nil); err != nil {
		t.Fatal(err)
	}
	if err := Check(dir, f); err != nil {
		t.Fatal(err)
	}

	// A present but different file is reported, not replaced.
	os.WriteFile(f.Path(dir), []byte("tampered"), 0o644)
	err = Ensure(context.Background(), dir, []File{f}, nil)
	var ce *ChecksumError
	if !errors.As(err, &ce) {
		t.Fatalf("tampered: %v", err)
	}

	// Offline: the download fails and the error says what to do by hand.
	g := File{Name: "set/b.bin", URL: s.URL + "/fail", SHA256: sum(payload)}
	err = Ensure(context.Background(), dir, []File{g}, nil)
	if err == nil || !strings.Contains(err.Error(), "missing from "+dir+"; download "+g.URL) || !strings.Contains(err.Error(), "500") {
		t.Fatalf("offline: %v", err)
	}
}

// A downloaded file follows the umask (0644 with umask 022), not os.CreateTemp's 0600.
func TestDownloadFollowsUmask(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	s := server(t)
	dest := filepath.Join(t.TempDir(), "file.bin")
	if err := Download(context.Background(), s.URL+"/ok", dest, sum(payload), nil); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(dest)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o644 {
		t.Errorf("mode %o, want 644", st.Mode().Perm())
	}
}
