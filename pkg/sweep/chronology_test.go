package sweep

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

func TestChronologySchedule(t *testing.T) {
	c := Chronology{Base: 2, EpochEnds: true, Steps: []int{3, 400}}
	// 0, the powers of two below 150, the epoch ends 75 and 150, step 3; 400 is past the end.
	want := []int{0, 1, 2, 3, 4, 8, 16, 32, 64, 75, 128, 150}
	if got := c.Schedule(75, 150); !slices.Equal(got, want) {
		t.Errorf("schedule %v, want %v", got, want)
	}
	if got := (Chronology{Base: 10}).Schedule(5, 250); !slices.Equal(got, []int{0, 1, 10, 100, 250}) {
		t.Errorf("base 10: %v", got)
	}
}

func TestChronologyAndFactorsConfig(t *testing.T) {
	cfg, err := Parse([]byte(testConfig + "\nchronology: {}\nfactors: {domains: [cifar10, fashion-mnist], per_class: [5, 10], epochs: [1, 2]}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Chronology.Base != 2 || !cfg.Chronology.EpochEnds {
		t.Errorf("defaults: %+v", cfg.Chronology)
	}
	base, err := Parse([]byte(testConfig))
	if err != nil {
		t.Fatal(err)
	}
	nb := len(base.Expand())
	untrained := 0
	for _, r := range base.Expand() {
		if r.Granularity == Untrained {
			untrained++
		}
	}
	runs := cfg.Expand()
	// 2 domains x 2 amounts x 2 budgets of every trained run; the untrained ones per domain only.
	if want := 2*2*2*(nb-untrained) + 2*untrained; len(runs) != want {
		t.Fatalf("%d runs, want %d", len(runs), want)
	}
	ids := map[string]bool{}
	for i, r := range runs {
		if r.Index != i {
			t.Fatalf("run %d has index %d", i, r.Index)
		}
		if ids[r.ID()] {
			t.Fatalf("run %d repeats an identity", i)
		}
		ids[r.ID()] = true
		if (r.Chronology == nil) != (r.Granularity == Untrained) {
			t.Errorf("run %d (%s): chronology %v", i, r.Granularity, r.Chronology)
		}
	}
	if runs[len(runs)-1].Data.Source != "fashion-mnist" || runs[0].Data.Source != "cifar10" {
		t.Errorf("domains: first %s, last %s", runs[0].Data.Source, runs[len(runs)-1].Data.Source)
	}
	for _, bad := range []struct{ add, field string }{
		{"chronology: {base: 1}", "chronology.base"},
		{"chronology: {steps: [-1]}", "chronology.steps[0]"},
		{"factors: {domains: [mnist]}", "factors.domains[0]"},
		{"factors: {domains: [\"images:\"]}", "factors.domains[0]"},
		{"factors: {per_class: [0]}", "factors.per_class[0]"},
		{"factors: {per_class: [5, 5]}", "factors.per_class[1]"},
		{"factors: {epochs: [-1]}", "factors.epochs[0]"},
	} {
		_, err := Parse([]byte(testConfig + "\n" + bad.add + "\n"))
		if err == nil || !slices.Contains(fields(t, err), bad.field) {
			t.Errorf("%s: error %v, want field %s", bad.add, err, bad.field)
		}
	}
}

func TestStepScoresRoundTripAndRows(t *testing.T) {
	s := StepScore{Step: 8, Score: Score{Layer: "conv1.post", Target: "mIT", Metric: "spearman", Value: 0.1, CILow: 0.05, CIHigh: 0.2, Split: "all", N: 92}}
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var back StepScore
	if err := json.Unmarshal(b, &back); err != nil || back.Step != 8 || back.Value != 0.1 || back.Layer != "conv1.post" {
		t.Fatalf("round trip %s: %+v %v", b, back, err)
	}
	row := rowFor(Run{Granularity: Fine}, s.Score)
	row.Step, row.Params = s.Step, 1234
	var buf bytes.Buffer
	if err := WriteCSV(&buf, []Row{row, rowFor(Run{Granularity: Fine}, s.Score)}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if !strings.HasSuffix(lines[0], ",step,params") || !strings.HasSuffix(lines[1], ",8,1234") || !strings.HasSuffix(lines[2], ",,0") {
		t.Errorf("CSV:\n%s", buf.String())
	}
}
