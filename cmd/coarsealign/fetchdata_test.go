package main

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coarsealign/coarsealign/pkg/data/k92"
	"github.com/coarsealign/coarsealign/pkg/datadir"
)

// With an empty data directory, rsa compare downloads the 92-image files (here from a mirror
// on loopback serving the shared data), verifies them, and computes the rsatoolbox value.
func TestRSACompareDownloadsMissingData(t *testing.T) {
	shared := filepath.Join(datadir.ForTest(t), k92.Subdir)
	srv := httptest.NewServer(http.FileServer(http.Dir(shared)))
	defer srv.Close()
	t.Setenv(k92.MirrorEnvVar, srv.URL)
	dir := t.TempDir()
	var out, errb bytes.Buffer
	code := run([]string{"rsa", "compare", "--data", dir, "--method", "spearman", "kriegeskorte92:mIT", "kriegeskorte92:hIT"}, &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	// rsatoolbox compare, spearman, mIT vs hIT of the supplemental file.
	if got := strings.TrimSpace(out.String()); got != "0.4389238094" {
		t.Fatalf("value %q, want 0.4389238094", got)
	}
	for _, f := range k92.Files {
		if _, err := os.Stat(f.Path(dir)); err != nil {
			t.Fatalf("not downloaded: %v", err)
		}
	}
}

// A mirror serving nothing leaves a one-line error naming the missing file and where to put it.
func TestRSACompareOfflineError(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	t.Setenv(k92.MirrorEnvVar, srv.URL)
	dir := t.TempDir()
	var out, errb bytes.Buffer
	code := run([]string{"rsa", "compare", "--data", dir, "--method", "spearman", "kriegeskorte92:mIT", "kriegeskorte92:hIT"}, &out, &errb)
	if code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	msg := errb.String()
	if strings.Count(msg, "\n") != 1 || !strings.Contains(msg, "missing from "+dir) || !strings.Contains(msg, "put it at") {
		t.Fatalf("error: %q", msg)
	}
}
