package plots

import (
	"testing"

	"github.com/coarsealign/coarsealign/pkg/oddoneout"
)

func TestTransferVsK(t *testing.T) {
	var rows []oddoneout.TransferRow
	for ki, k := range []string{"fine", "2", "untrained"} {
		for seed := 1; seed <= 2; seed++ {
			raw := 0.3 + 0.1*float64(ki) + 0.01*float64(seed)
			gain := 0.05*float64(ki) - 0.06
			rows = append(rows, oddoneout.TransferRow{K: k, Seed: seed, LabelSource: "fine-net", Source: "src", Target: "tgt",
				Raw: raw, RawLow: raw - 0.1, RawHigh: raw + 0.1, Probed: raw + gain, ProbedLow: raw + gain - 0.1, ProbedHigh: raw + gain + 0.1,
				Gain: gain, GainLow: gain - 0.05, GainHigh: gain + 0.05})
		}
	}
	f, err := TransferVsK(rows, "tgt", "")
	if err != nil {
		t.Fatal(err)
	}
	// 3 panels x 3 bars in the axis order untrained, 2, fine; the gain of fine (the first
	// group, ki = 0) is -0.06 for both seeds.
	if len(f.Panels) != 3 || len(f.Rows) != 9 || f.Rows[6][1] != "untr." || f.Rows[8][1] != "fine" || f.Rows[8][4] != "-0.06" {
		t.Fatalf("rows %v", f.Rows)
	}
	if ymin := f.Panels[2].Y.Min; ymin > -0.11 {
		t.Errorf("gain panel starts at %v, above the lowest CI bound -0.11", ymin)
	}
	checkSaved(t, f, "transfer", 9)
	if _, err := TransferVsK(rows, "tgt", "pixels"); err == nil {
		t.Error("every row of another label source: no error")
	}
	if _, err := TransferVsK(rows, "other", ""); err == nil {
		t.Error("no rows of target other: no error")
	}
	if _, err := TransferVsK(nil, "tgt", ""); err == nil {
		t.Error("no rows: no error")
	}
}
