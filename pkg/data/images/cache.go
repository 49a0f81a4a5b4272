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

	"github.com/coarsealign/coarsealign/internal/fsutil"
)

// Cache file layout (version 2), all integers little-endian:
//
//	[0, 4096)            prefix: cacheMagic, then uint64 pixel offset (4096), pixel length,
//	                     header offset, header length; zero padding
//	[4096, 4096+P)       pixels, N x H x W x 3 uint8 (page-aligned, so they can be memory-mapped)
//	[4096+P, ...)        JSON header (cacheHeader)
const (
	cacheMagic  = "COARSEALIGN-IMAGES-2\n"
	cachePixOff = 4096
)

var errStaleCache = errors.New("images: cache key does not match")

// cacheHeader is the JSON header of a cache file.
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

// cacheName names the cache file of a (root, size, policy, JPEG conversion): a changed file list
// rewrites the same file instead of leaving stale ones behind.
func cacheName(absRoot string, opts Options) string {
	h := sha256.Sum256(fmt.Appendf(nil, "%s\x00size=%d\x00policy=%s\x00jpeg=%s", absRoot, opts.Size, opts.Policy, opts.JPEG))
	return "images-" + hex.EncodeToString(h[:12]) + ".cache"
}

func cacheKey(absRoot string, opts Options, files []fileEntry) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00size=%d\x00policy=%s\x00jpeg=%s\x00", absRoot, opts.Size, opts.Policy, opts.JPEG)
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

// buildCache writes a cache file atomically (temporary file + rename). decode
// receives an allocator whose buffer is, where supported, a writable mapping of
// the temporary file, so pixels are decoded straight to disk and a data set
// larger than memory can be cached.
func buildCache(path, key string, decode func(alloc func(n, s int) ([]uint8, error)) (*Dataset, error)) (err error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("images: cache folder: %w", err)
	}
	f, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("images: cache: %w", err)
	}
	var mapped []byte
	defer func() {
		if mapped != nil {
			unmapFile(mapped)
		}
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	alloc := func(n, s int) ([]uint8, error) {
		if err := f.Truncate(int64(cachePixOff + n*s)); err != nil {
			return nil, fmt.Errorf("images: cache %s: %w", f.Name(), err)
		}
		if m, err := mapFile(f, cachePixOff, n*s, true); err == nil {
			mapped = m
			return m, nil
		}
		return make([]uint8, n*s), nil // no mmap: decode in memory, written below
	}
	ds, err := decode(alloc)
	if err != nil {
		return err
	}
	wrap := func(e error) error { return fmt.Errorf("images: writing cache %s: %w", path, e) }
	pixLen := len(ds.Pix)
	if mapped == nil {
		if _, err := f.WriteAt(ds.Pix, cachePixOff); err != nil {
			return wrap(err)
		}
	} else {
		if err := unmapFile(mapped); err != nil {
			mapped = nil
			return wrap(err)
		}
		mapped = nil
	}
	hdr, err := json.Marshal(cacheHeader{Key: key, Source: ds.Source, Classes: ds.Classes, N: ds.N, H: ds.H, W: ds.W,
		Labels: ds.Labels, Paths: ds.Paths, Stats: ds.Stats, Skipped: ds.Skipped})
	if err != nil {
		return wrap(err)
	}
	hdrOff := int64(cachePixOff + pixLen)
	if err := f.Truncate(hdrOff); err != nil {
		return wrap(err)
	}
	if _, err := f.WriteAt(hdr, hdrOff); err != nil {
		return wrap(err)
	}
	prefix := make([]byte, cachePixOff)
	copy(prefix, cacheMagic)
	o := len(cacheMagic)
	for _, v := range []uint64{cachePixOff, uint64(pixLen), uint64(hdrOff), uint64(len(hdr))} {
		binary.LittleEndian.PutUint64(prefix[o:], v)
		o += 8
	}
	if _, err := f.WriteAt(prefix, 0); err != nil {
		return wrap(err)
	}
	if err := fsutil.ChmodTemp(f); err != nil { // CreateTemp makes 0600 files
		return wrap(err)
	}
	if err := f.Sync(); err != nil {
		return wrap(err)
	}
	if err := f.Close(); err != nil {
		return wrap(err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return wrap(err)
	}
	return nil
}

// readCache opens a cache file: it reads the prefix and JSON header and maps the
// pixels (copy-on-write, so writes to Pix stay private) or, where mapping is not
// supported, reads them with one read. It returns an error wrapping
// fs.ErrNotExist if there is no file and errStaleCache if the key differs.
func readCache(path, key string) (*Dataset, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	bad := func(what string) error { return fmt.Errorf("images: cache %s: %s", path, what) }
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	prefix := make([]byte, cachePixOff)
	if _, err := f.ReadAt(prefix, 0); err != nil {
		return nil, bad("truncated prefix")
	}
	if !bytes.HasPrefix(prefix, []byte(cacheMagic)) {
		return nil, bad("bad magic (not a cache file or another version)")
	}
	var v [4]uint64
	for i := range v {
		v[i] = binary.LittleEndian.Uint64(prefix[len(cacheMagic)+8*i:])
	}
	pixOff, pixLen, hdrOff, hdrLen := v[0], v[1], v[2], v[3]
	size := uint64(st.Size())
	if pixOff != cachePixOff || pixLen > size || hdrOff != pixOff+pixLen || hdrLen > size || hdrOff+hdrLen != size {
		return nil, bad(fmt.Sprintf("inconsistent layout (pixels %d+%d, header %d+%d, file %d bytes)", pixOff, pixLen, hdrOff, hdrLen, size))
	}
	hb := make([]byte, hdrLen)
	if _, err := f.ReadAt(hb, int64(hdrOff)); err != nil {
		return nil, bad("header: " + err.Error())
	}
	var h cacheHeader
	if err := json.Unmarshal(hb, &h); err != nil {
		return nil, bad("header: " + err.Error())
	}
	if h.Key != key {
		return nil, errStaleCache
	}
	if h.N <= 0 || h.H <= 0 || h.W <= 0 || pixLen != uint64(h.N*h.H*h.W*3) || len(h.Labels) != h.N || len(h.Paths) != h.N {
		return nil, bad(fmt.Sprintf("sizes do not match (n=%d h=%d w=%d, %d pixel bytes, %d labels, %d paths)", h.N, h.H, h.W, pixLen, len(h.Labels), len(h.Paths)))
	}
	for i, l := range h.Labels {
		if l < 0 || int(l) >= len(h.Classes) {
			return nil, bad(fmt.Sprintf("label %d of image %d out of range", l, i))
		}
	}
	ds := &Dataset{Source: h.Source, Classes: h.Classes, N: h.N, H: h.H, W: h.W,
		Labels: h.Labels, Paths: h.Paths, Stats: h.Stats, Skipped: h.Skipped}
	if m, err := mapFile(f, int64(pixOff), int(pixLen), false); err == nil {
		ds.Pix, ds.mapped = m, m
		return ds, nil
	}
	ds.Pix = make([]uint8, pixLen)
	if _, err := f.ReadAt(ds.Pix, int64(pixOff)); err != nil {
		return nil, bad("pixels: " + err.Error())
	}
	return ds, nil
}

// Close releases the memory mapping of a data set loaded from the cache (a
// no-op otherwise). Pix must not be used afterwards.
func (ds *Dataset) Close() error {
	if ds.mapped == nil {
		return nil
	}
	m := ds.mapped
	ds.mapped, ds.Pix = nil, nil
	return unmapFile(m)
}
