package idx

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/coarsealign/coarsealign/pkg/data/images"
	"golang.org/x/image/draw"
)

// FashionMNISTClasses are Fashion-MNIST's ten classes in label order (Xiao et al. 2017,
// github.com/zalandoresearch/fashion-mnist README).
var FashionMNISTClasses = []string{"t-shirt/top", "trouser", "pullover", "dress", "coat",
	"sandal", "shirt", "sneaker", "bag", "ankle-boot"}

// FashionFile is one canonical Fashion-MNIST file. ContentSHA256 is the digest of the
// decompressed IDX bytes, which is the same for the upstream .gz files and Debian's
// (dataset-fashion-mnist recompresses them, so the .gz digests differ); measured on
// Debian's dataset-fashion-mnist 0.0~git20200523.55506a9-1 with `zcat F | sha256sum`.
type FashionFile struct {
	Name, ContentSHA256 string
}

// FashionURL is the canonical download location (the upstream README's links).
const FashionURL = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"

// DebianFashionDir is where Debian's dataset-fashion-mnist installs the files.
const DebianFashionDir = "/usr/share/datasets/fashion-mnist"

// FashionDir is the folder under the data directory that holds downloaded files.
const FashionDir = "fashion-mnist"

// The four canonical files.
var (
	FashionTrainImages = FashionFile{"train-images-idx3-ubyte", "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888"}
	FashionTrainLabels = FashionFile{"train-labels-idx1-ubyte", "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9"}
	FashionTestImages  = FashionFile{"t10k-images-idx3-ubyte", "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b"}
	FashionTestLabels  = FashionFile{"t10k-labels-idx1-ubyte", "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34"}
)

// findFashion returns the path of f (gzip or raw) in dataDir/fashion-mnist, then
// DebianFashionDir, or "" when absent from both.
func findFashion(dataDir string, f FashionFile) string {
	for _, dir := range []string{filepath.Join(dataDir, FashionDir), DebianFashionDir} {
		for _, name := range []string{f.Name + ".gz", f.Name} {
			p := filepath.Join(dir, name)
			if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
				return p
			}
		}
	}
	return ""
}

// contentDigest returns the SHA-256 of the decompressed bytes of the file at path.
func contentDigest(path string) (string, error) {
	fh, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer fh.Close()
	r, err := maybeGunzip(fh)
	if err != nil {
		return "", fmt.Errorf("idx: %s: %w", path, err)
	}
	h := sha256.New()
	if _, err := io.Copy(h, r); err != nil {
		return "", fmt.Errorf("idx: %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// FetchFashion downloads f from base (FashionURL when "") into dataDir/fashion-mnist/NAME.gz
// and checks the SHA-256 of its decompressed content before renaming it into place.
func FetchFashion(ctx context.Context, dataDir, base string, f FashionFile) (string, error) {
	if base == "" {
		base = FashionURL
	}
	url := base + f.Name + ".gz"
	dest := filepath.Join(dataDir, FashionDir, f.Name+".gz")
	if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
		return "", err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", err
	}
	resp, err := (&http.Client{Timeout: 10 * time.Minute}).Do(req)
	if err != nil {
		return "", fmt.Errorf("idx: download %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("idx: download %s: HTTP %s", url, resp.Status)
	}
	tmp, err := os.CreateTemp(filepath.Dir(dest), "."+filepath.Base(dest)+".*.part")
	if err != nil {
		return "", err
	}
	defer os.Remove(tmp.Name())
	if _, err := io.Copy(tmp, io.LimitReader(resp.Body, 1<<30)); err != nil {
		tmp.Close()
		return "", fmt.Errorf("idx: download %s: %w", url, err)
	}
	if err := tmp.Close(); err != nil {
		return "", err
	}
	got, err := contentDigest(tmp.Name())
	if err != nil {
		return "", fmt.Errorf("idx: download %s: %w", url, err)
	}
	if got != f.ContentSHA256 {
		return "", fmt.Errorf("idx: download %s: SHA-256 of the decompressed content %s, want %s (corrupt or another version)", url, got, f.ContentSHA256)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return "", err
	}
	return dest, os.Rename(tmp.Name(), dest)
}

// ErrFashionMissing is wrapped by LoadFashionMNIST's error when the files are absent and
// download is false.
var ErrFashionMissing = errors.New("Fashion-MNIST not found")

// LoadFashionMNIST returns Fashion-MNIST's training (train) or test split as RGB images of
// size x size pixels (0: the native 28): the greyscale value replicated to the three
// channels, resized bilinearly. It reads dataDir/fashion-mnist, then DebianFashionDir (apt-get
// install dataset-fashion-mnist), and downloads the missing files into dataDir/fashion-mnist
// (SHA-256 of the content checked) when download is true. Files found are checked too, so a
// corrupt copy is an error naming it. Image IDs are "FILE#index".
func LoadFashionMNIST(dataDir string, train bool, size int, download bool) (*images.Dataset, error) {
	imf, lbf := FashionTestImages, FashionTestLabels
	if train {
		imf, lbf = FashionTrainImages, FashionTrainLabels
	}
	var paths [2]string
	for i, f := range []FashionFile{imf, lbf} {
		p := findFashion(dataDir, f)
		if p == "" {
			if !download {
				return nil, fmt.Errorf("idx: %w: %s(.gz) is in neither %s nor %s; apt-get install dataset-fashion-mnist, or download %s%s.gz into %s",
					ErrFashionMissing, f.Name, filepath.Join(dataDir, FashionDir), DebianFashionDir, FashionURL, f.Name, filepath.Join(dataDir, FashionDir))
			}
			var err error
			if p, err = FetchFashion(context.Background(), dataDir, "", f); err != nil {
				return nil, err
			}
		}
		paths[i] = p
	}
	return ReadFashion(paths[0], paths[1], size)
}

// ReadFashion reads an images file (N x 28 x 28 uint8) and its labels file (N uint8 in
// 0..9) in IDX format, as LoadFashionMNIST does, without the digest check.
func ReadFashion(imagesPath, labelsPath string, size int) (*images.Dataset, error) {
	im, err := Read(imagesPath)
	if err != nil {
		return nil, err
	}
	lb, err := Read(labelsPath)
	if err != nil {
		return nil, err
	}
	pix, err := im.Uint8s(imagesPath)
	if err != nil {
		return nil, err
	}
	lab, err := lb.Uint8s(labelsPath)
	if err != nil {
		return nil, err
	}
	if len(im.Dims) != 3 {
		return nil, fmt.Errorf("idx: %s: dimensions %v, want N x rows x cols", imagesPath, im.Dims)
	}
	if len(lb.Dims) != 1 || lb.Dims[0] != im.Dims[0] {
		return nil, fmt.Errorf("idx: %s: dimensions %v, want [%d] (one label per image of %s)", labelsPath, lb.Dims, im.Dims[0], imagesPath)
	}
	n, h, w := im.Dims[0], im.Dims[1], im.Dims[2]
	if size <= 0 {
		size = h
		if w != h {
			return nil, fmt.Errorf("idx: %s: images are %dx%d; give a size to resize them square", imagesPath, h, w)
		}
	}
	ds := &images.Dataset{Source: imagesPath, Classes: FashionMNISTClasses, N: n, H: size, W: size,
		Pix: make([]uint8, n*size*size*3), Labels: make([]int32, n), Paths: make([]string, n)}
	base := filepath.Base(imagesPath)
	src := image.NewGray(image.Rect(0, 0, w, h))
	dst := image.NewGray(image.Rect(0, 0, size, size))
	for i := range n {
		if int(lab[i]) >= len(FashionMNISTClasses) {
			return nil, fmt.Errorf("idx: %s: label %d of image %d not in 0..9", labelsPath, lab[i], i)
		}
		ds.Labels[i] = int32(lab[i])
		ds.Paths[i] = fmt.Sprintf("%s#%d", base, i)
		g := pix[i*h*w : (i+1)*h*w]
		if size != h || size != w {
			copy(src.Pix, g)
			draw.BiLinear.Scale(dst, dst.Bounds(), src, src.Bounds(), draw.Src, nil)
			g = dst.Pix
		}
		out := ds.Image(i)
		for j, v := range g[:size*size] {
			out[3*j], out[3*j+1], out[3*j+2] = v, v, v
		}
	}
	ds.Stats = images.ComputeStats(ds, nil)
	return ds, nil
}
