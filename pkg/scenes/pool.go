package scenes

import (
	"fmt"
	"image"
	"image/jpeg"
	"os"
	"path/filepath"
	"sort"
)

// Pool is a set of background images (the CIFAR-10 crops), all H x W RGB.
type Pool struct {
	Pix   []uint8 // len(Paths) x H x W x 3.
	H, W  int
	Paths []string // relative to the folder, "<class>/<file>".
}

// LoadPool reads n images spread evenly over the sorted files of an ImageFolder (dir, else
// dataDir/cifar10-jpg/train).
func LoadPool(dir, dataDir string, n int) (*Pool, error) {
	if dir == "" {
		if dataDir == "" {
			return nil, fmt.Errorf("scenes: cifar backgrounds: no cifar.dir and no data directory (set --data or COARSEALIGN_DATA)")
		}
		dir = filepath.Join(dataDir, "cifar10-jpg", "train")
	}
	classes, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("scenes: cifar backgrounds: %w", err)
	}
	var files []string
	for _, c := range classes {
		if !c.IsDir() {
			continue
		}
		es, err := os.ReadDir(filepath.Join(dir, c.Name()))
		if err != nil {
			return nil, fmt.Errorf("scenes: cifar backgrounds: %w", err)
		}
		for _, e := range es {
			if !e.IsDir() {
				files = append(files, c.Name()+"/"+e.Name())
			}
		}
	}
	sort.Strings(files)
	if len(files) < n {
		return nil, fmt.Errorf("scenes: cifar backgrounds: %s has %d images, cifar.pool is %d", dir, len(files), n)
	}
	p := &Pool{}
	for i := range n {
		rel := files[i*len(files)/n]
		img, err := decode(filepath.Join(dir, rel))
		if err != nil {
			return nil, err
		}
		b := img.Bounds()
		if i == 0 {
			p.H, p.W = b.Dy(), b.Dx()
		} else if b.Dy() != p.H || b.Dx() != p.W {
			return nil, fmt.Errorf("scenes: cifar backgrounds: %s is %dx%d, the first image %dx%d", rel, b.Dx(), b.Dy(), p.W, p.H)
		}
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				r, g, bl, _ := img.At(x, y).RGBA()
				p.Pix = append(p.Pix, uint8(r>>8), uint8(g>>8), uint8(bl>>8))
			}
		}
		p.Paths = append(p.Paths, rel)
	}
	return p, nil
}

func decode(path string) (image.Image, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("scenes: cifar backgrounds: %w", err)
	}
	defer f.Close()
	img, err := jpeg.Decode(f)
	if err != nil {
		return nil, fmt.Errorf("scenes: cifar backgrounds: %s: %w", path, err)
	}
	return img, nil
}

// crop fills n x n samples with the crop of l (nearest sample).
func (p *Pool) crop(l *Latents, dst []uint8, n int) {
	cw, ch := l.Crop*float64(p.W), l.Crop*float64(p.H)
	ox, oy := l.CropX*(float64(p.W)-cw), l.CropY*(float64(p.H)-ch)
	src := p.Pix[l.BgImage*p.H*p.W*3 : (l.BgImage+1)*p.H*p.W*3]
	for y := range n {
		sy := min(int(oy+(float64(y)+0.5)/float64(n)*ch), p.H-1)
		for x := range n {
			sx := min(int(ox+(float64(x)+0.5)/float64(n)*cw), p.W-1)
			copy(dst[3*(y*n+x):3*(y*n+x)+3], src[3*(sy*p.W+sx):3*(sy*p.W+sx)+3])
		}
	}
}
