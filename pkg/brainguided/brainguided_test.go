package brainguided

import (
	"math"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/coarsealign/coarsealign/configs"
)

// The 92-image set's categories (Kriegeskorte et al. 2008, figure 1: 12 human bodies, 12 human
// faces, 12 animal bodies, 12 animal faces, 23 natural and 21 artificial objects) are split
// 64/28 in proportion: each category's test share is within one image of 28/92 of its size,
// the splits differ by seed, and the same seed gives the same split.
func TestStratifiedSplit(t *testing.T) {
	sizes := map[string]int{"human body": 12, "human face": 12, "animal body": 12, "animal face": 12, "natural": 23, "artificial": 21}
	var strata []string
	for _, name := range []string{"human body", "human face", "animal body", "animal face", "natural", "artificial"} {
		for range sizes[name] {
			strata = append(strata, name)
		}
	}
	tr, te, err := StratifiedSplit(strata, 64, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(tr) != 64 || len(te) != 28 {
		t.Fatalf("%d train, %d test", len(tr), len(te))
	}
	all := append(slices.Clone(tr), te...)
	slices.Sort(all)
	for i, v := range all {
		if v != i {
			t.Fatalf("the split is not a partition of 0..91: %v", all)
		}
	}
	count := map[string]int{}
	for _, i := range te {
		count[strata[i]]++
	}
	for name, n := range sizes {
		want := 28 * float64(n) / 92
		if math.Abs(float64(count[name])-want) >= 1 {
			t.Errorf("%s: %d test images, want %.2f +- 1", name, count[name], want)
		}
	}
	tr2, _, _ := StratifiedSplit(strata, 64, 1)
	tr3, _, _ := StratifiedSplit(strata, 64, 2)
	if !slices.Equal(tr, tr2) || slices.Equal(tr, tr3) {
		t.Error("splits are not reproducible by seed, or do not change with it")
	}
	if _, _, err := StratifiedSplit(strata, 92, 1); err == nil {
		t.Error("a split with no test items was accepted")
	}
	if got := Stratum(true, true, false, false) + "," + Stratum(false, false, true, false) + "," + Stratum(false, false, false, false); got != "human face,animal body,artificial" {
		t.Errorf("strata %s", got)
	}
}

// MeanCI is the Student-t interval: for {1, 2, 3} the mean is 2, the standard error
// 1/sqrt(3), and t(0.975, 2) = 4.302652729911275 (scipy.stats.t.ppf(0.975, 2)).
func TestMeanCI(t *testing.T) {
	m, lo, hi := MeanCI([]float64{1, 2, 3})
	half := 4.302652729911275 / math.Sqrt(3)
	if m != 2 || math.Abs(lo-(2-half)) > 1e-9 || math.Abs(hi-(2+half)) > 1e-9 {
		t.Errorf("MeanCI = %g [%g, %g], want 2 [%g, %g]", m, lo, hi, 2-half, 2+half)
	}
	if _, lo, _ := MeanCI([]float64{1}); !math.IsNaN(lo) {
		t.Error("a CI from one value")
	}
}

// Summarize pairs each condition with the beta = 0 control of the same split: a condition
// that adds split-specific offsets has those as paired differences.
func TestSummarizePairs(t *testing.T) {
	var rows []Row
	for s := range 3 {
		base := 0.1 * float64(s) // split effects cancel in the pairing
		rows = append(rows,
			Row{Beta: 0, Split: s, Control: ControlNone, Target: TargetHeldOut, Stimuli: "test", Metric: "spearman", Value: base},
			Row{Beta: 2, Split: s, Control: ControlNone, Target: TargetHeldOut, Stimuli: "test", Metric: "spearman", Value: base + 0.05},
			Row{Beta: 2, Split: s, Control: ControlPermuted, Target: TargetHeldOut, Stimuli: "test", Metric: "spearman", Value: base - 0.01*float64(s)},
			Row{Beta: math.NaN(), Split: s, Control: CeilingLower, Target: TargetHeldOut, Stimuli: "test", Metric: "spearman", Value: 0.4})
	}
	cs := Summarize(rows)
	find := func(ref, control string) Contrast {
		for _, c := range cs {
			if c.Reference == ref && c.Control == control && c.Beta == 2 {
				return c
			}
		}
		t.Fatalf("no contrast %s %s in %+v", ref, control, cs)
		return Contrast{}
	}
	if c := find("beta=0", ControlNone); c.N != 3 || math.Abs(c.Diff-0.05) > 1e-12 || math.Abs(c.High-c.Low) > 1e-9 {
		t.Errorf("none vs beta=0: %+v, want a difference of exactly 0.05", c)
	}
	if c := find("permuted", ControlNone); math.Abs(c.Diff-(0.05+0.01)) > 1e-12 || !(c.Low < c.Diff && c.Diff < c.High) {
		t.Errorf("none vs permuted: %+v, want 0.06 inside its CI", c)
	}
	for _, c := range cs {
		if c.Control == CeilingLower {
			t.Error("the noise ceiling was contrasted")
		}
	}
}

// The shipped config parses and describes the study the issue asks for: beta = 0, at least 3
// betas > 0, a permuted control, at least 5 splits of 64/28 stimuli.
func TestShippedConfig(t *testing.T) {
	b, err := configs.ReadStudy("brain-guided")
	if err != nil {
		t.Fatal(err)
	}
	c, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	pos := 0
	for _, v := range c.Betas {
		if v > 0 {
			pos++
		}
	}
	if !slices.Contains(c.Betas, 0) || pos < 3 || len(c.PermutedBetas) == 0 || c.Splits < 5 || c.TrainStimuli != 64 {
		t.Errorf("config %+v", c)
	}
	for _, bad := range []struct{ yaml, field string }{
		{"name: x\nstart: r\nbetas: [1]\nsteps: 1\n", "betas"},
		{"name: x\nstart: r\nbetas: [0]\nsteps: 0\n", "steps"},
		{"name: x\nstart: r\nbetas: [0]\nsteps: 1\nloss: mse\n", "loss"},
		{"name: x\nstart: r\nbetas: [0]\nsteps: 1\ntrain_stimuli: 90\n", "train_stimuli"},
		{"name: x\nstart: r\nbetas: [0]\nsteps: 1\nbogus: 1\n", "bogus"},
	} {
		if _, err := Parse([]byte(bad.yaml)); err == nil || !strings.Contains(err.Error(), bad.field) {
			t.Errorf("%q: error %v, want one naming %s", bad.yaml, err, bad.field)
		}
	}
}

// WriteResults and ReadResults round-trip the rows (NaN beta of the ceiling and start rows
// included), and a malformed file is an error naming the line.
func TestResultsRoundTrip(t *testing.T) {
	rows := []Row{
		{Beta: math.NaN(), Split: 0, Control: CeilingLower, Target: TargetHeldOut, Stimuli: "test", Layer: "fc7.post", HeldOut: 1, Metric: "spearman", Value: 0.31},
		{Beta: 4, Split: 2, Control: ControlPermuted, Target: TargetAccuracy, Stimuli: "cifar10-test", Layer: "conv4.post", HeldOut: 3, Metric: "accuracy", Value: 0.625},
	}
	dir := t.TempDir()
	paths, err := WriteResults(dir, rows)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ReadResults(paths[0])
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || !math.IsNaN(got[0].Beta) || got[1] != rows[1] || got[0].Value != 0.31 {
		t.Errorf("read back %+v", got)
	}
	bad := dir + "/bad.csv"
	if err := os.WriteFile(bad, []byte(strings.Join(Header, ",")+"\nx,0,none,t,test,l,1,spearman,0.1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadResults(bad); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("bad beta: %v", err)
	}
}
