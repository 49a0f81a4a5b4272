package plots

// The "add a figure" recipe of docs/extending.md: a builder is one function in this package that
// fills a *Figure (panels plus the numbers drawn); Save writes SVG, PNG and CSV, Show displays it
// in a notebook. This test is such a builder, written as a contributor would add one.

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// accuracyVsEpoch is a toy figure: one line of accuracy per epoch.
func accuracyVsEpoch(acc []float64) (*Figure, error) {
	f := newFigure(1, 12*vg.Centimeter, 8*vg.Centimeter, "epoch", "accuracy")
	p := plot.New()
	p.Title.Text = "accuracy vs epoch"
	pts := make(plotter.XYs, len(acc))
	for i, a := range acc {
		pts[i] = plotter.XY{X: float64(i + 1), Y: a}
		f.add(i+1, a)
	}
	l, err := plotter.NewLine(pts)
	if err != nil {
		return nil, err
	}
	p.Add(l)
	f.Panels = []*plot.Plot{p}
	return f, nil
}

func TestToyFigure(t *testing.T) {
	f, err := accuracyVsEpoch([]float64{0.5, 0.6, 0.65})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	paths, err := f.Save(dir, "toy")
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) != 3 {
		t.Fatalf("saved %v, want svg, png, csv", paths)
	}
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil || st.Size() == 0 {
			t.Fatalf("%s: %v (size %v)", p, err, st)
		}
	}
	png, _ := os.ReadFile(filepath.Join(dir, "toy.png"))
	if !strings.HasPrefix(string(png), "\x89PNG") {
		t.Fatal("toy.png is not a PNG")
	}
	rd, err := os.Open(filepath.Join(dir, "toy.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	rows, err := csv.NewReader(rd).ReadAll()
	if err != nil || len(rows) != 4 || rows[0][0] != "epoch" || rows[3][1] != "0.65" {
		t.Fatalf("csv %v, %v", rows, err)
	}
	if err := f.Show(); err != nil { // outside a notebook: a no-op
		t.Fatal(err)
	}
}
