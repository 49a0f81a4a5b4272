package arch

import "fmt"

// AlexNetLayers are the hidden layers of AlexNetBN in network order.
var AlexNetLayers = []string{"conv1", "conv2", "conv3", "conv4", "conv5", "fc6", "fc7"}

// AlexNetBN is the study's AlexNet-style CNN with batch norm (pkg/models builds it): 14 taps,
// "<layer>.pre" (after batch norm, before ReLU) and "<layer>.post" (after ReLU) for each of
// AlexNetLayers; geometries for 32, 64 and 224 pixels (models.AlexNetGeometryFor). Widths from
// AlexNetMinWidth to AlexNetMaxWidth.
var AlexNetBN = &Arch{
	Name:        "alexnet-bn",
	Summary:     "AlexNet-style CNN with batch norm (5 conv + 2 FC); input 32, 64 (CPU) or 224",
	Width:       true,
	MinWidth:    AlexNetMinWidth,
	MaxWidth:    AlexNetMaxWidth,
	InputSizes:  []int{32, 64, 224},
	Penultimate: "fc7.post",
	Taps: func(Params) []string {
		names := make([]string, 0, 2*len(AlexNetLayers))
		for _, l := range AlexNetLayers {
			names = append(names, l+".pre", l+".post")
		}
		return names
	},
}

// Width bounds of AlexNetBN. At width w a layer of c channels at width 1 has max(1, round(c*w))
// (pkg/models): below 1/128 conv1's 64 channels round to 0 and would be clamped to 1 without a
// word. At width 4 (convolutions 256-1536 channels, FC layers 16384 wide, about 450M parameters
// at 32 pixels) the network is already 7 times the paper's AlexNet; wider settings are taken for
// typos (25 for 0.25).
const (
	AlexNetMinWidth = 1.0 / 128
	AlexNetMaxWidth = 4
)

// ViTDepth is the number of transformer blocks of the default ViT (models.DefaultViT).
const ViTDepth = 4

// ViTPatch is the patch side of the default ViT at an input size: 4 below 64 pixels, 8 below
// 224, else 16.
func ViTPatch(inputSize int) int {
	switch {
	case inputSize >= 224:
		return 16
	case inputSize >= 64:
		return 8
	}
	return 4
}

// ViTTaps are the taps of a ViT of depth blocks: "embed", "block1".."blockN", "head.pre".
func ViTTaps(depth int) []string {
	names := []string{"embed"}
	for i := 1; i <= depth; i++ {
		names = append(names, fmt.Sprintf("block%d", i))
	}
	return append(names, "head.pre")
}

// ViT is the small vision transformer of pkg/models (the default: ViTDepth blocks, patch
// ViTPatch(input size), which must divide the input size). Width is ignored.
var ViT = &Arch{
	Name:        "vit",
	Summary:     "small vision transformer (4 blocks, width 128); input a multiple of its patch (4, 8 or 16)",
	Penultimate: "head.pre",
	CheckInput: func(size int) error {
		if p := ViTPatch(size); size%p != 0 {
			return fmt.Errorf("not a multiple of the patch size %d", p)
		}
		return nil
	},
	Taps: func(Params) []string { return ViTTaps(ViTDepth) },
}

// VGGBN is a small VGG-style CNN for 32x32 inputs (pkg/models/vgg.go builds it): five 3x3
// conv + batch norm + ReLU blocks, max pooling after blocks 1, 2 and 5, adaptive average pooling
// to 2x2, two hidden FC layers with batch norm, ReLU and dropout. Its taps have AlexNetBN's names
// ("conv1.pre" .. "fc7.post", 14 points), so the two architectures' layer profiles line up.
// Widths as AlexNetBN's bounds.
var VGGBN = &Arch{
	Name:        "vgg-bn",
	Summary:     "small VGG-style CNN with batch norm (5 conv 3x3 + 2 FC); input 32",
	Width:       true,
	MinWidth:    AlexNetMinWidth,
	MaxWidth:    AlexNetMaxWidth,
	InputSizes:  []int{32},
	Penultimate: "fc7.post",
	Taps:        AlexNetBN.Taps,
}

// ViTCIFARDepth, ViTCIFARPatch and ViTCIFARHeads fix the CIFAR-scale ViT (ViTCIFAR): 6 blocks,
// 4x4 patches (64 tokens at 32x32, plus the class token), 3 heads.
const (
	ViTCIFARDepth = 6
	ViTCIFARPatch = 4
	ViTCIFARHeads = 3
)

// ViTCIFARTaps are the taps of ViTCIFAR: "blockN.cls" (the class token) and "blockN.mean" (the
// mean of the patch tokens) of the residual stream after each block N = 1..ViTCIFARDepth, then
// "head.pre" (the class token after the final layer norm, the penultimate tap). Each is
// [batch, dim].
func ViTCIFARTaps() []string {
	var names []string
	for i := 1; i <= ViTCIFARDepth; i++ {
		names = append(names, fmt.Sprintf("block%d.cls", i), fmt.Sprintf("block%d.mean", i))
	}
	return append(names, "head.pre")
}

// ViTCIFAR is the CIFAR-scale vision transformer of pkg/models (issue 17): patch 4, width
// 192*Width (rounded to a multiple of the 3 heads), 6 pre-norm blocks, MLP 4x, learned position
// embeddings; input a multiple of 4 pixels (32 is its design).
var ViTCIFAR = &Arch{
	Name:        "vit-cifar",
	Summary:     "CIFAR-scale vision transformer (patch 4, width 192*width, 6 blocks, 3 heads, MLP 4x); input a multiple of 4",
	Width:       true,
	MinWidth:    1.0 / 64,
	MaxWidth:    4,
	Penultimate: "head.pre",
	CheckInput: func(size int) error {
		if size%ViTCIFARPatch != 0 {
			return fmt.Errorf("not a multiple of the patch size %d", ViTCIFARPatch)
		}
		return nil
	},
	Taps: func(Params) []string { return ViTCIFARTaps() },
}

func init() {
	Register(AlexNetBN)
	Register(ViT)
	Register(VGGBN)
	Register(ViTCIFAR)
}
