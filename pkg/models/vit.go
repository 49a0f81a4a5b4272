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

func init() {
	Register(Architecture{
		Arch:    arch.ViT,
		Default: func(k int, p arch.Params) Spec { return DefaultViT(k, p.InputSize) },
		Check:   checkViT,
		Taps:    func(s Spec) []string { return arch.ViTTaps(s.Depth) },
		Build:   buildViT,
	})
}

// checkViT validates the ViT fields of s.
func checkViT(s Spec) error {
	if s.PatchSize < 1 || s.InputSize < s.PatchSize || s.InputSize%s.PatchSize != 0 {
		return fmt.Errorf("models: spec input_size=%d is not a positive multiple of patch_size=%d", s.InputSize, s.PatchSize)
	}
	if s.Dim < 1 || s.Heads < 1 || s.Dim%s.Heads != 0 {
		return fmt.Errorf("models: spec dim=%d is not a positive multiple of heads=%d", s.Dim, s.Heads)
	}
	if s.Depth < 1 || s.MLPDim < 1 {
		return fmt.Errorf("models: spec depth=%d, mlp_dim=%d, want >= 1", s.Depth, s.MLPDim)
	}
	return nil
}

// vitInitStddev is the standard deviation of the class token and position embedding
// initialisation (timm's VisionTransformer uses trunc_normal(std=0.02)).
const vitInitStddev = 0.02

// patchify turns [B, H, W, C] into [B, (H/p)*(W/p), p*p*C] tokens, row-major over patches.
func patchify(x *graph.Node, p int) *graph.Node {
	d := x.Shape().Dimensions
	b, h, w, c := d[0], d[1]/p, d[2]/p, d[3]
	x = graph.Reshape(x, b, h, p, w, p, c)
	x = graph.TransposeAllAxes(x, 0, 1, 3, 2, 4, 5)
	return graph.Reshape(x, b, h*w, p*p*c)
}

func buildViT(scope *model.Scope, s Spec, x *graph.Node) (*graph.Node, []Tap) {
	g := x.Graph()
	dtype := x.DType()
	batch := x.Shape().Dimensions[0]
	tokens := patchify(x, s.PatchSize)
	numPatches := tokens.Shape().Dimensions[1]
	seq := numPatches + 1
	tokens = layers.Dense(scope.In("patch_embed"), tokens, true, s.Dim)
	init := initializer.RandomNormalFn(scope, vitInitStddev)
	cls := scope.In("cls").WithInitializer(init).VariableWithShape("token", shapes.Make(dtype, 1, 1, s.Dim)).NodeValue(g)
	pos := scope.In("pos").WithInitializer(init).VariableWithShape("embedding", shapes.Make(dtype, 1, seq, s.Dim)).NodeValue(g)
	cls = graph.BroadcastToDims(cls, batch, 1, s.Dim)
	h := graph.Add(graph.Concatenate([]*graph.Node{cls, tokens}, 1), pos)
	taps := []Tap{{Name: "embed", Node: h}}
	headDim := s.Dim / s.Heads
	for i := 1; i <= s.Depth; i++ {
		sc := scope.In("block%d", i)
		// Attention sub-block (pre-norm).
		a := norm.LayerNorm(sc.In("ln1"), h, -1).Done()
		q := graph.Reshape(layers.Dense(sc.In("q"), a, true, s.Dim), batch, seq, s.Heads, headDim)
		k := graph.Reshape(layers.Dense(sc.In("k"), a, true, s.Dim), batch, seq, s.Heads, headDim)
		v := graph.Reshape(layers.Dense(sc.In("v"), a, true, s.Dim), batch, seq, s.Heads, headDim)
		scores := graph.Einsum("bqhd,bkhd->bhqk", q, k)
		scores = graph.MulScalar(scores, 1/math.Sqrt(float64(headDim)))
		attn := graph.Softmax(scores, -1)
		out := graph.Einsum("bhqk,bkhd->bqhd", attn, v)
		out = layers.Dense(sc.In("proj"), graph.Reshape(out, batch, seq, s.Dim), true, s.Dim)
		out = layers.DropoutStatic(sc.In("drop1"), out, s.Dropout)
		h = graph.Add(h, out)
		// MLP sub-block (pre-norm).
		m := norm.LayerNorm(sc.In("ln2"), h, -1).Done()
		m = activation.Gelu(layers.Dense(sc.In("mlp1"), m, true, s.MLPDim))
		m = layers.Dense(sc.In("mlp2"), m, true, s.Dim)
		m = layers.DropoutStatic(sc.In("drop2"), m, s.Dropout)
		h = graph.Add(h, m)
		taps = append(taps, Tap{Name: fmt.Sprintf("block%d", i), Node: h})
	}
	h = norm.LayerNorm(scope.In("ln_final"), h, -1).Done()
	clsOut := graph.Reshape(graph.Slice(h, graph.AxisRange(), graph.AxisRange(0, 1)), batch, s.Dim)
	taps = append(taps, Tap{Name: "head.pre", Node: clsOut})
	logits := layers.Dense(scope.In("head"), clsOut, true, s.NumClasses)
	return logits, taps
}
