package spatial

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/gonum/mat"

	"github.com/coarsealign/coarsealign/pkg/cka"
	"github.com/coarsealign/coarsealign/pkg/data/k92"
	"github.com/coarsealign/coarsealign/pkg/data/npy"
	"github.com/coarsealign/coarsealign/pkg/encoding"
	"github.com/coarsealign/coarsealign/pkg/eval"
	"github.com/coarsealign/coarsealign/pkg/scenes"
)

// Layer is one layer's activations: Rows stimuli x Cols units, row-major (pkg/features.Layer's
// data, without GoMLX).
type Layer struct {
	Name       string
	Rows, Cols int
	Data       []float32
}

// Float64 returns a float64 copy of Data.
func (l *Layer) Float64() []float64 {
	out := make([]float64, len(l.Data))
	for i, v := range l.Data {
		out[i] = float64(v)
	}
	return out
}

// Rep is one model's features on a stimulus set, in network order.
type Rep struct {
	Model  string
	Layers []Layer
}

// layer returns the layer named name, or nil.
func (r Rep) layer(name string) *Layer {
	for i := range r.Layers {
		if r.Layers[i].Name == name {
			return &r.Layers[i]
		}
	}
	return nil
}

func dense(l *Layer) *mat.Dense { return mat.NewDense(l.Rows, l.Cols, l.Float64()) }

// DecodeRow is one decoding score: the latent decoded from a layer of a model on held-out renders.
type DecodeRow struct {
	Model, Layer, Latent string
	// Metric is "r2" (regression latents: cross-validated R^2 = 1 - SSE/SST of the out-of-fold
	// predictions, averaged over a latent's sine and cosine columns) or "accuracy" (category:
	// the arg-max of ridge predictions of the one-hot labels).
	Metric string
	Value  float64
}

// Decode fits 5-fold cross-validated ridge regressions (pkg/encoding; alpha per column by
// leave-one-out on each training fold, features z-scored with training statistics) from every
// layer in layers of every model to every latent of the probe renders lat.
func Decode(reps []Rep, layers []string, lat []scenes.Latents, k int, seed uint64) ([]DecodeRow, error) {
	cols := Columns(RegressionLatents)
	n := len(lat)
	y := mat.NewDense(n, len(cols)+k, nil)
	for i := range lat {
		for j, c := range cols {
			y.Set(i, j, c.raw(&lat[i]))
		}
		y.Set(i, len(cols)+lat[i].Category, 1)
	}
	var out []DecodeRow
	for _, r := range reps {
		for _, ln := range layers {
			l := r.layer(ln)
			if l == nil {
				return nil, fmt.Errorf("spatial: model %s has no layer %s", r.Model, ln)
			}
			if l.Rows != n {
				return nil, fmt.Errorf("spatial: model %s layer %s has %d rows, %d renders", r.Model, ln, l.Rows, n)
			}
			res, err := encoding.Ridge(dense(l), y, encoding.Options{Folds: 5, InnerLOO: true, Seed: seed})
			if err != nil {
				return nil, fmt.Errorf("spatial: decoding from %s %s: %w", r.Model, ln, err)
			}
			r2 := make([]float64, len(cols))
			for j := range cols {
				var mean, sse, sst float64
				for i := range n {
					mean += y.At(i, j)
				}
				mean /= float64(n)
				for i := range n {
					sse += sq(y.At(i, j) - res.Pred.At(i, j))
					sst += sq(y.At(i, j) - mean)
				}
				r2[j] = 1 - sse/sst
			}
			for j := 0; j < len(cols); {
				w := 1
				if j+1 < len(cols) && cols[j+1].Latent == cols[j].Latent {
					w = 2
				}
				v := r2[j]
				if w == 2 {
					v = (r2[j] + r2[j+1]) / 2
				}
				out = append(out, DecodeRow{r.Model, ln, cols[j].Latent, "r2", v})
				j += w
			}
			hits := 0
			for i := range n {
				best := 0
				for c := 1; c < k; c++ {
					if res.Pred.At(i, len(cols)+c) > res.Pred.At(i, len(cols)+best) {
						best = c
					}
				}
				if best == lat[i].Category {
					hits++
				}
			}
			out = append(out, DecodeRow{r.Model, ln, Category, "accuracy", float64(hits) / float64(n)})
		}
	}
	return out, nil
}

func sq(v float64) float64 { return v * v }

// CKARow is the CKA between two models at one layer (or two layers: LayerB differs from Layer
// only in layer x layer comparisons).
type CKARow struct {
	ModelA, ModelB string
	Layer, LayerB  string
	CKA            float64
}

// grams returns the Gram matrix of every (model, layer) for kernel.
func grams(reps []Rep, layers []string, kernel cka.Kernel) (map[[2]string]*mat.SymDense, error) {
	out := map[[2]string]*mat.SymDense{}
	for _, r := range reps {
		for _, ln := range layers {
			l := r.layer(ln)
			if l == nil {
				return nil, fmt.Errorf("spatial: model %s has no layer %s", r.Model, ln)
			}
			x := dense(l)
			var g *mat.SymDense
			if kernel == cka.RBF {
				var err error
				if g, err = cka.RBFGram(x, 1); err != nil {
					return nil, fmt.Errorf("spatial: %s %s: %w", r.Model, ln, err)
				}
			} else {
				// Columns centred before the linear Gram (cka.CKA centres them; the unbiased
				// estimator's own centring makes this immaterial, but keep the definition).
				g = cka.LinearGram(x)
			}
			out[[2]string{r.Model, ln}] = g
		}
	}
	return out, nil
}

// CKAPairs returns the unbiased CKA (Song et al. 2012, pkg/cka) with kernel between every pair
// of models a < b (in reps order) at every layer of layers.
func CKAPairs(reps []Rep, layers []string, kernel cka.Kernel) ([]CKARow, error) {
	g, err := grams(reps, layers, kernel)
	if err != nil {
		return nil, err
	}
	var out []CKARow
	for a := range reps {
		for b := a + 1; b < len(reps); b++ {
			for _, ln := range layers {
				v, err := cka.GramCKA(g[[2]string{reps[a].Model, ln}], g[[2]string{reps[b].Model, ln}], cka.Unbiased)
				if err != nil {
					v = math.NaN()
				}
				out = append(out, CKARow{reps[a].Model, reps[b].Model, ln, ln, v})
			}
		}
	}
	return out, nil
}

// CKALayers returns the unbiased CKA with kernel between every layer of model a and every layer
// of model b.
func CKALayers(a, b Rep, layers []string, kernel cka.Kernel) ([]CKARow, error) {
	g, err := grams([]Rep{a, b}, layers, kernel)
	if err != nil {
		return nil, err
	}
	var out []CKARow
	for _, la := range layers {
		for _, lb := range layers {
			v, err := cka.GramCKA(g[[2]string{a.Model, la}], g[[2]string{b.Model, lb}], cka.Unbiased)
			if err != nil {
				v = math.NaN()
			}
			out = append(out, CKARow{a.Model, b.Model, la, lb, v})
		}
	}
	return out, nil
}

// AlignRow is one model's score on a 92-image target at the layer chosen by split-half layer
// selection (pkg/eval's selected rows: chosen on one half of the stimuli, scored on the other,
// CIs over splits), or a read-only CIFAR model's row from its sweep results table.
type AlignRow struct {
	Model string
	eval.Row
}

// AlignTargets are the targets reported: macaque IT, the mean human IT RDM and the mean
// behavioural RDM.
var AlignTargets = []string{"mIT", "hIT-mean", "behav-mean"}

// Align scores every model's 92-image features (every tap, not the logits, as the main study)
// on the 92-image targets with pkg/eval (draws subsamples, splits half splits, metrics
// spearman and tau-a) and keeps the selected rows of AlignTargets.
func Align(reps []Rep, data *eval.Data, draws, splits int, seed uint64) ([]AlignRow, error) {
	// Odd-one-out rows are not reported here: drop them (their triplets dominate the cost).
	d := *data
	d.Groups = append([]eval.Group(nil), data.Groups...)
	for i := range d.Groups {
		d.Groups[i].OddOneOut = false
	}
	data = &d
	var out []AlignRow
	for _, r := range reps {
		var fs []eval.Features
		for i := range r.Layers {
			l := &r.Layers[i]
			if l.Name == "logits" {
				continue
			}
			if l.Rows != k92.NumImages {
				return nil, fmt.Errorf("spatial: model %s layer %s has %d rows, want 92", r.Model, l.Name, l.Rows)
			}
			fs = append(fs, eval.Features{Layer: l.Name, X: l.Float64(), N: l.Rows, D: l.Cols})
		}
		rows, err := eval.Evaluate(fs, data, eval.Options{Draws: draws, Splits: splits, Seed: seed})
		if err != nil {
			return nil, fmt.Errorf("spatial: evaluating %s: %w", r.Model, err)
		}
		for _, row := range rows {
			if row.Selected && slices.Contains(AlignTargets, row.Target) {
				out = append(out, AlignRow{r.Model, row})
			}
		}
	}
	return out, nil
}

// CIFARModel is a read-only model of a granularity sweep.
type CIFARModel struct {
	Name, RunID string
}

// CIFARModels finds the fine-label and K = k coarse-label runs of a sweep folder (its
// results.csv), one per seed, named "cifar-fine-s<seed>" and "cifar-k<k>-s<seed>".
func CIFARModels(dir, k string) ([]CIFARModel, error) {
	rows, header, err := readCSV(filepath.Join(dir, "results.csv"))
	if err != nil {
		return nil, err
	}
	col := func(n string) int { return slices.Index(header, n) }
	ci, ki, si := col("run_id"), col("k"), col("seed")
	if ci < 0 || ki < 0 || si < 0 {
		return nil, fmt.Errorf("spatial: %s: no run_id, k or seed column", filepath.Join(dir, "results.csv"))
	}
	seen := map[string]bool{}
	var out []CIFARModel
	for _, r := range rows {
		if seen[r[ci]] || (r[ki] != "fine" && r[ki] != k) {
			continue
		}
		seen[r[ci]] = true
		name := "cifar-k" + r[ki]
		if r[ki] == "fine" {
			name = "cifar-fine"
		}
		out = append(out, CIFARModel{Name: name + "-s" + r[si], RunID: r[ci]})
	}
	slices.SortFunc(out, func(a, b CIFARModel) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// CIFARRep loads a CIFAR model's saved 92-image features (runs/<id>/features: index.json and one
// .npy matrix per layer, as pkg/features writes them).
func CIFARRep(dir string, m CIFARModel) (Rep, error) {
	fdir := filepath.Join(dir, "runs", m.RunID, "features")
	layers, err := LoadLayers(fdir)
	if err != nil {
		return Rep{}, err
	}
	return Rep{Model: m.Name, Layers: layers}, nil
}

// LoadLayers reads a pkg/features folder (index.json naming one .npy matrix per layer, files
// inside the folder).
func LoadLayers(dir string) ([]Layer, error) {
	b, err := os.ReadFile(filepath.Join(dir, "index.json"))
	if err != nil {
		return nil, err
	}
	var idx struct {
		Layers []struct {
			Name, File string
		} `json:"layers"`
	}
	if err := json.Unmarshal(b, &idx); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, "index.json"), err)
	}
	var out []Layer
	for _, l := range idx.Layers {
		if l.File != filepath.Base(l.File) {
			return nil, fmt.Errorf("%s: layer %s file %q is not inside the folder", filepath.Join(dir, "index.json"), l.Name, l.File)
		}
		r, c, d, err := npy.ReadMatrix(filepath.Join(dir, l.File))
		if err != nil {
			return nil, err
		}
		f := make([]float32, len(d))
		for i, v := range d {
			f[i] = float32(v)
		}
		out = append(out, Layer{Name: l.Name, Rows: r, Cols: c, Data: f})
	}
	return out, nil
}

// CIFARAlign returns the selected spearman and tau-a rows of AlignTargets of the CIFAR models
// from the sweep's results.csv (computed there with the same pkg/eval).
func CIFARAlign(dir string, ms []CIFARModel) ([]AlignRow, error) {
	path := filepath.Join(dir, "results.csv")
	rows, header, err := readCSV(path)
	if err != nil {
		return nil, err
	}
	col := func(n string) int { return slices.Index(header, n) }
	need := []string{"run_id", "layer", "target", "metric", "value", "ci_low", "ci_high", "ceiling_low", "ceiling_high", "selected", "n", "note"}
	for _, n := range need {
		if col(n) < 0 {
			return nil, fmt.Errorf("spatial: %s: no column %q", path, n)
		}
	}
	num := func(s string) float64 {
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return math.NaN()
		}
		return v
	}
	var out []AlignRow
	for _, m := range ms {
		for _, r := range rows {
			if r[col("run_id")] != m.RunID || r[col("selected")] != "true" || !slices.Contains(AlignTargets, r[col("target")]) {
				continue
			}
			n, _ := strconv.Atoi(r[col("n")])
			out = append(out, AlignRow{m.Name, eval.Row{Layer: r[col("layer")], Target: r[col("target")], Metric: r[col("metric")],
				Value: num(r[col("value")]), CILow: num(r[col("ci_low")]), CIHigh: num(r[col("ci_high")]),
				CeilLow: num(r[col("ceiling_low")]), CeilHigh: num(r[col("ceiling_high")]), Selected: true, Split: "half", N: n, Note: r[col("note")]}})
		}
	}
	return out, nil
}

func readCSV(path string) ([][]string, []string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(rows) == 0 {
		return nil, nil, fmt.Errorf("%s: empty", path)
	}
	return rows[1:], rows[0], nil
}
