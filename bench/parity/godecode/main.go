// Command godecode writes the pixels of an ImageFolder split as coarsealign decodes them (Go's
// image/jpeg through pkg/data/images) to a uint8 .npy [N, H, W, 3] plus int64 labels, so that the
// PyTorch peer can train on exactly coarsealign's pixels (bench/parity/torch_cifar.py --pixels):
// it isolates the JPEG decoder from the rest of the training stack.
//
//	go run ./bench/parity/godecode -root ../shared/data/cifar10-jpg/train -out /tmp/go-train
package main

import (
	"encoding/binary"
	"flag"
	"fmt"
	"os"

	"github.com/coarsealign/coarsealign/pkg/data/images"
)

func main() {
	root := flag.String("root", "", "ImageFolder root (one folder per class)")
	out := flag.String("out", "", "output prefix: writes PREFIX-pix.npy and PREFIX-labels.npy")
	flag.Parse()
	if *root == "" || *out == "" {
		fmt.Fprintln(os.Stderr, "godecode: -root and -out are required")
		os.Exit(2)
	}
	ds, err := images.LoadFolder(*root, images.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, "godecode:", err)
		os.Exit(1)
	}
	labels := make([]byte, 8*ds.N)
	for i, l := range ds.Labels {
		binary.LittleEndian.PutUint64(labels[8*i:], uint64(l))
	}
	for _, f := range []struct {
		path, dtype string
		shape       string
		data        []byte
	}{
		{*out + "-pix.npy", "|u1", fmt.Sprintf("(%d, %d, %d, 3)", ds.N, ds.H, ds.W), ds.Pix},
		{*out + "-labels.npy", "<i8", fmt.Sprintf("(%d,)", ds.N), labels},
	} {
		if err := writeNpy(f.path, f.dtype, f.shape, f.data); err != nil {
			fmt.Fprintln(os.Stderr, "godecode:", err)
			os.Exit(1)
		}
	}
	fmt.Printf("%s: %d images %dx%d, classes %v\n", *root, ds.N, ds.H, ds.W, ds.Classes)
}

// writeNpy writes a version-1.0 .npy file with the given dtype descriptor and shape tuple.
func writeNpy(path, dtype, shape string, data []byte) error {
	h := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': %s, }", dtype, shape)
	for (10+len(h)+1)%64 != 0 {
		h += " "
	}
	h += "\n"
	hdr := append([]byte("\x93NUMPY\x01\x00"), byte(len(h)), byte(len(h)>>8))
	b := append(append(hdr, h...), data...)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}
