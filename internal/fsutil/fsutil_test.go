package fsutil

import (
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestPermsFollowUmask(t *testing.T) {
	if _, ok := procUmask(); !ok {
		t.Skip("no /proc/self/status Umask line: the mask is read once at start-up")
	}
	old := syscall.Umask(0o027)
	defer syscall.Umask(old)
	if got := Umask(); got != 0o027 {
		t.Fatalf("Umask() = %o, want 027", got)
	}
	dir := t.TempDir()
	f, err := os.CreateTemp(dir, "x")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := ChmodTemp(f); err != nil {
		t.Fatal(err)
	}
	st, _ := f.Stat()
	if st.Mode().Perm() != 0o640 {
		t.Errorf("ChmodTemp: mode %o, want 640 (0644 less umask 027)", st.Mode().Perm())
	}
	d, err := os.MkdirTemp(dir, "d")
	if err != nil {
		t.Fatal(err)
	}
	if err := ChmodTempDir(d); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(d); st.Mode().Perm() != 0o750 {
		t.Errorf("ChmodTempDir: mode %o, want 750", st.Mode().Perm())
	}
	syscall.Umask(0o022)
	if FilePerm() != 0o644 || DirPerm() != 0o755 {
		t.Errorf("umask 022: FilePerm %o DirPerm %o, want 644 755", FilePerm(), DirPerm())
	}
}

// deadPID returns the PID of a process that has exited (and been reaped).
func deadPID(t *testing.T) int {
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Skipf("cannot run true: %v", err)
	}
	return cmd.ProcessState.Pid()
}

func writeLockFile(t *testing.T, path string, h Holder) {
	b := `{"pid":` + strconv.Itoa(h.PID) + `,"host":"` + h.Host + `","started":"2026-01-02T03:04:05Z","command":"old"}`
	if err := os.WriteFile(path, []byte(b), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestTryLockNamesHolder(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lock")
	l, err := TryLock(path)
	if err != nil {
		t.Fatal(err)
	}
	if l.Stale() != nil {
		t.Errorf("fresh lock reports a stale holder %v", l.Stale())
	}
	_, err = TryLock(path)
	var be *BusyError
	if !errors.As(err, &be) {
		t.Fatalf("second TryLock: %v, want a *BusyError", err)
	}
	host, _ := os.Hostname()
	if be.Holder.PID != os.Getpid() || be.Holder.Host != host || time.Since(be.Holder.Started) > time.Minute || be.Unchecked {
		t.Errorf("holder %+v, want this process on %s, started just now", be.Holder, host)
	}
	if msg := err.Error(); !strings.Contains(msg, "PID "+strconv.Itoa(os.Getpid())) || !strings.Contains(msg, host) || !strings.Contains(msg, path) {
		t.Errorf("message %q does not name the path, PID and host", msg)
	}
	if h, held := Locked(path); !held || h.PID != os.Getpid() {
		t.Errorf("Locked = %+v, %v while held", h, held)
	}
	if err := l.Unlock(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Unlock left the lock file: %v", err)
	}
	if _, held := Locked(path); held {
		t.Error("Locked after Unlock")
	}
	l, err = TryLock(path)
	if err != nil {
		t.Fatalf("TryLock after Unlock: %v", err)
	}
	l.Unlock()
}

func TestTryLockRecoversStaleLock(t *testing.T) {
	host, _ := os.Hostname()
	path := filepath.Join(t.TempDir(), "lock")
	dead := deadPID(t)
	writeLockFile(t, path, Holder{PID: dead, Host: host}) // left by a process killed with -9
	if _, held := Locked(path); held {
		t.Error("Locked reports a dead holder's file as held")
	}
	l, err := TryLock(path)
	if err != nil {
		t.Fatalf("stale lock not recovered: %v", err)
	}
	if s := l.Stale(); s == nil || s.PID != dead {
		t.Errorf("Stale() = %v, want PID %d", s, dead)
	}
	if h, _ := readHolderPath(path); h.PID != os.Getpid() {
		t.Errorf("lock file names %+v after the take-over", h)
	}
	l.Unlock()

	// A file left on another host is not taken over: its process cannot be checked.
	writeLockFile(t, path, Holder{PID: dead, Host: "elsewhere.invalid"})
	_, err = TryLock(path)
	var be *BusyError
	if !errors.As(err, &be) || !be.Unchecked || !strings.Contains(err.Error(), "delete "+path) {
		t.Errorf("other host's lock: %v", err)
	}
}

func TestTryLockWithoutFlock(t *testing.T) {
	flock = func(int, int) error { return syscall.ENOLCK }
	defer func() { flock = syscall.Flock }()
	host, _ := os.Hostname()
	path := filepath.Join(t.TempDir(), "lock")
	l, err := TryLock(path)
	if err != nil {
		t.Fatal(err)
	}
	var be *BusyError
	if _, err := TryLock(path); !errors.As(err, &be) || be.Holder.PID != os.Getpid() || be.Unchecked {
		t.Fatalf("second TryLock without flock: %v", err)
	}
	if _, held := Locked(path); !held {
		t.Error("Locked without flock: not held")
	}
	l.Unlock()
	dead := deadPID(t)
	writeLockFile(t, path, Holder{PID: dead, Host: host})
	if _, held := Locked(path); held {
		t.Error("Locked without flock: a dead holder counts as holding")
	}
	l, err = TryLock(path)
	if err != nil {
		t.Fatalf("dead holder without flock: %v", err)
	}
	if s := l.Stale(); s == nil || s.PID != dead {
		t.Errorf("Stale() = %v, want PID %d", s, dead)
	}
	l.Unlock()
	writeLockFile(t, path, Holder{PID: os.Getppid(), Host: host}) // alive: the test runner
	if _, err := TryLock(path); !errors.As(err, &be) || be.Holder.PID != os.Getppid() {
		t.Errorf("live holder without flock: %v", err)
	}
}

func TestWriteFileAtomic(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	dir := t.TempDir()
	path := filepath.Join(dir, "results.csv")
	if err := WriteFileAtomic(path, func(w io.Writer) error { _, err := io.WriteString(w, "a,b\n"); return err }); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o644 {
		t.Fatalf("%v, mode %o, want 644", err, st.Mode().Perm())
	}
	// A failed write leaves the old content and no temporary file.
	if err := WriteFileAtomic(path, func(w io.Writer) error { io.WriteString(w, "partial"); return errors.New("boom") }); err == nil {
		t.Fatal("no error")
	}
	if b, _ := os.ReadFile(path); string(b) != "a,b\n" {
		t.Fatalf("content %q after a failed write", b)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Fatalf("folder holds %d entries, want 1", len(ents))
	}
}
