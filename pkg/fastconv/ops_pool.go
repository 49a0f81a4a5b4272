package fastconv

import (
	"math"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapeinference"
	"github.com/gomlx/compute/shapes"
	"github.com/pkg/errors"
)

// poolPlan is the geometry of a 2D max-pool window over a channels-last [B, H, W, C] float32 tensor:
// window and strides are 1 on the batch and channels axes, no dilations.
type poolPlan struct {
	B, H, W, C int
	OH, OW     int
	wh, ww     int // window
	sh, sw     int // strides
	ph, pw     int // low paddings
}

func newPoolPlan(x shapes.Shape, windowDimensions, strides []int, inputDilations, windowDilations []int, paddings [][2]int) (*poolPlan, bool) {
	if x.Rank() != 4 || x.DType != dtypes.Float32 || x.IsDynamic() || len(windowDimensions) != 4 {
		return nil, false
	}
	for _, d := range [][]int{inputDilations, windowDilations} {
		for _, v := range d {
			if v > 1 {
				return nil, false
			}
		}
	}
	if len(strides) == 0 {
		strides = windowDimensions
	}
	if windowDimensions[0] != 1 || windowDimensions[3] != 1 || strides[0] != 1 || strides[3] != 1 {
		return nil, false
	}
	var pads [4][2]int
	if len(paddings) == 4 {
		copy(pads[:], paddings)
	}
	if pads[0] != [2]int{} || pads[3] != [2]int{} {
		return nil, false
	}
	for _, pp := range pads {
		if pp[0] < 0 || pp[1] < 0 {
			return nil, false
		}
	}
	d := x.Dimensions
	p := &poolPlan{B: d[0], H: d[1], W: d[2], C: d[3], wh: windowDimensions[1], ww: windowDimensions[2],
		sh: strides[1], sw: strides[2], ph: pads[1][0], pw: pads[2][0]}
	p.OH = (p.H+pads[1][0]+pads[1][1]-p.wh)/p.sh + 1
	p.OW = (p.W+pads[2][0]+pads[2][1]-p.ww)/p.sw + 1
	if p.OH <= 0 || p.OW <= 0 {
		return nil, false
	}
	return p, true
}

// fastReduceWindow handles channels-last 2D max pooling natively; ok is false if not applicable.
func (f *function) fastReduceWindow(x compute.Value, reductionType compute.ReduceOpType,
	windowDimensions, strides, inputDilations, windowDilations []int, paddings [][2]int) (compute.Value, bool, error) {
	xv, okX := x.(*value)
	if !okX || !f.isMain() || reductionType != compute.ReduceOpMax {
		return nil, false, nil
	}
	p, ok := newPoolPlan(xv.shape, windowDimensions, strides, inputDilations, windowDilations, paddings)
	if !ok {
		return nil, false, nil
	}
	outShape := shapes.Make(dtypes.Float32, p.B, p.OH, p.OW, p.C)
	if len(strides) == 0 {
		strides = windowDimensions
	}
	if s, err := shapeinference.ReduceWindow(xv.shape, windowDimensions, strides, inputDilations, windowDilations, paddings); err != nil || !s.Equal(outShape) {
		return nil, false, nil
	}
	outs := f.b.addCustom("maxpool", []*value{xv}, []shapes.Shape{outShape},
		func(backend compute.Backend, inputs []compute.Buffer) ([]compute.Buffer, error) {
			xd, err := float32Data(inputs[0])
			if err != nil {
				return nil, err
			}
			buf, out, err := newFloat32Buffer(backend, p.B, p.OH, p.OW, p.C)
			if err != nil {
				return nil, err
			}
			p.maxPool(out, xd)
			return []compute.Buffer{buf}, nil
		})
	return outs[0], true, nil
}

func (p *poolPlan) maxPool(out, x []float32) {
	C := p.C
	negInf := float32(math.Inf(-1))
	parallelFor(p.B*p.OH, func(start, end int) {
		for bo := start; bo < end; bo++ {
			b, oh := bo/p.OH, bo%p.OH
			for ow := 0; ow < p.OW; ow++ {
				dst := out[((b*p.OH+oh)*p.OW+ow)*C:][:C]
				first := true
				for i := 0; i < p.wh; i++ {
					h := oh*p.sh + i - p.ph
					if h < 0 || h >= p.H {
						continue
					}
					for j := 0; j < p.ww; j++ {
						w := ow*p.sw + j - p.pw
						if w < 0 || w >= p.W {
							continue
						}
						src := x[((b*p.H+h)*p.W+w)*C:][:C]
						if first {
							copy(dst, src)
							first = false
							continue
						}
						maxInto(dst, src)
					}
				}
				if first {
					for c := range dst {
						dst[c] = negInf
					}
				}
			}
		}
	})
}

// selectAndScatterMax: out (shaped like x, zeroed) gets source[b,oh,ow,c] added at the position of
// the first maximum of x in window (oh, ow).
func (p *poolPlan) selectAndScatterMax(out, x, source []float32) {
	if p.sh == p.wh && p.sw == p.ww && p.ph == 0 && p.pw == 0 && p.OH*p.wh == p.H && p.OW*p.ww == p.W {
		p.selectAndScatterMaxTiled(out, x, source)
		return
	}
	C := p.C
	// Parallel over batch: windows of different batch entries never overlap.
	parallelFor(p.B, func(start, end int) {
		clear(out[start*p.H*p.W*C : end*p.H*p.W*C])
		bestIdx := make([]int32, C)
		bestV := make([]float32, C)
		for b := start; b < end; b++ {
			for oh := 0; oh < p.OH; oh++ {
				for ow := 0; ow < p.OW; ow++ {
					first := true
					for i := 0; i < p.wh; i++ {
						h := oh*p.sh + i - p.ph
						if h < 0 || h >= p.H {
							continue
						}
						for j := 0; j < p.ww; j++ {
							w := ow*p.sw + j - p.pw
							if w < 0 || w >= p.W {
								continue
							}
							base := ((b*p.H+h)*p.W + w) * C
							xr := x[base:][:C]
							if first {
								copy(bestV, xr)
								for c := range bestIdx {
									bestIdx[c] = int32(base + c)
								}
								first = false
								continue
							}
							argmaxUpdate(bestV, bestIdx, xr, int32(base))
						}
					}
					if first {
						continue
					}
					srcRow := source[((b*p.OH+oh)*p.OW+ow)*C:][:C]
					for c, v := range srcRow {
						out[bestIdx[c]] += v
					}
				}
			}
		}
	})
}

// SelectAndScatterMax implements compute.Function (the gradient of max pooling): natively for
// channels-last 2D windows, else delegated (the go backend does not implement it).
func (f *function) SelectAndScatterMax(operand, source compute.Value, windowDimensions, windowStrides []int, paddings [][2]int) (compute.Value, error) {
	xv, okX := operand.(*value)
	sv, okS := source.(*value)
	if !okX || !okS {
		return nil, errors.Errorf("fastconv: unknown value types %T, %T", operand, source)
	}
	p, ok := newPoolPlan(xv.shape, windowDimensions, windowStrides, nil, nil, paddings)
	if ok && f.isMain() && sv.shape.Equal(shapes.Make(dtypes.Float32, p.B, p.OH, p.OW, p.C)) {
		outs := f.b.addCustom("maxpool-grad", []*value{xv, sv}, []shapes.Shape{xv.shape},
			func(backend compute.Backend, inputs []compute.Buffer) ([]compute.Buffer, error) {
				xd, err := float32Data(inputs[0])
				if err != nil {
					return nil, err
				}
				sd, err := float32Data(inputs[1])
				if err != nil {
					return nil, err
				}
				buf, out, err := newFloat32Buffer(backend, p.B, p.H, p.W, p.C)
				if err != nil {
					return nil, err
				}
				p.selectAndScatterMax(out, xd, sd)
				return []compute.Buffer{buf}, nil
			})
		return outs[0], nil
	}
	g := f.target()
	ix, err := f.in(xv)
	if err != nil {
		return nil, err
	}
	is, err := f.in(sv)
	if err != nil {
		return nil, err
	}
	r, err := g.SelectAndScatterMax(ix, is, windowDimensions, windowStrides, paddings)
	if err != nil {
		return nil, err
	}
	return f.out(r), nil
}

// selectAndScatterMaxTiled is selectAndScatterMax when the windows tile the input exactly: every
// output element is written once (no clearing pass), window by window.
func (p *poolPlan) selectAndScatterMaxTiled(out, x, source []float32) {
	C := p.C
	parallelFor(p.B*p.OH, func(start, end int) {
		bestIdx := make([]int32, C)
		bestV := make([]float32, C)
		for bo := start; bo < end; bo++ {
			b, oh := bo/p.OH, bo%p.OH
			for ow := 0; ow < p.OW; ow++ {
				for i := 0; i < p.wh; i++ {
					for j := 0; j < p.ww; j++ {
						base := ((b*p.H+oh*p.wh+i)*p.W + ow*p.ww + j) * C
						if i == 0 && j == 0 {
							copy(bestV, x[base:base+C])
							for c := range bestIdx {
								bestIdx[c] = int32(base + c)
							}
							continue
						}
						argmaxUpdate(bestV, bestIdx, x[base:base+C], int32(base))
					}
				}
				srcRow := source[((b*p.OH+oh)*p.OW+ow)*C:][:C]
				for i := 0; i < p.wh; i++ {
					for j := 0; j < p.ww; j++ {
						base := ((b*p.H+oh*p.wh+i)*p.W + ow*p.ww + j) * C
						scatterSelected(out[base:base+C], srcRow, bestIdx, int32(base))
					}
				}
			}
		}
	})
}
