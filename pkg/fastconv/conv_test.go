package fastconv

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/coarsealign/coarsealign/pkg/fastconv/fastgo"
	"github.com/gomlx/compute"
	"github.com/gomlx/compute/gobackend"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/core/tensors/images"
)

// Tolerance for comparing against the stock go backend: both accumulate float32 sums of up to a
// few hundred products in different orders; we require max |a-b| <= 1e-4 * (1 + max |b|).
const relTol = 1e-4

var (
	plainBackend = func() compute.Backend { b, err := gobackend.New("parallelism=-1"); must(err); return b }()
	fastBackend  = func() compute.Backend { b, err := fastgo.New(""); must(err); return b }()
)

func must(err error) {
	if err != nil {
		panic(err)
	}
}

func randTensor(rng *rand.Rand, dims ...int) *tensors.Tensor {
	n := 1
	for _, d := range dims {
		n *= d
	}
	data := make([]float32, n)
	for i := range data {
		data[i] = float32(rng.NormFloat64())
	}
	return tensors.FromFlatDataAndDimensions(data, dims...)
}

// runOn executes fn on backend and returns the flat float32 outputs.
func runOn(t *testing.T, backend compute.Backend, fn func(inputs []*graph.Node) []*graph.Node, inputs ...*tensors.Tensor) [][]float32 {
	t.Helper()
	exec, err := graph.NewExec(backend, fn)
	if err != nil {
		t.Fatal(err)
	}
	args := make([]any, len(inputs))
	for i, in := range inputs {
		args[i] = clone(in)
	}
	outs, err := exec.Call(args...)
	if err != nil {
		t.Fatalf("backend %s: %+v", backend.Name(), err)
	}
	var flat [][]float32
	for _, o := range outs {
		flat = append(flat, tensors.MustCopyFlatData[float32](o))
	}
	return flat
}

// runBoth is runOn on the plain go backend and on fastgo.
func runBoth(t *testing.T, fn func(inputs []*graph.Node) []*graph.Node, inputs ...*tensors.Tensor) (plain, fast [][]float32) {
	t.Helper()
	return runOn(t, plainBackend, fn, inputs...), runOn(t, fastBackend, fn, inputs...)
}

func compareAll(t *testing.T, names []string, plain, fast [][]float32) {
	t.Helper()
	for i := range plain {
		if len(plain[i]) != len(fast[i]) {
			t.Fatalf("%s: sizes differ %d vs %d", names[i], len(plain[i]), len(fast[i]))
		}
		var maxAbs, maxDiff float64
		for j := range plain[i] {
			maxAbs = math.Max(maxAbs, math.Abs(float64(plain[i][j])))
			maxDiff = math.Max(maxDiff, math.Abs(float64(plain[i][j]-fast[i][j])))
		}
		// !(x <= tol) also fails on NaN, which math.Max propagates and a plain > would let pass.
		if !(maxDiff <= relTol*(1+maxAbs)) {
			t.Errorf("%s: max diff %g (max abs %g)", names[i], maxDiff, maxAbs)
		} else {
			t.Logf("%s: max diff %.3g (max abs %.3g)", names[i], maxDiff, maxAbs)
		}
	}
}

func TestConvMatchesStock(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	type cfg struct {
		b, h, w, cin, cout, k, stride int
		same                          bool
		channelsFirst                 bool
	}
	cases := []cfg{
		{2, 8, 8, 3, 4, 3, 1, true, false},
		{2, 7, 9, 5, 6, 3, 2, true, false},
		{3, 9, 8, 4, 3, 3, 2, false, false},
		{2, 10, 10, 3, 5, 5, 1, false, false},
		{1, 11, 11, 2, 4, 4, 3, true, false},
		{2, 6, 7, 3, 4, 1, 1, true, false},
		{2, 8, 8, 3, 4, 3, 1, true, true},
		{3, 8, 8, 5, 32, 3, 1, true, false}, // Cout multiple of 32: weight gradient reads the output gradient in place.
		{2, 9, 9, 4, 64, 3, 2, true, false},
		{2, 9, 9, 4, 32, 3, 2, false, true},
		{2, 9, 9, 3, 4, 3, 2, false, true},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%+v", c), func(t *testing.T) {
			var x *tensors.Tensor
			if c.channelsFirst {
				x = randTensor(rng, c.b, c.cin, c.h, c.w)
			} else {
				x = randTensor(rng, c.b, c.h, c.w, c.cin)
			}
			kernel := randTensor(rng, c.k, c.k, c.cin, c.cout)
			if c.channelsFirst {
				kernel = randTensor(rng, c.cout, c.cin, c.k, c.k) // [Cout, Cin, kh, kw]
			}
			fn := func(in []*graph.Node) []*graph.Node {
				conv := graph.Convolve(in[0], in[1]).Strides(c.stride)
				if c.channelsFirst {
					conv = conv.ChannelsAxis(images.ChannelsFirst)
				}
				if c.same {
					conv = conv.PadSame()
				} else {
					conv = conv.NoPadding()
				}
				y := conv.Done()
				// Random projection so every output position has a distinct weight.
				r := graph.Sin(graph.MulScalar(graph.Iota(y.Graph(), y.Shape(), 0), 0.7))
				r = graph.Add(r, graph.Cos(graph.MulScalar(graph.Iota(y.Graph(), y.Shape(), y.Rank()-1), 1.3)))
				r = graph.Add(r, graph.Sin(graph.MulScalar(graph.Iota(y.Graph(), y.Shape(), 1), 0.37)))
				loss := graph.ReduceAllSum(graph.Mul(y, r))
				grads := graph.Gradient(loss, in[0], in[1])
				return []*graph.Node{y, grads[0], grads[1]}
			}
			plain, fast := runBoth(t, fn, x, kernel)
			compareAll(t, []string{"conv", "grad_x", "grad_kernel"}, plain, fast)
		})
	}
}

func TestMaxPoolMatchesStock(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, c := range []struct{ b, h, w, c, win, stride int }{
		{2, 8, 8, 3, 2, 2}, {2, 9, 7, 4, 2, 2}, {1, 9, 9, 2, 3, 2}, {2, 6, 6, 5, 3, 3}, {2, 8, 8, 37, 2, 2},
	} {
		t.Run(fmt.Sprintf("%+v", c), func(t *testing.T) {
			x := randTensor(rng, c.b, c.h, c.w, c.c)
			fwd := func(in []*graph.Node) []*graph.Node {
				return []*graph.Node{graph.MaxPool(in[0]).Window(c.win).Strides(c.stride).Done()}
			}
			plain, fast := runBoth(t, fwd, x)
			compareAll(t, []string{"maxpool"}, plain, fast)
			// Gradient: the stock backend cannot compute it (no SelectAndScatterMax); compare with
			// the gradient of the Reshape+ReduceMax formulation when windows tile the input.
			if c.win == c.stride && c.h%c.win == 0 && c.w%c.win == 0 {
				gradFast := func(in []*graph.Node) []*graph.Node {
					y := graph.MaxPool(in[0]).Window(c.win).Strides(c.stride).Done()
					r := graph.Sin(graph.Iota(y.Graph(), y.Shape(), 1))
					return []*graph.Node{graph.Gradient(graph.ReduceAllSum(graph.Mul(y, r)), in[0])[0]}
				}
				gradRef := func(in []*graph.Node) []*graph.Node {
					x := in[0]
					y := graph.Reshape(x, c.b, c.h/c.win, c.win, c.w/c.win, c.win, c.c)
					y = graph.ReduceMax(y, 2, 4)
					r := graph.Sin(graph.Iota(y.Graph(), y.Shape(), 1))
					return []*graph.Node{graph.Gradient(graph.ReduceAllSum(graph.Mul(y, r)), in[0])[0]}
				}
				compareAll(t, []string{"maxpool_grad"}, runOn(t, plainBackend, gradRef, x), runOn(t, fastBackend, gradFast, x))
			}
		})
	}
}

func clone(t *tensors.Tensor) *tensors.Tensor {
	c, err := t.LocalClone()
	must(err)
	return c
}
