package plots

import (
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coarsealign/coarsealign/pkg/sweep"
)

func TestPairedVsK(t *testing.T) {
	var rows []sweep.Row
	var paired []sweep.PairedRow
	for _, k := range []string{"untrained", "2", "8", "fine"} {
		rows = append(rows, sweep.Row{K: k, Arch: "alexnet-bn", Score: sweep.Score{Target: "mIT", Metric: "spearman",
			Value: 0.2, CILow: 0.1, CIHigh: 0.3, CeilingLow: math.NaN(), CeilingHigh: math.NaN(), Selected: true, Split: "half"}})
		if k == "fine" {
			continue
		}
		for _, arch := range []string{"alexnet-bn", "vgg"} {
			// A per-seed row and a pooled one: the pooled (more seeds) is drawn.
			paired = append(paired,
				sweep.PairedRow{Target: "mIT", Metric: "spearman", Arch: arch, K: k, Seeds: "1", NSeeds: 1, Diff: 9, Low: 8, High: 10},
				sweep.PairedRow{Target: "mIT", Metric: "spearman", Arch: arch, K: k, Seeds: "1,2", NSeeds: 2, Diff: -0.05, Low: -0.08, High: -0.01,
					SeedLow: math.NaN(), SeedHigh: math.NaN()})
		}
	}
	f, err := PairedFigure(rows, paired, "spearman", "", []HeadlineTarget{{Target: "mIT", Title: "macaque IT"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Panels) != 2 || len(f.Rows) != 6 {
		t.Fatalf("%d panels, %d CSV rows; want 2 (bars, differences) and 6 (3 K x 2 archs)", len(f.Panels), len(f.Rows))
	}
	for _, r := range f.Rows {
		if r[4] != "1,2" || r[8] != "-0.05" || r[13] != "true" {
			t.Errorf("CSV row %v: want the pooled row, beyond its interval", r)
		}
	}
	dir := t.TempDir()
	paths, err := f.Save(dir, "paired_vs_k")
	if err != nil || len(paths) != 3 {
		t.Fatalf("save: %v %v", paths, err)
	}
	csv, _ := os.ReadFile(filepath.Join(dir, "paired_vs_k.csv"))
	if !strings.HasPrefix(string(csv), "panel,target,metric,series,seeds,label,kind,k,diff,ci_low,ci_high") {
		t.Errorf("CSV header: %.80s", csv)
	}
	if _, err := PairedVsK(nil, nil); err == nil {
		t.Error("no panels accepted")
	}
	if _, err := PairedVsK(nil, []PairedPanel{{Title: "x", Points: []PairedPoint{{Label: "2", Kind: Coarse, K: 2, Diff: math.NaN()}}}}); err == nil {
		t.Error("NaN difference accepted")
	}
	if _, err := PairedFromRows(paired, "hIT", "spearman", "", "", ""); err == nil {
		t.Error("missing target accepted")
	}
}

// TestPairedSSLAtFineEnd: in the paired panel, ssl - fine is drawn at the fine end of the axis
// (after K = 64, whatever the table's order), labelled "instance (SSL)", in ColorSSL: the
// rendered PNG has pixels of that colour only when an ssl point is drawn, and they lie in the
// right part of the panel (the last of 4 x positions).
func TestPairedSSLAtFineEnd(t *testing.T) {
	var paired []sweep.PairedRow
	for _, k := range []string{sweep.SSL, "64", sweep.Untrained, "2"} { // table order: ssl first
		paired = append(paired, sweep.PairedRow{Target: "mIT", Metric: "spearman", Arch: "alexnet-bn", K: k, Seeds: "1", NSeeds: 1,
			Diff: 0.01, Low: -0.02, High: 0.04, SeedLow: math.NaN(), SeedHigh: math.NaN()})
	}
	pn, err := PairedFromRows(paired, "mIT", "spearman", "", "macaque IT", "diff")
	if err != nil {
		t.Fatal(err)
	}
	if pn.Points[0].Kind != SSL || pn.Points[0].Label != SSLLabel {
		t.Fatalf("ssl point %+v", pn.Points[0])
	}
	f, err := PairedVsK(nil, []PairedPanel{pn})
	if err != nil {
		t.Fatal(err)
	}
	var ticks []string
	for _, tk := range f.Panels[0].X.Tick.Marker.Ticks(f.Panels[0].X.Min, f.Panels[0].X.Max) {
		if tk.Label != "" {
			ticks = append(ticks, tk.Label)
		}
	}
	if got := strings.Join(ticks, "|"); got != "untr.|2|64|instance\n(SSL)" {
		t.Errorf("x ticks %q, want untr., 2, 64, instance (SSL)", got)
	}
	if f.Rows[0][6] != "ssl" || f.Rows[0][5] != SSLLabel {
		t.Errorf("CSV row of the ssl point %v", f.Rows[0])
	}
	xs := sslPixels(t, f)
	if len(xs) == 0 {
		t.Fatal("no pixel of ColorSSL in the paired panel")
	}
	for _, x := range xs {
		if x < 0.7 {
			t.Fatalf("ColorSSL pixel at x = %.2f of the width; the ssl point belongs at the right end", x)
		}
	}
	// Without the ssl row: no pixel of that colour (it is the ssl point's, not another's).
	pn2, err := PairedFromRows(paired[1:], "mIT", "spearman", "", "macaque IT", "diff")
	if err != nil {
		t.Fatal(err)
	}
	f2, err := PairedVsK(nil, []PairedPanel{pn2})
	if err != nil {
		t.Fatal(err)
	}
	if xs := sslPixels(t, f2); len(xs) != 0 {
		t.Errorf("%d ColorSSL pixels without an ssl point", len(xs))
	}
}

// sslPixels renders f's PNG and returns the x positions (fractions of the width) of the pixels
// of exactly ColorSSL.
func sslPixels(t *testing.T, f *Figure) []float64 {
	t.Helper()
	dir := t.TempDir()
	if _, err := f.Save(dir, "p"); err != nil {
		t.Fatal(err)
	}
	fh, err := os.Open(filepath.Join(dir, "p.png"))
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	img, err := png.Decode(fh)
	if err != nil {
		t.Fatal(err)
	}
	b := img.Bounds()
	var xs []float64
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if uint8(r>>8) == ColorSSL.R && uint8(g>>8) == ColorSSL.G && uint8(bl>>8) == ColorSSL.B {
				xs = append(xs, float64(x-b.Min.X)/float64(b.Dx()))
			}
		}
	}
	return xs
}

// TestPairedByArch: one block (bars above differences) per architecture, each paired with its
// own rows; ssl appears in both blocks' bars and differences.
func TestPairedByArch(t *testing.T) {
	var rows []sweep.Row
	var paired []sweep.PairedRow
	for ai, a := range []string{"alexnet-bn", "vit-cifar"} {
		for _, k := range []string{"untrained", "2", "8", "fine", "ssl"} {
			rows = append(rows, sweep.Row{K: k, Arch: a, Score: sweep.Score{Target: "mIT", Metric: "spearman",
				Value: 0.2, CILow: 0.1, CIHigh: 0.3, CeilingLow: math.NaN(), CeilingHigh: math.NaN(), Selected: true, Split: "half"}})
			if k != "fine" {
				paired = append(paired, sweep.PairedRow{Target: "mIT", Metric: "spearman", Arch: a, K: k, Seeds: "1", NSeeds: 1,
					Diff: float64(ai) + 0.01, Low: float64(ai), High: float64(ai) + 0.02, SeedLow: math.NaN(), SeedHigh: math.NaN()})
			}
		}
	}
	f, err := PairedByArch(rows, paired, "spearman", []HeadlineTarget{{Target: "mIT", Title: "macaque IT"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Panels) != 4 || len(f.Rows) != 8 || f.Cols != 1 {
		t.Fatalf("%d panels, %d CSV rows, %d cols; want 4, 8 (4 points x 2 archs), 1", len(f.Panels), len(f.Rows), f.Cols)
	}
	ssl := 0
	for _, r := range f.Rows {
		arch := strings.SplitN(r[0], ":", 2)[0]
		if (arch == "vit-cifar") != (r[8] == "1.01") {
			t.Errorf("row %v: paired with the other architecture's rows", r)
		}
		if r[6] == "ssl" {
			ssl++
		}
	}
	if ssl != 2 {
		t.Errorf("%d ssl points, want 2", ssl)
	}
	if _, err := PairedByArch(rows, paired[:4], "spearman", []HeadlineTarget{{Target: "mIT", Title: "macaque IT"}}); err == nil {
		t.Error("an architecture without paired rows accepted")
	}
}
