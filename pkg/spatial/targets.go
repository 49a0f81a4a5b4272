// Package spatial is the GoMLX-free part of the spatial-latent study (Xie et al. 2024;
// docs/methods.md section 5): the study config, the training targets (sets of latents of
// pkg/scenes renders, their regression columns and standardisation), the fixed-non-target scenes,
// and the analyses: latent decoding from every layer, CKA between models, and alignment with the
// 92-image targets. Training (the objective through the train.Objective hook and the study
// runner) is in pkg/spatial/run.
package spatial

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/coarsealign/coarsealign/pkg/scenes"
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

// Target returns the standardised columns of lat, n x len(Columns), row-major.
func (s *Standardizer) Target(lat []scenes.Latents) []float32 {
	k := len(s.Columns)
	out := make([]float32, len(lat)*k)
	for i := range lat {
		for j, c := range s.Columns {
			out[i*k+j] = float32((c.raw(&lat[i]) - s.Mean[j]) / s.Std[j])
		}
	}
	return out
}

// Raw returns column c of l before standardisation (the sine or cosine of an angle in degrees).
func (c Column) Raw(l *scenes.Latents) float64 { return c.raw(l) }

// Weight is the loss weight of latent l (default 1).
func (t TargetSet) Weight(l string) float64 { return t.weight(l) }

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
