package models

import (
	"fmt"
	"math"

	"github.com/coarsealign/coarsealign/pkg/arch"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/layers"
	"github.com/gomlx/gomlx/ml/layers/activation"
	"github.com/gomlx/gomlx/ml/layers/norm"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/initializer"
)

// ViTCIFAR is the CIFAR-scale vision transformer (issue 17; arch.ViTCIFAR).
const ViTCIFAR Arch = "vit-cifar"

// vitLayerNormEpsilon is PyTorch's nn.LayerNorm default eps (GoMLX's default is 1e-3).
const vitLayerNormEpsilon = 1e-5

func init() {
	Register(Architecture{
		Arch:        arch.ViTCIFAR,
		Default:     func(k int, p arch.Params) Spec { return DefaultViTCIFAR(k, p.InputSize, p.Width) },
		Check:       checkViTCIFAR,
		Build:       buildViTCIFAR,
		TorchLayout: vitCIFARTorchLayout,
	})
}

// DefaultViTCIFAR returns the CIFAR-scale ViT for k classes at the given input size (32: 64
// patch tokens of 4x4 pixels, plus the class token) and width multiplier: token width
// 3*max(1, round(64*width)) (192 at width 1, 96 at 1/2), 3 heads, 6 pre-norm blocks, MLP 4x the
// token width, no dropout.
func DefaultViTCIFAR(k, inputSize int, width float64) Spec {
	dim := arch.ViTCIFARHeads * max(1, int(math.Round(64*width)))
	return Spec{Arch: ViTCIFAR, NumClasses: k, InputSize: inputSize, Channels: 3, Width: width,
		PatchSize: arch.ViTCIFARPatch, Dim: dim, Depth: arch.ViTCIFARDepth, Heads: arch.ViTCIFARHeads, MLPDim: 4 * dim}
}

// checkViTCIFAR validates the ViT fields of s; the depth is fixed (the taps name its blocks).
func checkViTCIFAR(s Spec) error {
	if err := checkViT(s); err != nil {
		return err
	}
	if s.Depth != arch.ViTCIFARDepth {
		return fmt.Errorf("models: spec depth=%d, %s has %d blocks", s.Depth, ViTCIFAR, arch.ViTCIFARDepth)
	}
	return nil
}

// vitDense is x [..., in] times a kernel "dense/weights" [in, out] plus "dense/biases" [out],
// both drawn as PyTorch's nn.Linear under InitTorch (see dense).
func vitDense(scope *model.Scope, s Spec, x *graph.Node, out int) *graph.Node {
	d := x.Shape().Dimensions
	in := d[len(d)-1]
	rows := x.Shape().Size() / in
	y := dense(scope, s, graph.Reshape(x, rows, in), out)
	return graph.Reshape(y, append(append([]int{}, d[:len(d)-1]...), out)...)
}

// vitLayerNorm is a layer norm over the last axis with PyTorch's eps; variables
// "layer_normalization/gain" (1) and "offset" (0).
func vitLayerNorm(scope *model.Scope, x *graph.Node) *graph.Node {
	return norm.LayerNorm(scope, x, -1).Epsilon(vitLayerNormEpsilon).Done()
}

// buildViTCIFAR: images [B, H, W, C] -> patch tokens [B, N, p*p*C] (row-major patches, each
// (py, px, c)), linear embedding to [B, N, D], class token prepended, position embedding added;
// Depth blocks h += proj(attn(LN(h))), h += mlp2(gelu(mlp1(LN(h)))); final LN; head on the
// class token. Taps per block: the class token and the mean patch token of h, [B, D].
func buildViTCIFAR(scope *model.Scope, s Spec, x *graph.Node) (*graph.Node, []Tap) {
	g := x.Graph()
	dtype := x.DType()
	batch := x.Shape().Dimensions[0]
	tokens := patchify(x, s.PatchSize)
	numPatches := tokens.Shape().Dimensions[1]
	seq := numPatches + 1
	tokens = vitDense(scope.In("patch_embed"), s, tokens, s.Dim)
	init := initializer.RandomNormalFn(scope, vitInitStddev)
	cls := scope.In("cls").WithInitializer(init).VariableWithShape("token", shapes.Make(dtype, 1, 1, s.Dim)).NodeValue(g)
	pos := scope.In("pos").WithInitializer(init).VariableWithShape("embedding", shapes.Make(dtype, 1, seq, s.Dim)).NodeValue(g)
	cls = graph.BroadcastToDims(cls, batch, 1, s.Dim)
	h := graph.Add(graph.Concatenate([]*graph.Node{cls, tokens}, 1), pos)
	headDim := s.Dim / s.Heads
	var taps []Tap
	for i := 1; i <= s.Depth; i++ {
		sc := scope.In("block%d", i)
		a := vitLayerNorm(sc.In("ln1"), h)
		split := func(n *graph.Node) *graph.Node { // [B, S, D] -> [B, heads, S, headDim]
			return graph.TransposeAllAxes(graph.Reshape(n, batch, seq, s.Heads, headDim), 0, 2, 1, 3)
		}
		q := split(vitDense(sc.In("q"), s, a, s.Dim))
		k := split(vitDense(sc.In("k"), s, a, s.Dim))
		v := split(vitDense(sc.In("v"), s, a, s.Dim))
		scores := graph.MulScalar(graph.Einsum("bhqd,bhkd->bhqk", q, k), 1/math.Sqrt(float64(headDim)))
		out := graph.Einsum("bhqk,bhkd->bhqd", graph.Softmax(scores, -1), v)
		out = graph.Reshape(graph.TransposeAllAxes(out, 0, 2, 1, 3), batch, seq, s.Dim)
		out = layers.DropoutStatic(sc.In("drop1"), vitDense(sc.In("proj"), s, out, s.Dim), s.Dropout)
		h = graph.Add(h, out)
		m := vitLayerNorm(sc.In("ln2"), h)
		m = activation.Gelu(vitDense(sc.In("mlp1"), s, m, s.MLPDim)) // exact (erf) GELU, as nn.GELU()
		m = layers.DropoutStatic(sc.In("drop2"), vitDense(sc.In("mlp2"), s, m, s.Dim), s.Dropout)
		h = graph.Add(h, m)
		clsTok := graph.Reshape(graph.Slice(h, graph.AxisRange(), graph.AxisRange(0, 1)), batch, s.Dim)
		mean := graph.ReduceMean(graph.Slice(h, graph.AxisRange(), graph.AxisRange(1, seq)), 1)
		taps = append(taps, Tap{Name: fmt.Sprintf("block%d.cls", i), Node: clsTok}, Tap{Name: fmt.Sprintf("block%d.mean", i), Node: mean})
	}
	h = vitLayerNorm(scope.In("ln_final"), h)
	clsOut := graph.Reshape(graph.Slice(h, graph.AxisRange(), graph.AxisRange(0, 1)), batch, s.Dim)
	taps = append(taps, Tap{Name: "head.pre", Node: clsOut})
	return dense(scope.In("head"), s, clsOut, s.NumClasses), taps
}

// vitCIFARTorchLayout lists the state_dict entries of bench/parity/torch_vit.py's ViT and
// their variables:
//
//	patch_embed.weight [D, p*p*C], <linear>.weight [out, in] -> <scope>/dense/weights [in, out]
//	<linear>.bias [out]                                     -> <scope>/dense/biases
//	cls [1, 1, D], pos [1, N+1, D]                          -> /model/cls/token, /model/pos/embedding
//	<ln>.weight, <ln>.bias [D]                              -> <scope>/layer_normalization/{gain, offset}
//
// with linears patch_embed, blockN.{q,k,v,proj,mlp1,mlp2}, head and layer norms blockN.{ln1,ln2},
// ln_final. The twin patchifies NHWC images in the same (py, px, c) order, so no permutation.
func vitCIFARTorchLayout(s Spec) ([]TorchTensor, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	root := "/" + ModelScope + "/"
	var out []TorchTensor
	linear := func(key, scope string, in, o int) {
		out = append(out,
			TorchTensor{Key: key + ".weight", Path: root + scope + "/dense/weights", Torch: []int{o, in}, Shape: []int{in, o},
				convert: linearToDense(o, in, identityIndex)},
			TorchTensor{Key: key + ".bias", Path: root + scope + "/dense/biases", Torch: []int{o}, Shape: []int{o}, convert: identity})
	}
	ln := func(key, scope string) {
		out = append(out,
			TorchTensor{Key: key + ".weight", Path: root + scope + "/layer_normalization/gain", Torch: []int{s.Dim}, Shape: []int{s.Dim}, convert: identity},
			TorchTensor{Key: key + ".bias", Path: root + scope + "/layer_normalization/offset", Torch: []int{s.Dim}, Shape: []int{s.Dim}, convert: identity})
	}
	seq := (s.InputSize/s.PatchSize)*(s.InputSize/s.PatchSize) + 1
	linear("patch_embed", "patch_embed", s.PatchSize*s.PatchSize*s.Channels, s.Dim)
	out = append(out,
		TorchTensor{Key: "cls", Path: root + "cls/token", Torch: []int{1, 1, s.Dim}, Shape: []int{1, 1, s.Dim}, convert: identity},
		TorchTensor{Key: "pos", Path: root + "pos/embedding", Torch: []int{1, seq, s.Dim}, Shape: []int{1, seq, s.Dim}, convert: identity})
	for i := 1; i <= s.Depth; i++ {
		b := fmt.Sprintf("block%d", i)
		ln(b+".ln1", b+"/ln1")
		for _, l := range []string{"q", "k", "v", "proj"} {
			linear(b+"."+l, b+"/"+l, s.Dim, s.Dim)
		}
		ln(b+".ln2", b+"/ln2")
		linear(b+".mlp1", b+"/mlp1", s.Dim, s.MLPDim)
		linear(b+".mlp2", b+"/mlp2", s.MLPDim, s.Dim)
	}
	ln("ln_final", "ln_final")
	linear("head", "head", s.Dim, s.NumClasses)
	return out, nil
}
