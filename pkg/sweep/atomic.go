package sweep

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/coarsealign/coarsealign/internal/fsutil"
)

// TempPrefix starts the name of every temporary file or folder; readers never look at such
// names and the runner deletes leftovers (from a killed process) before it resumes a run.
const TempPrefix = fsutil.TempPrefix

// WriteFileAtomic writes path through write: into a temporary file in the same folder,
// flushed and fsynced, then renamed over path, then the folder is fsynced (fsutil.WriteFileAtomic).
// A crash at any moment leaves either the old content (or no file) or the complete new content.
func WriteFileAtomic(path string, write func(w io.Writer) error) error {
	if err := fsutil.WriteFileAtomic(path, write); err != nil {
		return fmt.Errorf("sweep: %w", err)
	}
	return nil
}

// WriteDirAtomic builds the folder path through build, which fills a temporary folder
// in the same parent; every file in it is fsynced, then the folder is renamed to path
// (replacing an existing one) and the parent is fsynced. Use it for artifacts that a
// library writes as several files (e.g. a GoMLX checkpoint).
func WriteDirAtomic(path string, build func(tmpDir string) error) (err error) {
	parent, base := filepath.Split(filepath.Clean(path))
	if parent == "" {
		parent = "."
	}
	tmp, err := os.MkdirTemp(parent, TempPrefix+base+"-*")
	if err != nil {
		return fmt.Errorf("sweep: write %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			os.RemoveAll(tmp)
		}
	}()
	if err = fsutil.ChmodTempDir(tmp); err != nil { // MkdirTemp makes 0700 folders
		return fmt.Errorf("sweep: write %s: %w", path, err)
	}
	if err = build(tmp); err != nil {
		return fmt.Errorf("sweep: write %s: %w", path, err)
	}
	if err = syncTree(tmp); err != nil {
		return fmt.Errorf("sweep: fsync %s: %w", path, err)
	}
	if _, statErr := os.Stat(path); statErr == nil {
		// rename(2) cannot replace a non-empty folder: move the old one aside first.
		old := filepath.Join(parent, TempPrefix+base+"-old")
		os.RemoveAll(old)
		if err = os.Rename(path, old); err != nil {
			return fmt.Errorf("sweep: replace %s: %w", path, err)
		}
		defer os.RemoveAll(old)
	}
	if err = os.Rename(tmp, path); err != nil {
		return fmt.Errorf("sweep: rename %s: %w", path, err)
	}
	return syncDir(parent)
}

// syncTree fsyncs every file and folder below root (root included).
func syncTree(root string) error {
	return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return syncDir(p)
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		return f.Sync()
	})
}

func syncDir(dir string) error {
	if err := fsutil.SyncDir(dir); err != nil {
		return fmt.Errorf("sweep: %w", err)
	}
	return nil
}

// removeTemps deletes leftovers of interrupted atomic writes directly inside dir.
func removeTemps(dir string) error {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), TempPrefix) {
			if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
				return err
			}
		}
	}
	return nil
}

// lockFile is the run lock: an fsutil lock file (flock(2), released by the kernel when the
// process dies; the file names its holder; a dead holder's file on this host is taken over).
type lockFile struct{ l *fsutil.Lock }

// tryLock takes the lock without waiting; ok is false if another process holds it.
func tryLock(path string) (l *lockFile, ok bool, err error) {
	fl, err := fsutil.TryLock(path)
	if _, busy := errors.AsType[*fsutil.BusyError](err); busy {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("sweep: %w", err)
	}
	return &lockFile{l: fl}, true, nil
}

func (l *lockFile) unlock() {
	if l != nil && l.l != nil {
		l.l.Unlock()
		l.l = nil
	}
}

// locked reports whether another process holds the lock on path (false if path does not exist).
func locked(path string) bool {
	_, held := fsutil.Locked(path)
	return held
}
