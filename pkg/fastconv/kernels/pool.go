package kernels

import (
	"math"

	"github.com/coarsealign/coarsealign/internal/gemm"
)

// Pool is a 2D max pool over x [B, H, W, C] (channels last) with window WH x WW, strides SH, SW
// and low paddings PH, PW (padded positions never win); the output is [B, OH, OW, C].
type Pool struct {
	B, H, W, C int
	OH, OW     int
	WH, WW     int // window
	SH, SW     int // strides
	PH, PW     int // low paddings
}

// NewPool returns the pool of a ReduceWindow-style max over x of dims [B, H, W, C] with window,
// strides (empty: the window) and paddings (empty: none), each given for the 4 axes; ok is false
// unless the window, strides and paddings are 1, 1 and 0 on the batch and channel axes, paddings
// are non-negative and the output is not empty.
func NewPool(dims, window, strides []int, paddings [][2]int) (p *Pool, ok bool) {
	if len(dims) != 4 || len(window) != 4 {
		return nil, false
	}
	if len(strides) == 0 {
		strides = window
	}
	if len(strides) != 4 || window[0] != 1 || window[3] != 1 || strides[0] != 1 || strides[3] != 1 {
		return nil, false
	}
	var pads [4][2]int
	if len(paddings) == 4 {
		copy(pads[:], paddings)
	} else if len(paddings) != 0 {
		return nil, false
	}
	if pads[0] != [2]int{} || pads[3] != [2]int{} {
		return nil, false
	}
	for _, pp := range pads {
		if pp[0] < 0 || pp[1] < 0 {
			return nil, false
		}
	}
	p = &Pool{B: dims[0], H: dims[1], W: dims[2], C: dims[3], WH: window[1], WW: window[2],
		SH: strides[1], SW: strides[2], PH: pads[1][0], PW: pads[2][0]}
	p.OH = (p.H+pads[1][0]+pads[1][1]-p.WH)/p.SH + 1
	p.OW = (p.W+pads[2][0]+pads[2][1]-p.WW)/p.SW + 1
	if p.OH <= 0 || p.OW <= 0 {
		return nil, false
	}
	return p, true
}

// window calls fn with the offset in x of each in-range input position of window (b, oh, ow),
// in row-major window order, and reports whether there was any.
func (p *Pool) window(b, oh, ow int, fn func(base int, first bool)) bool {
	first := true
	for i := range p.WH {
		h := oh*p.SH + i - p.PH
		if h < 0 || h >= p.H {
			continue
		}
		for j := range p.WW {
			w := ow*p.SW + j - p.PW
			if w < 0 || w >= p.W {
				continue
			}
			fn(((b*p.H+h)*p.W+w)*p.C, first)
			first = false
		}
	}
	return !first
}

// Max sets out [B, OH, OW, C] to the window maxima of x (-Inf for windows entirely in padding).
func (p *Pool) Max(out, x []float32) {
	if p.tiled2x2() {
		p.max2x2(out, x)
		return
	}
	C := p.C
	negInf := float32(math.Inf(-1))
	gemm.ParallelFor(p.B*p.OH, func(start, end int) {
		for bo := start; bo < end; bo++ {
			b, oh := bo/p.OH, bo%p.OH
			for ow := range p.OW {
				dst := out[((b*p.OH+oh)*p.OW+ow)*C:][:C]
				seen := p.window(b, oh, ow, func(base int, first bool) {
					if first {
						copy(dst, x[base:][:C])
					} else {
						maxInto(dst, x[base:][:C])
					}
				})
				if !seen {
					for c := range dst {
						dst[c] = negInf
					}
				}
			}
		}
	})
}

// MaxGrad sets out (shaped like x) to the gradient of Max: dy[b, oh, ow, c] added at the position
// of the first maximum of x in window (oh, ow), zero elsewhere (XLA's SelectAndScatter with max).
func (p *Pool) MaxGrad(out, x, dy []float32) {
	if p.tiled2x2() {
		p.maxGrad2x2(out, x, dy)
		return
	}
	if p.SH == p.WH && p.SW == p.WW && p.PH == 0 && p.PW == 0 && p.OH*p.WH == p.H && p.OW*p.WW == p.W {
		p.maxGradTiled(out, x, dy)
		return
	}
	C := p.C
	// Parallel over batch: windows of different batch entries never overlap.
	gemm.ParallelFor(p.B, func(start, end int) {
		clear(out[start*p.H*p.W*C : end*p.H*p.W*C])
		best := newArgmax(C)
		for b := start; b < end; b++ {
			for oh := range p.OH {
				for ow := range p.OW {
					if !p.window(b, oh, ow, func(base int, first bool) { best.add(x, base, first) }) {
						continue
					}
					for c, v := range dy[((b*p.OH+oh)*p.OW+ow)*C:][:C] {
						out[best.idx[c]] += v
					}
				}
			}
		}
	})
}

// maxGradTiled is MaxGrad when the windows tile the input exactly: every output element is
// written once (no clearing pass), window by window.
func (p *Pool) maxGradTiled(out, x, dy []float32) {
	C := p.C
	gemm.ParallelFor(p.B*p.OH, func(start, end int) {
		best := newArgmax(C)
		for bo := start; bo < end; bo++ {
			b, oh := bo/p.OH, bo%p.OH
			for ow := range p.OW {
				p.window(b, oh, ow, func(base int, first bool) { best.add(x, base, first) })
				src := dy[((b*p.OH+oh)*p.OW+ow)*C:][:C]
				p.window(b, oh, ow, func(base int, _ bool) {
					scatterSelected(out[base:base+C], src, best.idx, int32(base))
				})
			}
		}
	})
}

// argmax holds, per channel, the first maximum seen in a window and its offset in x.
type argmax struct {
	v   []float32
	idx []int32
}

func newArgmax(C int) argmax { return argmax{make([]float32, C), make([]int32, C)} }

// add takes in the channels of x at base (the window's first position if first).
func (m argmax) add(x []float32, base int, first bool) {
	C := len(m.v)
	if first {
		copy(m.v, x[base:][:C])
		for c := range m.idx {
			m.idx[c] = int32(base + c)
		}
		return
	}
	argmaxUpdate(m.v, m.idx, x[base:][:C], int32(base))
}

// tiled2x2 reports whether the pool is 2x2 with stride 2 tiling the input exactly (the CNNs'
// pools), for which Max and MaxGrad have loops without a callback per window position.
func (p *Pool) tiled2x2() bool {
	return p.WH == 2 && p.WW == 2 && p.SH == 2 && p.SW == 2 && p.PH == 0 && p.PW == 0 && p.OH*2 == p.H && p.OW*2 == p.W
}

// max2x2 is Max for tiled2x2 pools: the same passes over the four positions in window order.
func (p *Pool) max2x2(out, x []float32) {
	C, W := p.C, p.W
	gemm.ParallelFor(p.B*p.OH, func(start, end int) {
		for bo := start; bo < end; bo++ {
			b, oh := bo/p.OH, bo%p.OH
			row := ((b*p.H + 2*oh) * W) * C
			for ow := range p.OW {
				dst := out[((b*p.OH+oh)*p.OW+ow)*C:][:C]
				b00 := row + 2*ow*C
				b10 := b00 + W*C
				copy(dst, x[b00:][:C])
				maxInto(dst, x[b00+C:][:C])
				maxInto(dst, x[b10:][:C])
				maxInto(dst, x[b10+C:][:C])
			}
		}
	})
}

// maxGrad2x2 is maxGradTiled for tiled2x2 pools.
func (p *Pool) maxGrad2x2(out, x, dy []float32) {
	C, W := p.C, p.W
	gemm.ParallelFor(p.B*p.OH, func(start, end int) {
		best := newArgmax(C)
		for bo := start; bo < end; bo++ {
			b, oh := bo/p.OH, bo%p.OH
			row := ((b*p.H + 2*oh) * W) * C
			for ow := range p.OW {
				b00 := row + 2*ow*C
				b10 := b00 + W*C
				best.add(x, b00, true)
				best.add(x, b00+C, false)
				best.add(x, b10, false)
				best.add(x, b10+C, false)
				src := dy[((b*p.OH+oh)*p.OW+ow)*C:][:C]
				for _, base := range [4]int{b00, b00 + C, b10, b10 + C} {
					scatterSelected(out[base:base+C], src, best.idx, int32(base))
				}
			}
		}
	})
}
