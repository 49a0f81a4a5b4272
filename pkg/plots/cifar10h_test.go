package plots

import (
	"math"
	"strings"
	"testing"

	"github.com/coarsealign/coarsealign/pkg/sweep"
)

// cifar10hRows adds CIFAR-10H readout rows (value 0.1*k-index + 0.01*seed) to fakeRows, with
// hIT-subjects and behav-subjects copies of its mIT rows.
func cifar10hRows() []sweep.Row {
	base := fakeRows()
	var rows []sweep.Row
	for _, r := range base {
		rows = append(rows, r)
		if r.Target == "mIT" {
			for _, t := range []string{"hIT-subjects", "behav-subjects"} {
				c := r
				c.Target = t
				rows = append(rows, c)
			}
		}
	}
	for ki, k := range []string{"2", "4", "8", "fine", "untrained"} {
		for seed := 1; seed <= 2; seed++ {
			for _, p := range CIFAR10HPanels {
				v := 0.1*float64(ki) + 0.01*float64(seed)
				src := "fine-net"
				if k == "fine" || k == "untrained" {
					src = ""
				}
				rows = append(rows, sweep.Row{K: k, Seed: seed, LabelSource: src, Score: sweep.Score{
					Layer: "fc2.post", Target: p.Target, Metric: "readout", Value: v, CILow: v - 0.01, CIHigh: v + 0.02,
					CeilingLow: math.NaN(), CeilingHigh: math.NaN(), Split: "all", N: 10000}})
			}
		}
	}
	return rows
}

func TestCIFAR10HVsK(t *testing.T) {
	rows := cifar10hRows()
	pn, err := CIFAR10HFromRows(rows, "cifar10h-ce", "readout", "fine-net", "ce", "nats")
	if err != nil {
		t.Fatal(err)
	}
	// untrained first, then K ascending, fine last; the mean over the 2 seeds (0.015 + 0.1*ki).
	want := []struct {
		label string
		v     float64
	}{{"untr.", 0.415}, {"2", 0.015}, {"4", 0.115}, {"8", 0.215}, {"fine", 0.315}}
	if len(pn.Bars) != len(want) {
		t.Fatalf("%d bars", len(pn.Bars))
	}
	for i, w := range want {
		b := pn.Bars[i]
		if b.Label != w.label || math.Abs(b.Value-w.v) > 1e-12 || math.Abs(b.Low-(w.v-0.01)) > 1e-12 || b.N != 2 {
			t.Errorf("bar %d = %+v, want %s %v", i, b, w.label, w.v)
		}
	}
	if _, err := CIFAR10HFromRows(fakeRows(), "cifar10h-ce", "readout", "", "", ""); err == nil || !strings.Contains(err.Error(), "eval.cifar10h") {
		t.Errorf("no rows: got %v", err)
	}
	f, err := CIFAR10HVsK(rows, "spearman", "fine-net")
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Panels) != len(CIFAR10HPanels)+3 || f.Header[0] != "target" || f.Header[4] != "kind" || f.Header[5] != "k" {
		t.Fatalf("%d panels, header %v", len(f.Panels), f.Header)
	}
	if f.Rows[0][0] != "cifar10h-ce" || f.Rows[len(f.Rows)-1][0] != "behav-subjects" {
		t.Errorf("first/last rows %v / %v", f.Rows[0], f.Rows[len(f.Rows)-1])
	}
	checkSaved(t, f, "cifar10h_vs_k", 7*5)
}
