package spatial

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"

	"github.com/coarsealign/coarsealign/pkg/cka"
	"github.com/coarsealign/coarsealign/pkg/eval"
	"github.com/coarsealign/coarsealign/pkg/scenes"
)

// CKASets are the CKA comparisons of Results.CKA: kernel and stimulus set.
var CKASets = []string{"linear-probe", "rbf-probe", "linear-k92", "rbf-k92"}

// Results are the study's analyses.
type Results struct {
	Decode []DecodeRow
	// CKA holds CKAPairs rows per CKASets entry (the k92 sets include the CIFAR models).
	CKA map[string][]CKARow
	// CKALayers is the layer x layer linear CKA of the first two models on the probe renders.
	CKALayers []CKARow
	Align     []AlignRow
}

// Inputs are what Analyze reads: every model's features of the probe renders and of the 92
// images (same model order), the probe latents, the read-only CIFAR models' 92-image features
// and alignment rows, and the evaluation settings.
type Inputs struct {
	Probe, K92   []Rep
	ProbeLatents []scenes.Latents
	Categories   int
	Layers       []string
	CIFAR        []Rep
	CIFARAlign   []AlignRow
	Data         *eval.Data
	Draws        int
	Splits       int
	Seed         uint64
	// LayersPair names the two models of the layer x layer comparison (default the first two).
	LayersPair [2]string
}

// Analyze runs Decode, CKAPairs (linear and RBF, probe renders and 92 images), CKALayers and
// Align.
func Analyze(in Inputs, logf func(string, ...any)) (*Results, error) {
	if logf == nil {
		logf = func(string, ...any) {}
	}
	r := &Results{CKA: map[string][]CKARow{}}
	var err error
	logf("decoding %d latents from %d layers of %d models", len(RegressionLatents)+1, len(in.Layers), len(in.Probe))
	if r.Decode, err = Decode(in.Probe, in.Layers, in.ProbeLatents, in.Categories, in.Seed); err != nil {
		return nil, err
	}
	k92 := append(append([]Rep(nil), in.K92...), in.CIFAR...)
	for _, s := range CKASets {
		kern := cka.Linear
		if s[:3] == "rbf" {
			kern = cka.RBF
		}
		reps := in.Probe
		if s[len(s)-3:] == "k92" {
			reps = k92
		}
		logf("CKA %s", s)
		if r.CKA[s], err = CKAPairs(reps, in.Layers, kern); err != nil {
			return nil, err
		}
	}
	a, b := in.Probe[0], in.Probe[min(1, len(in.Probe)-1)]
	for _, p := range in.Probe {
		if p.Model == in.LayersPair[0] {
			a = p
		}
		if p.Model == in.LayersPair[1] {
			b = p
		}
	}
	if r.CKALayers, err = CKALayers(a, b, in.Layers, cka.Linear); err != nil {
		return nil, err
	}
	logf("alignment of %d models (%d draws, %d splits)", len(in.K92), in.Draws, in.Splits)
	if r.Align, err = Align(in.K92, in.Data, in.Draws, in.Splits, in.Seed); err != nil {
		return nil, err
	}
	r.Align = append(r.Align, in.CIFARAlign...)
	return r, nil
}

func ff(v float64) string { return strconv.FormatFloat(v, 'g', 10, 64) }

func writeCSV(path string, header []string, rows [][]string) error {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	_ = w.Write(header)
	_ = w.WriteAll(rows)
	if err := w.Error(); err != nil {
		return err
	}
	return os.WriteFile(path, b.Bytes(), 0o644)
}

// Write saves the results into dir: decoding.csv (model, layer, latent, metric, value),
// cka_<set>.csv (model_a, model_b, layer, cka; one row per model pair and layer),
// cka_layers.csv (model_a, model_b, layer_a, layer_b, cka) and alignment.csv (model, then
// eval.CSVHeader).
func (r *Results) Write(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var rows [][]string
	for _, d := range r.Decode {
		rows = append(rows, []string{d.Model, d.Layer, d.Latent, d.Metric, ff(d.Value)})
	}
	if err := writeCSV(filepath.Join(dir, "decoding.csv"), []string{"model", "layer", "latent", "metric", "value"}, rows); err != nil {
		return err
	}
	for _, s := range CKASets {
		rows = nil
		for _, c := range r.CKA[s] {
			rows = append(rows, []string{c.ModelA, c.ModelB, c.Layer, ff(c.CKA)})
		}
		if err := writeCSV(filepath.Join(dir, "cka_"+s+".csv"), []string{"model_a", "model_b", "layer", "cka"}, rows); err != nil {
			return err
		}
	}
	rows = nil
	for _, c := range r.CKALayers {
		rows = append(rows, []string{c.ModelA, c.ModelB, c.Layer, c.LayerB, ff(c.CKA)})
	}
	if err := writeCSV(filepath.Join(dir, "cka_layers.csv"), []string{"model_a", "model_b", "layer_a", "layer_b", "cka"}, rows); err != nil {
		return err
	}
	rows = nil
	for _, a := range r.Align {
		rows = append(rows, []string{a.Model, a.Layer, a.Target, a.Metric, ff(a.Value), ff(a.CILow), ff(a.CIHigh), ff(a.SD),
			ff(a.CeilLow), ff(a.CeilHigh), strconv.FormatBool(a.Selected), a.Split, strconv.Itoa(a.N), a.Note})
	}
	return writeCSV(filepath.Join(dir, "alignment.csv"), append([]string{"model"}, eval.CSVHeader...), rows)
}

// ReadResults reads what Write saved. Errors name the file and row.
func ReadResults(dir string) (*Results, error) {
	r := &Results{CKA: map[string][]CKARow{}}
	num := func(path string, i int, s string) (float64, error) {
		if s == "NaN" {
			return math.NaN(), nil
		}
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return 0, fmt.Errorf("%s: row %d: %q is not a number", path, i+2, s)
		}
		return v, nil
	}
	read := func(name string, cols int) ([][]string, string, error) {
		path := filepath.Join(dir, name)
		rows, header, err := readCSV(path)
		if err != nil {
			return nil, path, err
		}
		if len(header) != cols {
			return nil, path, fmt.Errorf("%s: %d columns, want %d", path, len(header), cols)
		}
		return rows, path, nil
	}
	rows, path, err := read("decoding.csv", 5)
	if err != nil {
		return nil, err
	}
	for i, x := range rows {
		v, err := num(path, i, x[4])
		if err != nil {
			return nil, err
		}
		r.Decode = append(r.Decode, DecodeRow{x[0], x[1], x[2], x[3], v})
	}
	for _, s := range CKASets {
		rows, path, err := read("cka_"+s+".csv", 4)
		if err != nil {
			return nil, err
		}
		for i, x := range rows {
			v, err := num(path, i, x[3])
			if err != nil {
				return nil, err
			}
			r.CKA[s] = append(r.CKA[s], CKARow{x[0], x[1], x[2], x[2], v})
		}
	}
	if rows, path, err = read("cka_layers.csv", 5); err != nil {
		return nil, err
	}
	for i, x := range rows {
		v, err := num(path, i, x[4])
		if err != nil {
			return nil, err
		}
		r.CKALayers = append(r.CKALayers, CKARow{x[0], x[1], x[2], x[3], v})
	}
	if rows, path, err = read("alignment.csv", 1+len(eval.CSVHeader)); err != nil {
		return nil, err
	}
	for i, x := range rows {
		var v [6]float64
		for k, c := range []int{4, 5, 6, 7, 8, 9} {
			if v[k], err = num(path, i, x[c]); err != nil {
				return nil, err
			}
		}
		n, _ := strconv.Atoi(x[12])
		r.Align = append(r.Align, AlignRow{x[0], eval.Row{Layer: x[1], Target: x[2], Metric: x[3], Value: v[0], CILow: v[1], CIHigh: v[2], SD: v[3],
			CeilLow: v[4], CeilHigh: v[5], Selected: x[10] == "true", Split: x[11], N: n, Note: x[13]}})
	}
	return r, nil
}
