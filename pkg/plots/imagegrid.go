package plots

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"math/rand/v2"
	"sort"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// Images is a set of equally sized images addressed by index 0..Len()-1.
type Images interface {
	Len() int
	// Image returns image i; ID a stable identifier of it (a path), written to the CSV.
	Image(i int) image.Image
	ID(i int) string
}

// RGBImages adapts N packed RGB images (Pix is N x H x W x 3, row-major, the layout of
// pkg/data/images.Dataset.Pix) with one ID each to Images.
type RGBImages struct {
	Pix  []uint8
	H, W int
	IDs  []string
}

// Len is the number of images (len(IDs)).
func (r RGBImages) Len() int { return len(r.IDs) }

// ID returns IDs[i].
func (r RGBImages) ID(i int) string { return r.IDs[i] }

// Image returns image i as an opaque NRGBA image.
func (r RGBImages) Image(i int) image.Image {
	out := image.NewNRGBA(image.Rect(0, 0, r.W, r.H))
	px := r.Pix[i*r.H*r.W*3 : (i+1)*r.H*r.W*3]
	for p := 0; p < r.H*r.W; p++ {
		copy(out.Pix[4*p:4*p+3], px[3*p:3*p+3])
		out.Pix[4*p+3] = 0xff
	}
	return out
}

// ImageGridOptions configure ImageGrid. The zero value means the defaults.
type ImageGridOptions struct {
	// PerClass is the number of images drawn per category (default 16; fewer if a category is smaller).
	PerClass int
	// TileCols is the number of images per row inside a category's panel (default 4; PerClass gives a
	// single row per category).
	TileCols int
	// Cols is the number of panels per figure row (default min(K, 4); 1 stacks the categories).
	Cols int
	// Seed fixes the choice of images.
	Seed uint64
	// Gap is the white gap between images in pixels (default 2).
	Gap int
	// PanelWidth and PanelHeight are the size of one panel (default 2.6 x 3 inches).
	PanelWidth, PanelHeight vg.Length
}

// ImageGrid draws example images per category: one panel per category c = 0..K-1 (K = 1 + the largest
// label), titled "class c: n images" and, when fine is not nil, the three most frequent fine classes
// among all its members ("most: cat, dog, frog"; ties by name), showing PerClass of its images chosen
// at random (seeded) as a tile of TileCols columns. labels has one category per image (length
// imgs.Len(), values >= 0); fine, if not nil, one fine-class name per image. The CSV has one row per
// image drawn: class, image (index), id (imgs.ID) and fine_class.
//
// The choice is that of notebook 01 before this builder: rand.NewPCG(Seed, 1), and for each category
// in order a shuffle of its members (in index order) keeping the first PerClass.
func ImageGrid(imgs Images, labels []int, fine []string, opt ImageGridOptions) (*Figure, error) {
	n := imgs.Len()
	if len(labels) != n || n == 0 {
		return nil, fmt.Errorf("plots: ImageGrid: %d labels for %d images (need equal, > 0)", len(labels), n)
	}
	if fine != nil && len(fine) != n {
		return nil, fmt.Errorf("plots: ImageGrid: %d fine classes for %d images", len(fine), n)
	}
	k := 0
	for i, c := range labels {
		if c < 0 {
			return nil, fmt.Errorf("plots: ImageGrid: label of image %d is %d (need >= 0)", i, c)
		}
		k = max(k, c+1)
	}
	if opt.PerClass <= 0 {
		opt.PerClass = 16
	}
	if opt.TileCols <= 0 {
		opt.TileCols = 4
	}
	if opt.Cols <= 0 {
		opt.Cols = min(k, 4)
	}
	if opt.Gap < 0 {
		return nil, fmt.Errorf("plots: ImageGrid: gap %d < 0", opt.Gap)
	} else if opt.Gap == 0 {
		opt.Gap = 2
	}
	if opt.PanelWidth <= 0 {
		opt.PanelWidth = 2.6 * vg.Inch
	}
	if opt.PanelHeight <= 0 {
		opt.PanelHeight = 3 * vg.Inch
	}
	members := make([][]int, k)
	for i, c := range labels {
		members[c] = append(members[c], i)
	}
	rows := (k + opt.Cols - 1) / opt.Cols
	f := newFigure(opt.Cols, vg.Length(opt.Cols)*opt.PanelWidth, vg.Length(rows)*opt.PanelHeight, "class", "image", "id", "fine_class")
	rng := rand.New(rand.NewPCG(opt.Seed, 1))
	for c := range k {
		idx := append([]int(nil), members[c]...)
		rng.Shuffle(len(idx), func(i, j int) { idx[i], idx[j] = idx[j], idx[i] })
		idx = idx[:min(opt.PerClass, len(idx))]
		p := plot.New()
		p.HideAxes()
		p.Title.Text = fmt.Sprintf("class %d: %d images", c, len(members[c]))
		if fine != nil && len(members[c]) > 0 {
			p.Title.Text += "\nmost: " + strings.Join(mostFrequent(fine, members[c], 3), ", ")
		}
		if len(idx) > 0 {
			img, err := montage(imgs, idx, opt.TileCols, opt.Gap)
			if err != nil {
				return nil, err
			}
			b := img.Bounds()
			p.Add(plotter.NewImage(img, 0, 0, float64(b.Dx()), float64(b.Dy())))
		}
		f.Panels = append(f.Panels, p)
		for _, i := range idx {
			fc := ""
			if fine != nil {
				fc = fine[i]
			}
			f.add(c, i, imgs.ID(i), fc)
		}
	}
	return f, nil
}

// mostFrequent returns up to top names of fine over members, most frequent first, ties by name.
func mostFrequent(fine []string, members []int, top int) []string {
	count := map[string]int{}
	for _, i := range members {
		count[fine[i]]++
	}
	names := make([]string, 0, len(count))
	for s := range count {
		names = append(names, s)
	}
	sort.Slice(names, func(a, b int) bool {
		if count[names[a]] != count[names[b]] {
			return count[names[a]] > count[names[b]]
		}
		return names[a] < names[b]
	})
	return names[:min(top, len(names))]
}

// montage tiles images idx of imgs in a grid with cols columns and gap white pixels between them.
// All images must have the size of the first.
func montage(imgs Images, idx []int, cols, gap int) (image.Image, error) {
	first := imgs.Image(idx[0])
	w, h := first.Bounds().Dx(), first.Bounds().Dy()
	cols = min(cols, len(idx))
	rows := (len(idx) + cols - 1) / cols
	out := image.NewNRGBA(image.Rect(0, 0, cols*(w+gap)-gap, rows*(h+gap)-gap))
	draw.Draw(out, out.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
	for n, i := range idx {
		img := first
		if n > 0 {
			img = imgs.Image(i)
		}
		b := img.Bounds()
		if b.Dx() != w || b.Dy() != h {
			return nil, fmt.Errorf("plots: ImageGrid: image %d (%s) is %dx%d, image %d is %dx%d", i, imgs.ID(i), b.Dx(), b.Dy(), idx[0], w, h)
		}
		x0, y0 := (n%cols)*(w+gap), (n/cols)*(h+gap)
		draw.Draw(out, image.Rect(x0, y0, x0+w, y0+h), img, b.Min, draw.Src)
	}
	return out, nil
}
