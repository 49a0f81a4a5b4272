package plots

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coarsealign/coarsealign/pkg/eval"
	"github.com/coarsealign/coarsealign/pkg/scenes"
	"github.com/coarsealign/coarsealign/pkg/spatial"
)

func TestSpatialFigures(t *testing.T) {
	models, layers := []string{"category", "xy", "xy-fixed"}, []string{"conv1.post", "fc7.post"}
	r := &spatial.Results{CKA: map[string][]spatial.CKARow{}}
	for i, m := range models {
		for j, l := range layers {
			r.Decode = append(r.Decode, spatial.DecodeRow{Model: m, Layer: l, Latent: "x", Metric: "r2", Value: 0.1 * float64(i+j)},
				spatial.DecodeRow{Model: m, Layer: l, Latent: "category", Metric: "accuracy", Value: 0.5})
		}
		r.Align = append(r.Align, spatial.AlignRow{Model: m, Row: eval.Row{Layer: "conv3.pre", Target: "mIT", Metric: "spearman", Value: 0.2, CILow: 0.1, CIHigh: 0.3, CeilLow: math.NaN(), CeilHigh: math.NaN(), Selected: true}})
	}
	for _, s := range spatial.CKASets {
		for a := range models {
			for b := a + 1; b < len(models); b++ {
				for _, l := range layers {
					r.CKA[s] = append(r.CKA[s], spatial.CKARow{ModelA: models[a], ModelB: models[b], Layer: l, LayerB: l, CKA: 0.5})
				}
			}
		}
	}
	for _, la := range layers {
		for _, lb := range layers {
			r.CKALayers = append(r.CKALayers, spatial.CKARow{ModelA: "category", ModelB: "xy", Layer: la, LayerB: lb, CKA: 0.3})
		}
	}
	names, figs, err := SpatialFigures(r)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, n := range names {
		if _, err := figs[n].Save(dir, n); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, "spatial_cka_linear-probe.csv"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	// One row per model pair (3) and layer (2), with the columns the issue names.
	if lines[0] != "model_a,model_b,layer,cka" || len(lines) != 1+3*2 {
		t.Errorf("CKA CSV header %q, %d rows", lines[0], len(lines)-1)
	}
	if len(names) != 7 {
		t.Errorf("figures %v", names)
	}
}

func TestScenesGrid(t *testing.T) {
	cfg := scenes.DefaultConfig()
	s, err := scenes.NewScene(cfg, "")
	if err != nil {
		t.Fatal(err)
	}
	pix, lat := s.RenderBatch(1, 0, 40, 2)
	f, err := ScenesGrid(pix, cfg.Size, lat, ImageGridOptions{PerClass: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Panels) != cfg.NumCategories() || len(f.Header) != 4+len(scenes.CSVHeader)-2 || len(f.Rows[0]) != len(f.Header) {
		t.Errorf("%d panels, header %v, row %v", len(f.Panels), f.Header, f.Rows[0])
	}
}
