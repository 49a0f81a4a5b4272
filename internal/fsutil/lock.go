package fsutil

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"
	"time"
)

// Holder describes the process holding a lock; it is written into the lock file as JSON.
type Holder struct {
	PID     int       `json:"pid"`
	Host    string    `json:"host"`
	Started time.Time `json:"started"`
	Command string    `json:"command,omitempty"`
}

// String reads "PID 123 on host h since 2026-12-01T10:00:00Z (coarsealign train ...)".
func (h Holder) String() string {
	if h.PID == 0 {
		return "an unknown process"
	}
	s := fmt.Sprintf("PID %d on host %s since %s", h.PID, h.Host, h.Started.Format(time.RFC3339))
	if h.Command != "" {
		s += " (" + h.Command + ")"
	}
	return s
}

// Alive reports whether the holder may still be running: true unless it ran on this host and
// no process has its PID.
func (h Holder) Alive() bool {
	if h.PID <= 0 || h.Host != hostname() {
		return true
	}
	err := syscall.Kill(h.PID, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

func hostname() string {
	h, err := os.Hostname()
	if err != nil {
		return "unknown"
	}
	return h
}

func self() Holder {
	cmd := strings.Join(os.Args, " ")
	if len(cmd) > 200 {
		cmd = cmd[:200] + "..."
	}
	return Holder{PID: os.Getpid(), Host: hostname(), Started: time.Now().UTC().Truncate(time.Second), Command: cmd}
}

// BusyError reports a lock held by another process.
type BusyError struct {
	Path   string
	Holder Holder
	// Unchecked is true when the holder left the lock file on another host, whose processes
	// cannot be checked from here.
	Unchecked bool
}

func (e *BusyError) Error() string {
	if e.Unchecked {
		return fmt.Sprintf("%s is locked by %s, on another host: if no process there uses it, delete %s", e.Path, e.Holder, e.Path)
	}
	return fmt.Sprintf("%s is locked by %s", e.Path, e.Holder)
}

// Lock is an exclusive lock taken with TryLock.
type Lock struct {
	f     *os.File
	path  string
	stale *Holder
}

// Stale returns the holder of a lock left behind by a process that died without unlocking
// (the lock was taken over), or nil.
func (l *Lock) Stale() *Holder { return l.stale }

// flock is syscall.Flock; tests replace it to exercise the fallback for file systems without
// flock(2).
var flock = syscall.Flock

// unsupported reports whether err means the file system has no flock(2).
func unsupported(err error) bool {
	return errors.Is(err, syscall.ENOLCK) || errors.Is(err, syscall.ENOTSUP) || errors.Is(err, syscall.EOPNOTSUPP) ||
		errors.Is(err, syscall.ENOSYS) || errors.Is(err, syscall.EINVAL)
}

// TryLock takes the exclusive lock on path without waiting. The lock is an flock(2) on the file
// (the kernel releases it when the process dies, even with kill -9), and the file names its
// holder (Holder) for the message other processes get: a *BusyError while a live process holds
// it. A lock file left by a process that died is taken over (Lock.Stale returns its holder);
// one left on another host is not (its process cannot be checked: BusyError.Unchecked). On file
// systems without flock(2) the file's existence is the lock, and a holder whose PID no longer
// runs on this host is stale. Unlock deletes the file.
func TryLock(path string) (*Lock, error) {
	for attempt := 0; attempt < 10; attempt++ {
		created := true
		f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_RDWR, FileMode)
		if errors.Is(err, os.ErrExist) {
			created = false
			f, err = os.OpenFile(path, os.O_RDWR, FileMode)
			if errors.Is(err, os.ErrNotExist) {
				continue // unlocked meanwhile
			}
		}
		if err != nil {
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		err = flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		switch {
		case errors.Is(err, syscall.EWOULDBLOCK):
			h, _ := readHolder(f)
			f.Close()
			if attempt < 2 {
				// Locked probes the lock for a moment: look again before reporting it busy.
				time.Sleep(20 * time.Millisecond)
				continue
			}
			return nil, &BusyError{Path: path, Holder: h}
		case err != nil && unsupported(err):
			f.Close()
			if created {
				os.Remove(path) // the empty file made just now; the fallback creates its own
			}
			return tryLockExcl(path)
		case err != nil:
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		// The file may have been deleted (unlocked) between the open and the flock: then the
		// lock is on a file nobody else sees. Start again.
		if !samePath(f, path) {
			f.Close()
			continue
		}
		prev, _ := readHolder(f)
		l := &Lock{f: f, path: path}
		if prev.PID != 0 {
			if prev.Host != hostname() {
				// Another host's process may hold it where flock does not reach (some network
				// file systems): leave the decision to a person.
				flock(int(f.Fd()), syscall.LOCK_UN)
				f.Close()
				return nil, &BusyError{Path: path, Holder: prev, Unchecked: true}
			}
			l.stale = &prev
		}
		if err := writeHolder(f); err != nil {
			l.Unlock()
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		return l, nil
	}
	return nil, fmt.Errorf("lock %s: the lock file keeps changing", path)
}

// tryLockExcl is TryLock where flock(2) is unsupported: the lock file is created exclusively.
func tryLockExcl(path string) (*Lock, error) {
	var stale *Holder
	for attempt := 0; attempt < 10; attempt++ {
		f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_RDWR, FileMode)
		if err == nil {
			if err := writeHolder(f); err != nil {
				f.Close()
				os.Remove(path)
				return nil, fmt.Errorf("lock %s: %w", path, err)
			}
			return &Lock{f: f, path: path, stale: stale}, nil
		}
		if !errors.Is(err, os.ErrExist) {
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		h, err := readHolderPath(path)
		if errors.Is(err, os.ErrNotExist) {
			continue // unlocked meanwhile
		}
		switch {
		case h.PID == 0:
			// Being written by its creator, or damaged: wait a moment, then report it.
			time.Sleep(20 * time.Millisecond)
			if attempt < 3 {
				continue
			}
			return nil, &BusyError{Path: path, Holder: h, Unchecked: true}
		case h.Host != hostname():
			return nil, &BusyError{Path: path, Holder: h, Unchecked: true}
		case h.Alive():
			return nil, &BusyError{Path: path, Holder: h}
		}
		stale = &h
		if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("lock %s: removing the stale lock of %s: %w", path, h, err)
		}
	}
	return nil, fmt.Errorf("lock %s: the lock file keeps changing", path)
}

func samePath(f *os.File, path string) bool {
	a, err := f.Stat()
	if err != nil {
		return false
	}
	b, err := os.Stat(path)
	return err == nil && os.SameFile(a, b)
}

func writeHolder(f *os.File) error {
	b, err := json.Marshal(self())
	if err != nil {
		return err
	}
	if err := f.Truncate(0); err != nil {
		return err
	}
	if _, err := f.WriteAt(append(b, '\n'), 0); err != nil {
		return err
	}
	return f.Sync()
}

func readHolder(f *os.File) (Holder, error) {
	var h Holder
	b, err := io.ReadAll(io.NewSectionReader(f, 0, 1<<16))
	if err != nil {
		return h, err
	}
	if len(strings.TrimSpace(string(b))) == 0 {
		return h, nil
	}
	err = json.Unmarshal(b, &h)
	return h, err
}

func readHolderPath(path string) (Holder, error) {
	f, err := os.Open(path)
	if err != nil {
		return Holder{}, err
	}
	defer f.Close()
	return readHolder(f)
}

// Unlock releases the lock and deletes the lock file (first, so that no process can take a lock
// on a file that is about to disappear unnoticed: TryLock checks that the file it locked is
// still the one at the path).
func (l *Lock) Unlock() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := os.Remove(l.path)
	if errors.Is(err, os.ErrNotExist) {
		err = nil
	}
	flock(int(l.f.Fd()), syscall.LOCK_UN)
	if cerr := l.f.Close(); err == nil {
		err = cerr
	}
	l.f = nil
	return err
}

// Locked returns the holder of the lock on path and whether a live process holds it (false if
// path does not exist).
func Locked(path string) (Holder, bool) {
	f, err := os.Open(path)
	if err != nil {
		return Holder{}, false
	}
	defer f.Close()
	h, _ := readHolder(f)
	err = flock(int(f.Fd()), syscall.LOCK_SH|syscall.LOCK_NB)
	switch {
	case err == nil:
		flock(int(f.Fd()), syscall.LOCK_UN)
		return h, false
	case errors.Is(err, syscall.EWOULDBLOCK):
		return h, true
	case unsupported(err):
		return h, h.PID != 0 && h.Alive()
	}
	return h, false
}
