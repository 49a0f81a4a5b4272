package plots

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coarsealign/coarsealign/pkg/chronology"
)

// toyCurves: one layer per target, scores rising as s/(s+h) with h = 2, 20 and 200 steps for
// targets of levels 1..3, plus 0.01 noise-free offsets per draw.
func toyCurves() *chronology.Curves {
	steps := []int{0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512}
	c := &chronology.Curves{Metric: "spearman", Higher: true, Steps: steps, Layers: []string{"a", "b"}}
	cube := func(off float64) [][][]float64 {
		var out [][][]float64
		for _, h := range []float64{2, 20, 200} {
			var t [][]float64
			for l := range 2 {
				var row []float64
				for _, s := range steps {
					row = append(row, off+float64(l)*0.01+float64(s)/(float64(s)+h))
				}
				t = append(t, row)
			}
			out = append(out, t)
		}
		return out
	}
	for i, name := range []string{"model:V1", "mIT", "hIT-mean"} {
		c.Targets = append(c.Targets, chronology.Target{Name: name, Level: i + 1})
	}
	c.Full = cube(0)
	for d := range 20 {
		c.Draws = append(c.Draws, cube(0.001*float64(d-10)))
	}
	return c
}

func TestChronologyFigures(t *testing.T) {
	c := toyCurves()
	fig, err := ChronologyCurves([]ChronologyRun{{Label: "seed 1", Width: 0.25, Params: 100, PerClass: 10, Domain: "cifar10", Curves: c}}, c)
	if err != nil {
		t.Fatal(err)
	}
	sum, err := ChronologySummary(c)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for name, f := range map[string]*Figure{"curves": fig, "summary": sum} {
		if _, err := f.Save(dir, name); err != nil {
			t.Fatal(err)
		}
		for _, ext := range []string{".svg", ".png", ".csv"} {
			if st, err := os.Stat(filepath.Join(dir, name+ext)); err != nil || st.Size() == 0 {
				t.Errorf("%s%s: %v", name, ext, err)
			}
		}
	}
	for _, col := range []string{"target", "step", "width", "params", "per_class", "domain"} {
		if !strings.Contains(strings.Join(fig.Header, ","), col) {
			t.Errorf("curves CSV lacks %s: %v", col, fig.Header)
		}
	}
	// The last layer (offset +0.01) is the best at every step: depth 1; half-life of s/(s+h)
	// reaching half its final gain lies between h/2 and h for these checkpoints.
	res := c.Analyze()
	for i, h := range []float64{2, 20, 200} {
		if v := res[i].HalfLife.Value; !(v > h/2 && v < 1.5*h) || res[i].Depth[3].Value != 1 {
			t.Errorf("target %d: half-life %v (h %v), depth %v", i, v, h, res[i].Depth[3].Value)
		}
	}
	if math.IsNaN(c.LevelTrend().Value) {
		t.Error("level trend NaN")
	}
}

func TestFactorsFigures(t *testing.T) {
	var obs []chronology.Obs
	for _, dom := range []string{"cifar10", "fashion-mnist"} {
		for i, w := range []float64{0.125, 0.25, 0.5} {
			for _, pc := range []int{20, 60, 180} {
				v := 0.1 + 0.01*float64(i) + 0.001*float64(pc)
				o := chronology.Obs{Width: w, Params: 1000 << (2 * i), PerClass: pc, Epochs: 2, Domain: dom, Seed: 1, Target: "mIT", Layer: "fc7.post", Value: v}
				for d := range 10 {
					o.Draws = append(o.Draws, v+0.001*float64(d-5))
				}
				obs = append(obs, o)
			}
		}
	}
	fig, err := FactorsFigure(obs, "spearman")
	if err != nil {
		t.Fatal(err)
	}
	coefs, err := chronology.Model(obs, 1)
	if err != nil {
		t.Fatal(err)
	}
	model, err := FactorsModel(coefs, chronology.Effects(obs, 1), "spearman")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if _, err := fig.Save(dir, "f"); err != nil {
		t.Fatal(err)
	}
	if _, err := model.Save(dir, "m"); err != nil {
		t.Fatal(err)
	}
	if len(fig.Rows) != len(obs) || len(fig.Panels) != 2 {
		t.Errorf("%d rows, %d panels", len(fig.Rows), len(fig.Panels))
	}
}
