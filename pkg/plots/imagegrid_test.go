package plots

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"strconv"
	"strings"
	"testing"
)

// solidImages returns n 8x6 RGB images; image i is filled with the colour of its class labels[i]
// (class c: red 40*c+20, green 200, blue 255-40*c) so that a drawn image shows its class.
func solidImages(labels []int) RGBImages {
	const h, w = 6, 8
	r := RGBImages{H: h, W: w, Pix: make([]uint8, len(labels)*h*w*3)}
	for i, c := range labels {
		r.IDs = append(r.IDs, fmt.Sprintf("img/%03d.png", i))
		for p := 0; p < h*w; p++ {
			o := (i*h*w + p) * 3
			r.Pix[o], r.Pix[o+1], r.Pix[o+2] = uint8(40*c+20), 200, uint8(255-40*c)
		}
	}
	return r
}

func TestImageGrid(t *testing.T) {
	// 4 classes of sizes 30, 20, 10 and 3 (the last smaller than PerClass).
	var labels []int
	var fine []string
	for c, size := range []int{30, 20, 10, 3} {
		for j := 0; j < size; j++ {
			labels = append(labels, c)
			fine = append(fine, []string{"cat", "dog", "frog"}[(j+c)%3])
		}
	}
	imgs := solidImages(labels)
	opt := ImageGridOptions{PerClass: 8, Seed: 5}
	f, err := ImageGrid(imgs, labels, fine, opt)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Panels) != 4 || f.Cols != 4 {
		t.Fatalf("%d panels in %d columns, want 4 in 4", len(f.Panels), f.Cols)
	}
	// 8 + 8 + 8 + 3 images drawn.
	checkSaved(t, f, "image_grid", 27)
	perClass := map[string]int{}
	seen := map[string]bool{}
	for _, row := range f.Rows {
		i, err := strconv.Atoi(row[1])
		if err != nil {
			t.Fatal(err)
		}
		if row[0] != strconv.Itoa(labels[i]) || row[2] != imgs.IDs[i] || row[3] != fine[i] {
			t.Fatalf("row %v: image %d has class %d, id %s, fine %s", row, i, labels[i], imgs.IDs[i], fine[i])
		}
		if seen[row[2]] {
			t.Fatalf("image %s drawn twice", row[2])
		}
		seen[row[2]] = true
		perClass[row[0]]++
	}
	if perClass["0"] != 8 || perClass["3"] != 3 {
		t.Fatalf("images per class %v", perClass)
	}
	// Class 3 has members j = 0, 1, 2 with fine (j+3)%3: cat, dog, frog once each; ties go by name.
	if got := f.Panels[3].Title.Text; got != "class 3: 3 images\nmost: cat, dog, frog" {
		t.Fatalf("title %q", got)
	}
	// Same seed, same images; another seed, another choice.
	g, _ := ImageGrid(imgs, labels, fine, opt)
	opt.Seed = 6
	h, _ := ImageGrid(imgs, labels, fine, opt)
	if fmt.Sprint(g.Rows) != fmt.Sprint(f.Rows) {
		t.Fatal("same seed, different images")
	}
	if fmt.Sprint(h.Rows) == fmt.Sprint(f.Rows) {
		t.Fatal("seeds 5 and 6 drew the same images")
	}
	// Every class colour appears in the rendered PNG.
	b, err := f.Render("png")
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	found := map[int]bool{}
	for y := img.Bounds().Min.Y; y < img.Bounds().Max.Y; y++ {
		for x := img.Bounds().Min.X; x < img.Bounds().Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			for c := 0; c < 4; c++ {
				if r>>8 == uint32(40*c+20) && g>>8 == 200 && bl>>8 == uint32(255-40*c) {
					found[c] = true
				}
			}
		}
	}
	if len(found) != 4 {
		t.Fatalf("class colours found in the PNG: %v", found)
	}
}

func TestImageGridNoFineAndLayout(t *testing.T) {
	labels := []int{0, 1, 0, 1, 2, 2, 0}
	f, err := ImageGrid(solidImages(labels), labels, nil, ImageGridOptions{PerClass: 2, TileCols: 2, Cols: 1})
	if err != nil {
		t.Fatal(err)
	}
	if f.Cols != 1 || len(f.Panels) != 3 || f.Height != 3*f.Width*3/2.6 {
		t.Fatalf("layout: %d cols, %d panels, %v x %v", f.Cols, len(f.Panels), f.Width, f.Height)
	}
	if strings.Contains(f.Panels[0].Title.Text, "most") || f.Rows[0][3] != "" {
		t.Fatalf("fine classes shown without fine labels: %q %v", f.Panels[0].Title.Text, f.Rows[0])
	}
}

func TestImageGridErrors(t *testing.T) {
	labels := []int{0, 1, 1}
	imgs := solidImages(labels)
	for _, c := range []struct {
		labels []int
		fine   []string
		want   string
	}{
		{[]int{0, 1}, nil, "2 labels for 3 images"},
		{[]int{0, -1, 1}, nil, "label of image 1 is -1"},
		{labels, []string{"a"}, "1 fine classes for 3 images"},
	} {
		if _, err := ImageGrid(imgs, c.labels, c.fine, ImageGridOptions{}); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("error %v, want %q", err, c.want)
		}
	}
	// Images of different sizes.
	mixed := mixedImages{imgs}
	if _, err := ImageGrid(mixed, labels, nil, ImageGridOptions{}); err == nil || !strings.Contains(err.Error(), "is 4x6") {
		t.Errorf("mixed sizes: error %v", err)
	}
}

// mixedImages crops image 2 to 4 pixels wide.
type mixedImages struct{ RGBImages }

func (m mixedImages) Image(i int) image.Image {
	img := m.RGBImages.Image(i).(*image.NRGBA)
	if i == 2 {
		return img.SubImage(image.Rect(0, 0, 4, 6))
	}
	return img
}

func ExampleImageGrid() {
	labels := []int{0, 0, 1, 1, 1} // two categories
	imgs := solidImages(labels)    // 8x6 solid images with IDs img/000.png, ...
	fine := []string{"cat", "cat", "dog", "frog", "dog"}
	fig, err := ImageGrid(imgs, labels, fine, ImageGridOptions{PerClass: 2, Seed: 1})
	if err != nil {
		panic(err)
	}
	fmt.Println(fig.Panels[1].Title.Text)
	fmt.Println(len(fig.Rows), "images in the CSV")
	fig.Show() // displays inline in GoNB; does nothing here
	// Output:
	// class 1: 3 images
	// most: dog, frog
	// 4 images in the CSV
}
