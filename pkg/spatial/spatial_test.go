package spatial

import (
	"math"
	"testing"

	"github.com/coarsealign/coarsealign/pkg/scenes"
)

func TestFixedScene(t *testing.T) {
	c := scenes.DefaultConfig()
	f := FixedScene(c, TargetSet{Name: "xy", Latents: []string{"x", "y"}})
	if f.X != c.X || f.Y != c.Y || !f.Distance.Fixed() || !f.RotX.Fixed() || !f.LightAzimuth.Fixed() || len(f.Backgrounds) != 1 || !f.BgLevel.Fixed() {
		t.Errorf("%+v", f)
	}
	if math.Abs(f.Distance.Min-c.Distance.Mid()) > 0 {
		t.Errorf("distance fixed at %v, want the centre %v", f.Distance.Min, c.Distance.Mid())
	}
}
