package images

import (
	"errors"
	"fmt"
	"image"
	_ "image/jpeg" // register JPEG
	_ "image/png"  // register PNG
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"

	"golang.org/x/image/draw"
)

// CorruptPolicy says what to do with an image that cannot be decoded.
type CorruptPolicy int

const (
	// FailCorrupt stops loading with an error naming the first bad file (the default).
	FailCorrupt CorruptPolicy = iota
	// SkipCorrupt drops bad files and lists them in Dataset.Skipped.
	SkipCorrupt
)

func (p CorruptPolicy) String() string {
	if p == SkipCorrupt {
		return "skip"
	}
	return "fail"
}

// Options configure LoadFolder.
type Options struct {
	// Size is the output side in pixels: images are resized (bilinear) so the
	// shorter side is Size and centre-cropped to Size x Size. 0 keeps the native
	// size, which must then be the same for every image.
	Size int
	// Policy says what to do with corrupt images (default FailCorrupt).
	Policy CorruptPolicy
	// CacheDir, if not empty, is the folder of the decoded-pixel cache.
	CacheDir string
	// Workers is the number of decoding goroutines; 0 means runtime.GOMAXPROCS(0).
	Workers int
	// JPEG selects the conversion of JPEG's YCbCr to RGB ("" means JPEGLibjpeg).
	JPEG JPEGDecoder
}

// JPEGDecoder names a conversion of decoded JPEG data (YCbCr, subsampled chroma) to RGB.
type JPEGDecoder string

const (
	// JPEGLibjpeg, the default, converts as libjpeg does by default (fancy chroma upsampling,
	// libjpeg's colour tables), so that coarsealign sees the pixels PIL, torchvision and the
	// study's code see: on the CIFAR-10 JPEGs of the test data, 97% of values equal PIL's and
	// none differs by more than 3 levels (the decoders' inverse DCTs differ).
	JPEGLibjpeg JPEGDecoder = "libjpeg"
	// JPEGGo keeps Go's image/jpeg conversion (nearest chroma sample): 1.3 levels from PIL's on
	// average, up to 56 at colour edges. coarsealign used it before 2026-12-01.
	JPEGGo JPEGDecoder = "go"
)

// resolve returns the decoder with "" as JPEGLibjpeg, or an error for an unknown name.
func (d JPEGDecoder) resolve() (JPEGDecoder, error) {
	switch d {
	case "", JPEGLibjpeg:
		return JPEGLibjpeg, nil
	case JPEGGo:
		return JPEGGo, nil
	}
	return "", fmt.Errorf("images: JPEG decoder %q: want %q or %q", string(d), JPEGLibjpeg, JPEGGo)
}

// imageExts are the file extensions LoadFolder reads (lower case).
var imageExts = map[string]bool{".jpg": true, ".jpeg": true, ".png": true}

// fileEntry is one image file found under the root.
type fileEntry struct {
	rel   string // slash-separated path relative to root
	label int32
	size  int64
	mtime int64
}

// walkFolder lists the class folders of root (its sub-folders not starting with ".", sorted by
// name) and calls visit for every .jpg/.jpeg/.png file under each (hidden sub-folders skipped;
// WalkDir order, i.e. sorted by path) with the class index and the slash-separated path relative
// to root. Files with other extensions are ignored. A class folder without any image file is an
// error naming every such folder: it would still count as a class (a label with no image, one
// more output of a fine-label network) without a word.
func walkFolder(root string, visit func(class int, rel string, d fs.DirEntry) error) (classes []string, err error) {
	ents, err := os.ReadDir(root)
	if err != nil {
		return nil, fmt.Errorf("images: reading folder %s: %w", root, err)
	}
	for _, e := range ents {
		if e.IsDir() && !strings.HasPrefix(e.Name(), ".") {
			classes = append(classes, e.Name())
		}
	}
	sort.Strings(classes)
	if len(classes) == 0 {
		return nil, fmt.Errorf("images: no class sub-folders in %s (want root/<class>/*.jpg)", root)
	}
	var empty []string
	for ci, c := range classes {
		dir := filepath.Join(root, c)
		n := 0
		err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if path != dir && strings.HasPrefix(d.Name(), ".") {
					return filepath.SkipDir
				}
				return nil
			}
			if !imageExts[strings.ToLower(filepath.Ext(path))] {
				return nil
			}
			rel, err := filepath.Rel(root, path)
			if err != nil {
				return err
			}
			n++
			return visit(ci, filepath.ToSlash(rel), d)
		})
		if err != nil {
			return nil, fmt.Errorf("images: listing %s: %w", dir, err)
		}
		if n == 0 {
			empty = append(empty, c)
		}
	}
	if len(empty) == len(classes) {
		return nil, fmt.Errorf("images: no .jpg/.jpeg/.png files under %s", root)
	}
	if len(empty) > 0 {
		return nil, fmt.Errorf("images: %d of the %d class folders of %s hold no .jpg/.jpeg/.png file: %s (each class sub-folder is a class, so an empty one would be a class without images; remove it or add its images)",
			len(empty), len(classes), root, strings.Join(empty, ", "))
	}
	return classes, nil
}

// listFolder lists root/<class>/**/*.{jpg,jpeg,png} (see walkFolder): classes sorted by name,
// files sorted by path within a class, with their sizes and modification times.
func listFolder(root string) (classes []string, files []fileEntry, err error) {
	classes, err = walkFolder(root, func(ci int, rel string, d fs.DirEntry) error {
		info, err := d.Info()
		if err != nil {
			return err
		}
		files = append(files, fileEntry{rel: rel, label: int32(ci), size: info.Size(), mtime: info.ModTime().UnixNano()})
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return classes, files, nil
}

// ClassCount is one class folder of an ImageFolder data set and its number of image files.
type ClassCount struct {
	Name  string
	Files int
}

// CountFolder lists the classes of the ImageFolder data set root as LoadFolder reads them
// (label order) with their numbers of image files, without opening any image: a cheap check of
// a data set before a long job loads it (e.g. a sweep's data.per_class against the class
// sizes). It fails as LoadFolder does on a missing folder, no class folders or an empty class
// folder. Images that turn out corrupt when decoded are still counted.
func CountFolder(root string) ([]ClassCount, error) {
	var files []int
	classes, err := walkFolder(root, func(ci int, _ string, _ fs.DirEntry) error {
		for len(files) <= ci {
			files = append(files, 0)
		}
		files[ci]++
		return nil
	})
	if err != nil {
		return nil, err
	}
	counts := make([]ClassCount, len(classes))
	for i, c := range classes {
		counts[i] = ClassCount{Name: c, Files: files[i]} // walkFolder: every class has a file
	}
	return counts, nil
}

// LoadFolder reads an ImageFolder data set (root/<class>/**/*.{jpg,jpeg,png})
// into memory, decoding in parallel, or loads it from the cache in
// opts.CacheDir when the cache key matches (see CacheKey).
func LoadFolder(root string, opts Options) (*Dataset, error) {
	var err error
	if opts.JPEG, err = opts.JPEG.resolve(); err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("images: %w", err)
	}
	classes, files, err := listFolder(abs)
	if err != nil {
		return nil, err
	}
	key := cacheKey(abs, opts, files)
	opts.CacheDir = usableCacheDir(opts.CacheDir) // "" (a warning) if the folder cannot be used
	if opts.CacheDir == "" {
		return decodeFolder(abs, classes, files, opts, func(n, s int) ([]uint8, error) { return make([]uint8, n*s), nil })
	}
	cachePath := filepath.Join(opts.CacheDir, cacheName(abs, opts))
	ds, err := readCache(cachePath, key)
	if err == nil {
		return ds, nil
	}
	if !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, errStaleCache) {
		// A damaged cache is rebuilt, not fatal.
		_ = os.Remove(cachePath)
	}
	if err := buildCache(cachePath, key, func(alloc func(n, s int) ([]uint8, error)) (*Dataset, error) {
		return decodeFolder(abs, classes, files, opts, alloc)
	}); err != nil {
		return nil, err
	}
	return readCache(cachePath, key)
}

// CacheKey returns the cache key LoadFolder uses for root and opts: a SHA-256
// (hex) over the absolute root, the output size, the corrupt policy and every
// image's relative path, byte size and modification time.
func CacheKey(root string, opts Options) (string, error) {
	var err error
	if opts.JPEG, err = opts.JPEG.resolve(); err != nil {
		return "", err
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		return "", err
	}
	_, files, err := listFolder(abs)
	if err != nil {
		return "", err
	}
	return cacheKey(abs, opts, files), nil
}

// decodeFolder decodes files into a pixel buffer obtained from alloc(n, h*w*3)
// (in memory, or a writable mapping of the cache file) and compacts skipped
// images away in place.
func decodeFolder(root string, classes []string, files []fileEntry, opts Options, alloc func(n, s int) ([]uint8, error)) (*Dataset, error) {
	size := opts.Size
	if size < 0 {
		return nil, fmt.Errorf("images: negative Size %d", size)
	}
	h, w := size, size
	start := 0
	var skipped []Skipped
	if size == 0 {
		// Native size: learn it from the first decodable image.
		for ; start < len(files); start++ {
			img, err := decodeFile(filepath.Join(root, files[start].rel))
			if err == nil {
				b := img.Bounds()
				h, w = b.Dy(), b.Dx()
				break
			}
			if opts.Policy == FailCorrupt {
				return nil, err
			}
			skipped = append(skipped, Skipped{Path: files[start].rel, Err: err.Error()})
		}
		if start == len(files) {
			return nil, fmt.Errorf("images: no decodable image under %s", root)
		}
	}
	files = files[start:]
	n := len(files)
	s := h * w * 3
	pix, err := alloc(n, s)
	if err != nil {
		return nil, err
	}
	errs := make([]error, n)
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	next := make(chan int, workers*4)
	var failed sync.Once
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var buf *image.RGBA
			for i := range next {
				path := filepath.Join(root, files[i].rel)
				buf, errs[i] = loadInto(path, pix[i*s:(i+1)*s], h, w, size, opts.JPEG, buf)
				if errs[i] != nil && opts.Policy == FailCorrupt {
					failed.Do(func() { close(stop) })
				}
			}
		}()
	}
feed:
	for i := range n {
		select {
		case next <- i:
		case <-stop:
			break feed
		}
	}
	close(next)
	wg.Wait()
	keep := n
	for i, e := range errs {
		if e == nil {
			continue
		}
		if opts.Policy == FailCorrupt {
			return nil, e
		}
		skipped = append(skipped, Skipped{Path: files[i].rel, Err: e.Error()})
		keep--
	}
	ds := &Dataset{Source: root, Classes: classes, N: keep, H: h, W: w, Skipped: skipped,
		Labels: make([]int32, 0, keep), Paths: make([]string, 0, keep)}
	j := 0
	for i, e := range errs {
		if e != nil {
			continue
		}
		if j != i {
			copy(pix[j*s:(j+1)*s], pix[i*s:(i+1)*s]) // j < i: moves images down in place
		}
		ds.Labels = append(ds.Labels, files[i].label)
		ds.Paths = append(ds.Paths, files[i].rel)
		j++
	}
	ds.Pix = pix[:keep*s]
	if keep == 0 {
		return nil, fmt.Errorf("images: all %d images under %s are corrupt (first: %s: %s)", n, root, skipped[0].Path, skipped[0].Err)
	}
	perClass := make([]int, len(classes))
	for _, l := range ds.Labels {
		perClass[l]++
	}
	var lost []string
	for c, k := range perClass {
		if k == 0 {
			lost = append(lost, classes[c])
		}
	}
	if len(lost) > 0 {
		return nil, fmt.Errorf("images: every image of the class folder(s) %s under %s is corrupt and was skipped, which would leave a class without images; fix or remove them (%d files skipped, first: %s: %s)",
			strings.Join(lost, ", "), root, len(skipped), skipped[0].Path, skipped[0].Err)
	}
	ds.Stats = ComputeStats(ds, nil)
	return ds, nil
}

// decodeFile decodes one image file; decoder panics become errors naming the file.
func decodeFile(path string) (img image.Image, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("images: %w", err)
	}
	defer f.Close()
	defer func() {
		if r := recover(); r != nil {
			img, err = nil, fmt.Errorf("images: decoding %s: decoder panicked: %v", path, r)
		}
	}()
	img, _, err = image.Decode(f)
	if err != nil {
		return nil, fmt.Errorf("images: decoding %s: %w", path, err)
	}
	b := img.Bounds()
	if b.Dx() <= 0 || b.Dy() <= 0 {
		return nil, fmt.Errorf("images: decoding %s: empty image %dx%d", path, b.Dx(), b.Dy())
	}
	return img, nil
}

// loadInto decodes path and writes h x w x 3 RGB bytes into dst. If size > 0 the
// image is centre-cropped to a square and resized to size x size (bilinear); if
// size == 0 it must already be h x w. JPEG colour is converted as jpeg says (resolved). buf is a
// reusable scratch image.
func loadInto(path string, dst []uint8, h, w, size int, jpeg JPEGDecoder, buf *image.RGBA) (*image.RGBA, error) {
	img, err := decodeFile(path)
	if err != nil {
		return buf, err
	}
	if m, isYCbCr := img.(*image.YCbCr); isYCbCr && jpeg == JPEGLibjpeg {
		if rgb, ok := libjpegRGB(m); ok {
			img = rgb
		}
	}
	b := img.Bounds()
	if buf == nil || buf.Bounds().Dx() != w || buf.Bounds().Dy() != h {
		buf = image.NewRGBA(image.Rect(0, 0, w, h))
	}
	switch {
	case size == 0:
		if b.Dx() != w || b.Dy() != h {
			return buf, fmt.Errorf("images: %s is %dx%d, want %dx%d (set Options.Size to resize)", path, b.Dx(), b.Dy(), w, h)
		}
		draw.Draw(buf, buf.Bounds(), img, b.Min, draw.Src)
	case b.Dx() == size && b.Dy() == size:
		draw.Draw(buf, buf.Bounds(), img, b.Min, draw.Src)
	default:
		// Centre square of side min(W,H), then bilinear resize to size x size: the
		// same region as resizing the shorter side to size and centre-cropping.
		side := min(b.Dx(), b.Dy())
		x0 := b.Min.X + (b.Dx()-side)/2
		y0 := b.Min.Y + (b.Dy()-side)/2
		draw.BiLinear.Scale(buf, buf.Bounds(), img, image.Rect(x0, y0, x0+side, y0+side), draw.Src, nil)
	}
	// Copy RGB, dropping alpha. Alpha-premultiplied colours of transparent PNGs are composited on black.
	p := buf.Pix
	for y := 0; y < h; y++ {
		row := p[y*buf.Stride : y*buf.Stride+w*4]
		o := dst[y*w*3 : (y+1)*w*3]
		for x := 0; x < w; x++ {
			o[3*x], o[3*x+1], o[3*x+2] = row[4*x], row[4*x+1], row[4*x+2]
		}
	}
	return buf, nil
}

// MustLoadFolder is LoadFolder that panics on error, for notebooks.
func MustLoadFolder(root string, opts Options) *Dataset {
	ds, err := LoadFolder(root, opts)
	if err != nil {
		panic(err)
	}
	return ds
}
