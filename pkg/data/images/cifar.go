package images

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// CIFARVariant selects a CIFAR binary data set and, for CIFAR-100, the label set.
type CIFARVariant int

const (
	// CIFAR10 is CIFAR-10: 10 classes, records of 1 label byte + 3072 pixel bytes.
	CIFAR10 CIFARVariant = iota
	// CIFAR100Fine is CIFAR-100 with its 100 fine labels (records: coarse byte, fine byte, 3072 pixel bytes).
	CIFAR100Fine
	// CIFAR100Coarse is CIFAR-100 with its 20 superclass labels.
	CIFAR100Coarse
)

// CIFAR geometry, from the format description on https://www.cs.toronto.edu/~kriz/cifar.html:
// 32x32 colour images stored as 1024 red, then 1024 green, then 1024 blue bytes, row-major.
const (
	cifarSide   = 32
	cifarPixels = cifarSide * cifarSide * 3 // 3072
)

// CIFAR10Classes are the CIFAR-10 class names in label order (batches.meta.txt of the binary release).
var CIFAR10Classes = []string{"airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"}

// cifarLayout describes the files of one variant inside its extracted folder.
func cifarLayout(v CIFARVariant, train bool) (files []string, labelBytes, labelIndex, nClasses int, namesFile string) {
	switch v {
	case CIFAR10:
		if train {
			files = []string{"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin"}
		} else {
			files = []string{"test_batch.bin"}
		}
		return files, 1, 0, 10, "batches.meta.txt"
	case CIFAR100Coarse, CIFAR100Fine:
		if train {
			files = []string{"train.bin"}
		} else {
			files = []string{"test.bin"}
		}
		if v == CIFAR100Coarse {
			return files, 2, 0, 20, "coarse_label_names.txt"
		}
		return files, 2, 1, 100, "fine_label_names.txt"
	}
	panic(fmt.Sprintf("images: unknown CIFARVariant %d", v))
}

// LoadCIFAR reads the official CIFAR binary files from dir (the extracted
// cifar-10-batches-bin or cifar-100-binary folder): the training files if
// train, else the test file. Pixels are converted from the files' CHW planes
// to HWC. Class names come from the release's names file when present
// (CIFAR-10 falls back to CIFAR10Classes, CIFAR-100 to "0".."99").
// Paths are "<file>#<record>". Errors name the file and record.
func LoadCIFAR(dir string, v CIFARVariant, train bool) (*Dataset, error) {
	files, lb, li, nc, namesFile := cifarLayout(v, train)
	rec := lb + cifarPixels
	var datas [][]byte
	n := 0
	for _, f := range files {
		p := filepath.Join(dir, f)
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("images: CIFAR: %w", err)
		}
		if len(b) == 0 || len(b)%rec != 0 {
			return nil, fmt.Errorf("images: CIFAR file %s has %d bytes, not a multiple of the %d-byte record", p, len(b), rec)
		}
		datas = append(datas, b)
		n += len(b) / rec
	}
	abs, _ := filepath.Abs(dir)
	ds := &Dataset{Source: abs, N: n, H: cifarSide, W: cifarSide, Pix: make([]uint8, n*cifarPixels),
		Labels: make([]int32, n), Paths: make([]string, n)}
	const plane = cifarSide * cifarSide
	k := 0
	for fi, b := range datas {
		for r := 0; r < len(b)/rec; r++ {
			x := b[r*rec : (r+1)*rec]
			l := int(x[li])
			if l >= nc {
				return nil, fmt.Errorf("images: CIFAR file %s record %d: label %d out of range [0,%d)", files[fi], r, l, nc)
			}
			ds.Labels[k] = int32(l)
			ds.Paths[k] = fmt.Sprintf("%s#%d", files[fi], r)
			px := x[lb:]
			o := ds.Pix[k*cifarPixels : (k+1)*cifarPixels]
			for p := 0; p < plane; p++ {
				o[3*p], o[3*p+1], o[3*p+2] = px[p], px[plane+p], px[2*plane+p]
			}
			k++
		}
	}
	names, err := readNames(filepath.Join(dir, namesFile))
	switch {
	case err == nil && len(names) == nc:
		ds.Classes = names
	case v == CIFAR10:
		ds.Classes = CIFAR10Classes
	default:
		ds.Classes = make([]string, nc)
		for i := range ds.Classes {
			ds.Classes[i] = fmt.Sprint(i)
		}
	}
	ds.Stats = ComputeStats(ds, nil)
	return ds, nil
}

// readNames reads one class name per non-empty line.
func readNames(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if s := strings.TrimSpace(sc.Text()); s != "" {
			out = append(out, s)
		}
	}
	return out, sc.Err()
}

// WriteCIFAR writes ds (32x32 images, labels < 256) as one CIFAR-10 binary file
// (1 label byte + 3072 CHW bytes per record). It is the inverse of LoadCIFAR for
// one file and serves tests and conversions.
func WriteCIFAR(path string, ds *Dataset) error {
	if ds.H != cifarSide || ds.W != cifarSide {
		return fmt.Errorf("images: WriteCIFAR %s: images are %dx%d, want 32x32", path, ds.H, ds.W)
	}
	out := make([]byte, 0, ds.N*(1+cifarPixels))
	const plane = cifarSide * cifarSide
	for i := 0; i < ds.N; i++ {
		if ds.Labels[i] > 255 {
			return fmt.Errorf("images: WriteCIFAR %s: label %d of image %d does not fit a byte", path, ds.Labels[i], i)
		}
		out = append(out, byte(ds.Labels[i]))
		img := ds.Image(i)
		for c := 0; c < 3; c++ {
			for p := 0; p < plane; p++ {
				out = append(out, img[3*p+c])
			}
		}
	}
	return os.WriteFile(path, out, 0o644)
}
