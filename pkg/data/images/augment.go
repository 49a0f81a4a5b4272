package images

import (
	"math"
	"math/rand/v2"
)

// Fill says which value rotation gives to pixels that come from outside the image.
type Fill int

const (
	// FillBlack fills with black (pixel value 0 before normalisation), as
	// torchvision's RandomRotation does by default.
	FillBlack Fill = iota
	// FillMean fills with the per-channel data-set mean (0 after normalisation).
	FillMean
)

// Augment describes random training-time augmentation.
type Augment struct {
	// FlipProb is the probability of a horizontal (left-right) flip.
	FlipProb float64
	// MaxRotateDeg: each image is rotated by an angle drawn uniformly from
	// [-MaxRotateDeg, +MaxRotateDeg] degrees (counter-clockwise positive) about
	// its centre, with bilinear interpolation. 0 disables rotation.
	MaxRotateDeg float64
	// Fill is the value of pixels rotated in from outside the image.
	Fill Fill
}

// StudyAugment is the augmentation of the study (methods.md §1): horizontal
// flips with p = 0.5 and rotations within ±10 degrees, filled with black.
var StudyAugment = Augment{FlipProb: 0.5, MaxRotateDeg: 10, Fill: FillBlack}

// normalise writes (img/255 - mean)/std into dst (h*w*3 values) without augmentation.
func normalise(dst []float32, img []uint8, st *Stats) {
	var scale, shift [3]float32
	for c := 0; c < 3; c++ {
		scale[c] = float32(1 / (255 * st.Std[c]))
		shift[c] = float32(st.Mean[c] / st.Std[c])
	}
	for p := 0; p < len(img); p += 3 {
		dst[p] = float32(img[p])*scale[0] - shift[0]
		dst[p+1] = float32(img[p+1])*scale[1] - shift[1]
		dst[p+2] = float32(img[p+2])*scale[2] - shift[2]
	}
}

// augmentInto writes the augmented, normalised image into dst. The random
// draws, in order: flip (one Float64), angle (one Float64) — so the draws do not
// depend on the image content.
func augmentInto(dst []float32, img []uint8, h, w int, st *Stats, a *Augment, rng *rand.Rand) {
	flip := rng.Float64() < a.FlipProb
	angle := 0.0
	if a.MaxRotateDeg > 0 {
		angle = (2*rng.Float64() - 1) * a.MaxRotateDeg
	}
	transform(dst, img, h, w, st, a.Fill, flip, angle)
}

// transform writes the normalised image, flipped left-right if flip, then
// rotated by angle degrees (counter-clockwise) about its centre, into dst.
func transform(dst []float32, img []uint8, h, w int, st *Stats, fillMode Fill, flip bool, angle float64) {
	if angle == 0 && !flip {
		normalise(dst, img, st)
		return
	}
	var fill [3]float32 // in pixel units 0..255
	if fillMode == FillMean {
		for c := 0; c < 3; c++ {
			fill[c] = float32(st.Mean[c] * 255)
		}
	}
	var scale, shift [3]float32
	for c := 0; c < 3; c++ {
		scale[c] = float32(1 / (255 * st.Std[c]))
		shift[c] = float32(st.Mean[c] / st.Std[c])
	}
	// Output pixel (x, y) samples the flipped source at the inverse rotation of
	// (x, y) about the centre ((w-1)/2, (h-1)/2). With y pointing down, a
	// counter-clockwise rotation by theta on screen maps source (u, v) to
	// (cx + c*(u-cx) + s*(v-cy), cy - s*(u-cx) + c*(v-cy)); its inverse is below.
	th := angle * math.Pi / 180
	cs, sn := float32(math.Cos(th)), float32(math.Sin(th))
	cx, cy := float32(w-1)/2, float32(h-1)/2
	at := func(x, y, c int) float32 {
		if x < 0 || x >= w || y < 0 || y >= h {
			return fill[c]
		}
		if flip {
			x = w - 1 - x
		}
		return float32(img[(y*w+x)*3+c])
	}
	for y := 0; y < h; y++ {
		dy := float32(y) - cy
		for x := 0; x < w; x++ {
			dx := float32(x) - cx
			u := cx + cs*dx - sn*dy
			v := cy + sn*dx + cs*dy
			fu, fv := float32(math.Floor(float64(u))), float32(math.Floor(float64(v)))
			x0, y0 := int(fu), int(fv)
			ax, ay := u-fu, v-fv
			o := dst[(y*w+x)*3 : (y*w+x)*3+3]
			for c := 0; c < 3; c++ {
				val := (1-ay)*((1-ax)*at(x0, y0, c)+ax*at(x0+1, y0, c)) +
					ay*((1-ax)*at(x0, y0+1, c)+ax*at(x0+1, y0+1, c))
				o[c] = val*scale[c] - shift[c]
			}
		}
	}
}
