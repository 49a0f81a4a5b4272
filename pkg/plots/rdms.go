package plots

import (
	"fmt"
	"image/color"
	"math"
	"sort"

	"github.com/coarsealign/coarsealign/pkg/rdm"
	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// CategoryOrder returns the stimulus order that groups stimuli by category, categories in order
// of first appearance, stimuli in their original order inside a category. groups[i] is stimulus
// i's category.
func CategoryOrder(groups []string) []int {
	first := map[string]int{}
	for i, g := range groups {
		if _, ok := first[g]; !ok {
			first[g] = i
		}
	}
	idx := make([]int, len(groups))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return first[groups[idx[a]]] < first[groups[idx[b]]] })
	return idx
}

// Percentiles returns the RDM's dissimilarities as percentiles of their rank (0 = most similar
// pair, 100 = most dissimilar; ties share their mean rank; NaN stays NaN), the display of
// Kriegeskorte et al. (2008), which makes RDMs with different scales comparable.
func Percentiles(r *rdm.RDM) []float64 {
	type iv struct {
		i int
		v float64
	}
	var xs []iv
	for i, v := range r.Vec {
		if !math.IsNaN(v) {
			xs = append(xs, iv{i, v})
		}
	}
	sort.Slice(xs, func(a, b int) bool { return xs[a].v < xs[b].v })
	out := make([]float64, len(r.Vec))
	for i := range out {
		out[i] = math.NaN()
	}
	for a := 0; a < len(xs); {
		b := a
		for b+1 < len(xs) && xs[b+1].v == xs[a].v {
			b++
		}
		rank := float64(a+b) / 2
		for c := a; c <= b; c++ {
			if len(xs) > 1 {
				out[xs[c].i] = 100 * rank / float64(len(xs)-1)
			} else {
				out[xs[c].i] = 50
			}
		}
		a = b + 1
	}
	return out
}

// rdmGrid shows an RDM's percentiles in a stimulus order, row 0 at the top.
type rdmGrid struct {
	n     int
	order []int
	pct   []float64
}

func (g rdmGrid) Dims() (c, r int) { return g.n, g.n }
func (g rdmGrid) X(c int) float64  { return float64(c) }
func (g rdmGrid) Y(r int) float64  { return float64(r) }
func (g rdmGrid) Z(c, r int) float64 {
	i, j := g.order[g.n-1-r], g.order[c]
	if i == j {
		return 0
	}
	return g.pct[rdm.Index(g.n, i, j)]
}

// RDMHeatmaps draws RDMs side by side (e.g. a model layer and a brain region) as percentile
// heatmaps in the same stimulus order: grouped by category when groups (one category per
// stimulus) is given, with lines between categories. All RDMs must have the same size. The CSV
// has one row per stimulus pair i<j with each RDM's dissimilarity and percentile.
func RDMHeatmaps(groups []string, rdms ...*rdm.RDM) (*Figure, error) {
	if len(rdms) == 0 {
		return nil, fmt.Errorf("plots: RDMHeatmaps: no RDMs")
	}
	n := rdms[0].N
	for _, r := range rdms {
		if r.N != n || len(r.Vec) != rdm.NumPairs(r.N) {
			return nil, fmt.Errorf("plots: RDMHeatmaps: RDM %q has %d stimuli (%d pairs), want %d", r.Name, r.N, len(r.Vec), n)
		}
	}
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	if groups != nil {
		if len(groups) != n {
			return nil, fmt.Errorf("plots: RDMHeatmaps: %d groups for %d stimuli", len(groups), n)
		}
		order = CategoryOrder(groups)
	}
	header := []string{"i", "j"}
	for _, r := range rdms {
		header = append(header, r.Name+" dissimilarity", r.Name+" percentile")
	}
	f := newFigure(len(rdms), vg.Length(len(rdms))*vg.Inch*3.6, vg.Inch*3.8, header...)
	pcts := make([][]float64, len(rdms))
	for k, r := range rdms {
		pcts[k] = Percentiles(r)
	}
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			cells := []any{i, j}
			for k, r := range rdms {
				idx := rdm.Index(n, i, j)
				cells = append(cells, r.Vec[idx], pcts[k][idx])
			}
			f.add(cells...)
		}
	}
	cmap := moreland.SmoothBlueRed()
	cmap.SetMin(0)
	cmap.SetMax(100)
	pal := cmap.Palette(256)
	for k, r := range rdms {
		p := newPanel(r.Name, "", "")
		h := plotter.NewHeatMap(rdmGrid{n: n, order: order, pct: pcts[k]}, pal)
		h.Min, h.Max = 0, 100
		h.NaN = color.RGBA{0xff, 0xff, 0xff, 0xff}
		h.Rasterized = false // crisp cells in PNG and SVG (92 x 92 = 8464 rectangles)
		p.Add(h)
		if groups != nil {
			p.Add(&categoryLines{n: n, order: order, groups: groups})
		}
		p.HideAxes()
		f.Panels = append(f.Panels, p)
	}
	return f, nil
}

// categoryLines draws lines at the boundaries between categories of an ordered RDM heatmap.
type categoryLines struct {
	n      int
	order  []int
	groups []string
}

func (c *categoryLines) Plot(cv draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&cv)
	st := draw.LineStyle{Color: color.Black, Width: vg.Points(1)}
	for a := 1; a < c.n; a++ {
		if c.groups[c.order[a]] == c.groups[c.order[a-1]] {
			continue
		}
		x := trX(float64(a) - 0.5)
		y := trY(float64(c.n-a) - 0.5)
		cv.StrokeLine2(st, x, trY(-0.5), x, trY(float64(c.n)-0.5))
		cv.StrokeLine2(st, trX(-0.5), y, trX(float64(c.n)-0.5), y)
	}
}

// ClassicalMDS embeds the RDM's stimuli in dims dimensions by classical (Torgerson) MDS:
// B = -1/2 J D² J with J the centring matrix, coordinates = top eigenvectors of B scaled by the
// square roots of their eigenvalues (negative eigenvalues, from non-Euclidean dissimilarities,
// give zero coordinates). The result is n x dims. The RDM must not hold NaN.
func ClassicalMDS(r *rdm.RDM, dims int) (*mat.Dense, error) {
	n := r.N
	if dims < 1 || dims > n {
		return nil, fmt.Errorf("plots: ClassicalMDS: dims %d not in [1,%d]", dims, n)
	}
	if r.HasNaN() {
		return nil, fmt.Errorf("plots: ClassicalMDS: RDM %q has missing pairs (NaN)", r.Name)
	}
	d2 := mat.NewSymDense(n, nil)
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			v := r.Vec[rdm.Index(n, i, j)]
			d2.SetSym(i, j, v*v)
		}
	}
	// Double centring: b_ij = -1/2 (d2_ij - rowmean_i - rowmean_j + grandmean).
	row := make([]float64, n)
	grand := 0.0
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			row[i] += d2.At(i, j)
		}
		grand += row[i]
		row[i] /= float64(n)
	}
	grand /= float64(n * n)
	b := mat.NewSymDense(n, nil)
	for i := 0; i < n; i++ {
		for j := i; j < n; j++ {
			b.SetSym(i, j, -0.5*(d2.At(i, j)-row[i]-row[j]+grand))
		}
	}
	var eig mat.EigenSym
	if !eig.Factorize(b, true) {
		return nil, fmt.Errorf("plots: ClassicalMDS: eigendecomposition of %q failed", r.Name)
	}
	vals := eig.Values(nil) // ascending
	var vecs mat.Dense
	eig.VectorsTo(&vecs)
	out := mat.NewDense(n, dims, nil)
	for d := 0; d < dims; d++ {
		col := n - 1 - d
		s := math.Sqrt(math.Max(vals[col], 0))
		// Fix the sign so that the largest-magnitude entry is positive (deterministic output).
		big := 0.0
		for i := 0; i < n; i++ {
			if v := vecs.At(i, col); math.Abs(v) > math.Abs(big) {
				big = v
			}
		}
		sign := 1.0
		if big < 0 {
			sign = -1
		}
		for i := 0; i < n; i++ {
			out.Set(i, d, sign*s*vecs.At(i, col))
		}
	}
	return out, nil
}

// MDSScatter draws the 2-D classical MDS of each RDM (one panel per RDM), points coloured by
// group (groups[i] is stimulus i's category; nil = one colour). The CSV has one row per point.
func MDSScatter(groups []string, rdms ...*rdm.RDM) (*Figure, error) {
	if len(rdms) == 0 {
		return nil, fmt.Errorf("plots: MDSScatter: no RDMs")
	}
	f := newFigure(len(rdms), vg.Length(len(rdms))*vg.Inch*3.6, vg.Inch*3.6, "rdm", "stimulus", "group", "dim1", "dim2")
	for _, r := range rdms {
		if groups != nil && len(groups) != r.N {
			return nil, fmt.Errorf("plots: MDSScatter: %d groups for %d stimuli of %q", len(groups), r.N, r.Name)
		}
		xy, err := ClassicalMDS(r, 2)
		if err != nil {
			return nil, err
		}
		p := newPanel(r.Name, "MDS 1", "MDS 2")
		byGroup := map[string]plotter.XYs{}
		var names []string
		for i := 0; i < r.N; i++ {
			g := ""
			if groups != nil {
				g = groups[i]
			}
			if _, ok := byGroup[g]; !ok {
				names = append(names, g)
			}
			byGroup[g] = append(byGroup[g], plotter.XY{X: xy.At(i, 0), Y: xy.At(i, 1)})
			f.add(r.Name, i, g, xy.At(i, 0), xy.At(i, 1))
		}
		for gi, g := range names {
			s, err := plotter.NewScatter(byGroup[g])
			if err != nil {
				return nil, err
			}
			s.GlyphStyle.Color = categorical(gi)
			s.GlyphStyle.Radius = vg.Points(2.5)
			s.GlyphStyle.Shape = draw.CircleGlyph{}
			p.Add(s)
			if g != "" {
				p.Legend.Add(g, s)
			}
		}
		p.Legend.TextStyle.Font.Size = vg.Points(7)
		f.Panels = append(f.Panels, p)
	}
	return f, nil
}
