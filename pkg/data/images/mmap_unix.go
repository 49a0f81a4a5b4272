//go:build linux || darwin || freebsd || netbsd || openbsd

package images

import (
	"os"
	"syscall"
)

// mapFile maps length bytes of f from offset (a multiple of the page size).
// writable maps shared and writable (writes reach the file); otherwise the
// mapping is private copy-on-write, so writes never reach the file.
func mapFile(f *os.File, offset int64, length int, writable bool) ([]byte, error) {
	prot, flags := syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE
	if writable {
		flags = syscall.MAP_SHARED
	}
	return syscall.Mmap(int(f.Fd()), offset, length, prot, flags)
}

func unmapFile(b []byte) error { return syscall.Munmap(b) }
