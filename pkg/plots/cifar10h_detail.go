package plots

import (
	"fmt"
	"image/color"
	"math"
	"sort"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/coarsealign/coarsealign/pkg/cifar10h"
)

// CIFAR10HModel is one model's predicted class distributions on the first rows of the
// CIFAR-10H images (row i is official test image i), e.g. a run's stored readout.
type CIFAR10HModel struct {
	Label string
	Pred  *mat.Dense // n x 10
}

func entropy(p []float64) float64 {
	h := 0.0
	for _, v := range p {
		if v > 0 {
			h -= v * math.Log(v)
		}
	}
	return h
}

func checkModels(set *cifar10h.Set, models []CIFAR10HModel, who string) error {
	if len(models) == 0 {
		return fmt.Errorf("plots: %s: no models", who)
	}
	for _, m := range models {
		r, c := m.Pred.Dims()
		if c != cifar10h.NumClasses || r < 1 || r > set.N() {
			return fmt.Errorf("plots: %s: model %q has %d x %d predictions, want n x %d with n <= %d", who, m.Label, r, c, cifar10h.NumClasses, set.N())
		}
	}
	return nil
}

// entropyBins is the number of quantile bins of the human entropy in CIFAR10HEntropyScatter's CSV.
const entropyBins = 10

// CIFAR10HEntropyScatter draws, per model, the entropy of the model's distribution against the
// humans' for each image (nats; at most maxPoints images drawn, evenly spaced in the official
// order), with Spearman's rho over all images in the title. The CSV summarises each panel:
// per decile bin of the human entropy, the bin's mean human and mean model entropy and its
// number of images.
func CIFAR10HEntropyScatter(set *cifar10h.Set, maxPoints int, models ...CIFAR10HModel) (*Figure, error) {
	if err := checkModels(set, models, "CIFAR10HEntropyScatter"); err != nil {
		return nil, err
	}
	f := newFigure(len(models), vg.Length(len(models))*vg.Inch*3.4, vg.Inch*3.4,
		"model", "bin", "human_entropy_mean", "model_entropy_mean", "n", "spearman_all")
	for _, m := range models {
		n, _ := m.Pred.Dims()
		hx, my := make([]float64, n), make([]float64, n)
		for i := 0; i < n; i++ {
			hx[i] = entropy(set.Probs[i][:])
			my[i] = entropy(m.Pred.RawRowView(i))
		}
		rho := spearmanOf(hx, my)
		p := newPanel(fmt.Sprintf("%s (rho %.3f)", m.Label, rho), "human entropy (nats)", "model entropy (nats)")
		step := 1
		if maxPoints > 0 && n > maxPoints {
			step = (n + maxPoints - 1) / maxPoints
		}
		var pts plotter.XYs
		for i := 0; i < n; i += step {
			pts = append(pts, plotter.XY{X: hx[i], Y: my[i]})
		}
		sc, err := plotter.NewScatter(pts)
		if err != nil {
			return nil, err
		}
		sc.GlyphStyle = draw.GlyphStyle{Color: color.NRGBA{0x54, 0x27, 0x8f, 0x50}, Radius: vg.Points(1.2), Shape: draw.CircleGlyph{}}
		p.Add(sc)
		f.Panels = append(f.Panels, p)
		idx := make([]int, n)
		for i := range idx {
			idx[i] = i
		}
		sort.SliceStable(idx, func(a, b int) bool { return hx[idx[a]] < hx[idx[b]] })
		for b := 0; b < entropyBins; b++ {
			lo, hi := b*n/entropyBins, (b+1)*n/entropyBins
			if hi <= lo {
				continue
			}
			sh, sm := 0.0, 0.0
			for _, i := range idx[lo:hi] {
				sh += hx[i]
				sm += my[i]
			}
			k := float64(hi - lo)
			f.add(m.Label, b, sh/k, sm/k, hi-lo, rho)
		}
	}
	return f, nil
}

// spearmanOf is Spearman's rank correlation (average ranks for ties).
func spearmanOf(x, y []float64) float64 {
	return stat.Correlation(ranks(x), ranks(y), nil)
}

func ranks(x []float64) []float64 {
	idx := make([]int, len(x))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return x[idx[a]] < x[idx[b]] })
	r := make([]float64, len(x))
	for a := 0; a < len(idx); {
		b := a
		for b+1 < len(idx) && x[idx[b+1]] == x[idx[a]] {
			b++
		}
		for c := a; c <= b; c++ {
			r[idx[c]] = float64(a+b) / 2
		}
		a = b + 1
	}
	return r
}

// confusionGrid shows a 10 x 10 confusion matrix, true class 0 at the top.
type confusionGrid struct{ m *mat.Dense }

func (g confusionGrid) Dims() (c, r int)   { return cifar10h.NumClasses, cifar10h.NumClasses }
func (g confusionGrid) X(c int) float64    { return float64(c) }
func (g confusionGrid) Y(r int) float64    { return float64(r) }
func (g confusionGrid) Z(c, r int) float64 { return g.m.At(cifar10h.NumClasses-1-r, c) }

// CIFAR10HConfusions draws the humans' 10 x 10 confusion matrix (entry (t, c): mean probability
// of class c over the images of official class t; cifar10h.Set.ConfusionMatrix) beside each
// model's on the same images, off-diagonal entries only (the diagonal, the accuracy, is left
// white so that the confusions are visible; each panel's colour scale runs from 0 to its own
// largest off-diagonal entry, given in its title, since people confuse far less than the
// models and the confusion RSA is rank-based). The CSV has one row per matrix entry, diagonal
// included.
func CIFAR10HConfusions(set *cifar10h.Set, models ...CIFAR10HModel) (*Figure, error) {
	if err := checkModels(set, models, "CIFAR10HConfusions"); err != nil {
		return nil, err
	}
	n, _ := models[0].Pred.Dims()
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	type named struct {
		label string
		m     *mat.Dense
	}
	mats := []named{{"humans", set.ConfusionMatrix(set.HumanProbs(idx), idx)}}
	for _, m := range models {
		if r, _ := m.Pred.Dims(); r != n {
			return nil, fmt.Errorf("plots: CIFAR10HConfusions: model %q has %d images, %q has %d", m.Label, r, models[0].Label, n)
		}
		mats = append(mats, named{m.Label, set.ConfusionMatrix(m.Pred, idx)})
	}
	f := newFigure(len(mats), vg.Length(len(mats))*vg.Inch*3.2, vg.Inch*3.4, "matrix", "true", "chosen", "value")
	for _, nm := range mats {
		for t := 0; t < cifar10h.NumClasses; t++ {
			for c := 0; c < cifar10h.NumClasses; c++ {
				f.add(nm.label, cifar10h.ClassNames[t], cifar10h.ClassNames[c], nm.m.At(t, c))
			}
		}
	}
	for _, nm := range mats {
		off := mat.DenseCopyOf(nm.m)
		mx := 0.0
		for t := 0; t < cifar10h.NumClasses; t++ {
			off.Set(t, t, math.NaN())
			for c := 0; c < cifar10h.NumClasses; c++ {
				if t != c {
					mx = math.Max(mx, nm.m.At(t, c))
				}
			}
		}
		if mx == 0 {
			mx = 1
		}
		cmap := moreland.SmoothBlueRed()
		cmap.SetMin(0)
		cmap.SetMax(mx)
		pal := cmap.Palette(256)
		p := newPanel(fmt.Sprintf("%s (max %.3f)", nm.label, mx), "chosen class", "true class")
		h := plotter.NewHeatMap(confusionGrid{off}, pal)
		h.Min, h.Max = 0, mx
		h.NaN = color.RGBA{0xff, 0xff, 0xff, 0xff}
		h.Rasterized = false
		p.Add(h)
		var xt, yt []plot.Tick
		for c, name := range cifar10h.ClassNames {
			xt = append(xt, plot.Tick{Value: float64(c), Label: name[:min(4, len(name))]})
			yt = append(yt, plot.Tick{Value: float64(cifar10h.NumClasses - 1 - c), Label: name[:min(4, len(name))]})
		}
		p.X.Tick.Marker, p.Y.Tick.Marker = plot.ConstantTicks(xt), plot.ConstantTicks(yt)
		p.X.Tick.Label.Font.Size, p.Y.Tick.Label.Font.Size = vg.Points(6), vg.Points(6)
		f.Panels = append(f.Panels, p)
	}
	return f, nil
}
