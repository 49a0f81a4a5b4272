// Package fsutil holds the file-system conventions shared by the packages that write run
// folders, data and caches: permissions that follow the umask (Perm, ChmodTemp) and an
// exclusive lock on a file that names its holder (TryLock). It depends on the standard library
// only (tier 0).
package fsutil

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// Modes of new files and folders before the umask, as os.Create and os.MkdirAll callers in this
// project use them.
const (
	FileMode os.FileMode = 0o644
	DirMode  os.FileMode = 0o755
)

var (
	umaskOnce  sync.Once
	startUmask os.FileMode
)

func init() { Umask() } // early: without /proc the mask is read by changing it for a moment.

// Umask returns the process's file-mode creation mask: from /proc/self/status where Linux
// provides it (the current value), else the mask at start-up, read by setting and restoring it
// during package initialisation.
func Umask() os.FileMode {
	if m, ok := procUmask(); ok {
		return m
	}
	umaskOnce.Do(func() {
		old := syscall.Umask(0o022)
		syscall.Umask(old)
		startUmask = os.FileMode(old) & os.ModePerm
	})
	return startUmask
}

func procUmask() (os.FileMode, bool) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "Umask:"); ok {
			m, err := strconv.ParseUint(strings.TrimSpace(v), 8, 32)
			if err != nil {
				return 0, false
			}
			return os.FileMode(m) & os.ModePerm, true
		}
	}
	return 0, false
}

// FilePerm is the mode of a new file: FileMode (0644) less the umask.
func FilePerm() os.FileMode { return FileMode &^ Umask() }

// DirPerm is the mode of a new folder: DirMode (0755) less the umask.
func DirPerm() os.FileMode { return DirMode &^ Umask() }

// ChmodTemp gives a file made by os.CreateTemp (mode 0600) the mode of an ordinary new file
// (FilePerm), so that an atomic write (temporary file, then rename) publishes a file others
// may read, as os.Create would have. Call it before the rename.
func ChmodTemp(f *os.File) error { return f.Chmod(FilePerm()) }

// ChmodTempDir gives a folder made by os.MkdirTemp (mode 0700) the mode of an ordinary new
// folder (DirPerm). Call it before the rename.
func ChmodTempDir(path string) error { return os.Chmod(path, DirPerm()) }
