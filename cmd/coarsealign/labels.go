package main

import (
	"fmt"
	"io"
	"math/bits"
	"path/filepath"
	"strings"

	"github.com/coarsealign/coarsealign/pkg/coarse"
	"github.com/coarsealign/coarsealign/pkg/data/images"
	"github.com/coarsealign/coarsealign/pkg/datadir"
	"github.com/coarsealign/coarsealign/pkg/sweep/study"
	"gonum.org/v1/gonum/mat"
)

func init() {
	register("labels", "coarse labels by PCA median splits of an embedding (pixels or .npy), nested K = 2..64", runLabels)
}

func runLabels(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("labels", stderr)
	dataFlag := fs.String("data", "", "data directory (default $COARSEALIGN_DATA, else the user cache folder)")
	imagesFlag := fs.String("images", "", "image set: an ImageFolder path (root/<class>/*.jpg), or cifar10 (official binary in DATA/cifar-10-batches-bin, else DATA/cifar10-jpg); optional with a .npy source")
	split := fs.String("split", "train", "cifar10 split: train or test")
	size := fs.Int("size", 0, "resize ImageFolder images to SIZE x SIZE (shorter side + centre crop); 0 keeps the native size")
	cacheFlag := fs.String("cache", "", "decoded-image cache folder (default: user cache folder/coarsealign/images; 'none' disables)")
	skipCorrupt := fs.Bool("skip-corrupt", false, "skip undecodable images (listed) instead of failing")
	jpegFlag := fs.String("jpeg", string(images.JPEGLibjpeg), "JPEG colour conversion: libjpeg (PIL's pixels, the default) or go (Go's image/jpeg)")
	perClass := fs.Int("per-class", 0, "use only N images per class (seeded by --seed, nested); 0 uses all")
	download := fs.Bool("download", false, "download the official CIFAR-10 binary release (MD5-verified) if cifar10 is missing")
	source := fs.String("source", "pixels", "embedding: pixels (raw-pixel control) or a FILE.npy matrix (n x d, one row per image)")
	idsFlag := fs.String("ids", "", "file with one ID (image path) per .npy row; rows are matched to images by ID instead of by order")
	out := fs.String("out", "", "output folder for labels.csv, provenance.json and the PCA model (required)")
	kFlag := fs.Int("k", 64, "largest class count K (a power of two, 2..256); labels are written for 2, 4, ..., K")
	methodFlag := fs.String("method", "auto", "PCA method: auto, exact or randomized")
	seed := fs.Uint64("seed", 0, "seed of the randomized PCA and of --per-class")
	model := fs.String("model", "", "provenance: source model of a .npy embedding")
	layer := fs.String("layer", "", "provenance: layer of a .npy embedding")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		fmt.Fprintf(stderr, "coarsealign labels: unexpected argument %q\n", pos[0])
		return errUsage
	}
	if *out == "" {
		fmt.Fprintln(stderr, "coarsealign labels: --out is required")
		return errUsage
	}
	K := *kFlag
	if K < 2 || K > 256 || K&(K-1) != 0 {
		return fmt.Errorf("--k %d: want a power of two in [2, 256]", K)
	}
	opts := &coarse.Options{Bits: bits.TrailingZeros(uint(K)), Seed: *seed}
	switch *methodFlag {
	case "auto":
	case "exact":
		opts.Method = coarse.Exact
	case "randomized":
		opts.Method = coarse.Randomized
	default:
		return fmt.Errorf("--method %q: want auto, exact or randomized", *methodFlag)
	}
	dataDir := datadir.Resolve(*dataFlag)
	cacheDir := images.CacheDirFor(*cacheFlag)

	// The image set (needed for pixels, optional for .npy).
	var ds *images.Dataset
	prov := coarse.Provenance{}
	if *imagesFlag != "" {
		policy := images.FailCorrupt
		if *skipCorrupt {
			policy = images.SkipCorrupt
		}
		ds, prov.Dataset, err = loadLabelImages(*imagesFlag, *split, dataDir, *download, images.Options{Size: *size, Policy: policy, CacheDir: cacheDir, JPEG: images.JPEGDecoder(*jpegFlag)})
		if err != nil {
			return err
		}
		prov.Split = *split
		if *imagesFlag != "cifar10" {
			prov.Split = ""
		}
		if len(ds.Skipped) > 0 {
			fmt.Fprintf(stdout, "skipped %d corrupt images, first: %s (%s)\n", len(ds.Skipped), ds.Skipped[0].Path, ds.Skipped[0].Err)
		}
		if *perClass > 0 {
			ds = ds.Subset(images.SubsetPerClass(ds.Labels, *perClass, *seed))
			prov.Split = strings.TrimPrefix(fmt.Sprintf("%s/%d-per-class-seed%d", prov.Split, *perClass, *seed), "/")
		}
		fmt.Fprintf(stdout, "images: %d (%dx%d, %d classes) from %s\n", ds.N, ds.H, ds.W, len(ds.Classes), ds.Source)
	}

	var x mat.Matrix
	var ids []string
	switch {
	case *source == "pixels":
		if ds == nil {
			return fmt.Errorf("--source pixels needs --images")
		}
		x = coarse.NewPixelMatrix(ds.Pix, ds.N, ds.ImageSize())
		ids = ds.Paths
		prov.Source, prov.Model = "pixels", "raw pixels (L2-normalised)"
	case strings.HasSuffix(strings.ToLower(*source), ".npy"):
		m, mids, err := coarse.ReadNPY(*source, *idsFlag)
		if err != nil {
			return err
		}
		prov.Source, prov.Model, prov.Layer = "npy", *source, *layer
		if *model != "" {
			prov.Model = *model + " (" + *source + ")"
		}
		x, ids = m, mids
		if ds != nil {
			n, _ := m.Dims()
			switch {
			case mids != nil:
				if x, err = coarse.AlignRows(m, mids, ds.Paths); err != nil {
					return fmt.Errorf("%w (IDs of %s vs image paths of %s)", err, *idsFlag, ds.Source)
				}
			case n != ds.N:
				return fmt.Errorf("%s has %d rows but there are %d images; give --ids to match by path", *source, n, ds.N)
			}
			ids = ds.Paths
		}
	default:
		return fmt.Errorf("--source %q: want pixels or a .npy file", *source)
	}
	n, d := x.Dims()
	fmt.Fprintf(stdout, "embedding: %d x %d (%s)\n", n, d, prov.Source)
	l, err := coarse.FitSource(x, ids, prov, opts)
	if err != nil {
		return err
	}
	if err := l.Save(*out); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "PCA (%s): explained variance ratio", l.Method)
	for _, r := range l.ExplainedRatio() {
		fmt.Fprintf(stdout, " %.4f", r)
	}
	fmt.Fprintln(stdout)
	for _, k := range l.Ks() {
		fmt.Fprintf(stdout, "K=%d counts: %v\n", k, l.ClassCounts(k))
	}
	fmt.Fprintf(stdout, "wrote %s\n", *out)
	return nil
}

// loadLabelImages resolves --images: "cifar10" (the split of DATA/cifar10-jpg, else of the
// official binary release, downloaded if asked) or an ImageFolder path, with the loader of the
// sweep and of 'coarsealign train' (study.LoadImages), so coarse labels written here match their
// training images by ID.
func loadLabelImages(spec, split, dataDir string, download bool, opts images.Options) (*images.Dataset, string, error) {
	if spec != "cifar10" {
		root, err := filepath.Abs(spec)
		if err != nil {
			return nil, "", err
		}
		return study.LoadImages(dataDir, "images", root, "", opts.Size, opts, false)
	}
	if split != "train" && split != "test" {
		return nil, "", fmt.Errorf("--split %q: want train or test", split)
	}
	return study.LoadImages(dataDir, "cifar10", "", split, opts.Size, opts, download)
}
