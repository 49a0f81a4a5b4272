// Package fetch downloads data files into the data directory with SHA-256
// verification, and explains what to do when a file is missing offline.
//
// Downloads stream into a temporary file in the destination folder, are hashed
// on the way, and are renamed into place only when the checksum matches, so a
// partial or corrupt download never sits at the final path.
package fetch

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/coarsealign/coarsealign/internal/fsutil"
)

// File describes one downloadable file.
type File struct {
	// Name is the path relative to the data directory, with forward slashes
	// (e.g. "kriegeskorte92/92_brainRDMs.mat").
	Name string
	// URL is the canonical download address.
	URL string
	// SHA256 is the expected lower-case hex digest of the file.
	SHA256 string
}

// Path returns where f lives under dataDir.
func (f File) Path(dataDir string) string {
	return filepath.Join(dataDir, filepath.FromSlash(f.Name))
}

// MissingError reports a file absent from the data directory.
type MissingError struct {
	File File
	Dir  string
}

func (e *MissingError) Error() string {
	return fmt.Sprintf("file %s missing from %s; download %s and put it at %s (or set COARSEALIGN_DATA)",
		e.File.Name, e.Dir, e.File.URL, e.File.Path(e.Dir))
}

// ChecksumError reports a file whose SHA-256 differs from the expected one.
type ChecksumError struct {
	Path      string
	Got, Want string
}

func (e *ChecksumError) Error() string {
	return fmt.Sprintf("%s: SHA-256 %s, want %s (corrupt or different version; delete it and download again)", e.Path, e.Got, e.Want)
}

// HashFile returns the lower-case hex SHA-256 of the file at path.
func HashFile(path string) (string, error) {
	fh, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer fh.Close()
	h := sha256.New()
	if _, err := io.Copy(h, fh); err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Check returns nil if f is present under dataDir with the right checksum,
// a *MissingError if it is absent, and a *ChecksumError if it differs.
func Check(dataDir string, f File) error {
	p := f.Path(dataDir)
	if _, err := os.Stat(p); errors.Is(err, os.ErrNotExist) {
		return &MissingError{File: f, Dir: dataDir}
	}
	got, err := HashFile(p)
	if err != nil {
		return err
	}
	if !strings.EqualFold(got, f.SHA256) {
		return &ChecksumError{Path: p, Got: got, Want: f.SHA256}
	}
	return nil
}

// Options configures Download and Ensure. The zero value is usable.
type Options struct {
	// Client is the HTTP client; nil means a client with a 10-minute timeout.
	Client *http.Client
	// MaxBytes caps the download size; 0 means 2 GiB.
	MaxBytes int64
	// Progress, if not nil, receives one line per file downloaded.
	Progress io.Writer
}

// Download fetches url into dest, verifying its SHA-256 (hex) before renaming
// the temporary file into place. Parent folders are created.
func Download(ctx context.Context, url, dest, wantSHA256 string, opts *Options) error {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Client == nil {
		o.Client = &http.Client{Timeout: 10 * time.Minute}
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = 2 << 30
	}
	if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := o.Client.Do(req)
	if err != nil {
		return fmt.Errorf("download %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("download %s: HTTP %s", url, resp.Status)
	}
	tmp, err := os.CreateTemp(filepath.Dir(dest), "."+filepath.Base(dest)+".*.part")
	if err != nil {
		return err
	}
	tmpName := tmp.Name()
	ok := false
	defer func() {
		if !ok {
			tmp.Close()
			os.Remove(tmpName)
		}
	}()
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), io.LimitReader(resp.Body, o.MaxBytes+1))
	if err != nil {
		return fmt.Errorf("download %s: %w", url, err)
	}
	if n > o.MaxBytes {
		return fmt.Errorf("download %s: larger than the limit of %d bytes", url, o.MaxBytes)
	}
	if got := hex.EncodeToString(h.Sum(nil)); !strings.EqualFold(got, wantSHA256) {
		return fmt.Errorf("download %s: %w", url, &ChecksumError{Path: dest, Got: got, Want: wantSHA256})
	}
	if err := fsutil.ChmodTemp(tmp); err != nil { // CreateTemp makes 0600 files
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmpName, dest); err != nil {
		return err
	}
	ok = true
	if o.Progress != nil {
		fmt.Fprintf(o.Progress, "downloaded %s (%d bytes, sha256 ok) to %s\n", url, n, dest)
	}
	return nil
}

// Ensure makes every file present and verified under dataDir, downloading the
// missing ones. A file present with a wrong checksum is an error, not replaced.
func Ensure(ctx context.Context, dataDir string, files []File, opts *Options) error {
	for _, f := range files {
		err := Check(dataDir, f)
		var miss *MissingError
		switch {
		case err == nil:
			continue
		case errors.As(err, &miss):
			if derr := Download(ctx, f.URL, f.Path(dataDir), f.SHA256, opts); derr != nil {
				return fmt.Errorf("%w (%v)", err, derr)
			}
		default:
			return err
		}
	}
	return nil
}
