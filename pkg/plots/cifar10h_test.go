package plots

import (
	"math"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/coarsealign/coarsealign/pkg/cifar10h"
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

// fakeSet is a CIFAR-10H set of n images, image i of class i%10 with 10 votes: 10-i%4 for its
// class and the rest for the next class.
func fakeSet(n int) *cifar10h.Set {
	s := &cifar10h.Set{}
	for i := 0; i < n; i++ {
		c, w := i%10, 10-i%4
		var cnt [cifar10h.NumClasses]int
		var p [cifar10h.NumClasses]float64
		cnt[c], cnt[(c+1)%10] = w, 10-w
		for k := range cnt {
			p[k] = float64(cnt[k]) / 10
		}
		s.Labels, s.Counts, s.Probs = append(s.Labels, c), append(s.Counts, cnt), append(s.Probs, p)
	}
	return s
}

func TestCIFAR10HEntropyAndConfusions(t *testing.T) {
	set := fakeSet(200)
	human := set.HumanProbs(nil)
	uniform := mat.NewDense(200, 10, nil)
	for i := 0; i < 200; i++ {
		for c := 0; c < 10; c++ {
			uniform.Set(i, c, 0.1)
		}
	}
	// The humans' own distributions: entropy rho 1 and bins on the diagonal.
	f, err := CIFAR10HEntropyScatter(set, 50, CIFAR10HModel{"humans", human}, CIFAR10HModel{"uniform", uniform})
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Rows) != 2*entropyBins || f.Rows[0][5] != "1" {
		t.Fatalf("%d rows, first %v", len(f.Rows), f.Rows[0])
	}
	for _, r := range f.Rows[:entropyBins] {
		if r[2] != r[3] {
			t.Errorf("human vs itself: bin %v", r)
		}
	}
	checkSaved(t, f, "entropy", 2*entropyBins)
	g, err := CIFAR10HConfusions(set, CIFAR10HModel{"uniform", uniform})
	if err != nil {
		t.Fatal(err)
	}
	// The uniform model's confusion matrix is 0.1 everywhere.
	for _, r := range g.Rows {
		if r[0] == "uniform" && r[3] != "0.1" {
			t.Fatalf("uniform entry %v", r)
		}
	}
	checkSaved(t, g, "confusions", 200)
	if _, err := CIFAR10HConfusions(set, CIFAR10HModel{"bad", mat.NewDense(5, 3, nil)}); err == nil {
		t.Error("5 x 3 predictions: no error")
	}
}
