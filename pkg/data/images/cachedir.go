package images

import (
	"os"
	"path/filepath"
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
