package eval

import (
	"fmt"
	"io"
	"strings"

	"github.com/coarsealign/coarsealign/pkg/metric"
)

// ReconstructionControl is the PCA-reconstruction control of one layer for one target (see
// reconstruct.go): the layer's alignment when rebuilt from its top M principal components, beside
// the full layer's and, filled in by the caller, the best coarse model's.
type ReconstructionControl struct {
	// Target and Metric name the score ("hIT-subjects", "spearman"); Title the panel ("human IT").
	Target, Metric, Title string
	// Model and Layer name the rebuilt layer ("fine", "fc7").
	Model, Layer string
	// Full is the score of the full layer on all stimuli (CI over subsamples).
	Full Row
	// M[i] components rebuild the layer scored as Recon[i] (M = 1..min(maxM, stimuli, units)).
	M     []int
	Recon []Row
	// Best is the reference model's score (the best coarse model at its selected layer, on all
	// stimuli) and BestModel its name ("K=8"); BestModel is "" when there is none.
	Best      Row
	BestModel string
}

// ScoreReconstructions scores layer f and its reconstructions from the top 1..maxM principal
// components (ReconstructTop: one SVD) against one target of data with metric m: every version
// on all stimuli, with opt's subsample CIs (opt.Metrics and opt.Splits are ignored: one metric,
// no layer selection). target is a row target of Evaluate: a single target ("mIT") or a group's
// "G-subjects", "G-mean" or "G/i"; only that target (or group) is scored. The result's Title,
// Model, Best and BestModel are left for the caller.
func ScoreReconstructions(f Features, data *Data, target string, m metric.Metric, maxM int, opt Options) (ReconstructionControl, error) {
	c := ReconstructionControl{Target: target, Metric: m.Name(), Layer: f.Layer}
	only, err := onlyTarget(data, target)
	if err != nil {
		return c, err
	}
	recs, err := ReconstructTop(f, maxM)
	if err != nil {
		return c, err
	}
	opt.Metrics, opt.Splits = []metric.Metric{m}, -1
	rows, err := Evaluate(append([]Features{f}, recs...), only, opt)
	if err != nil {
		return c, err
	}
	for v, layer := range append([]Features{f}, recs...) {
		found := Find(rows, layer.Layer, target, m.Name(), false)
		if len(found) != 1 {
			return c, fmt.Errorf("eval: ScoreReconstructions: %d rows for layer %q, target %q, metric %s", len(found), layer.Layer, target, m.Name())
		}
		if v == 0 {
			c.Full = found[0]
			continue
		}
		c.M = append(c.M, v)
		c.Recon = append(c.Recon, found[0])
	}
	return c, nil
}

// Fprint writes the numbers of the control: the full layer, the reference model and every
// reconstruction, each with its CI.
func (c ReconstructionControl) Fprint(w io.Writer) error {
	name := c.Title
	if name == "" {
		name = c.Target
	}
	best := "no coarse model"
	if c.BestModel != "" {
		best = fmt.Sprintf("best coarse %s (%s) %.3f [%.3f, %.3f]", c.BestModel, c.Best.Layer, c.Best.Value, c.Best.CILow, c.Best.CIHigh)
	}
	if _, err := fmt.Fprintf(w, "%s, %s: full %s model (%s) %.3f [%.3f, %.3f]; %s\n", name, c.Metric, c.Model, c.Layer,
		c.Full.Value, c.Full.CILow, c.Full.CIHigh, best); err != nil {
		return err
	}
	for i, m := range c.M {
		r := c.Recon[i]
		if _, err := fmt.Fprintf(w, "  top %2d PCs: %.3f [%.3f, %.3f]\n", m, r.Value, r.CILow, r.CIHigh); err != nil {
			return err
		}
	}
	return nil
}

// onlyTarget returns data restricted to the single target or the group that row target name
// comes from, without odd-one-out rows.
func onlyTarget(data *Data, name string) (*Data, error) {
	out := &Data{}
	for _, t := range data.Targets {
		if t.Name == name {
			out.Targets = append(out.Targets, t)
		}
	}
	for _, g := range data.Groups {
		if name == g.Name+"-subjects" || name == g.Name+"-mean" || strings.HasPrefix(name, g.Name+"/") {
			g.OddOneOut = false
			out.Groups = append(out.Groups, g)
		}
	}
	if len(out.Targets)+len(out.Groups) == 0 {
		var names []string
		for _, t := range data.Targets {
			names = append(names, t.Name)
		}
		for _, g := range data.Groups {
			names = append(names, g.Name+"-subjects", g.Name+"-mean")
		}
		return nil, fmt.Errorf("eval: no target %q (have %s)", name, strings.Join(names, ", "))
	}
	return out, nil
}
