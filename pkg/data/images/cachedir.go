package images

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
)

// CacheDirFor resolves a cache setting (the CLI's --cache flag) to Options.CacheDir: "" means
// the default folder (the user cache folder's coarsealign/images, else the temp folder's
// coarsealign-images), "none" disables the cache (returns ""), anything else is used as is.
func CacheDirFor(setting string) string {
	switch setting {
	case "none":
		return ""
	case "":
		if c, err := os.UserCacheDir(); err == nil {
			return filepath.Join(c, "coarsealign", "images")
		}
		return filepath.Join(os.TempDir(), "coarsealign-images")
	}
	return setting
}

var (
	// cacheWarnings receives the warning about a cache folder that cannot be used.
	cacheWarnings io.Writer = os.Stderr
	cacheWarned   sync.Map  // folder -> struct{}: warned once per process
)

// usableCacheDir returns dir if the decoded-image cache can live there (the folder exists or
// can be created, and a file can be written in it). Otherwise it returns "" (no cache: the
// images are decoded, as with --cache none) after a one-line warning, once per folder, that
// says why and how to choose another folder.
func usableCacheDir(dir string) string {
	if dir == "" {
		return ""
	}
	err := os.MkdirAll(dir, 0o755)
	if err == nil {
		var f *os.File
		if f, err = os.CreateTemp(dir, ".probe-*"); err == nil {
			f.Close()
			os.Remove(f.Name())
		}
	}
	if err == nil {
		return dir
	}
	if _, seen := cacheWarned.LoadOrStore(dir, struct{}{}); !seen {
		fmt.Fprintf(cacheWarnings, "warning: image cache folder %s cannot be used (%v); decoding the images without a cache (--cache DIR chooses another folder, --cache none turns the cache off)\n", dir, err)
	}
	return ""
}
