package study

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coarsealign/coarsealign/pkg/cifar10h"
	"github.com/coarsealign/coarsealign/pkg/datadir"
	"github.com/coarsealign/coarsealign/pkg/sweep"
)

// TestCIFAR10HAddOn runs a tiny sweep, then switches eval.cifar10h on: the done runs keep their
// IDs and get the CIFAR-10H rows (readout for every run, softmax for the fine one), with CIs
// around the values; CE - KL is the mean entropy of the human distributions of the scored
// images (the same for every model, computed here from the set); the stored distributions
// are rows summing to 1; a second pass scores nothing and the table is unchanged.
func TestCIFAR10HAddOn(t *testing.T) {
	if testing.Short() {
		t.Skip("trains 2 tiny networks and embeds 300 + 80 images (about 1 minute idle, 4 under load 15); skipped with -short")
	}
	dataDir := datadir.ForTest(t)
	for _, p := range []string{"cifar10-jpg/train", "cifar10-jpg/test", "cifar10h"} {
		if _, err := os.Stat(filepath.Join(dataDir, p)); err != nil {
			datadir.SkipOrFail(t, "no %s in %s", p, dataDir)
		}
	}
	base := strings.Replace(tinyConfig, "granularity: [2, 4, fine, untrained]", "granularity: [2, fine, untrained]", 1)
	off, err := sweep.Parse([]byte(base))
	if err != nil {
		t.Fatal(err)
	}
	on, err := sweep.Parse([]byte(strings.Replace(base, "max_triplets: 500}", "max_triplets: 500, cifar10h: {test: 300, train_per_class: 8, bootstrap: 20}}", 1)))
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	rn := &sweep.Runner{Out: out, DataDir: dataDir, Stages: Stages(Options{})}
	if _, err := rn.Execute(context.Background(), off.Expand()); err != nil {
		t.Fatal(err)
	}
	runs := on.Expand()
	if _, err := rn.Execute(context.Background(), runs); err != nil { // all done already
		t.Fatal(err)
	}
	n, err := rn.RunAddOns(context.Background(), runs, Options{}.AddOns())
	if err != nil || n != len(runs) {
		t.Fatalf("scored %d runs, err %v", n, err)
	}
	rows, missing, err := sweep.Collect(runs, out)
	if err != nil || len(missing) > 0 {
		t.Fatal(err, missing)
	}
	set, err := cifar10h.Load(dataDir, nil)
	if err != nil {
		t.Fatal(err)
	}
	humanH := 0.0
	for _, p := range set.Probs[:300] {
		for _, v := range p {
			if v > 0 {
				humanH -= v * math.Log(v)
			}
		}
	}
	humanH /= 300
	got := map[string]map[string]float64{}
	for _, r := range rows {
		if !strings.HasPrefix(r.Target, "cifar10h") {
			continue
		}
		// A percentile CI of 20 resamples may miss the full-sample value (sweep.Score.CheckCI);
		// it must exist and be ordered (Check).
		if err := r.Score.Check(); err != nil || math.IsNaN(r.CILow) || r.N != 300 {
			t.Errorf("%s %s %s: %v, CI [%v, %v], n %d", r.K, r.Target, r.Metric, err, r.CILow, r.CIHigh, r.N)
		}
		key := r.K + "/" + r.Metric
		if got[key] == nil {
			got[key] = map[string]float64{}
		}
		got[key][r.Target] = r.Value
	}
	for _, key := range []string{"2/readout", "fine/readout", "fine/softmax", "untrained/readout"} {
		g := got[key]
		if g == nil {
			t.Fatalf("no CIFAR-10H rows for %s (have %v)", key, got)
		}
		if d := g[TargetCIFAR10HCE] - g[TargetCIFAR10HKL]; math.Abs(d-humanH) > 1e-9 {
			t.Errorf("%s: CE - KL = %v, want the human entropy %v", key, d, humanH)
		}
		if a := g[TargetCIFAR10HAcc]; !(a >= 0 && a <= 1) {
			t.Errorf("%s: accuracy %v", key, a)
		}
	}
	if _, ok := got["2/softmax"]; ok {
		t.Error("a K=2 run has softmax rows (its outputs are not the 10 classes)")
	}
	for _, r := range runs {
		p, err := ReadCIFAR10HPredictions(sweep.RunDir(out, r.ID()), "readout.npy")
		if err != nil {
			t.Fatal(err)
		}
		if n, _ := p.Dims(); n != 300 {
			t.Fatalf("%d rows of predictions", n)
		}
		for i := 0; i < 300; i++ {
			s := 0.0
			for _, v := range p.RawRowView(i) {
				s += v
			}
			if math.Abs(s-1) > 1e-5 {
				t.Fatalf("run %s image %d: distribution sums to %v", r.Label(), i, s)
			}
		}
	}
	fine, err := CIFAR10HPredictions(on, out, sweep.Fine, 0)
	if err != nil || fine.Softmax == nil || fine.Label != "fine seed 1" {
		t.Fatalf("fine predictions %+v, %v", fine, err)
	}
	if n, err := rn.RunAddOns(context.Background(), runs, Options{}.AddOns()); n != 0 || err != nil {
		t.Fatalf("second pass scored %d, %v", n, err)
	}
	again, _, _ := sweep.Collect(runs, out)
	if fmt.Sprint(again) != fmt.Sprint(rows) {
		t.Error("table changed after a pass with nothing to do")
	}
}

// CIFAR10HPredictions names what is missing: a granularity not in the sweep, or a run without
// stored distributions.
func TestCIFAR10HPredictionsErrors(t *testing.T) {
	cfg, err := sweep.Parse([]byte(tinyConfig))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := CIFAR10HPredictions(cfg, t.TempDir(), "8", 0); err == nil || !strings.Contains(err.Error(), `granularity "8"`) {
		t.Errorf("K=8 not in the sweep: %v", err)
	}
	if _, err := CIFAR10HPredictions(cfg, t.TempDir(), "fine", 0); err == nil || !strings.Contains(err.Error(), "eval.cifar10h") {
		t.Errorf("no stored predictions: %v", err)
	}
}
