// Package plots builds the figures of the coarse-label study with gonum/plot: one builder per
// figure, each returning a *Figure (one or more aligned panels plus the numbers drawn).
//
//   - AlignmentVsK: alignment vs label granularity K per target (bars with bootstrap CIs, noise-ceiling
//     band, untrained and fine-label baselines) — the study's Fig. 2/3.
//   - TrainingCurves: loss and accuracy vs epoch, one line per run.
//   - LayerProfiles: alignment vs layer, one line per K.
//   - RDMHeatmaps (model and brain RDMs side by side, ordered by category) and MDSScatter (classical MDS).
//   - PCASplit: the PCA median-split schematic (Fig. 1).
//   - ReconstructionControl: alignment of a model rebuilt from its top M PCs vs M.
//   - LayerTimeMap: time-resolved RSA (pkg/rsa/temporal), the layer x time map with peaks, onsets
//     and the depth-latency correlation.
//
// Figure.Save writes <name>.svg, <name>.png and <name>.csv (one CSV row per point, bar or cell drawn)
// into a folder; Figure.Show displays the PNG inline in a GoNB notebook and does nothing elsewhere.
// This is the only package of the module that imports gonbui.
package plots

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"image/color"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"

	"github.com/janpfeifer/gonb/gonbui"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// DPI of the PNG files.
const DPI = 150

// Figure is a grid of aligned panels plus the numbers they draw.
type Figure struct {
	// Panels in row-major order; nil entries leave a cell empty.
	Panels []*plot.Plot
	// Cols is the number of panel columns (rows follow from len(Panels)).
	Cols int
	// Width and Height of the whole figure.
	Width, Height vg.Length
	// Header and Rows are the numbers drawn, written as CSV by Save.
	Header []string
	Rows   [][]string
}

func newFigure(cols int, w, h vg.Length, header ...string) *Figure {
	return &Figure{Cols: cols, Width: w, Height: h, Header: header}
}

func (f *Figure) add(cells ...any) {
	row := make([]string, len(cells))
	for i, c := range cells {
		switch v := c.(type) {
		case string:
			row[i] = v
		case int:
			row[i] = strconv.Itoa(v)
		case float64:
			if math.IsNaN(v) || math.IsInf(v, 0) {
				row[i] = ""
			} else {
				row[i] = strconv.FormatFloat(v, 'g', 6, 64)
			}
		case bool:
			row[i] = strconv.FormatBool(v)
		default:
			row[i] = fmt.Sprint(v)
		}
	}
	f.Rows = append(f.Rows, row)
}

// Draw draws the panels onto c, aligned in a grid.
func (f *Figure) Draw(c draw.Canvas) {
	cols := max(f.Cols, 1)
	rows := (len(f.Panels) + cols - 1) / cols
	grid := make([][]*plot.Plot, rows)
	for r := range grid {
		grid[r] = make([]*plot.Plot, cols)
		for k := 0; k < cols; k++ {
			if i := r*cols + k; i < len(f.Panels) {
				grid[r][k] = f.Panels[i]
			}
		}
	}
	t := draw.Tiles{Rows: rows, Cols: cols, PadX: vg.Millimeter * 6, PadY: vg.Millimeter * 6,
		PadTop: vg.Millimeter * 2, PadBottom: vg.Millimeter * 2, PadLeft: vg.Millimeter * 2, PadRight: vg.Millimeter * 3}
	canvases := plot.Align(grid, t, c)
	for r := range grid {
		for k := range grid[r] {
			if grid[r][k] != nil {
				grid[r][k].Draw(canvases[r][k])
			}
		}
	}
}

// Render returns the figure encoded as "png" or "svg".
func (f *Figure) Render(format string) ([]byte, error) {
	var wt io.WriterTo
	switch format {
	case "png":
		c := vgimg.NewWith(vgimg.UseWH(f.Width, f.Height), vgimg.UseDPI(DPI))
		f.Draw(draw.New(c))
		wt = vgimg.PngCanvas{Canvas: c}
	case "svg":
		c := vgsvg.New(f.Width, f.Height)
		f.Draw(draw.New(c))
		wt = c
	default:
		return nil, fmt.Errorf("plots: unknown format %q (png, svg)", format)
	}
	var b bytes.Buffer
	if _, err := wt.WriteTo(&b); err != nil {
		return nil, fmt.Errorf("plots: render %s: %w", format, err)
	}
	return b.Bytes(), nil
}

// WriteCSV writes the numbers drawn.
func (f *Figure) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(f.Header); err != nil {
		return err
	}
	if err := cw.WriteAll(f.Rows); err != nil {
		return err
	}
	return cw.Error()
}

// Save writes dir/name.svg, dir/name.png and dir/name.csv (creating dir) and returns the paths.
func (f *Figure) Save(dir, name string) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("plots: %w", err)
	}
	var paths []string
	for _, format := range []string{"svg", "png"} {
		b, err := f.Render(format)
		if err != nil {
			return nil, err
		}
		p := filepath.Join(dir, name+"."+format)
		if err := writeFile(p, b); err != nil {
			return nil, err
		}
		paths = append(paths, p)
	}
	var b bytes.Buffer
	if err := f.WriteCSV(&b); err != nil {
		return nil, fmt.Errorf("plots: %s.csv: %w", name, err)
	}
	p := filepath.Join(dir, name+".csv")
	if err := writeFile(p, b.Bytes()); err != nil {
		return nil, err
	}
	return append(paths, p), nil
}

// writeFile writes through a temporary file and a rename so a reader never sees half a figure.
func writeFile(path string, b []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return fmt.Errorf("plots: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("plots: %w", err)
	}
	return nil
}

// Show displays the figure as PNG in a GoNB notebook; outside a notebook it does nothing.
func (f *Figure) Show() error {
	if !gonbui.IsNotebook {
		return nil
	}
	b, err := f.Render("png")
	if err != nil {
		return err
	}
	gonbui.DisplayPng(b)
	return nil
}

// Colours of the reference figures (matplotlib's Blues/Greens ramps, grey untrained, orange fine).
var (
	ColorUntrained = color.RGBA{0xaa, 0xaa, 0xaa, 0xff}
	ColorFine      = color.RGBA{0xff, 0xa5, 0x00, 0xff}
	// Blues and Greens run from the lightest (K=2) to the darkest (K=64) colour.
	Blues  = [2]color.RGBA{{0xc6, 0xdb, 0xef, 0xff}, {0x08, 0x51, 0x9c, 0xff}}
	Greens = [2]color.RGBA{{0xc7, 0xe9, 0xc0, 0xff}, {0x00, 0x6d, 0x2c, 0xff}}
	// Categorical is a colour-blind-safe palette (matplotlib "colorblind"/seaborn) for classes.
	Categorical = []color.RGBA{{0x01, 0x73, 0xb2, 0xff}, {0xde, 0x8f, 0x05, 0xff}, {0x02, 0x9e, 0x73, 0xff},
		{0xcc, 0x78, 0xbc, 0xff}, {0xd5, 0x5e, 0x00, 0xff}, {0xca, 0x91, 0x61, 0xff}, {0xfb, 0xaf, 0xe4, 0xff},
		{0x94, 0x94, 0x94, 0xff}, {0xec, 0xe1, 0x33, 0xff}, {0x56, 0xb4, 0xe9, 0xff}}
)

// ramp interpolates linearly between the two colours, t in [0,1].
func ramp(r [2]color.RGBA, t float64) color.RGBA {
	t = math.Max(0, math.Min(1, t))
	mix := func(a, b uint8) uint8 { return uint8(math.Round(float64(a) + t*(float64(b)-float64(a)))) }
	return color.RGBA{mix(r[0].R, r[1].R), mix(r[0].G, r[1].G), mix(r[0].B, r[1].B), 0xff}
}

// categorical returns the i-th categorical colour (cycling).
func categorical(i int) color.RGBA {
	if i < 0 {
		return ColorUntrained
	}
	return Categorical[i%len(Categorical)]
}

// newPanel returns a plot styled like the reference figures: no grid, axes at the data,
// title on top.
func newPanel(title, xlabel, ylabel string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font.Size = vg.Points(13)
	p.X.Label.Text = xlabel
	p.Y.Label.Text = ylabel
	p.X.Label.TextStyle.Font.Size = vg.Points(11)
	p.Y.Label.TextStyle.Font.Size = vg.Points(11)
	p.X.Tick.Label.Font.Size = vg.Points(9)
	p.Y.Tick.Label.Font.Size = vg.Points(10)
	p.X.LineStyle.Width = vg.Points(1.2)
	p.Y.LineStyle.Width = vg.Points(1.2)
	return p
}
