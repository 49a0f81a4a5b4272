package images

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/md5"
	"encoding/hex"
	"image"
	"image/color"
	"image/png"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coarsealign/coarsealign/pkg/datadir"
)

// cifarJPG returns the shared CIFAR-10 JPEG folder (split "train" or "test").
func cifarJPG(t testing.TB, split string) string {
	dir := filepath.Join(datadir.ForTest(t), "cifar10-jpg", split)
	if _, err := os.Stat(dir); err != nil {
		datadir.SkipOrFail(t, "no %s", dir)
	}
	return dir
}

// smallFolder copies nPer images of the first nClass CIFAR test classes into a temp ImageFolder.
func smallFolder(t *testing.T, nClass, nPer int) string {
	t.Helper()
	src := cifarJPG(t, "test")
	dst := t.TempDir()
	classes, _ := os.ReadDir(src)
	for _, c := range classes[:nClass] {
		os.MkdirAll(filepath.Join(dst, c.Name()), 0o755)
		for i := 0; i < nPer; i++ {
			name := filepath.Join(c.Name(), strings.Replace("000X.jpg", "X", string(rune('0'+i)), 1))
			b, err := os.ReadFile(filepath.Join(src, name))
			if err != nil {
				t.Fatal(err)
			}
			os.WriteFile(filepath.Join(dst, name), b, 0o644)
		}
	}
	return dst
}

func TestLoadFolderSmall(t *testing.T) {
	dir := smallFolder(t, 3, 4)
	os.WriteFile(filepath.Join(dir, "airplane", "notes.txt"), []byte("ignored"), 0o644)
	ds, err := LoadFolder(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	// CIFAR-10 images are 32x32; classes are the folder names sorted.
	if ds.N != 12 || ds.H != 32 || ds.W != 32 || len(ds.Pix) != 12*32*32*3 {
		t.Fatalf("got N=%d H=%d W=%d len=%d", ds.N, ds.H, ds.W, len(ds.Pix))
	}
	if !slices.Equal(ds.Classes, []string{"airplane", "automobile", "bird"}) {
		t.Fatalf("classes %v", ds.Classes)
	}
	if ds.Paths[5] != "automobile/0001.jpg" || ds.Labels[5] != 1 {
		t.Fatalf("image 5: %s label %d", ds.Paths[5], ds.Labels[5])
	}
	if !slices.Equal(ds.ClassCounts(), []int{4, 4, 4}) {
		t.Fatalf("counts %v", ds.ClassCounts())
	}
	// The decoded pixels equal a direct decode with the standard library, converted as libjpeg
	// does (the default) or as Go does (JPEGGo).
	f, _ := os.Open(filepath.Join(dir, "bird", "0002.jpg"))
	img, _, err := image.Decode(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	lj, ok := libjpegRGB(img.(*image.YCbCr))
	if !ok {
		t.Fatal("CIFAR JPEG not converted by libjpegRGB")
	}
	dsGo, err := LoadFolder(dir, Options{JPEG: JPEGGo})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		ds  *Dataset
		ref image.Image
	}{{ds, lj}, {dsGo, img}} {
		got := c.ds.Image(10)
		for _, xy := range [][2]int{{0, 0}, {31, 0}, {5, 17}, {31, 31}} {
			r, g, b, _ := c.ref.At(xy[0], xy[1]).RGBA()
			p := got[(xy[1]*32+xy[0])*3:]
			if p[0] != uint8(r>>8) || p[1] != uint8(g>>8) || p[2] != uint8(b>>8) {
				t.Fatalf("pixel %v: got %v want %d %d %d", xy, p[:3], r>>8, g>>8, b>>8)
			}
		}
	}
	if _, err := LoadFolder(dir, Options{JPEG: "pil"}); err == nil || !strings.Contains(err.Error(), `JPEG decoder "pil"`) {
		t.Fatalf("unknown decoder: err = %v", err)
	}
}

func TestCorruptPolicy(t *testing.T) {
	dir := smallFolder(t, 2, 3)
	good, _ := os.ReadFile(filepath.Join(dir, "airplane", "0000.jpg"))
	truncated := filepath.Join(dir, "airplane", "trunc.jpg")
	os.WriteFile(truncated, good[:len(good)/2], 0o644)
	os.WriteFile(filepath.Join(dir, "automobile", "text.png"), []byte("this is not an image\n"), 0o644)

	_, err := LoadFolder(dir, Options{})
	if err == nil || !(strings.Contains(err.Error(), "trunc.jpg") || strings.Contains(err.Error(), "text.png")) {
		t.Fatalf("FailCorrupt: want an error naming the bad file, got %v", err)
	}
	ds, err := LoadFolder(dir, Options{Policy: SkipCorrupt})
	if err != nil {
		t.Fatal(err)
	}
	if ds.N != 6 || len(ds.Skipped) != 2 {
		t.Fatalf("SkipCorrupt: N=%d skipped=%v", ds.N, ds.Skipped)
	}
	if ds.Skipped[0].Path != "airplane/trunc.jpg" || ds.Skipped[1].Path != "automobile/text.png" {
		t.Fatalf("skipped %v", ds.Skipped)
	}
	// Native size with a truncated file first in the list.
	ds, err = LoadFolder(dir, Options{Policy: SkipCorrupt, Size: 0, Workers: 1})
	if err != nil || ds.N != 6 {
		t.Fatalf("N=%v err=%v", ds, err)
	}
}

func TestLoadFolderMixedSizes(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "a"), 0o755)
	// A 60x40 image: left and right 10-pixel bands red, centre 40x40 green.
	img := image.NewRGBA(image.Rect(0, 0, 60, 40))
	for y := 0; y < 40; y++ {
		for x := 0; x < 60; x++ {
			c := color.RGBA{0, 200, 0, 255}
			if x < 10 || x >= 50 {
				c = color.RGBA{255, 0, 0, 255}
			}
			img.Set(x, y, c)
		}
	}
	var buf bytes.Buffer
	png.Encode(&buf, img)
	os.WriteFile(filepath.Join(dir, "a", "wide.png"), buf.Bytes(), 0o644)
	small := image.NewRGBA(image.Rect(0, 0, 8, 8))
	buf.Reset()
	png.Encode(&buf, small)
	os.WriteFile(filepath.Join(dir, "a", "small.png"), buf.Bytes(), 0o644)

	if _, err := LoadFolder(dir, Options{}); err == nil || !strings.Contains(err.Error(), "Size") {
		t.Fatalf("native size with mixed sizes: want an error, got %v", err)
	}
	ds, err := LoadFolder(dir, Options{Size: 16})
	if err != nil {
		t.Fatal(err)
	}
	// wide.png sorts after small.png. Its centre crop is all green.
	for p := 0; p < 16*16; p++ {
		px := ds.Image(1)[3*p : 3*p+3]
		if px[0] != 0 || px[1] != 200 || px[2] != 0 {
			t.Fatalf("pixel %d of the centre crop = %v, want [0 200 0]", p, px)
		}
	}
}

func TestCache(t *testing.T) {
	dir := smallFolder(t, 2, 5)
	cache := t.TempDir()
	opts := Options{CacheDir: cache, Size: 24}
	a, err := LoadFolder(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(cache, "*.cache"))
	if len(files) != 1 {
		t.Fatalf("cache files %v", files)
	}
	// A second load reads the cache: make decoding impossible to be sure.
	key, _ := CacheKey(dir, opts)
	b, err := readCache(files[0], key)
	if err != nil {
		t.Fatal(err)
	}
	c, err := LoadFolder(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, ds := range []*Dataset{b, c} {
		if !bytes.Equal(ds.Pix, a.Pix) || !slices.Equal(ds.Labels, a.Labels) || !slices.Equal(ds.Paths, a.Paths) || ds.Stats != a.Stats || ds.H != 24 {
			t.Fatal("cached data set differs from the decoded one")
		}
	}
	// Writes to a cached data set's pixels stay private (copy-on-write mapping).
	orig := c.Pix[100]
	c.Pix[100] = orig + 1
	if e, _ := LoadFolder(dir, opts); e.Pix[100] != orig || !bytes.Equal(e.Pix, a.Pix) {
		t.Fatal("a write to Pix reached the cache file")
	}
	if err := c.Close(); err != nil || c.Pix != nil {
		t.Fatal(err)
	}
	// Another size is another key; touching a file changes the key.
	key2, _ := CacheKey(dir, Options{CacheDir: cache, Size: 32})
	if key2 == key {
		t.Fatal("size not in the cache key")
	}
	later := time.Now().Add(time.Hour)
	os.Chtimes(filepath.Join(dir, "airplane", "0001.jpg"), later, later)
	if key3, _ := CacheKey(dir, opts); key3 == key {
		t.Fatal("file modification time not in the cache key")
	}
	// A changed file list rebuilds the same cache file.
	if _, err := LoadFolder(dir, opts); err != nil {
		t.Fatal(err)
	}
	if files2, _ := filepath.Glob(filepath.Join(cache, "*.cache")); len(files2) != 1 {
		t.Fatalf("stale cache files left: %v", files2)
	}
	// A damaged cache file is rebuilt.
	os.WriteFile(files[0], []byte("garbage"), 0o644)
	if _, err := readCache(files[0], key); err == nil {
		t.Fatal("garbage cache accepted")
	}
	d, err := LoadFolder(dir, opts)
	if err != nil || !bytes.Equal(d.Pix, a.Pix) {
		t.Fatalf("rebuild after a damaged cache: %v", err)
	}
	if _, err := readCache(files[0], mustKey(t, dir, opts)); err != nil {
		t.Fatalf("cache not rewritten: %v", err)
	}
}

func mustKey(t *testing.T, dir string, opts Options) string {
	k, err := CacheKey(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestLoadFolderFull(t *testing.T) {
	ds, err := LoadFolder(cifarJPG(t, "test"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	// data/README.md: 1,000 test images per class, 10 classes.
	if ds.N != 10000 || !slices.Equal(ds.Classes, CIFAR10Classes) {
		t.Fatalf("N=%d classes=%v", ds.N, ds.Classes)
	}
	for c, n := range ds.ClassCounts() {
		if n != 1000 {
			t.Fatalf("class %d has %d images", c, n)
		}
	}
	// CIFAR-10 channel means are about 0.49, 0.48, 0.45 (widely used normalisation constants).
	for c, want := range []float64{0.49, 0.48, 0.45} {
		if !(math.Abs(ds.Stats.Mean[c]-want) <= 0.02) {
			t.Errorf("mean[%d] = %.4f, want about %.2f", c, ds.Stats.Mean[c], want)
		}
	}
}

func TestCIFARBinary(t *testing.T) {
	ds, err := LoadFolder(smallFolder(t, 3, 4), Options{})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := WriteCIFAR(filepath.Join(dir, "test_batch.bin"), ds); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(filepath.Join(dir, "test_batch.bin"))
	// Format (cifar.html): 1 label byte then 1024 R, 1024 G, 1024 B bytes, row-major.
	if len(raw) != 12*3073 || raw[3073*5] != 1 || raw[3073*5+1+1024+33] != ds.Image(5)[33*3+1] {
		t.Fatal("record layout differs from the CIFAR format")
	}
	got, err := LoadCIFAR(dir, CIFAR10, false)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Pix, ds.Pix) || !slices.Equal(got.Labels, ds.Labels) || got.Paths[5] != "test_batch.bin#5" {
		t.Fatal("CIFAR round trip differs")
	}
	if !slices.Equal(got.Classes, CIFAR10Classes) {
		t.Fatalf("classes %v", got.Classes)
	}
	// CIFAR-100: coarse byte, fine byte.
	rec := make([]byte, 3074)
	rec[0], rec[1], rec[2] = 7, 93, 250
	os.WriteFile(filepath.Join(dir, "test.bin"), rec, 0o644)
	c, err := LoadCIFAR(dir, CIFAR100Coarse, false)
	if err != nil || c.Labels[0] != 7 || len(c.Classes) != 20 || c.Pix[0] != 250 {
		t.Fatalf("CIFAR-100 coarse: %v %v", c, err)
	}
	f, err := LoadCIFAR(dir, CIFAR100Fine, false)
	if err != nil || f.Labels[0] != 93 || len(f.Classes) != 100 {
		t.Fatalf("CIFAR-100 fine: %v %v", f, err)
	}
	// Bad length and bad label are errors naming the file.
	os.WriteFile(filepath.Join(dir, "test.bin"), rec[:3000], 0o644)
	if _, err := LoadCIFAR(dir, CIFAR100Fine, false); err == nil || !strings.Contains(err.Error(), "test.bin") {
		t.Fatalf("short file: %v", err)
	}
	rec[1] = 100
	os.WriteFile(filepath.Join(dir, "test.bin"), rec, 0o644)
	if _, err := LoadCIFAR(dir, CIFAR100Fine, false); err == nil || !strings.Contains(err.Error(), "record 0") {
		t.Fatalf("bad label: %v", err)
	}
	if _, err := LoadCIFAR(dir, CIFAR10, true); err == nil || !strings.Contains(err.Error(), "data_batch_1.bin") {
		t.Fatalf("missing file: %v", err)
	}
}

func TestFetchCIFAR(t *testing.T) {
	var tgz bytes.Buffer
	gz := gzip.NewWriter(&tgz)
	tw := tar.NewWriter(gz)
	body := make([]byte, 3073)
	tw.WriteHeader(&tar.Header{Name: "cifar-10-batches-bin/", Typeflag: tar.TypeDir, Mode: 0o755})
	tw.WriteHeader(&tar.Header{Name: "cifar-10-batches-bin/test_batch.bin", Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(body))})
	tw.Write(body)
	tw.Close()
	gz.Close()
	sum := md5.Sum(tgz.Bytes())
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(tgz.Bytes()) }))
	defer srv.Close()

	src := CIFAR10Source
	src.URL = srv.URL + "/cifar-10-binary.tar.gz"
	src.MD5 = "00000000000000000000000000000000"
	data := t.TempDir()
	if _, err := FetchCIFAR(data, src); err == nil || !strings.Contains(err.Error(), "MD5") {
		t.Fatalf("wrong MD5 accepted: %v", err)
	}
	if _, err := os.Stat(filepath.Join(data, src.Archive)); err == nil {
		t.Fatal("bad archive kept")
	}
	src.MD5 = hex.EncodeToString(sum[:])
	dir, err := FetchCIFAR(data, src)
	if err != nil {
		t.Fatal(err)
	}
	ds, err := LoadCIFAR(dir, CIFAR10, false)
	if err != nil || ds.N != 1 {
		t.Fatalf("%v %v", ds, err)
	}
	srv.Close() // already present: no network needed
	if _, err := FetchCIFAR(data, src); err != nil {
		t.Fatal(err)
	}
}

func TestStats(t *testing.T) {
	// Two 1x1 images: (0, 255, 51) and (255, 255, 153) -> means (0.5, 1, 0.4), stds (0.5, 1 (zero spread), 0.2).
	ds := &Dataset{N: 2, H: 1, W: 1, Pix: []uint8{0, 255, 51, 255, 255, 153}, Labels: []int32{0, 0}, Paths: []string{"a", "b"}, Classes: []string{"x"}}
	st := ComputeStats(ds, nil)
	want := Stats{Mean: [3]float64{0.5, 1, 0.4}, Std: [3]float64{0.5, 1, 0.2}}
	for c := 0; c < 3; c++ {
		if math.Abs(st.Mean[c]-want.Mean[c]) > 1e-12 || math.Abs(st.Std[c]-want.Std[c]) > 1e-12 {
			t.Fatalf("got %+v want %+v", st, want)
		}
	}
}

func TestSplitAndSubset(t *testing.T) {
	train, test := SplitIndices(1000, StudyTestFraction, StudySplitSeed)
	if len(train) != 800 || len(test) != 200 {
		t.Fatalf("split %d/%d", len(train), len(test))
	}
	all := append(append([]int(nil), train...), test...)
	slices.Sort(all)
	for i, v := range all {
		if v != i {
			t.Fatal("split is not a partition")
		}
	}
	train2, _ := SplitIndices(1000, 0.2, 42)
	train3, _ := SplitIndices(1000, 0.2, 43)
	if !slices.Equal(train, train2) || slices.Equal(train, train3) {
		t.Fatal("split not determined by the seed")
	}
	labels := make([]int32, 300)
	for i := range labels {
		labels[i] = int32(i % 3)
	}
	s10 := SubsetPerClass(labels, 10, 7)
	s20 := SubsetPerClass(labels, 20, 7)
	if len(s10) != 30 || len(s20) != 60 {
		t.Fatalf("sizes %d %d", len(s10), len(s20))
	}
	for _, i := range s10 {
		if _, ok := slices.BinarySearch(s20, i); !ok {
			t.Fatal("subsets not nested")
		}
	}
	if !slices.Equal(s10, SubsetPerClass(labels, 10, 7)) || slices.Equal(s10, SubsetPerClass(labels, 10, 8)) {
		t.Fatal("subset not determined by the seed")
	}
	if len(SubsetPerClass(labels, 1000, 7)) != 300 {
		t.Fatal("small classes should give all their images")
	}
}

func TestLabels(t *testing.T) {
	ds := &Dataset{N: 3, H: 1, W: 1, Pix: make([]uint8, 9), Labels: []int32{0, 1, 0}, Paths: []string{"a", "b", "c"}, Classes: []string{"x", "y"}}
	got, err := ds.AlignLabels([]string{"c", "a", "b", "extra"}, []int32{5, 3, 4, 9})
	if err != nil || !slices.Equal(got, []int32{3, 4, 5}) {
		t.Fatalf("%v %v", got, err)
	}
	if _, err := ds.AlignLabels([]string{"a", "b"}, []int32{1, 2}); err == nil || !strings.Contains(err.Error(), `"c"`) {
		t.Fatalf("missing ID: %v", err)
	}
	d2, err := ds.WithLabels(got, nil)
	if err != nil || len(d2.Classes) != 6 || d2.Labels[0] != 3 || ds.Labels[0] != 0 {
		t.Fatalf("%v %v", d2, err)
	}
	if _, err := ds.WithLabels([]int32{1}, nil); err == nil {
		t.Fatal("wrong length accepted")
	}
}

func TestTransform(t *testing.T) {
	// 3x3 image, channel 0 = 10*row + col, other channels 0; identity normalisation in pixel units.
	img := make([]uint8, 27)
	for y := 0; y < 3; y++ {
		for x := 0; x < 3; x++ {
			img[(y*3+x)*3] = uint8(10*y + x)
		}
	}
	st := &Stats{Std: [3]float64{1.0 / 255, 1.0 / 255, 1.0 / 255}}
	out := make([]float32, 27)
	ch0 := func() []float32 {
		r := make([]float32, 9)
		for p := range r {
			r[p] = float32(math.Round(float64(out[3*p])*1e4) / 1e4)
		}
		return r
	}
	transform(out, img, 3, 3, st, FillBlack, true, 0)
	if want := []float32{2, 1, 0, 12, 11, 10, 22, 21, 20}; !slices.Equal(ch0(), want) {
		t.Fatalf("flip: %v want %v", ch0(), want)
	}
	// 90 degrees counter-clockwise: the top row becomes the left column, read bottom-up.
	transform(out, img, 3, 3, st, FillBlack, false, 90)
	if want := []float32{2, 12, 22, 1, 11, 21, 0, 10, 20}; !slices.Equal(ch0(), want) {
		t.Fatalf("rotate 90: %v want %v", ch0(), want)
	}
	// 45 degrees: corners come from outside the image and blend with the fill.
	transform(out, img, 3, 3, st, FillBlack, false, 45)
	if c := ch0()[4]; c != 11 {
		t.Fatalf("centre moved: %v", c)
	}
	black := ch0()[0]
	st.Mean = [3]float64{100.0 / 255, 0, 0}
	transform(out, img, 3, 3, st, FillMean, false, 45)
	if mean := ch0()[0] + 100; !(mean > black) {
		t.Fatalf("FillMean corner %v not above FillBlack corner %v", mean, black)
	}
}

func TestBatches(t *testing.T) {
	ds, err := LoadFolder(smallFolder(t, 3, 7), Options{})
	if err != nil {
		t.Fatal(err)
	}
	collect := func(epoch int, cfg BatchConfig) []*Batch {
		it, err := ds.Batches(epoch, cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer it.Close()
		var out []*Batch
		for b, ok := it.Next(); ok; b, ok = it.Next() {
			out = append(out, b)
		}
		if len(out) != it.NumBatches() {
			t.Fatalf("%d batches, NumBatches %d", len(out), it.NumBatches())
		}
		return out
	}
	cfg := BatchConfig{BatchSize: 4, Shuffle: true, Seed: 1, Augment: &StudyAugment}
	a := collect(0, cfg)
	cfg.Workers, cfg.Prefetch = 3, 1
	b := collect(0, cfg)
	if len(a) != 6 || a[5].Size != 1 || len(a[0].Images) != 4*32*32*3 {
		t.Fatalf("21 images in batches of 4: %d batches, last %d", len(a), a[len(a)-1].Size)
	}
	seen := map[int]bool{}
	for i := range a {
		if !slices.Equal(a[i].Images, b[i].Images) || !slices.Equal(a[i].Labels, b[i].Labels) {
			t.Fatal("same seed, different batches (worker count must not matter)")
		}
		for k, idx := range a[i].Indices {
			seen[idx] = true
			if a[i].Labels[k] != ds.Labels[idx] {
				t.Fatal("label does not match index")
			}
		}
	}
	if len(seen) != 21 {
		t.Fatal("an epoch must visit every image once")
	}
	noAug := cfg
	noAug.Augment = nil
	na := collect(0, noAug)
	if !slices.Equal(na[0].Indices, a[0].Indices) || slices.Equal(na[0].Images, a[0].Images) {
		t.Fatal("augmentation must change the pixels but not the order")
	}
	if c := collect(1, cfg); slices.Equal(c[0].Indices, a[0].Indices) && slices.Equal(c[1].Indices, a[1].Indices) {
		t.Fatal("epochs 0 and 1 have the same order")
	}
	// Without augmentation or shuffling the values are (pixel/255 - mean)/std.
	plain := collect(0, BatchConfig{BatchSize: 8, DropLast: true, Labels: make([]int32, ds.N)})
	if len(plain) != 2 || plain[1].Indices[0] != 8 || plain[0].Labels[7] != 0 {
		t.Fatal("drop-last / order / label replacement")
	}
	v := plain[1].Images[3*100+2]
	want := (float64(ds.Image(8)[3*100+2])/255 - ds.Stats.Mean[2]) / ds.Stats.Std[2]
	if !(math.Abs(float64(v)-want) <= 1e-5) {
		t.Fatalf("normalised value %v want %v", v, want)
	}
	// Early Close must not hang.
	it, _ := ds.Batches(0, BatchConfig{BatchSize: 1, Prefetch: 1})
	it.Next()
	it.Close()
	if _, err := ds.Batches(0, BatchConfig{BatchSize: 0}); err == nil {
		t.Fatal("BatchSize 0 accepted")
	}
}
