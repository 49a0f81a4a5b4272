package sweep

import (
	"fmt"
	"strconv"
)

// Roles of the runs PickRuns chooses.
const (
	// PickUntrained is the first untrained run of the table.
	PickUntrained = "untrained"
	// PickBest is the coarse run whose selected layer scores highest.
	PickBest = "best"
	// PickFine is the first fine-label run of the table.
	PickFine = "fine"
)

// Pick is a run chosen by PickRuns, for figures that show a few models side by side (RDMs, MDS,
// the PCA-reconstruction control).
type Pick struct {
	// Role is PickUntrained, PickBest or PickFine.
	Role string
	// Row is the run's selected-layer row for the target and metric: RunID, K, Seed, Arch and
	// the layer the sweep's evaluation selected (Layer) with its held-out score (Value).
	Row Row
}

// Name is a short title for the run's panel: "untrained, conv5", "K=8 (best), fc7",
// "fine labels, fc7".
func (p Pick) Name() string {
	switch p.Role {
	case PickUntrained:
		return "untrained, " + p.Row.Layer
	case PickFine:
		return "fine labels, " + p.Row.Layer
	}
	return fmt.Sprintf("K=%s (best), %s", p.Row.K, p.Row.Layer)
}

// PickRuns chooses runs of a results table: for each role (default PickUntrained, PickBest,
// PickFine, in that order) the run's selected-layer row (Row.Selected) for target and metric.
// The untrained and fine runs are the first ones in table order (the first seed and
// architecture of the config); the best run is the coarse run (of labelSource; "" = any) with
// the highest selected-layer score, the first one on ties (scores are higher-is-better, as every
// pkg/metric metric). Roles without such a run are left out; an unknown role or a table without
// any selected row for target and metric is an error.
func PickRuns(rows []Row, target, metric, labelSource string, roles ...string) ([]Pick, error) {
	if len(roles) == 0 {
		roles = []string{PickUntrained, PickBest, PickFine}
	}
	var untrained, fine, best *Row
	n := 0
	for i := range rows {
		r := &rows[i]
		if !r.Selected || r.Target != target || r.Metric != metric {
			continue
		}
		n++
		switch {
		case r.K == Untrained:
			if untrained == nil {
				untrained = r
			}
		case r.K == Fine:
			if fine == nil {
				fine = r
			}
		default:
			if _, err := strconv.Atoi(r.K); err != nil {
				continue
			}
			if labelSource != "" && r.LabelSource != labelSource {
				continue
			}
			if best == nil || r.Value > best.Value {
				best = r
			}
		}
	}
	if n == 0 {
		return nil, fmt.Errorf("sweep: PickRuns: no selected-layer rows for target %q, metric %q", target, metric)
	}
	var out []Pick
	for _, role := range roles {
		var r *Row
		switch role {
		case PickUntrained:
			r = untrained
		case PickBest:
			r = best
		case PickFine:
			r = fine
		default:
			return nil, fmt.Errorf("sweep: PickRuns: unknown role %q (%s, %s, %s)", role, PickUntrained, PickBest, PickFine)
		}
		if r != nil {
			out = append(out, Pick{Role: role, Row: *r})
		}
	}
	return out, nil
}

// SelectedLayer returns the layer the sweep's evaluation selected for run id, target and metric
// (false if the table has no such row).
func SelectedLayer(rows []Row, id, target, metric string) (string, bool) {
	for _, r := range rows {
		if r.RunID == id && r.Target == target && r.Metric == metric && r.Selected {
			return r.Layer, true
		}
	}
	return "", false
}

// ProfileRow returns the per-layer row of run id on all stimuli (not a layer-selection row) for
// layer, target and metric (false if the table has none).
func ProfileRow(rows []Row, id, layer, target, metric string) (Row, bool) {
	for _, r := range rows {
		if r.RunID == id && r.Layer == layer && r.Target == target && r.Metric == metric && !r.Selected {
			return r, true
		}
	}
	return Row{}, false
}

// AtLayerSelectedFor returns rows plus, for each run, a copy of its per-layer row of target
// (any metric) at the layer selected for from and metric, marked Selected. It gives a score
// that has only per-layer rows (the odd-one-out agreement, "oddoneout-behav-subjects") a
// selected layer: the one chosen for another target ("behav-subjects").
func AtLayerSelectedFor(rows []Row, target, from, metric string) []Row {
	layer := map[string]string{}
	for _, r := range rows {
		if r.Target == from && r.Metric == metric && r.Selected {
			layer[r.RunID] = r.Layer
		}
	}
	out := append([]Row(nil), rows...)
	for _, r := range rows {
		if l, ok := layer[r.RunID]; ok && r.Target == target && !r.Selected && l == r.Layer {
			r.Selected = true
			out = append(out, r)
		}
	}
	return out
}
