package plots

import (
	"fmt"
	"strconv"

	"github.com/coarsealign/coarsealign/pkg/scenes"
)

// ScenesGrid draws rendered images (pix: n x size x size x 3, the layout of
// scenes.Scene.RenderBatch) with their latents lat: ImageGrid's panel per category (opt.PerClass
// examples each), titled with the category's name as the fine class; the CSV has ImageGrid's
// columns followed by every latent of each image drawn (scenes.CSVHeader after "index").
func ScenesGrid(pix []uint8, size int, lat []scenes.Latents, opt ImageGridOptions) (*Figure, error) {
	n := len(lat)
	if len(pix) != n*size*size*3 {
		return nil, fmt.Errorf("plots: ScenesGrid: %d bytes for %d images of %dx%d", len(pix), n, size, size)
	}
	labels := make([]int, n)
	names := make([]string, n)
	ids := make([]string, n)
	for i := range lat {
		labels[i], names[i] = lat[i].Category, lat[i].Name
		ids[i] = strconv.Itoa(lat[i].Index)
	}
	f, err := ImageGrid(RGBImages{Pix: pix, H: size, W: size, IDs: ids}, labels, names, opt)
	if err != nil {
		return nil, err
	}
	f.Header = append(f.Header, scenes.CSVHeader[2:]...)
	for r, row := range f.Rows {
		i, err := strconv.Atoi(row[1])
		if err != nil {
			return nil, fmt.Errorf("plots: ScenesGrid: row %d: %w", r, err)
		}
		f.Rows[r] = append(row, lat[i].CSVRow("")[2:]...)
	}
	return f, nil
}
