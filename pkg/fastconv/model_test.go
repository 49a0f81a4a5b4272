package fastconv

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// TestSmallCNNMatchesStock compares a conv (+bias) / ReLU / max-pool / conv / global-pool block and
// its gradients (w.r.t. input, kernels and biases) between the plain go backend and fastconv. The
// sizes exceed minNativeSize so the native ReLU, ReLU-gradient, bias-add and bias-gradient paths run.
func TestSmallCNNMatchesStock(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	x := randTensor(rng, 4, 16, 16, 3)
	k1 := randTensor(rng, 3, 3, 3, 32)
	b1 := randTensor(rng, 32)
	k2 := randTensor(rng, 3, 3, 32, 16)
	fn := func(in []*graph.Node) []*graph.Node {
		x, k1, b1, k2 := in[0], in[1], in[2], in[3]
		y := graph.Convolve(x, k1).PadSame().Done()
		y = graph.Add(y, graph.ExpandLeftToRank(b1, 4))
		y = Relu(y)
		y = MaxPool2x2(y) // graph.MaxPool on fastconv, Reshape+ReduceMax on the plain backend.
		y = graph.Convolve(y, k2).PadSame().Strides(2).Done()
		y = Relu(y)
		p := GlobalAvgPool(y)
		r := graph.Sin(graph.IotaFull(p.Graph(), p.Shape()))
		loss := graph.ReduceAllSum(graph.Mul(p, r))
		grads := graph.Gradient(loss, x, k1, b1, k2)
		return append([]*graph.Node{y}, grads...)
	}
	plain, fast := runBoth(t, fn, x, k1, b1, k2)
	compareAll(t, []string{"y", "grad_x", "grad_k1", "grad_b1", "grad_k2"}, plain, fast)
}

// TestMaxVJP checks the replacement Max/Min gradient of vjp.go against its definition.
func TestMaxVJP(t *testing.T) {
	xs := []float32{-1, 0, 2, 3, -5, 1}
	ys := []float32{0, 0, 1, 4, -6, 1}
	exec, err := graph.NewExec(plainBackend, func(x, y *graph.Node) []*graph.Node {
		v := graph.IotaFull(x.Graph(), x.Shape())
		v = graph.AddScalar(v, 1)
		gMax := graph.Gradient(graph.ReduceAllSum(graph.Mul(graph.Max(x, y), v)), x, y)
		gMin := graph.Gradient(graph.ReduceAllSum(graph.Mul(graph.Min(x, y), v)), x, y)
		return append(gMax, gMin...)
	})
	must(err)
	outs, err := exec.Call(tensors.FromValue(xs), tensors.FromValue(ys))
	must(err)
	for i := range xs {
		v := float32(i + 1)
		var wantMaxX, wantMinX float32
		if xs[i] >= ys[i] {
			wantMaxX = v
		}
		if xs[i] <= ys[i] {
			wantMinX = v
		}
		got := []float32{
			tensors.MustCopyFlatData[float32](outs[0])[i], tensors.MustCopyFlatData[float32](outs[1])[i],
			tensors.MustCopyFlatData[float32](outs[2])[i], tensors.MustCopyFlatData[float32](outs[3])[i],
		}
		want := []float32{wantMaxX, v - wantMaxX, wantMinX, v - wantMinX}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("x=%g y=%g: got %v, want %v", xs[i], ys[i], got, want)
		}
	}
}

// TestDenseMatchesStock compares dense layers (x W, and the gradients x^T dy and dy W^T) between
// the plain go backend and the native GEMM path of fastconv.
func TestDenseMatchesStock(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	x := randTensor(rng, 70, 300)
	w1 := randTensor(rng, 300, 130)
	w2 := randTensor(rng, 130, 33)
	fn := func(in []*graph.Node) []*graph.Node {
		h := Relu(graph.MatMul(in[0], in[1]))
		y := graph.MatMul(h, in[2])
		r := graph.Sin(graph.IotaFull(y.Graph(), y.Shape()))
		grads := graph.Gradient(graph.ReduceAllSum(graph.Mul(y, r)), in[0], in[1], in[2])
		return append([]*graph.Node{y}, grads...)
	}
	plain, fast := runBoth(t, fn, x, w1, w2)
	compareAll(t, []string{"y", "grad_x", "grad_w1", "grad_w2"}, plain, fast)
}

// TestElementwiseMatchesStock covers the native elementwise paths (same shape and scalar operands).
func TestElementwiseMatchesStock(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	x := randTensor(rng, 200, 201)
	y := randTensor(rng, 200, 201)
	s := randTensor(rng) // scalar
	fn := func(in []*graph.Node) []*graph.Node {
		x, y, s := in[0], in[1], in[2]
		ax := graph.Abs(x)
		return []*graph.Node{
			graph.Add(x, y), graph.Sub(x, y), graph.Mul(x, y), graph.Div(x, graph.AddScalar(graph.Abs(y), 1)),
			graph.Mul(s, x), graph.Sub(x, s), graph.Div(s, graph.AddScalar(ax, 1)), graph.Sqrt(ax),
		}
	}
	plain, fast := runBoth(t, fn, x, y, s)
	compareAll(t, []string{"add", "sub", "mul", "div", "mul_s", "sub_s", "s_div", "sqrt"}, plain, fast)
}

// TestTransposeMatchesStock covers the native transposes.
func TestTransposeMatchesStock(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 18))
	x2 := randTensor(rng, 300, 170)
	x4 := randTensor(rng, 6, 20, 30, 17)
	fn := func(in []*graph.Node) []*graph.Node {
		return []*graph.Node{
			graph.Transpose(in[0], 0, 1),
			graph.TransposeAllAxes(in[1], 3, 1, 0, 2),
			graph.TransposeAllAxes(in[1], 1, 2, 0, 3),
			graph.TransposeAllAxes(in[1], 0, 3, 2, 1),
		}
	}
	plain, fast := runBoth(t, fn, x2, x4)
	compareAll(t, []string{"t2", "t3102", "t1203", "t0321"}, plain, fast)
}

// TestRowBroadcastMatchesStock covers x op [1,1,1,C] and [C]-broadcast operands.
func TestRowBroadcastMatchesStock(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	x := randTensor(rng, 8, 16, 16, 24)
	r := randTensor(rng, 24)
	fn := func(in []*graph.Node) []*graph.Node {
		x, r := in[0], in[1]
		r4 := graph.Reshape(r, 1, 1, 1, 24)
		rb := graph.BroadcastToShape(r4, x.Shape())
		pos := graph.AddScalar(graph.Abs(r4), 1)
		return []*graph.Node{graph.Sub(x, r4), graph.Mul(r4, x), graph.Div(x, pos), graph.Div(pos, graph.AddScalar(graph.Abs(x), 1)),
			graph.Sub(rb, x), graph.Add(x, r4)}
	}
	plain, fast := runBoth(t, fn, x, r)
	compareAll(t, []string{"sub", "mul", "div", "rdiv", "sub_b", "add"}, plain, fast)
}

// TestBroadcastMatchesStock covers the native BroadcastInDim (scalar, [C] on the last axis,
// [1,1,1,C] and [B,1,1,C]) as outputs, and broadcast scalars and rows as elementwise operands.
func TestBroadcastMatchesStock(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 24))
	x := randTensor(rng, 8, 16, 16, 24)
	r := randTensor(rng, 24)
	bc := randTensor(rng, 8, 1, 1, 24)
	s := randTensor(rng)
	fn := func(in []*graph.Node) []*graph.Node {
		x, r, bc, s := in[0], in[1], in[2], in[3]
		shape := x.Shape()
		sb := graph.BroadcastToShape(s, shape)
		r4 := graph.BroadcastToShape(graph.Reshape(r, 1, 1, 1, 24), shape)
		return []*graph.Node{
			sb, graph.ExpandAndBroadcast(r, shape.Dimensions, []int{0, 1, 2}), r4, graph.BroadcastToShape(bc, shape),
			graph.Mul(x, sb), graph.Sub(sb, x), graph.Mul(x, r4), graph.Sub(r4, x),
		}
	}
	plain, fast := runBoth(t, fn, x, r, bc, s)
	compareAll(t, []string{"scalar", "row", "row4", "batch-row", "mul_s", "s_sub", "mul_r", "r_sub"}, plain, fast)
}
