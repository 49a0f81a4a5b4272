package ssl

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/coarsealign/coarsealign/pkg/backend"
	"github.com/coarsealign/coarsealign/pkg/data/images"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// ntxentGraph evaluates NTXent on the backend.
func ntxentGraph(t *testing.T, z [][]float32, tau float64) (float64, float64) {
	t.Helper()
	b, err := backend.New()
	if err != nil {
		t.Fatal(err)
	}
	out, err := graph.CallOnceN(b, func(x *graph.Node) []*graph.Node {
		l, a := NTXent(x, tau)
		return []*graph.Node{l, a}
	}, tensors.FromValue(z))
	if err != nil {
		t.Fatal(err)
	}
	return float64(tensors.ToScalar[float32](out[0])), tensors.ToScalar[float64](out[1])
}

// TestNTXentHandComputed checks NT-Xent (Chen et al. 2020, equation 1: l(i,j) = -log exp(s_ij) /
// sum_{k != i} exp(s_ik), averaged over the 2N ordered positive pairs) on batches small enough
// to compute by hand.
func TestNTXentHandComputed(t *testing.T) {
	for _, c := range []struct {
		name string
		z    [][]float32
		tau  float64
		want float64
		acc  float64
	}{
		// N = 2, views identical: u = e1, e2, e1, e2. For every anchor the positive has s = 1/tau,
		// one negative s = 0 (orthogonal) and the other negative s = 0: at tau = 1
		// l = -log(e / (e + 2)) = log(e + 2) - 1 = 0.5514447139.
		{"orthogonal", [][]float32{{1, 0}, {0, 1}, {1, 0}, {0, 1}}, 1, math.Log(math.E+2) - 1, 1},
		// The same after scaling rows (NT-Xent normalises them) and at tau = 0.5:
		// l = log(e^2 + 2) - 2 = 0.2395087.
		{"scaled, tau 0.5", [][]float32{{3, 0}, {0, 0.5}, {2, 0}, {0, 7}}, 0.5, math.Log(math.Exp(2)+2) - 2, 1},
		// N = 1, views opposite: u1 = e1, u2 = -e1; each anchor's only other row is its positive:
		// l = -log(exp(-1)/exp(-1)) = 0 whatever their similarity.
		{"single pair", [][]float32{{1, 0}, {-1, 0}}, 1, 0, 1},
		// N = 2, swapped partners: u = e1, e2, e2, e1. Anchor 0's positive (row 2) has s = 0, its
		// negatives rows 1 (0) and 3 (1/tau = 1): l = -log(1 / (1 + 1 + e)) = log(2 + e) = 1.5514447;
		// the same for every anchor by symmetry; every nearest neighbour is a negative.
		{"swapped", [][]float32{{1, 0}, {0, 1}, {0, 1}, {1, 0}}, 1, math.Log(2 + math.E), 0},
	} {
		z64 := make([][]float64, len(c.z))
		for i, r := range c.z {
			for _, v := range r {
				z64[i] = append(z64[i], float64(v))
			}
		}
		if got := NTXentHost(z64, c.tau); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("%s: NTXentHost %.10f, by hand %.10f", c.name, got, c.want)
		}
		got, acc := ntxentGraph(t, c.z, c.tau)
		if math.Abs(got-c.want) > 1e-6 {
			t.Errorf("%s: NTXent %.8f, by hand %.8f", c.name, got, c.want)
		}
		if acc != c.acc {
			t.Errorf("%s: pair accuracy %g, want %g", c.name, acc, c.acc)
		}
	}
}

// TestNTXentMatchesHost: the graph's loss equals the float64 loop of the formula on random
// batches (N = 8, d = 5, several temperatures).
func TestNTXentMatchesHost(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tau := range []float64{0.1, 0.5, 2} {
		z := make([][]float32, 16)
		z64 := make([][]float64, 16)
		for i := range z {
			for range 5 {
				v := float32(rng.NormFloat64())
				z[i] = append(z[i], v)
				z64[i] = append(z64[i], float64(v))
			}
		}
		got, _ := ntxentGraph(t, z, tau)
		want := NTXentHost(z64, tau)
		if math.Abs(got-want) > 1e-5*math.Max(1, want) {
			t.Errorf("tau %g: NTXent %.7f, host %.7f", tau, got, want)
		}
	}
}

func toyDataset(n, h, w int) *images.Dataset {
	rng := rand.New(rand.NewPCG(3, 4))
	ds := &images.Dataset{N: n, H: h, W: w, Pix: make([]uint8, n*h*w*3), Labels: make([]int32, n), Classes: []string{"a", "b"}}
	for i := range ds.Pix {
		ds.Pix[i] = uint8(rng.IntN(256))
	}
	for i := range ds.Labels {
		ds.Labels[i] = int32(i % 2)
	}
	ds.Stats = images.Stats{Mean: [3]float64{0.5, 0.5, 0.5}, Std: [3]float64{0.25, 0.25, 0.25}}
	return ds
}

// TestTwoViewsDeterministic: the same seed gives the same views; another seed or epoch other
// views; each batch holds 2 x BatchSize views whose two halves differ; values stay in the
// normalised range of [0, 1] pixels; the last partial batch is dropped in training.
func TestTwoViewsDeterministic(t *testing.T) {
	ds := toyDataset(10, 8, 8)
	collect := func(seed uint64, epoch int) [][]float32 {
		d := &TwoViews{DS: ds, BatchSize: 4, Seed: seed}
		var out [][]float32
		for b, err := range d.Epoch(epoch) {
			if err != nil {
				t.Fatal(err)
			}
			if b.N != 8 || len(b.Images) != 8*8*8*3 || len(b.Labels) != 8 {
				t.Fatalf("batch of %d views, %d values", b.N, len(b.Images))
			}
			half := len(b.Images) / 2
			if slices.Equal(b.Images[:half], b.Images[half:]) {
				t.Error("the two views are identical")
			}
			for _, v := range b.Images {
				if v < -2-1e-6 || v > 2+1e-6 { // (x - 0.5)/0.25 with x in [0, 1]
					t.Fatalf("value %g outside the normalised range", v)
				}
			}
			out = append(out, b.Images)
		}
		return out
	}
	a, b := collect(1, 0), collect(1, 0)
	if len(a) != 2 {
		t.Fatalf("%d batches of 4 from 10 images, want 2", len(a))
	}
	for i := range a {
		if !slices.Equal(a[i], b[i]) {
			t.Error("same seed, different views")
		}
	}
	if c := collect(2, 0); slices.Equal(a[0], c[0]) {
		t.Error("another seed gave the same views")
	}
	if c := collect(1, 1); slices.Equal(a[0], c[0]) {
		t.Error("another epoch gave the same views")
	}
}

// TestAugmentIdentity: with no crop (scale 1, ratio 1), no flip, jitter or grey, a view is the
// normalised image; grey-scale alone gives equal channels; the colour-space round trip is exact.
func TestAugmentIdentity(t *testing.T) {
	ds := toyDataset(1, 6, 6)
	rng := rand.New(rand.NewPCG(5, 6))
	id := Augment{MinScale: 1, MaxScale: 1, MinRatio: 1, MaxRatio: 1}
	dst := make([]float32, 6*6*3)
	id.View(dst, ds.Image(0), 6, 6, ds.Stats.Mean, ds.Stats.Std, rng)
	for i, p := range ds.Image(0) {
		want := (float64(p)/255 - 0.5) / 0.25
		if math.Abs(float64(dst[i])-want) > 1e-5 {
			t.Fatalf("value %d: %g, want %g", i, dst[i], want)
		}
	}
	g := id
	g.GrayProb = 1
	g.View(dst, ds.Image(0), 6, 6, ds.Stats.Mean, ds.Stats.Std, rng)
	for p := 0; p < len(dst); p += 3 {
		if dst[p] != dst[p+1] || dst[p] != dst[p+2] {
			t.Fatalf("grey pixel %d: %v", p/3, dst[p:p+3])
		}
	}
	for range 1000 {
		r, gg, b := rng.Float64(), rng.Float64(), rng.Float64()
		h, s, v := rgbToHSV(r, gg, b)
		r2, g2, b2 := hsvToRGB(h, s, v)
		if math.Abs(r-r2)+math.Abs(gg-g2)+math.Abs(b-b2) > 1e-12 {
			t.Fatalf("HSV round trip of %v: %v", []float64{r, gg, b}, []float64{r2, g2, b2})
		}
	}
}
