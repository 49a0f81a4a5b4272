package sweep

import (
	"strings"
	"testing"
)

// pickRows: per run a selected row (hIT, spearman) and per-layer rows; two seeds of fine, two
// coarse label sources.
func pickRows() []Row {
	sel := func(id, k, src, layer string, v float64) Row {
		return Row{RunID: id, K: k, LabelSource: src, Score: Score{Layer: layer, Target: "hIT", Metric: "spearman", Value: v, Selected: true, Split: "half"}}
	}
	prof := func(id, layer, target, metric string, v float64) Row {
		return Row{RunID: id, Score: Score{Layer: layer, Target: target, Metric: metric, Value: v, Split: "all"}}
	}
	return []Row{
		sel("u1", Untrained, "", "conv1", 0.05),
		sel("f1", Fine, "", "fc6", 0.20), sel("f2", Fine, "", "fc7", 0.90),
		sel("k2", "2", "fine-net", "conv5", 0.30), sel("k8", "8", "fine-net", "fc6", 0.40),
		sel("k8b", "8", "fine-net", "fc7", 0.40), sel("p4", "4", "pixels", "fc7", 0.70),
		{RunID: "k8", K: "8", Score: Score{Layer: "fc6", Target: "mIT", Metric: "spearman", Value: 0.99, Selected: true}},
		{RunID: "k8", K: "8", Score: Score{Layer: "fc6", Target: "hIT", Metric: "tau-a", Value: 0.99, Selected: true}},
		prof("k8", "fc6", "hIT", "spearman", 0.41), prof("k8", "fc7", "hIT", "spearman", 0.45),
		prof("k8", "fc6", "ooo", "accuracy", 0.6), prof("k8", "fc7", "ooo", "accuracy", 0.7),
		prof("k2", "conv5", "ooo", "accuracy", 0.5),
	}
}

func TestPickRuns(t *testing.T) {
	rows := pickRows()
	picks, err := PickRuns(rows, "hIT", "spearman", "fine-net")
	if err != nil {
		t.Fatal(err)
	}
	// The first untrained and fine runs; the best fine-net coarse run, the first one on ties.
	var got []string
	for _, p := range picks {
		got = append(got, p.Role+":"+p.Row.RunID+":"+p.Name())
	}
	want := "untrained:u1:untrained, conv1 best:k8:K=8 (best), fc6 fine:f1:fine labels, fc6"
	if strings.Join(got, " ") != want {
		t.Errorf("picks %q, want %q", strings.Join(got, " "), want)
	}
	// Any label source; chosen roles in the order asked.
	picks, err = PickRuns(rows, "hIT", "spearman", "", PickFine, PickBest)
	if err != nil || len(picks) != 2 || picks[0].Row.RunID != "f1" || picks[1].Row.RunID != "p4" {
		t.Errorf("any source: %+v, %v", picks, err)
	}
	// A target with only a coarse run gives only the best.
	picks, err = PickRuns(rows, "mIT", "spearman", "")
	if err != nil || len(picks) != 1 || picks[0].Role != PickBest {
		t.Errorf("mIT: %+v, %v", picks, err)
	}
	if _, err := PickRuns(rows, "V4", "spearman", ""); err == nil || !strings.Contains(err.Error(), `target "V4"`) {
		t.Errorf("no rows: %v", err)
	}
	if _, err := PickRuns(rows, "hIT", "spearman", "", "worst"); err == nil || !strings.Contains(err.Error(), `unknown role "worst"`) {
		t.Errorf("bad role: %v", err)
	}
}

func TestRowLookups(t *testing.T) {
	rows := pickRows()
	if l, ok := SelectedLayer(rows, "k8", "hIT", "spearman"); !ok || l != "fc6" {
		t.Errorf("SelectedLayer %q %v", l, ok)
	}
	if _, ok := SelectedLayer(rows, "k8", "V4", "spearman"); ok {
		t.Error("SelectedLayer found a missing target")
	}
	if r, ok := ProfileRow(rows, "k8", "fc7", "hIT", "spearman"); !ok || r.Value != 0.45 || r.Selected {
		t.Errorf("ProfileRow %+v %v", r, ok)
	}
	if _, ok := ProfileRow(rows, "k8", "fc8", "hIT", "spearman"); ok {
		t.Error("ProfileRow found a missing layer")
	}
	// k8's odd-one-out row at fc6 (its hIT selection) becomes a selected row; k2's at conv5 too.
	out := AtLayerSelectedFor(rows, "ooo", "hIT", "spearman")
	if len(out) != len(rows)+2 {
		t.Fatalf("%d rows, want %d", len(out), len(rows)+2)
	}
	for _, r := range out[len(rows):] {
		if !r.Selected || r.Target != "ooo" || !(r.RunID == "k8" && r.Layer == "fc6" || r.RunID == "k2" && r.Layer == "conv5") {
			t.Errorf("added %+v", r)
		}
	}
	if rows[10].Selected || rows[11].Selected {
		t.Error("AtLayerSelectedFor changed its input")
	}
}
