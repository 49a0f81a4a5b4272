package images

import (
	"image"
)

// libjpegRGB converts a decoded JPEG (Go's *image.YCbCr, chroma subsampled 4:2:0, 4:2:2 or
// 4:4:4) to RGB as libjpeg(-turbo) does by default, and so as PIL, torchvision and the study's
// code see JPEGs: chroma upsampled with libjpeg's "fancy" triangle filter (jdsample.c,
// h2v2_fancy_upsample and h2v1_fancy_upsample: 3/4 and 1/4 weights, edges replicated) and
// converted with its fixed-point tables (jdcolor.c, 16 fractional bits). Go's own conversion
// takes the nearest chroma sample, which moves CIFAR-10's pixels by 1.3 levels on average and up
// to 56 at colour edges. ok is false for other subsampling ratios (the caller then uses Go's).
// Remaining differences come from the two decoders' inverse DCTs (a level or two).
func libjpegRGB(m *image.YCbCr) (out *image.RGBA, ok bool) {
	var hs, vs int // horizontal and vertical chroma subsampling factors
	switch m.SubsampleRatio {
	case image.YCbCrSubsampleRatio444:
		hs, vs = 1, 1
	case image.YCbCrSubsampleRatio422:
		hs, vs = 2, 1
	case image.YCbCrSubsampleRatio420:
		hs, vs = 2, 2
	default:
		return nil, false
	}
	b := m.Bounds()
	w, h := b.Dx(), b.Dy()
	if w <= 0 || h <= 0 {
		return nil, false
	}
	cw, ch := (w+hs-1)/hs, (h+vs-1)/vs
	// Chroma planes relative to the image origin (Go's planes start at the subsampled Min).
	c0x, c0y := b.Min.X/hs-m.Rect.Min.X/hs, b.Min.Y/vs-m.Rect.Min.Y/vs
	chroma := func(plane []uint8, x, y int) int { return int(plane[(c0y+y)*m.CStride+c0x+x]) }
	out = image.NewRGBA(image.Rect(0, 0, w, h))
	cbRow, crRow := make([]int, 2*cw), make([]int, 2*cw)
	colSum := make([]int, cw)
	upsample := func(dst []int, plane []uint8, y int) {
		switch {
		case hs == 1:
			for x := range cw {
				dst[x] = chroma(plane, x, y/vs)
			}
		case vs == 1: // h2v1
			cy := y
			if cw == 1 {
				dst[0], dst[1] = chroma(plane, 0, cy), chroma(plane, 0, cy)
				return
			}
			for x := range cw {
				v := chroma(plane, x, cy)
				switch x {
				case 0:
					dst[0] = v
				default:
					dst[2*x] = (3*v + chroma(plane, x-1, cy) + 1) >> 2
				}
				switch x {
				case cw - 1:
					dst[2*x+1] = v
				default:
					dst[2*x+1] = (3*v + chroma(plane, x+1, cy) + 2) >> 2
				}
			}
		default: // h2v2
			cy := y / 2
			ny := cy - 1 // the nearer neighbouring chroma row
			if y%2 == 1 {
				ny = cy + 1
			}
			ny = min(max(ny, 0), ch-1)
			for x := range cw {
				colSum[x] = 3*chroma(plane, x, cy) + chroma(plane, x, ny)
			}
			if cw == 1 {
				dst[0], dst[1] = (colSum[0]*4+8)>>4, (colSum[0]*4+7)>>4
				return
			}
			for x := range cw {
				t := colSum[x]
				if x == 0 {
					dst[0] = (t*4 + 8) >> 4
				} else {
					dst[2*x] = (t*3 + colSum[x-1] + 8) >> 4
				}
				if x == cw-1 {
					dst[2*x+1] = (t*4 + 7) >> 4
				} else {
					dst[2*x+1] = (t*3 + colSum[x+1] + 7) >> 4
				}
			}
		}
	}
	for y := range h {
		upsample(cbRow, m.Cb, y)
		upsample(crRow, m.Cr, y)
		yRow := m.Y[(b.Min.Y-m.Rect.Min.Y+y)*m.YStride+b.Min.X-m.Rect.Min.X:]
		o := out.Pix[y*out.Stride:]
		for x := range w {
			yy, cb, cr := int(yRow[x]), cbRow[x], crRow[x]
			o[4*x] = clamp8(yy + crR[cr])
			o[4*x+1] = clamp8(yy + (cbG[cb]+crG[cr])>>scaleBits)
			o[4*x+2] = clamp8(yy + cbB[cb])
			o[4*x+3] = 255
		}
	}
	return out, true
}

// libjpeg's YCbCr -> RGB tables (jdcolor.c, build_ycc_rgb_table).
const scaleBits = 16

var crR, cbB, crG, cbG [256]int

func init() {
	fix := func(x float64) int { return int(x*(1<<scaleBits) + 0.5) }
	half := 1 << (scaleBits - 1)
	for i := range 256 {
		x := i - 128
		crR[i] = (fix(1.40200)*x + half) >> scaleBits
		cbB[i] = (fix(1.77200)*x + half) >> scaleBits
		crG[i] = -fix(0.71414) * x
		cbG[i] = -fix(0.34414)*x + half
	}
}

func clamp8(v int) uint8 { return uint8(min(max(v, 0), 255)) }
