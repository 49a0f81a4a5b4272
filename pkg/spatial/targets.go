// Package spatial is the spatial-latent study (Xie et al. 2024; docs/methods.md section 5): it
// trains AlexNet-BN on renders of pkg/scenes to estimate sets of latents (category, position,
// distance, rotation, ...), through the train.Objective hook, then decodes every latent from every
// layer, compares the models with CKA and scores them on the 92-image brain and behaviour targets.
package spatial

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/coarsealign/coarsealign/pkg/scenes"
	"github.com/coarsealign/coarsealign/pkg/train"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/graph"
)

// Category is the classification latent: cross-entropy over the scene's categories.
const Category = "category"

// RegressionLatents are the latents a TargetSet may regress; angles (scenes.AngleLatents) become
// a sine and a cosine column, the others one standardised column.
var RegressionLatents = []string{"x", "y", "distance", "scale", "rot_x", "rot_y", "rot_z", "light_azimuth", "light_elevation"}

// TargetSet is one training target: the latents the network is trained to report, and optional
// per-latent loss weights (default 1).
type TargetSet struct {
	Name    string             `yaml:"name" json:"name"`
	Latents []string           `yaml:"latents" json:"latents"`
	Weights map[string]float64 `yaml:"weights,omitempty" json:"weights,omitempty"`
}

// Validate reports an unknown, repeated or missing latent, or a bad weight.
func (t TargetSet) Validate() error {
	if t.Name == "" || strings.ContainsAny(t.Name, "/\\ ") {
		return fmt.Errorf("target %q: want a non-empty name without '/', '\\' or spaces", t.Name)
	}
	if len(t.Latents) == 0 {
		return fmt.Errorf("target %s: no latents", t.Name)
	}
	for i, l := range t.Latents {
		if l != Category && !slices.Contains(RegressionLatents, l) {
			return fmt.Errorf("target %s: latents[%d] %q unknown (want category or one of %s)", t.Name, i, l, strings.Join(RegressionLatents, ", "))
		}
		if slices.Contains(t.Latents[:i], l) {
			return fmt.Errorf("target %s: latent %q repeated", t.Name, l)
		}
	}
	for l, w := range t.Weights {
		if !slices.Contains(t.Latents, l) {
			return fmt.Errorf("target %s: weight for %q, which is not one of its latents", t.Name, l)
		}
		if !(w > 0) || math.IsInf(w, 0) {
			return fmt.Errorf("target %s: weight %v for %q (want > 0)", t.Name, w, l)
		}
	}
	return nil
}

// weight is the loss weight of latent l.
func (t TargetSet) weight(l string) float64 {
	if w, ok := t.Weights[l]; ok {
		return w
	}
	return 1
}

// HasCategory reports whether the set trains the category.
func (t TargetSet) HasCategory() bool { return slices.Contains(t.Latents, Category) }

// Column is one regression output: a latent's value (standardised) or the sine or cosine of an
// angle latent.
type Column struct {
	Latent string
	Fn     string // "value", "sin" or "cos".
}

// Name is "x", "sin(rot_x)", ...
func (c Column) Name() string {
	if c.Fn == "value" {
		return c.Latent
	}
	return c.Fn + "(" + c.Latent + ")"
}

// Columns returns the regression columns of latents (category excluded), in order.
func Columns(latents []string) []Column {
	var out []Column
	for _, l := range latents {
		switch {
		case l == Category:
		case slices.Contains(scenes.AngleLatents, l):
			out = append(out, Column{l, "sin"}, Column{l, "cos"})
		default:
			out = append(out, Column{l, "value"})
		}
	}
	return out
}

// raw returns column c of l before standardisation.
func (c Column) raw(l *scenes.Latents) float64 {
	v, _ := l.Value(c.Latent)
	switch c.Fn {
	case "sin":
		return math.Sin(v * math.Pi / 180)
	case "cos":
		return math.Cos(v * math.Pi / 180)
	}
	return v
}

// Standardizer holds each column's training mean and standard deviation; sine and cosine columns
// are left as they are (mean 0, sd 1).
type Standardizer struct {
	Columns   []Column
	Mean, Std []float64
}

// FitStandardizer computes the statistics of cols over lat. A value column that does not vary is
// an error (a fixed latent cannot be a target).
func FitStandardizer(cols []Column, lat []scenes.Latents) (*Standardizer, error) {
	s := &Standardizer{Columns: cols, Mean: make([]float64, len(cols)), Std: make([]float64, len(cols))}
	for j, c := range cols {
		if c.Fn != "value" {
			s.Mean[j], s.Std[j] = 0, 1
			continue
		}
		var sum, sq float64
		for i := range lat {
			sum += c.raw(&lat[i])
		}
		m := sum / float64(len(lat))
		for i := range lat {
			d := c.raw(&lat[i]) - m
			sq += d * d
		}
		sd := math.Sqrt(sq / float64(len(lat)))
		if !(sd > 1e-9) {
			return nil, fmt.Errorf("spatial: latent %s does not vary in the training renders (fixed?): it cannot be a target", c.Latent)
		}
		s.Mean[j], s.Std[j] = m, sd
	}
	return s, nil
}

// Target returns the standardised columns of lat as a train.Target [n, len(Columns)].
func (s *Standardizer) Target(lat []scenes.Latents) train.Target {
	k := len(s.Columns)
	t := train.Target{Shape: []int{len(lat), k}, Data: make([]float32, len(lat)*k)}
	for i := range lat {
		for j, c := range s.Columns {
			t.Data[i*k+j] = float32((c.raw(&lat[i]) - s.Mean[j]) / s.Std[j])
		}
	}
	return t
}

// TargetName is the name of the regression target a batch carries.
const TargetName = "latents"

// Outputs is the number of network outputs of t for k categories: k logits (if t has the
// category) then one per regression column, at least 2 (the architecture's minimum; a spare
// output is unused).
func Outputs(t TargetSet, k int) int {
	n := len(Columns(t.Latents))
	if t.HasCategory() {
		n += k
	}
	return max(n, 2)
}

// Objective is the loss of t for k categories: the weighted sum of the category's smoothed
// cross-entropy (the recipe's label smoothing) on the first k outputs and, for each regression
// latent, the mean squared error of its columns (outputs k.. in Columns order) against the
// standardised targets. It reports "accuracy" (with the category) and "mse" (the mean over
// regression columns, with any). Its name holds the latents and weights, so a run resumes only
// with the same target.
func Objective(t TargetSet, k int) train.Objective {
	cols := Columns(t.Latents)
	cat := 0
	if t.HasCategory() {
		cat = k
	}
	var parts []string
	for _, l := range t.Latents {
		parts = append(parts, l+"*"+strconv.FormatFloat(t.weight(l), 'g', -1, 64))
	}
	sort.Strings(parts)
	o := train.Objective{Name: "spatial:" + strings.Join(parts, "+") + ":k" + strconv.Itoa(k)}
	if cat > 0 {
		o.Metrics = append(o.Metrics, "accuracy")
	}
	if len(cols) > 0 {
		o.Metrics = append(o.Metrics, "mse")
		o.Targets = []string{TargetName}
	}
	o.Loss = func(in train.LossInput) (*graph.Node, []*graph.Node) {
		logits := in.Logits
		var total *graph.Node
		add := func(x *graph.Node, w float64) {
			x = graph.MulScalar(x, w)
			if total == nil {
				total = x
			} else {
				total = graph.Add(total, x)
			}
		}
		var metrics []*graph.Node
		if cat > 0 {
			lg := graph.Slice(logits, graph.AxisRange(), graph.AxisRange(0, cat))
			add(train.SmoothedCrossEntropy(lg, in.Labels, in.Config.Recipe.LabelSmoothing), t.weight(Category))
			metrics = append(metrics, train.Accuracy(lg, in.Labels))
		}
		if len(cols) > 0 {
			pred := graph.Slice(logits, graph.AxisRange(), graph.AxisRange(cat, cat+len(cols)))
			y := graph.ConvertDType(in.Target(TargetName), pred.DType())
			sq := graph.Square(graph.Sub(pred, y)) // [n, cols]
			for j := 0; j < len(cols); {
				l := cols[j].Latent
				w := 1
				if j+1 < len(cols) && cols[j+1].Latent == l {
					w = 2
				}
				part := graph.ReduceAllMean(graph.Slice(sq, graph.AxisRange(), graph.AxisRange(j, j+w)))
				add(part, t.weight(l))
				j += w
			}
			metrics = append(metrics, graph.ConvertDType(graph.ReduceAllMean(sq), dtypes.Float64))
		}
		return total, metrics
	}
	return o
}
