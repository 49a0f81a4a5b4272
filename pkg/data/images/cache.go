package images

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
)

// cacheMagic starts every cache file; the digit is the format version.
const cacheMagic = "COARSEALIGN-IMAGES-1\n"

var errStaleCache = errors.New("images: cache key does not match")

// cacheHeader is the JSON header of a cache file. The pixels follow it.
type cacheHeader struct {
	Key     string    `json:"key"`
	Source  string    `json:"source"`
	Classes []string  `json:"classes"`
	N       int       `json:"n"`
	H       int       `json:"h"`
	W       int       `json:"w"`
	Labels  []int32   `json:"labels"`
	Paths   []string  `json:"paths"`
	Stats   Stats     `json:"stats"`
	Skipped []Skipped `json:"skipped,omitempty"`
}

// cacheName names the cache file of a (root, size, policy): a changed file list
// rewrites the same file instead of leaving stale ones behind.
func cacheName(absRoot string, opts Options) string {
	h := sha256.Sum256(fmt.Appendf(nil, "%s\x00size=%d\x00policy=%s", absRoot, opts.Size, opts.Policy))
	return "images-" + hex.EncodeToString(h[:12]) + ".cache"
}

func cacheKey(absRoot string, opts Options, files []fileEntry) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00size=%d\x00policy=%s\x00", absRoot, opts.Size, opts.Policy)
	var b []byte
	for _, f := range files {
		b = b[:0]
		b = append(b, f.rel...)
		b = append(b, 0)
		b = strconv.AppendInt(b, f.size, 10)
		b = append(b, 0)
		b = strconv.AppendInt(b, f.mtime, 10)
		b = append(b, '\n')
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// writeCache writes ds to path atomically: a temporary file in the same folder, then rename.
func writeCache(path, key string, ds *Dataset) error {
	hdr, err := json.Marshal(cacheHeader{Key: key, Source: ds.Source, Classes: ds.Classes, N: ds.N, H: ds.H, W: ds.W,
		Labels: ds.Labels, Paths: ds.Paths, Stats: ds.Stats, Skipped: ds.Skipped})
	if err != nil {
		return fmt.Errorf("images: cache header: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("images: cache folder: %w", err)
	}
	f, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("images: cache: %w", err)
	}
	tmp := f.Name()
	fail := func(err error) error {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("images: writing cache %s: %w", path, err)
	}
	var lenBuf [8]byte
	binary.LittleEndian.PutUint64(lenBuf[:], uint64(len(hdr)))
	for _, part := range [][]byte{[]byte(cacheMagic), lenBuf[:], hdr, ds.Pix} {
		if _, err := f.Write(part); err != nil {
			return fail(err)
		}
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("images: writing cache %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("images: writing cache %s: %w", path, err)
	}
	return nil
}

// readCache loads a cache file with one read; the returned Pix aliases the file buffer.
// It returns an error wrapping fs.ErrNotExist if there is no file and errStaleCache
// if the key differs.
func readCache(path, key string) (*Dataset, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	bad := func(what string) error { return fmt.Errorf("images: cache %s: %s", path, what) }
	if !bytes.HasPrefix(data, []byte(cacheMagic)) {
		return nil, bad("bad magic (not a cache file or another version)")
	}
	data = data[len(cacheMagic):]
	if len(data) < 8 {
		return nil, bad("truncated header length")
	}
	hl := binary.LittleEndian.Uint64(data[:8])
	data = data[8:]
	if hl > uint64(len(data)) {
		return nil, bad("truncated header")
	}
	var h cacheHeader
	if err := json.Unmarshal(data[:hl], &h); err != nil {
		return nil, bad("header: " + err.Error())
	}
	if h.Key != key {
		return nil, errStaleCache
	}
	pix := data[hl:]
	if h.N < 0 || h.H <= 0 || h.W <= 0 || len(pix) != h.N*h.H*h.W*3 || len(h.Labels) != h.N || len(h.Paths) != h.N {
		return nil, bad(fmt.Sprintf("sizes do not match (n=%d h=%d w=%d, %d pixel bytes, %d labels, %d paths)", h.N, h.H, h.W, len(pix), len(h.Labels), len(h.Paths)))
	}
	for i, l := range h.Labels {
		if l < 0 || int(l) >= len(h.Classes) {
			return nil, bad(fmt.Sprintf("label %d of image %d out of range", l, i))
		}
	}
	return &Dataset{Source: h.Source, Classes: h.Classes, N: h.N, H: h.H, W: h.W, Pix: pix,
		Labels: h.Labels, Paths: h.Paths, Stats: h.Stats, Skipped: h.Skipped}, nil
}
