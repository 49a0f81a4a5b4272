package scenes

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strconv"
)

// CSVHeader is the header of latents.csv: the image file (relative to the folder), then every latent.
var CSVHeader = []string{"index", "file", "category", "category_name", "identity", "x", "y", "distance", "scale",
	"rot_x", "rot_y", "rot_z", "qw", "qx", "qy", "qz",
	"sin_rot_x", "cos_rot_x", "sin_rot_y", "cos_rot_y", "sin_rot_z", "cos_rot_z",
	"light_azimuth", "light_elevation", "background", "bg_r", "bg_g", "bg_b", "bg2_r", "bg2_g", "bg2_b",
	"bg_angle", "bg_seed", "bg_image", "crop_x", "crop_y", "crop"}

// CSVRow is the latents.csv row of l for the image file.
func (l *Latents) CSVRow(file string) []string {
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', 10, 64) }
	sc := func(deg float64) (string, string) {
		s, c := sincosDeg(deg)
		return f(s), f(c)
	}
	sx, cx := sc(l.RotX)
	sy, cy := sc(l.RotY)
	sz, cz := sc(l.RotZ)
	return []string{strconv.Itoa(l.Index), file, strconv.Itoa(l.Category), l.Name, strconv.Itoa(l.Identity),
		f(l.X), f(l.Y), f(l.Distance), f(l.Scale), f(l.RotX), f(l.RotY), f(l.RotZ),
		f(l.Quat[0]), f(l.Quat[1]), f(l.Quat[2]), f(l.Quat[3]), sx, cx, sy, cy, sz, cz,
		f(l.LightAzimuth), f(l.LightElevation), l.Background,
		f(l.BgColor[0]), f(l.BgColor[1]), f(l.BgColor[2]), f(l.BgColor2[0]), f(l.BgColor2[1]), f(l.BgColor2[2]),
		f(l.BgAngle), strconv.FormatUint(l.BgSeed, 10), l.BgImagePath, f(l.CropX), f(l.CropY), f(l.Crop)}
}

// WriteFolder renders images 0..n-1 of seed and writes them as an ImageFolder under dir
// (<category>/<index>.png, zero-padded) plus dir/latents.csv (CSVHeader; one row per image in
// index order), rendering in chunks of 1,024 with workers goroutines.
func (s *Scene) WriteFolder(dir string, seed uint64, n, workers int) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for k := range s.cfg.NumCategories() {
		if err := os.MkdirAll(filepath.Join(dir, s.cfg.CategoryName(k)), 0o755); err != nil {
			return err
		}
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write(CSVHeader)
	size := s.cfg.Size
	digits := len(strconv.Itoa(max(n-1, 0)))
	for start := 0; start < n; start += 1024 {
		m := min(1024, n-start)
		pix, lat := s.RenderBatch(seed, start, m, workers)
		for k := range lat {
			l := &lat[k]
			file := fmt.Sprintf("%s/%0*d.png", l.Name, digits, l.Index)
			img := &image.NRGBA{Pix: make([]uint8, size*size*4), Stride: 4 * size, Rect: image.Rect(0, 0, size, size)}
			src := pix[k*size*size*3 : (k+1)*size*size*3]
			for p := range size * size {
				copy(img.Pix[4*p:4*p+3], src[3*p:3*p+3])
				img.Pix[4*p+3] = 255
			}
			var pb bytes.Buffer
			if err := png.Encode(&pb, img); err != nil {
				return err
			}
			if err := os.WriteFile(filepath.Join(dir, file), pb.Bytes(), 0o644); err != nil {
				return err
			}
			_ = w.Write(l.CSVRow(file))
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "latents.csv"), buf.Bytes(), 0o644)
}
