package fastconv

import (
	"fmt"
	"io"

	"github.com/coarsealign/coarsealign/internal/gemm"
	"github.com/coarsealign/coarsealign/pkg/fastconv/fastgo"
	"github.com/coarsealign/coarsealign/pkg/fastconv/kernels"
	"github.com/gomlx/compute"
	"github.com/gomlx/compute/gobackend"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors/images"
	"github.com/gomlx/gomlx/ml/layers"
	"github.com/gomlx/gomlx/ml/model"
)

// ConvOption configures Conv2D.
type ConvOption func(*convConfig)

type convConfig struct {
	stride  int
	same    bool
	bias    bool
	dilated int
}

// Stride sets the convolution stride (same on both spatial axes; default 1).
func Stride(s int) ConvOption { return func(c *convConfig) { c.stride = s } }

// Valid disables padding ("valid" convolution); the default pads so that stride 1 keeps H and W.
func Valid() ConvOption { return func(c *convConfig) { c.same = false } }

// NoBias disables the bias term (e.g. before batch normalization).
func NoBias() ConvOption { return func(c *convConfig) { c.bias = false } }

// Conv2D is a 2D convolution layer: x is [batch, H, W, Cin] (channels last, float32) and the
// result is [batch, H', W', outChannels] with H' = ceil(H/stride) when padded ("same", default) or
// (H-kernel)/stride+1 with Valid(). It is layers.Convolution (variables "conv/weights" shaped
// [kernel, kernel, Cin, outChannels] and "conv/biases" [outChannels] in a sub-scope), so checkpoints
// and the graph are the standard GoMLX ones and run on any backend; on the fastgo backend the
// convolution and both of its gradients run as im2col + SIMD matmul.
func Conv2D(scope *model.Scope, x *graph.Node, outChannels, kernel int, opts ...ConvOption) *graph.Node {
	cfg := convConfig{stride: 1, same: true, bias: true}
	for _, o := range opts {
		o(&cfg)
	}
	conv := layers.Convolution(scope, x).Channels(outChannels).KernelSize(kernel).Strides(cfg.stride).UseBias(cfg.bias)
	if cfg.same {
		conv = conv.PadSame()
	} else {
		conv = conv.NoPadding()
	}
	return conv.Done()
}

// MaxPool2x2 is a 2x2 max pooling with stride 2 over [batch, H, W, C]; the result is
// [batch, H/2, W/2, C] (odd trailing rows/columns are dropped).
func MaxPool2x2(x *graph.Node) *graph.Node {
	return MaxPool(x, 2, 2)
}

// MaxPool is a window x window max pooling with the given stride over [batch, H, W, C], no padding:
// the result is [batch, (H-window)/stride+1, (W-window)/stride+1, C]. On backends that can
// differentiate graph.MaxPool (SelectAndScatterMax and ReduceWindow: XLA, the fastgo wrapper) it
// is graph.MaxPool; otherwise (the plain go backend) non-overlapping pools are built from
// Reshape + ReduceMax, which differentiate everywhere, and overlapping ones panic.
func MaxPool(x *graph.Node, window, stride int) *graph.Node {
	ops := x.Graph().Backend().Capabilities().Operations
	if ops[compute.OpTypeSelectAndScatterMax] && ops[compute.OpTypeReduceWindow] {
		return graph.MaxPool(x).ChannelsAxis(images.ChannelsLast).Window(window).Strides(stride).NoPadding().Done()
	}
	if window != stride {
		panic(fmt.Sprintf("fastconv.MaxPool: overlapping max pool (window %d, stride %d) needs a backend with SelectAndScatterMax (XLA or fastgo)", window, stride))
	}
	d := x.Shape().Dimensions
	b, h, w, c := d[0], d[1]/window, d[2]/window, d[3]
	if h*window != d[1] || w*window != d[2] {
		x = graph.Slice(x, graph.AxisRange(), graph.AxisRange(0, h*window), graph.AxisRange(0, w*window))
	}
	return graph.ReduceMax(graph.Reshape(x, b, h, window, w, window, c), 2, 4)
}

// GlobalAvgPool averages [batch, H, W, C] over H and W: the result is [batch, C].
func GlobalAvgPool(x *graph.Node) *graph.Node {
	return graph.ReduceMean(x, 1, 2)
}

// AdaptiveAvgPool averages [batch, H, W, C] to [batch, out, out, C] like PyTorch's
// AdaptiveAvgPool2d when H and W are multiples of out; otherwise it uses PyTorch's bins
// (start = floor(i*H/out), end = ceil((i+1)*H/out)), built from slices and means.
func AdaptiveAvgPool(x *graph.Node, out int) *graph.Node {
	d := x.Shape().Dimensions
	b, h, w, c := d[0], d[1], d[2], d[3]
	if h%out == 0 && w%out == 0 {
		return graph.ReduceMean(graph.Reshape(x, b, out, h/out, out, w/out, c), 2, 4)
	}
	rows := make([]*graph.Node, out)
	for i := range out {
		h0, h1 := i*h/out, ((i+1)*h+out-1)/out
		cols := make([]*graph.Node, out)
		for j := range out {
			w0, w1 := j*w/out, ((j+1)*w+out-1)/out
			cell := graph.Slice(x, graph.AxisRange(), graph.AxisRange(h0, h1), graph.AxisRange(w0, w1))
			cols[j] = graph.ReduceAndKeep(cell, graph.ReduceMean, 1, 2)
		}
		rows[i] = graph.Concatenate(cols, 2)
	}
	return graph.Concatenate(rows, 1)
}

// Relu is max(x, 0).
func Relu(x *graph.Node) *graph.Node { return graph.Max(x, graph.ZerosLike(x)) }

// WarnIfNoSIMD writes a one-line warning to w if the binary was built without GOEXPERIMENT=simd
// (the pure-Go backend's matmul then runs scalar code, about 2.5x slower training) or if the GEMM
// of the native kernels has no SIMD micro-kernel here (not amd64, or no AVX2+FMA).
func WarnIfNoSIMD(w io.Writer) {
	switch {
	case !BuiltWithSIMD:
		fmt.Fprintln(w, "warning: built without GOEXPERIMENT=simd: pure-Go matmul runs scalar code (~2.5x slower); rebuild with GOEXPERIMENT=simd")
	case gemm.Kernel() == "go":
		fmt.Fprintln(w, "warning: no AVX2+FMA or AVX-512 kernel for this CPU: fastconv's convolutions run scalar Go code (several times slower)")
	}
}

// BackendInfo is a short description of the backend for logs, e.g. "fastgo (simd, gemm avx2)".
func BackendInfo(b compute.Backend) string {
	s := b.Name()
	switch {
	case fastgo.IsFast(b) && BuiltWithSIMD:
		s += " (simd, gemm " + gemm.Kernel() + ", elementwise " + kernels.VectorLevel() + ")"
	case fastgo.IsFast(b) || b.String() == gobackend.BackendName:
		if BuiltWithSIMD {
			s += " (simd)"
		} else {
			s += " (no simd)"
		}
	}
	return s
}
