// Package datadir resolves where coarsealign reads and caches data sets.
//
// The order is: an explicit directory (the CLI's --data flag), then the
// environment variable COARSEALIGN_DATA, then a per-user cache folder
// (os.UserCacheDir()/coarsealign). Tests use ForTest, which falls back to the
// repository's sibling ../shared/data when COARSEALIGN_DATA is unset.
package datadir

import (
	"errors"
	"os"
	"path/filepath"
)

// EnvVar is the environment variable naming the data directory.
const EnvVar = "COARSEALIGN_DATA"

// Resolve returns the data directory: flagValue if non-empty, else $COARSEALIGN_DATA,
// else the user cache folder. Relative paths are made absolute against the working directory.
func Resolve(flagValue string) string {
	dir := flagValue
	if dir == "" {
		dir = os.Getenv(EnvVar)
	}
	if dir == "" {
		if c, err := os.UserCacheDir(); err == nil {
			dir = filepath.Join(c, "coarsealign")
		} else {
			dir = filepath.Join(os.TempDir(), "coarsealign-data")
		}
	}
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	return dir
}

// RepoRoot walks up from the working directory to the folder holding go.mod.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("datadir: go.mod not found above the working directory")
		}
		dir = parent
	}
}

// TB is the subset of testing.TB used by ForTest (kept small so this package does not import testing).
type TB interface {
	Helper()
	Skipf(format string, args ...any)
	Fatalf(format string, args ...any)
}

// ForTest returns the data directory for tests: $COARSEALIGN_DATA if set (relative
// paths are resolved against the repository root), else <repo>/../shared/data.
// It skips the test with a clear message when the directory does not exist,
// and fails it instead when the CI environment variable is set.
func ForTest(t TB) string {
	t.Helper()
	root, err := RepoRoot()
	if err != nil {
		t.Skipf("datadir: %v", err)
		return ""
	}
	dir := os.Getenv(EnvVar)
	switch {
	case dir == "":
		dir = filepath.Join(root, "..", "shared", "data")
	case !filepath.IsAbs(dir):
		dir = filepath.Join(root, dir)
	}
	dir = filepath.Clean(dir)
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		if os.Getenv("CI") != "" {
			t.Fatalf("datadir: test data not found at %s (set %s); CI must have it", dir, EnvVar)
		}
		t.Skipf("datadir: test data not found at %s (set %s)", dir, EnvVar)
	}
	return dir
}

// SkipOrFail skips the test when data it needs is missing, except under CI (the CI environment
// variable set), where missing data is a failure: CI must exercise the real-data tests.
func SkipOrFail(t TB, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf(format, args...)
	}
	t.Skipf(format, args...)
}
