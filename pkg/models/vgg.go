package models

import (
	"fmt"
	"math"

	"github.com/coarsealign/coarsealign/pkg/arch"
	"github.com/coarsealign/coarsealign/pkg/fastconv"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/layers"
	"github.com/gomlx/gomlx/ml/model"
)

// VGGBN is the small VGG-style CNN (arch.VGGBN).
const VGGBN Arch = "vgg-bn"

// VGGChannels are the five conv blocks' channel counts at width 1 (VGG-11's progression,
// Simonyan & Zisserman 2015, table 1 column A, without its last two 512-channel layers);
// Spec.Width scales them, as AlexNetBN's.
var VGGChannels = [5]int{64, 128, 256, 256, 512}

// VGGFC is the width of the two hidden FC layers at width 1 (Spec.FCWidth overrides it).
const VGGFC = 1024

// vggPoolAfter marks the blocks followed by a 2x2/2 max pool (blocks 1, 2 and 5: 32 -> 16 -> 8 -> 4).
var vggPoolAfter = [5]bool{true, true, false, false, true}

// vggAdaptive is the side of the adaptive average pool before the FC layers (4x4 -> 2x2).
const vggAdaptive = 2

func init() {
	Register(Architecture{
		Arch: arch.VGGBN,
		Default: func(k int, p arch.Params) Spec {
			return DefaultVGGBN(k, p.Width)
		},
		Check: checkVGGBN,
		Build: buildVGGBN,
	})
}

// DefaultVGGBN returns the small VGG for k classes at 32x32 and the width multiplier: channels
// round(VGGChannels*width), FC round(1024*width); dropout 0.3 and batch-norm momentum as
// AlexNetBN's (the study's recipe), PyTorch's initialisation (Spec.Init).
func DefaultVGGBN(k int, width float64) Spec {
	return Spec{Arch: VGGBN, NumClasses: k, InputSize: 32, Channels: 3, Width: width, Dropout: 0.3, BNMomentum: 0.9}
}

func checkVGGBN(s Spec) error {
	if !(s.Width > 0) || math.IsInf(s.Width, 0) {
		return fmt.Errorf("models: spec width=%g, want > 0", s.Width)
	}
	if s.BNMomentum < 0 || s.BNMomentum >= 1 {
		return fmt.Errorf("models: spec bn_momentum=%g, want in [0,1)", s.BNMomentum)
	}
	if s.FCWidth < 0 {
		return fmt.Errorf("models: spec fc_width=%d, want >= 0", s.FCWidth)
	}
	return nil
}

// VGGConvChannels returns the five conv widths of s (VGGBN).
func (s Spec) VGGConvChannels() [5]int { return s.scaledConv(VGGChannels) }

// VGGHiddenFC returns the width of fc6 and fc7 (VGGBN).
func (s Spec) VGGHiddenFC() int { return s.hiddenFC(VGGFC) }

// buildVGGBN: images [batch, 32, 32, C] -> logits [batch, K]; taps conv1..conv5, fc6, fc7, each
// ".pre" (after batch norm) and ".post" (after ReLU), as AlexNetBN. The conv and hidden FC layers
// have no bias (batch norm follows), the head has one; variables are named as AlexNetBN's
// ("conv1/conv/weights", "fc6/dense/weights", "fc8/dense/biases", "<layer>/bn/...").
func buildVGGBN(scope *model.Scope, s Spec, x *graph.Node) (*graph.Node, []Tap) {
	momentum := s.BNMomentum
	if momentum == 0 {
		momentum = 0.9
	}
	taps := make([]Tap, 0, 14)
	bnRelu := func(sc *model.Scope, name string, h *graph.Node) *graph.Node {
		h = batchNorm(sc.In("bn"), h, momentum)
		taps = append(taps, Tap{Name: name + ".pre", Node: h})
		h = fastconv.Relu(h)
		taps = append(taps, Tap{Name: name + ".post", Node: h})
		return h
	}
	chans := s.VGGConvChannels()
	for i := range chans {
		name := AlexNetLayers[i]
		sc := scope.In("%s", name)
		x = fastconv.Conv2D(sc, x, chans[i], 3, fastconv.NoBias())
		x = bnRelu(sc, name, x)
		if vggPoolAfter[i] {
			x = maxPool(x, 2, 2)
		}
	}
	x = fastconv.AdaptiveAvgPool(x, vggAdaptive)
	batch := x.Shape().Dimensions[0]
	x = graph.Reshape(x, batch, -1)
	fc := s.VGGHiddenFC()
	for _, name := range AlexNetLayers[5:] {
		sc := scope.In("%s", name)
		x = layers.DropoutStatic(sc, x, s.Dropout)
		x = denseNoBias(sc, x, fc)
		x = bnRelu(sc, name, x)
	}
	return dense(scope.In("fc8"), s, x, s.NumClasses), taps
}
