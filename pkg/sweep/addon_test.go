package sweep

import (
	"context"
	"math"
	"strings"
	"testing"
)

// countingAddOn scores one row per run, value = the run's seed, and counts its calls.
type countingAddOn struct {
	calls int
	key   string
}

func (a *countingAddOn) Name() string { return "count" }

func (a *countingAddOn) Key(r Run) (string, bool) {
	if r.Eval.CIFAR10H == nil {
		return "", false
	}
	return a.key, true
}

func (a *countingAddOn) Score(ctx context.Context, env *Env) ([]Score, error) {
	a.calls++
	return []Score{{Layer: "l", Target: "count-" + a.key, Metric: "m", Value: float64(env.Run.Seed),
		CILow: math.NaN(), CIHigh: math.NaN(), CeilingLow: math.NaN(), CeilingHigh: math.NaN(), SD: math.NaN(), Split: "all"}}, nil
}

// TestAddOnsOnDoneRuns: switching eval.cifar10h on keeps every run ID (the runs are reused),
// the add-on scores each done run once per key, Collect appends its rows, and a new key
// replaces the old rows.
func TestAddOnsOnDoneRuns(t *testing.T) {
	off := mustParse(t, testConfig)
	on := mustParse(t, strings.Replace(testConfig, "eval: {bootstrap: 50, splits: 2, seed: 7}",
		"eval: {bootstrap: 50, splits: 2, seed: 7, cifar10h: {train_per_class: 10, test: 100}}", 1))
	if on.Eval.CIFAR10H == nil || on.Eval.CIFAR10H.Test != 100 {
		t.Fatalf("cifar10h settings not parsed: %+v", on.Eval.CIFAR10H)
	}
	runsOff, runs := off.Expand(), on.Expand()
	for i := range runs {
		if runs[i].ID() != runsOff[i].ID() {
			t.Fatalf("run %d: eval.cifar10h changed the run ID (%s vs %s)", i, runs[i].ID(), runsOff[i].ID())
		}
	}
	out := t.TempDir()
	runAll(t, out, runsOff[:3])
	before := len(must(Collect(runs[:3], out)))
	rn := &Runner{Out: out, Stages: fakeStages(0)}
	a := &countingAddOn{key: "a"}
	n, err := rn.RunAddOns(context.Background(), runs, []AddOn{a})
	if err != nil || n != 3 || a.calls != 3 { // runs[3:] are not done: left alone
		t.Fatalf("scored %d (calls %d), err %v; want the 3 done runs", n, a.calls, err)
	}
	rows := must(Collect(runs[:3], out))
	if len(rows) != before+3 || rows[len(rows)-1].Target != "count-a" || rows[len(rows)-1].Value != float64(runs[2].Seed) {
		t.Fatalf("%d rows (had %d); last %+v", len(rows), before, rows[len(rows)-1])
	}
	if n, _ := rn.RunAddOns(context.Background(), runs, []AddOn{a}); n != 0 || a.calls != 3 {
		t.Fatalf("same key scored again: %d", n)
	}
	if n, _ := rn.RunAddOns(context.Background(), runsOff, []AddOn{a}); n != 0 {
		t.Fatalf("add-on ran with eval.cifar10h off")
	}
	a.key = "b"
	if n, _ := rn.RunAddOns(context.Background(), runs, []AddOn{a}); n != 3 {
		t.Fatalf("new key: scored %d, want 3", n)
	}
	rows = must(Collect(runs[:3], out))
	if len(rows) != before+3 || rows[len(rows)-1].Target != "count-b" {
		t.Fatalf("new key: %d rows, last target %s", len(rows), rows[len(rows)-1].Target)
	}
}

func TestCIFAR10HConfigErrors(t *testing.T) {
	_, err := Parse([]byte(strings.Replace(testConfig, "seed: 7}", "seed: 7, cifar10h: {test: 20000, train_per_class: -1}}", 1)))
	if err == nil || !strings.Contains(err.Error(), "eval.cifar10h.test") || !strings.Contains(err.Error(), "eval.cifar10h.train_per_class") {
		t.Fatalf("got %v", err)
	}
}

func must[T any](v T, _ []string, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func TestCIFAR10HNeedsCIFAR10(t *testing.T) {
	s := strings.Replace(testConfig, "data: {source: cifar10, per_class: 100, split_seed: 42}", "data: {source: images, path: imgs, per_class: 100, split_seed: 42}", 1)
	_, err := Parse([]byte(strings.Replace(s, "seed: 7}", "seed: 7, cifar10h: {}}", 1)))
	if err == nil || !strings.Contains(err.Error(), "field eval.cifar10h: needs data.source cifar10") {
		t.Fatalf("got %v", err)
	}
}
