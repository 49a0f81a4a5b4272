//go:build !(linux || darwin || freebsd || netbsd || openbsd)

package images

import (
	"errors"
	"os"
)

var errNoMmap = errors.New("images: memory mapping not supported on this platform")

// mapFile is not supported here: callers fall back to reading into memory.
func mapFile(f *os.File, offset int64, length int, writable bool) ([]byte, error) {
	return nil, errNoMmap
}

func unmapFile(b []byte) error { return nil }
