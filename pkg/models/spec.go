// Package models builds the vision networks of the study as GoMLX graphs with named layer taps.
//
// Architectures are registered (Register: a description from package arch and a builder), and a
// JSON-serialisable Spec names one and holds its settings. Three are built in:
//
//   - AlexNetBN: the study's AlexNet-style CNN with batch norm (5 conv + 2 FC hidden layers, ReLU,
//     max pooling after conv1, conv2 and conv5, dropout before the FC layers, adaptive average
//     pooling to 3x3, K outputs). Channel counts follow torchvision's AlexNet (64, 192, 384, 256,
//     256; FC 4096) times Spec.Width. Three input geometries (see AlexNetGeometry): 224 (the
//     original AlexNet, for GPUs) and the CPU variants 64 and 32 with small kernels and strides.
//   - VGGBN: a small VGG-style CNN for 32x32 inputs (five 3x3 conv + batch norm + ReLU blocks,
//     channels VGGChannels times Spec.Width, max pooling after blocks 1, 2 and 5, adaptive average
//     pooling to 2x2, two hidden FC layers with batch norm, ReLU and dropout; AlexNetBN's taps).
//   - ViT: a small vision transformer (patch embedding, class token, learned position embedding,
//     Depth pre-norm transformer blocks, final layer norm, linear head on the class token).
//
// A new architecture is one file with one Register call (see Architecture).
//
// Build returns the logits and the taps, the activations at named points in network order:
// for AlexNetBN, "<layer>.pre" (after the linear op and batch norm, before ReLU) and
// "<layer>.post" (after ReLU, before pooling/dropout) for conv1..conv5, fc6, fc7: 14 points as
// in the study; for ViT, "embed" (patch tokens + position embedding), "block1".."blockN"
// (residual stream after each block, all tokens) and "head.pre" (the normalised class token).
//
// Images are NHWC float32, already normalised (see package train for the statistics).
// Convolutions and pooling go through package fastconv: standard GoMLX ops (so the same
// model runs on XLA), executed by native kernels on the fastconv wrapper of the pure-Go backend.
package models

import (
	"encoding/json"
	"fmt"
	"math"
	"os"

	"github.com/coarsealign/coarsealign/pkg/arch"
)

// Arch names a model architecture (a registered one: see Register and package arch).
type Arch string

const (
	// AlexNetBN is the study's AlexNet-style CNN with batch normalisation.
	AlexNetBN Arch = "alexnet-bn"
	// ViT is a small vision transformer.
	ViT Arch = "vit"
)

// Spec describes a model completely; it is stored as JSON in a run directory and is all that is
// needed (with the checkpoint) to rebuild the graph.
type Spec struct {
	Arch       Arch `json:"arch"`
	NumClasses int  `json:"num_classes"` // K, the number of outputs.
	InputSize  int  `json:"input_size"`  // height = width of the (square) input images, pixels.
	Channels   int  `json:"channels"`    // input channels (3 for RGB).

	// Width multiplies the AlexNet channel counts (64,192,384,256,256) and FC width (4096);
	// 1 is the original. Ignored by ViT.
	Width float64 `json:"width,omitempty"`
	// FCWidth, if > 0, overrides round(4096*Width) for the two hidden FC layers of AlexNetBN.
	FCWidth int `json:"fc_width,omitempty"`
	// Dropout is the dropout rate before each FC layer (AlexNetBN; study: 0.3) or inside the
	// transformer blocks (ViT).
	Dropout float64 `json:"dropout"`
	// Init is the weight initialisation: "torch" (PyTorch's defaults, the study's; also when
	// empty) or "he-normal" (GoMLX's default). See InitTorch.
	Init string `json:"init,omitempty"`
	// BNMomentum is the batch-norm moving-average momentum in GoMLX's convention
	// (new = m*old + (1-m)*batch); 0.9 equals PyTorch's default momentum=0.1.
	BNMomentum float64 `json:"bn_momentum,omitempty"`

	// ViT dimensions.
	PatchSize int `json:"patch_size,omitempty"` // pixels per patch side; InputSize must be a multiple.
	Dim       int `json:"dim,omitempty"`        // token (embedding) width.
	Depth     int `json:"depth,omitempty"`      // number of transformer blocks.
	Heads     int `json:"heads,omitempty"`      // attention heads; Dim must be a multiple.
	MLPDim    int `json:"mlp_dim,omitempty"`    // hidden width of the block MLP.
}

// DefaultAlexNetBN returns the study's AlexNetBN for k classes at the given input size
// (32, 64 or 224) and width multiplier.
func DefaultAlexNetBN(k, inputSize int, width float64) Spec {
	return Spec{Arch: AlexNetBN, NumClasses: k, InputSize: inputSize, Channels: 3, Width: width,
		Dropout: 0.3, BNMomentum: 0.9}
}

// DefaultViT returns a small ViT for k classes: patch 4 at 32x32 (8 at 64, 16 at 224), width 128,
// 4 blocks of 4 heads, MLP 256.
func DefaultViT(k, inputSize int) Spec {
	return Spec{Arch: ViT, NumClasses: k, InputSize: inputSize, Channels: 3, PatchSize: arch.ViTPatch(inputSize),
		Dim: 128, Depth: arch.ViTDepth, Heads: 4, MLPDim: 256, Dropout: 0}
}

// Validate reports the first inconsistent field of s: the common fields, then the
// architecture's (Architecture.Check).
func (s Spec) Validate() error {
	if s.NumClasses < 2 {
		return fmt.Errorf("models: spec num_classes=%d, want >= 2", s.NumClasses)
	}
	if s.Channels < 1 {
		return fmt.Errorf("models: spec channels=%d, want >= 1", s.Channels)
	}
	if s.Dropout < 0 || s.Dropout >= 1 || math.IsNaN(s.Dropout) {
		return fmt.Errorf("models: spec dropout=%g, want in [0,1)", s.Dropout)
	}
	if !arch.IsInit(s.initName()) {
		return fmt.Errorf("models: spec init=%q, want %q or %q", s.Init, InitTorch, InitHeNormal)
	}
	a, err := lookupSpec(s)
	if err != nil {
		return err
	}
	// A fixed list of input sizes binds every spec; a rule (arch.Arch.CheckInput) describes the
	// defaults, and a spec with other fields (a ViT's patch size) is judged by the
	// architecture's Check instead.
	if a.Arch.InputSizes != nil || a.Check == nil {
		if err := a.Arch.CheckInputSize(s.InputSize); err != nil {
			return fmt.Errorf("models: spec %w", err)
		}
	}
	if a.Check != nil {
		return a.Check(s)
	}
	return nil
}

// TapNames returns the names of the taps Build returns, in network order (nil for an unknown
// architecture).
func (s Spec) TapNames() []string {
	a, ok := Lookup(s.Arch)
	if !ok {
		return nil
	}
	if a.Taps != nil {
		return a.Taps(s)
	}
	return a.Arch.Taps(s.Params())
}

// Save writes s as indented JSON to path.
func (s Spec) Save(path string) error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// LoadSpec reads and validates a Spec written by Save.
func LoadSpec(path string) (Spec, error) {
	var s Spec
	b, err := os.ReadFile(path)
	if err != nil {
		return s, err
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return s, fmt.Errorf("models: %s: %w", path, err)
	}
	if err := s.Validate(); err != nil {
		return s, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}
