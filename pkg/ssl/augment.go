// Package ssl is the contrastive self-supervised baseline of the granularity axis (issue 17):
// SimCLR (Chen, Kornblith, Norouzi and Hinton 2020, "A Simple Framework for Contrastive
// Learning of Visual Representations", ICML), the finest granularity, where every image is its
// own class. It provides the two-view augmentation (Augment, deterministic from a seed), a
// training data source yielding both views of each image (TwoViews), the NT-Xent loss (NTXent)
// and the objective that trains any registered architecture through train.Objective (SimCLR):
// a projection head on the architecture's penultimate tap, whose output is what NT-Xent sees,
// while the representation below the head is what features and evaluation read. LinearProbe
// scores frozen features with a logistic regression (pkg/cifar10h.FitReadout).
package ssl

import (
	"math"
	"math/rand/v2"
)

// Augment is SimCLR's augmentation of one view (Chen et al. 2020, appendix A; CIFAR-10 variant
// of appendix B.9: no blur, colour distortion of strength 0.5), as torchvision composes it:
// RandomResizedCrop(scale, ratio) resized back to the image size with bilinear interpolation,
// horizontal flip, ColorJitter(brightness, contrast, saturation, hue) with probability
// JitterProb (the four in a random order), RandomGrayscale(GrayProb).
type Augment struct {
	// MinScale, MaxScale bound the crop's area as a fraction of the image (0.08, 1).
	MinScale, MaxScale float64
	// MinRatio, MaxRatio bound the crop's aspect ratio w/h (3/4, 4/3), drawn log-uniformly.
	MinRatio, MaxRatio float64
	// FlipProb is the probability of a horizontal flip (0.5).
	FlipProb float64
	// Brightness, Contrast, Saturation: factors drawn from U(1-x, 1+x); Hue: a shift drawn
	// from U(-x, x) of the hue circle (0.4, 0.4, 0.4, 0.1).
	Brightness, Contrast, Saturation, Hue float64
	// JitterProb is the probability of the colour jitter (0.8); GrayProb of grey-scale (0.2).
	JitterProb, GrayProb float64
}

// DefaultAugment is SimCLR's CIFAR-10 augmentation with colour strength s = 0.5: jitter
// (0.8s, 0.8s, 0.8s, 0.2s) with p = 0.8, grey-scale with p = 0.2, crops of 8-100% of the area.
var DefaultAugment = Augment{MinScale: 0.08, MaxScale: 1, MinRatio: 3.0 / 4, MaxRatio: 4.0 / 3, FlipProb: 0.5,
	Brightness: 0.4, Contrast: 0.4, Saturation: 0.4, Hue: 0.1, JitterProb: 0.8, GrayProb: 0.2}

// grey is ITU-R 601-2 luma, torchvision's rgb_to_grayscale.
func grey(r, g, b float64) float64 { return 0.299*r + 0.587*g + 0.114*b }

// View writes one augmented view of img (h x w x 3 uint8, RGB) into dst (h*w*3 float32),
// normalised as (x - mean)/std per channel with x in [0, 1]. Every random draw comes from rng,
// so the view is a function of the generator's state.
func (a Augment) View(dst []float32, img []uint8, h, w int, mean, std [3]float64, rng *rand.Rand) {
	top, left, ch, cw := a.crop(h, w, rng)
	flip := rng.Float64() < a.FlipProb
	x := make([]float64, h*w*3)
	// Bilinear resize of the crop to h x w (half-pixel centres, edges clamped: PyTorch's
	// interpolate(mode="bilinear", align_corners=False)).
	sy, sx := float64(ch)/float64(h), float64(cw)/float64(w)
	for i := range h {
		fy := math.Max(0, (float64(i)+0.5)*sy-0.5)
		y0 := min(int(fy), ch-1)
		y1 := min(y0+1, ch-1)
		wy := fy - float64(y0)
		for j := range w {
			jj := j
			if flip {
				jj = w - 1 - j
			}
			fx := math.Max(0, (float64(jj)+0.5)*sx-0.5)
			x0 := min(int(fx), cw-1)
			x1 := min(x0+1, cw-1)
			wx := fx - float64(x0)
			for c := range 3 {
				p := func(y, xx int) float64 { return float64(img[((top+y)*w+left+xx)*3+c]) / 255 }
				v := (1-wy)*((1-wx)*p(y0, x0)+wx*p(y0, x1)) + wy*((1-wx)*p(y1, x0)+wx*p(y1, x1))
				x[(i*w+j)*3+c] = v
			}
		}
	}
	if rng.Float64() < a.JitterProb {
		a.jitter(x, rng)
	}
	if rng.Float64() < a.GrayProb {
		for p := 0; p < len(x); p += 3 {
			g := grey(x[p], x[p+1], x[p+2])
			x[p], x[p+1], x[p+2] = g, g, g
		}
	}
	for p := range x {
		c := p % 3
		dst[p] = float32((x[p] - mean[c]) / std[c])
	}
}

// crop draws torchvision's RandomResizedCrop.get_params: up to 10 tries of an area fraction
// and a log-uniform aspect ratio that fit, else the whole image clamped to the ratio bounds.
func (a Augment) crop(h, w int, rng *rand.Rand) (top, left, ch, cw int) {
	area := float64(h * w)
	lr0, lr1 := math.Log(a.MinRatio), math.Log(a.MaxRatio)
	for range 10 {
		target := area * (a.MinScale + (a.MaxScale-a.MinScale)*rng.Float64())
		ratio := math.Exp(lr0 + (lr1-lr0)*rng.Float64())
		cw = int(math.Round(math.Sqrt(target * ratio)))
		ch = int(math.Round(math.Sqrt(target / ratio)))
		if cw > 0 && cw <= w && ch > 0 && ch <= h {
			return rng.IntN(h - ch + 1), rng.IntN(w - cw + 1), ch, cw
		}
	}
	r := float64(w) / float64(h)
	switch {
	case r < a.MinRatio:
		cw, ch = w, int(math.Round(float64(w)/a.MinRatio))
	case r > a.MaxRatio:
		ch, cw = h, int(math.Round(float64(h)*a.MaxRatio))
	default:
		cw, ch = w, h
	}
	return (h - ch) / 2, (w - cw) / 2, ch, cw
}

// jitter applies brightness, contrast, saturation and hue (torchvision's tensor semantics,
// values clamped to [0, 1] after each) in a random order to x (h*w*3 values in [0, 1]).
func (a Augment) jitter(x []float64, rng *rand.Rand) {
	factor := func(s float64) float64 { return 1 - s + 2*s*rng.Float64() }
	b, c, s := factor(a.Brightness), factor(a.Contrast), factor(a.Saturation)
	hue := (2*rng.Float64() - 1) * a.Hue
	clamp := func(v float64) float64 { return math.Min(1, math.Max(0, v)) }
	for _, op := range rng.Perm(4) {
		switch op {
		case 0: // brightness: blend with black
			for p := range x {
				x[p] = clamp(b * x[p])
			}
		case 1: // contrast: blend with the mean grey level of the image
			m := 0.0
			for p := 0; p < len(x); p += 3 {
				m += grey(x[p], x[p+1], x[p+2])
			}
			m /= float64(len(x) / 3)
			for p := range x {
				x[p] = clamp(c*x[p] + (1-c)*m)
			}
		case 2: // saturation: blend with the pixel's grey level
			for p := 0; p < len(x); p += 3 {
				g := grey(x[p], x[p+1], x[p+2])
				for k := range 3 {
					x[p+k] = clamp(s*x[p+k] + (1-s)*g)
				}
			}
		case 3: // hue: rotate the hue in HSV space
			for p := 0; p < len(x); p += 3 {
				hh, ss, vv := rgbToHSV(x[p], x[p+1], x[p+2])
				hh = math.Mod(hh+hue+1, 1)
				x[p], x[p+1], x[p+2] = hsvToRGB(hh, ss, vv)
			}
		}
	}
}

// rgbToHSV maps r, g, b in [0, 1] to hue in [0, 1), saturation and value in [0, 1].
func rgbToHSV(r, g, b float64) (h, s, v float64) {
	mx, mn := math.Max(r, math.Max(g, b)), math.Min(r, math.Min(g, b))
	v = mx
	d := mx - mn
	if mx > 0 {
		s = d / mx
	}
	if d == 0 {
		return 0, s, v
	}
	switch mx {
	case r:
		h = (g - b) / d
	case g:
		h = 2 + (b-r)/d
	default:
		h = 4 + (r-g)/d
	}
	h = math.Mod(h/6+1, 1)
	return h, s, v
}

// hsvToRGB is the inverse of rgbToHSV.
func hsvToRGB(h, s, v float64) (r, g, b float64) {
	i := math.Floor(h * 6)
	f := h*6 - i
	p, q, t := v*(1-s), v*(1-s*f), v*(1-s*(1-f))
	switch int(i) % 6 {
	case 0:
		return v, t, p
	case 1:
		return q, v, p
	case 2:
		return p, v, t
	case 3:
		return p, q, v
	case 4:
		return t, p, v
	}
	return v, p, q
}
