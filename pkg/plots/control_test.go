package plots

import (
	"math"
	"testing"

	"github.com/coarsealign/coarsealign/pkg/eval"
)

func TestReconPanelOf(t *testing.T) {
	c := eval.ReconstructionControl{Target: "hIT-subjects", Metric: "spearman", Title: "human IT", Model: "fine", Layer: "fc7",
		Full: eval.Row{Value: 0.3, CILow: 0.2, CIHigh: 0.4}, M: []int{1, 2},
		Recon: []eval.Row{{Value: 0.1, CILow: 0.05, CIHigh: 0.15}, {Value: 0.2, CILow: 0.1, CIHigh: 0.3}}}
	p := ReconPanelOf(c)
	if p.Title != "human IT (fine model, fc7)" || p.YLabel != "RSA (spearman)" || p.Full != 0.3 || p.FullHigh != 0.4 ||
		len(p.M) != 2 || p.Value[1] != 0.2 || p.Low[0] != 0.05 || !math.IsNaN(p.BestCoarse) {
		t.Fatalf("%+v", p)
	}
	c.BestModel, c.Best = "K=8", eval.Row{Value: 0.35, CILow: 0.3, CIHigh: 0.4}
	if p := ReconPanelOf(c); p.BestCoarse != 0.35 || p.BestLow != 0.3 {
		t.Fatalf("best: %+v", p)
	}
	f, err := ReconstructionControlOf(c, c)
	if err != nil {
		t.Fatal(err)
	}
	checkSaved(t, f, "recon_of", 2*(2+2))
}
