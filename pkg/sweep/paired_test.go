package sweep

import (
	"bytes"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPaired checks the paired differences on planted split values: the fine model scores
// base[s] on split s; a K-class model of seed q scores base[s] + delta(K) + q*eps[s]. The
// per-split differences are then delta + q*eps[s] exactly (the split-to-split variation of
// base cancels, which is the point of pairing), and the pooled row over seeds 1-2 averages them.
func TestPaired(t *testing.T) {
	c := mustParse(t, testConfig)
	runs := c.Expand()
	const splits = 40
	base, eps := make([]float64, splits), make([]float64, splits)
	for s := range base {
		base[s] = 0.3 + 0.2*math.Sin(float64(s)) // large split-to-split variation
		eps[s] = 0.001 * float64(s%5-2)          // mean 0 over every 5 splits
	}
	delta := map[string]float64{"2": 0.05, "4": -0.02, Untrained: -0.1}
	draws := func(r Run) ([]Draws, error) {
		v := make([]float64, splits)
		for s := range v {
			v[s] = base[s]
			if r.Granularity != Fine {
				v[s] += delta[r.Granularity] + float64(r.Seed)*eps[s]
			}
		}
		return []Draws{{Layer: "fc7.post", Target: "mIT", Metric: "spearman", Split: "half", Values: v},
			{Layer: "fc7.post", Target: "mIT", Metric: "spearman", Split: "all", Values: []float64{1}}}, nil
	}
	rows, err := Paired(runs, draws, 0.95)
	if err != nil {
		t.Fatal(err)
	}
	// 2 label sources x K in {2, 4} + untrained, each 2 seeds + 1 pooled row; one target/metric.
	if want := (2*2 + 1) * 3; len(rows) != want {
		t.Fatalf("%d rows, want %d", len(rows), want)
	}
	for _, r := range rows {
		d := delta[r.K]
		if r.NSeeds == 1 && r.Seeds == "2" {
			// Seed 2's differences are d + 2*eps; their mean is d (eps averages to 0 over 40 splits).
			if math.Abs(r.Diff-d) > 1e-12 || math.Abs(r.Low-(d-0.004)) > 1e-12 || math.Abs(r.High-(d+0.004)) > 1e-12 {
				t.Errorf("K=%s seed 2: diff %v [%v, %v], want %v [%v, %v]", r.K, r.Diff, r.Low, r.High, d, d-0.004, d+0.004)
			}
			if !math.IsNaN(r.SeedLow) {
				t.Errorf("one seed has a seed interval %v", r.SeedLow)
			}
		}
		if r.NSeeds == 2 {
			if r.Seeds != "1,2" || r.Splits != splits {
				t.Errorf("pooled row %+v", r)
			}
			// Pooled per split: d + 1.5*eps[s], interval d -+ 0.003; the two seeds' mean
			// differences are both d, so the t interval is [d, d].
			if math.Abs(r.Diff-d) > 1e-12 || math.Abs(r.Low-(d-0.003)) > 1e-12 || math.Abs(r.SeedLow-d) > 1e-12 || math.Abs(r.SeedHigh-d) > 1e-12 {
				t.Errorf("K=%s pooled: %+v", r.K, r)
			}
			if math.Abs(r.Model-r.Fine-r.Diff) > 1e-12 {
				t.Errorf("K=%s: model %v - fine %v != diff %v", r.K, r.Model, r.Fine, r.Diff)
			}
		}
		if !r.Beyond() {
			t.Errorf("K=%s seeds %s: planted difference %v not beyond its interval [%v, %v]", r.K, r.Seeds, d, r.Low, r.High)
		}
	}
	// The CSV has the documented columns and one line per row.
	var buf bytes.Buffer
	if err := WritePairedCSV(&buf, rows); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != len(rows)+1 || !strings.HasPrefix(lines[0], "target,metric,arch,") {
		t.Errorf("CSV header %q, %d lines", lines[0], len(lines))
	}
	// Different eval settings (other splits) cannot be paired.
	runs[0].Eval.Seed++
	if _, err := Paired(runs, draws, 0.95); err == nil || !strings.Contains(err.Error(), "eval settings") {
		t.Errorf("unpaired eval settings: %v", err)
	}
}

// TestTInterval checks the seed interval against Student's t quantiles (t(1, 0.975) = 12.7062,
// t(2, 0.975) = 4.3027; standard tables).
func TestTInterval(t *testing.T) {
	lo, hi := tInterval([]float64{1, 3}, 0.95) // mean 2, sd sqrt(2), se 1
	if math.Abs(hi-2-12.7062) > 1e-3 || math.Abs(2-lo-12.7062) > 1e-3 {
		t.Errorf("n=2: [%v, %v]", lo, hi)
	}
	lo, hi = tInterval([]float64{1, 2, 3}, 0.95) // mean 2, sd 1, se 1/sqrt(3)
	if w := 4.3027 / math.Sqrt(3); math.Abs(hi-2-w) > 1e-3 || math.Abs(2-lo-w) > 1e-3 {
		t.Errorf("n=3: [%v, %v]", lo, hi)
	}
}

func TestDrawsFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, DrawsFile)
	in := []Draws{{Layer: "a", Target: "mIT", Metric: "spearman", Split: "half", Values: []float64{0.1, 0.2}}}
	if err := WriteFileAtomic(p, func(w io.Writer) error { return WriteDrawsTo(w, in) }); err != nil {
		t.Fatal(err)
	}
	out, err := ReadDraws(p)
	if err != nil || len(out) != 1 || out[0].Values[1] != 0.2 {
		t.Fatalf("read back %+v, %v", out, err)
	}
	if _, err := ReadDraws(filepath.Join(dir, "none")); !os.IsNotExist(err) {
		t.Errorf("missing file: %v", err)
	}
	if err := os.WriteFile(p, []byte(`{"target":"mIT","metric":"spearman","values":[]}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadDraws(p); err == nil || !strings.Contains(err.Error(), "line 1") {
		t.Errorf("empty values: %v", err)
	}
	if err := WriteDrawsTo(io.Discard, []Draws{{Target: "x", Metric: "m", Values: []float64{math.NaN()}}}); err == nil {
		t.Error("NaN draw written")
	}
}

// TestPairedSSL: an ssl run is paired with the fine-label run of its own architecture and seed
// (same recipe and data, no label source) like a coarse run. Each architecture has its own
// planted split values (base + archShift[arch]), so pairing an ssl run with the other
// architecture's fine run would add that shift to the difference; the planted ssl difference
// must come out exactly, per seed and pooled, and an ssl run without a fine partner gives no row.
func TestPairedSSL(t *testing.T) {
	src := strings.Replace(testConfig, "granularity: [2, 4, fine, untrained]", "granularity: [2, fine, ssl, untrained]", 1)
	src = strings.Replace(src, "  - {name: alexnet-bn, width: 0.25, input_size: 32}",
		"  - {name: alexnet-bn, width: 0.25, input_size: 32}\n  - {name: vit-cifar, width: 0.25, input_size: 32}", 1)
	runs := mustParse(t, src).Expand()
	const splits = 40
	archShift := map[string]float64{"alexnet-bn": 0, "vit-cifar": 0.25}
	delta := map[string]map[string]float64{
		"alexnet-bn": {"2": 0.03, SSL: -0.04, Untrained: -0.1},
		"vit-cifar":  {"2": -0.01, SSL: 0.06, Untrained: -0.2},
	}
	draws := func(r Run) ([]Draws, error) {
		v := make([]float64, splits)
		for s := range v {
			v[s] = 0.3 + 0.2*math.Sin(float64(s)) + archShift[r.Arch.Name]
			if r.Granularity != Fine {
				v[s] += delta[r.Arch.Name][r.Granularity] + float64(r.Seed)*0.001*float64(s%5-2)
			}
		}
		return []Draws{{Layer: "l", Target: "mIT", Metric: "spearman", Split: "half", Values: v}}, nil
	}
	rows, err := Paired(runs, draws, 0.95)
	if err != nil {
		t.Fatal(err)
	}
	// Per architecture: K=2 x 2 label sources, untrained, ssl; each 2 seeds + 1 pooled row.
	if want := 2 * 4 * 3; len(rows) != want {
		t.Fatalf("%d rows, want %d", len(rows), want)
	}
	nSSL := 0
	for _, r := range rows {
		if r.K != SSL {
			continue
		}
		nSSL++
		d := delta[r.Arch][SSL]
		if r.LabelSource != "" || math.Abs(r.Diff-d) > 1e-12 || !r.Beyond() || r.Splits != splits {
			t.Errorf("ssl row %+v: want diff %v beyond its interval, no label source", r, d)
		}
		if want := 0.3 + archShift[r.Arch]; math.Abs(r.Fine-(want+0.2*meanSin(splits))) > 1e-12 {
			t.Errorf("%s ssl paired with fine %v, not its own architecture's", r.Arch, r.Fine)
		}
		if r.NSeeds == 2 && (r.Seeds != "1,2" || math.Abs(r.SeedLow-d) > 1e-12 || math.Abs(r.SeedHigh-d) > 1e-12) {
			t.Errorf("pooled ssl row %+v", r)
		}
	}
	if nSSL != 6 {
		t.Errorf("%d ssl rows, want 6 (2 archs x (2 seeds + pooled))", nSSL)
	}
	// Without the ViT's fine runs, its ssl (and other) runs have no partner.
	var some []Run
	for _, r := range runs {
		if !(r.Arch.Name == "vit-cifar" && r.Granularity == Fine) {
			some = append(some, r)
		}
	}
	rows, err = Paired(some, draws, 0.95)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if r.Arch == "vit-cifar" {
			t.Fatalf("vit-cifar row without a fine partner: %+v", r)
		}
	}
}

// meanSin is the mean of sin(s) over s = 0..n-1.
func meanSin(n int) float64 {
	m := 0.0
	for s := 0; s < n; s++ {
		m += math.Sin(float64(s))
	}
	return m / float64(n)
}
