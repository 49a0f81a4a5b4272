package fastconv

import (
	"fmt"
	"os"
	"runtime"
	"sync"
	"time"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapeinference"
	"github.com/gomlx/compute/shapes"
	"github.com/pkg/errors"
)

// ConvGeneral implements compute.Function. 2D float32 convolutions without grouping (any axes layout,
// strides, paddings, input and kernel dilations: this covers the forward convolution and both
// gradient convolutions GoMLX builds for it) are computed as
//
//	native Go "im2col" (patches A[M,K], M = batch*outH*outW, K = kh*kw*Cin) and kernel packing (Bt[Cout,K])
//	  -> wrapped backend DotGeneral(A, Bt) contracting the last axes (its fast SIMD matmul)
//	  -> Reshape (and a Transpose when the requested output layout is not batch-spatial-channels).
//
// Everything else is delegated to the wrapped backend.
func (f *function) ConvGeneral(input, kernel compute.Value, axes compute.ConvolveAxesConfig,
	strides []int, paddings [][2]int, inputDilations, kernelDilations []int,
	channelGroupCount, batchGroupCount int) (compute.Value, error) {
	x, okX := input.(*value)
	k, okK := kernel.(*value)
	if !okX || !okK {
		return nil, errors.Errorf("fastconv: unknown value types %T, %T", input, kernel)
	}
	if !f.isMain() || x.shape.Rank() != 4 || x.shape.DType != dtypes.Float32 || k.shape.DType != dtypes.Float32 ||
		channelGroupCount > 1 || batchGroupCount > 1 || x.shape.IsDynamic() || k.shape.IsDynamic() {
		g := f.target()
		ix, err := f.in(x)
		if err != nil {
			return nil, err
		}
		ik, err := f.in(k)
		if err != nil {
			return nil, err
		}
		r, err := g.ConvGeneral(ix, ik, axes, strides, paddings, inputDilations, kernelDilations, channelGroupCount, batchGroupCount)
		if err != nil {
			return nil, err
		}
		return f.out(r), nil
	}
	outShape, err := shapeinference.ConvGeneral(x.shape, k.shape, axes, strides, paddings, inputDilations,
		kernelDilations, channelGroupCount, batchGroupCount)
	if err != nil {
		return nil, err
	}
	p := newConvPlan(x.shape, k.shape, outShape, axes, strides, paddings, inputDilations, kernelDilations)
	outs := f.b.addCustom("conv2d", []*value{x, k}, []shapes.Shape{shapes.Make(dtypes.Float32, p.B, p.OH, p.OW, p.N)}, p.run)
	var r compute.Value = outs[0]
	// Output axis j holds our axis perm[j] (ours: 0 batch, 1, 2 spatial, 3 channels).
	perm := make([]int, 4)
	perm[axes.OutputBatch] = 0
	perm[axes.OutputSpatial[0]] = 1
	perm[axes.OutputSpatial[1]] = 2
	perm[axes.OutputChannels] = 3
	if perm[0] == 0 && perm[1] == 1 && perm[2] == 2 && perm[3] == 3 {
		return r, nil
	}
	g := f.target()
	ir, err := f.in(r)
	if err != nil {
		return nil, err
	}
	tr, err := g.Transpose(ir, perm...)
	if err != nil {
		return nil, err
	}
	return f.out(tr), nil
}

// convPlan holds the geometry of one 2D convolution.
type convPlan struct {
	B, C, H, W    int
	KH, KW, N     int
	OH, OW        int
	M, K          int
	s0, s1        int    // strides
	p0, p1        int    // low paddings (may be negative)
	id0, id1      int    // input dilations
	kd0, kd1      int    // kernel dilations
	xStrides      [4]int // strides of x for (batch, h, w, c)
	kStrides      [4]int // strides of kernel for (kh, kw, c, n)
	xChannelsLast bool
}

func stridesOf(dims []int) []int {
	st := make([]int, len(dims))
	s := 1
	for i := len(dims) - 1; i >= 0; i-- {
		st[i] = s
		s *= dims[i]
	}
	return st
}

func orOne(v []int, i int) int {
	if len(v) > i && v[i] > 0 {
		return v[i]
	}
	return 1
}

func newConvPlan(xs, ks, outShape shapes.Shape, axes compute.ConvolveAxesConfig, strides []int, paddings [][2]int,
	inputDilations, kernelDilations []int) *convPlan {
	xd, kd, od := xs.Dimensions, ks.Dimensions, outShape.Dimensions
	p := &convPlan{
		B: xd[axes.InputBatch], C: xd[axes.InputChannels], H: xd[axes.InputSpatial[0]], W: xd[axes.InputSpatial[1]],
		KH: kd[axes.KernelSpatial[0]], KW: kd[axes.KernelSpatial[1]], N: kd[axes.KernelOutputChannels],
		OH: od[axes.OutputSpatial[0]], OW: od[axes.OutputSpatial[1]],
		s0: orOne(strides, 0), s1: orOne(strides, 1),
		id0: orOne(inputDilations, 0), id1: orOne(inputDilations, 1),
		kd0: orOne(kernelDilations, 0), kd1: orOne(kernelDilations, 1),
	}
	if len(paddings) == 2 {
		p.p0, p.p1 = paddings[0][0], paddings[1][0]
	}
	p.M = p.B * p.OH * p.OW
	p.K = p.KH * p.KW * p.C
	xst, kst := stridesOf(xd), stridesOf(kd)
	p.xStrides = [4]int{xst[axes.InputBatch], xst[axes.InputSpatial[0]], xst[axes.InputSpatial[1]], xst[axes.InputChannels]}
	p.kStrides = [4]int{kst[axes.KernelSpatial[0]], kst[axes.KernelSpatial[1]], kst[axes.KernelInputChannels], kst[axes.KernelOutputChannels]}
	p.xChannelsLast = axes.InputBatch == 0 && axes.InputSpatial[0] == 1 && axes.InputSpatial[1] == 2 && axes.InputChannels == 3
	return p
}

// numWorkers is the number of goroutines used by the native kernels.
func numWorkers() int { return max(1, runtime.GOMAXPROCS(0)) }

// parallelFor runs fn over [0,n) split into contiguous chunks, one per worker.
func parallelFor(n int, fn func(start, end int)) {
	w := min(numWorkers(), n)
	if w <= 1 {
		fn(0, n)
		return
	}
	var wg sync.WaitGroup
	chunk := (n + w - 1) / w
	for start := 0; start < n; start += chunk {
		end := min(start+chunk, n)
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(start, end)
		}()
	}
	wg.Wait()
}

func float32Data(buf compute.Buffer) ([]float32, error) {
	d, err := buf.Data()
	if err != nil {
		return nil, err
	}
	f, ok := d.([]float32)
	if !ok {
		return nil, errors.Errorf("fastconv: expected float32 buffer, got %T", d)
	}
	return f, nil
}

// Output buffers of the native kernels. The wrapped backend never pools "shared" buffers (it
// allocates zeroed memory for each), so intermediate outputs are recycled here by shape: Execute
// hands back the ones it created and did not return to the caller.
type pooledBuffer struct {
	buf  compute.Buffer
	flat []float32
}

var (
	outPoolMu sync.Mutex
	outPool   = map[string][]pooledBuffer{}
	outFlat   = map[compute.Buffer][]float32{} // buffers created by newFloat32Buffer, live.
)

func newFloat32Buffer(backend compute.Backend, dims ...int) (compute.Buffer, []float32, error) {
	shape := shapes.Make(dtypes.Float32, dims...)
	key := shape.String()
	outPoolMu.Lock()
	if l := len(outPool[key]); l > 0 {
		pb := outPool[key][l-1]
		outPool[key] = outPool[key][:l-1]
		outFlat[pb.buf] = pb.flat
		outPoolMu.Unlock()
		return pb.buf, pb.flat, nil
	}
	outPoolMu.Unlock()
	buf, flat, err := backend.NewSharedBuffer(0, shape)
	if err != nil {
		return nil, nil, err
	}
	f := flat.([]float32)
	outPoolMu.Lock()
	outFlat[buf] = f
	outPoolMu.Unlock()
	return buf, f, nil
}

// releaseBuffer recycles buf if newFloat32Buffer created it; otherwise it finalizes it.
func releaseBuffer(buf compute.Buffer) {
	outPoolMu.Lock()
	flat, ok := outFlat[buf]
	if ok {
		delete(outFlat, buf)
		shape, err := buf.Shape()
		if err == nil {
			key := shape.String()
			if len(outPool[key]) < 16 {
				outPool[key] = append(outPool[key], pooledBuffer{buf, flat})
				outPoolMu.Unlock()
				return
			}
		}
	}
	outPoolMu.Unlock()
	_ = buf.Finalize()
}

// forgetBuffer stops tracking buf (it was handed to the caller).
func forgetBuffer(buf compute.Buffer) {
	outPoolMu.Lock()
	delete(outFlat, buf)
	outPoolMu.Unlock()
}

// chunkL2 bounds the im2col scratch (floats) of one chunk, so it stays in L2 cache.
const chunkL2 = 1 << 16

var traceConv = os.Getenv("FASTCONV_TRACE") != ""

func (p *convPlan) run(backend compute.Backend, inputs []compute.Buffer) ([]compute.Buffer, error) {
	if traceConv {
		start, cpu0 := time.Now(), processCPUTime()
		defer func() {
			el := time.Since(start)
			fmt.Fprintf(os.Stderr, "cpu %v; ", processCPUTime()-cpu0)
			fmt.Fprintf(os.Stderr, "conv M=%d N=%d K=%d (B=%d C=%d HxW=%dx%d k=%dx%d out=%dx%d s=%d,%d id=%d kd=%d cl=%v): %v %.1f GFLOP/s\n",
				p.M, p.N, p.K, p.B, p.C, p.H, p.W, p.KH, p.KW, p.OH, p.OW, p.s0, p.s1, p.id0, p.kd0, p.xChannelsLast, el, 2*float64(p.M)*float64(p.N)*float64(p.K)/el.Seconds()/1e9)
		}()
	}
	xdata, err := float32Data(inputs[0])
	if err != nil {
		return nil, err
	}
	kdata, err := float32Data(inputs[1])
	if err != nil {
		return nil, err
	}
	yBuf, y, err := newFloat32Buffer(backend, p.B, p.OH, p.OW, p.N)
	if err != nil {
		return nil, err
	}
	// B[K, N] = kernel in (kh, kw, c, n) order, packed in panels.
	taps := p.KH * p.KW
	fewRows := p.M < 8*gemmMc
	// Weight gradients: the "kernel" is the large output gradient; when its output-channel axis
	// is contiguous, each tap's [C, N] block is read in place (row stride kStrides[2]).
	perTapB := fewRows && p.kStrides[3] == 1 && p.N%gemmNr == 0
	bmat := kdata
	if !perTapB && !(p.kStrides == [4]int{p.KW * p.C * p.N, p.C * p.N, p.N, 1}) {
		bmat = getScratch(p.K * p.N)
		defer putScratch(bmat)
		permute4(bmat, [4]int{p.KH, p.KW, p.C, p.N}, kdata, p.kStrides)
	}
	// Input in channels-last layout.
	xt := xdata
	if !p.xChannelsLast {
		xt = getScratch(p.B * p.H * p.W * p.C)
		defer putScratch(xt)
		permute4(xt, [4]int{p.B, p.H, p.W, p.C}, xdata, p.xStrides)
	}
	if !fewRows {
		// Many output rows (forward, input gradient): row chunks small enough for the patches to
		// stay in L2 while multiplied; each worker im2col's and multiplies its own chunks.
		rc := max(gemmMc, min(p.M, chunkL2/p.K)/gemmMr*gemmMr) // >= 64 rows so each B block is reused.
		numChunks := (p.M + rc - 1) / rc
		parallelFor(numChunks, func(start, end int) {
			a := getScratch(rc * p.K)
			defer putScratch(a)
			for ch := start; ch < end; ch++ {
				r0, r1 := ch*rc, min(p.M, ch*rc+rc)
				p.im2colRows(a, xt, r0, r1, 0, taps)
				gemmSerial(r1-r0, p.N, p.K, a, p.K, bmat, p.N, y[r0*p.N:], p.N, false)
			}
		})
	} else {
		// Few output rows (weight gradients: K = batch*outH*outW is large): each worker takes a
		// range of taps into a private accumulator; sub-chunks of taps keep the patches in L2.
		w := min(numWorkers(), taps)
		perWorker := (taps + w - 1) / w
		tc := max(1, min(perWorker, chunkL2/(p.M*p.C)))
		partial := make([][]float32, w)
		parallelFor(w, func(start, end int) {
			for wi := start; wi < end; wi++ {
				acc := getScratch(p.M * p.N)
				a := getScratch(p.M * tc * p.C)
				first := true
				for t0 := wi * perWorker; t0 < min(taps, (wi+1)*perWorker); t0 += tc {
					t1 := min(taps, t0+tc, (wi+1)*perWorker)
					kLen := (t1 - t0) * p.C
					p.im2colRows(a, xt, 0, p.M, t0, t1)
					if perTapB {
						for t := t0; t < t1; t++ {
							kh, kw := t/p.KW, t%p.KW
							off := kh*p.kStrides[0] + kw*p.kStrides[1]
							gemmSerial(p.M, p.N, p.C, a[(t-t0)*p.C:], kLen, kdata[off:], p.kStrides[2], acc, p.N, !first)
							first = false
						}
					} else {
						gemmSerial(p.M, p.N, kLen, a, kLen, bmat[t0*p.C*p.N:], p.N, acc, p.N, !first)
						first = false
					}
				}
				putScratch(a)
				if first {
					clear(acc)
				}
				partial[wi] = acc
			}
		})
		copy(y, partial[0])
		putScratch(partial[0])
		for _, acc := range partial[1:] {
			addF32(y, y, acc)
			putScratch(acc)
		}
	}
	return []compute.Buffer{yBuf}, nil
}

// im2colRows fills a[r1-r0, (t1-t0)*C] with the patches of output rows [r0, r1) (row = (b, oh, ow))
// and kernel taps [t0, t1) (tap = kh*KW + kw), from xt [B, H, W, C] (channels-last).
func (p *convPlan) im2colRows(a, xt []float32, r0, r1, t0, t1 int) {
	C, H, W, KW, OH, OW := p.C, p.H, p.W, p.KW, p.OH, p.OW
	ld := (t1 - t0) * C
	vH, vW := (H-1)*p.id0+1, (W-1)*p.id1+1 // virtual (dilated) input sizes.
	simple := p.id1 == 1 && p.kd1 == 1
	{
		for ri := 0; ri < r1-r0; ri++ {
			row := r0 + ri
			b, rem := row/(OH*OW), row%(OH*OW)
			oh, ow := rem/OW, rem%OW
			dstRow := a[ri*ld:][:ld]
			for t := t0; t < t1; t++ {
				kh, kw := t/KW, t%KW
				if kw == 0 && simple && t+KW <= t1 {
					// Whole kernel row at once when it lies inside the input.
					q0 := oh*p.s0 + kh*p.kd0 - p.p0
					q1 := ow*p.s1 - p.p1
					if q0 >= 0 && q0 < vH && q0%p.id0 == 0 && q1 >= 0 && q1+KW <= W {
						h := q0 / p.id0
						copy(dstRow[(t-t0)*C:][:KW*C], xt[((b*H+h)*W+q1)*C:][:KW*C])
						t += KW - 1
						continue
					}
				}
				d := dstRow[(t-t0)*C:][:C]
				q0 := oh*p.s0 + kh*p.kd0 - p.p0
				if q0 < 0 || q0 >= vH || q0%p.id0 != 0 {
					clear(d)
					continue
				}
				q1 := ow*p.s1 + kw*p.kd1 - p.p1
				if q1 < 0 || q1 >= vW || q1%p.id1 != 0 {
					clear(d)
					continue
				}
				h, w := q0/p.id0, q1/p.id1
				copy(d, xt[((b*H+h)*W+w)*C:][:C])
			}
		}
	}
}

// permute4 writes dst (contiguous, dims d) from src, where src element (i0,i1,i2,i3) is at
// sum(i_j * ss[j]).
func permute4(dst []float32, d [4]int, src []float32, ss [4]int) {
	n := d[0] * d[1] * d[2] * d[3]
	if n == 0 {
		return
	}
	if ss[3] == 1 && ss[2] == d[3] && ss[1] == d[2]*d[3] && ss[0] == d[1]*d[2]*d[3] {
		copy(dst, src[:n])
		return
	}
	ds := [4]int{d[1] * d[2] * d[3], d[2] * d[3], d[3], 1}
	if ss[3] == 1 {
		parallelFor(d[0]*d[1], func(start, end int) {
			for i01 := start; i01 < end; i01++ {
				i0, i1 := i01/d[1], i01%d[1]
				for i2 := 0; i2 < d[2]; i2++ {
					copy(dst[i0*ds[0]+i1*ds[1]+i2*ds[2]:][:d[3]], src[i0*ss[0]+i1*ss[1]+i2*ss[2]:][:d[3]])
				}
			}
		})
		return
	}
	// Find the axis a < 3 (of size > 1) with the smallest source stride: tile over (a, 3).
	a := -1
	for j := 0; j < 3; j++ {
		if d[j] > 1 && (a < 0 || ss[j] < ss[a]) {
			a = j
		}
	}
	if a < 0 {
		a = 2
	}
	var others [2]int
	o := 0
	for j := 0; j < 3; j++ {
		if j != a {
			others[o] = j
			o++
		}
	}
	const tile = 16
	parallelFor(d[others[0]]*d[others[1]], func(start, end int) {
		for io := start; io < end; io++ {
			ix, iy := io/d[others[1]], io%d[others[1]]
			sBase := ix*ss[others[0]] + iy*ss[others[1]]
			dBase := ix*ds[others[0]] + iy*ds[others[1]]
			for ia0 := 0; ia0 < d[a]; ia0 += tile {
				ia1 := min(ia0+tile, d[a])
				for i30 := 0; i30 < d[3]; i30 += tile {
					i31 := min(i30+tile, d[3])
					for ia := ia0; ia < ia1; ia++ {
						dRow := dst[dBase+ia*ds[a]:]
						sRow := src[sBase+ia*ss[a]:]
						for i3 := i30; i3 < i31; i3++ {
							dRow[i3] = sRow[i3*ss[3]]
						}
					}
				}
			}
		}
	})
}

// ReduceWindow implements compute.Function: delegated (see ops_pool.go for the max-pool fast path).
func (f *function) ReduceWindow(x compute.Value, reductionType compute.ReduceOpType,
	windowDimensions, strides, inputDilations, windowDilations []int, paddings [][2]int) (compute.Value, error) {
	if r, ok, err := f.fastReduceWindow(x, reductionType, windowDimensions, strides, inputDilations, windowDilations, paddings); ok {
		return r, err
	}
	g := f.target()
	ix, err := f.in(x)
	if err != nil {
		return nil, err
	}
	r, err := g.ReduceWindow(ix, reductionType, windowDimensions, strides, inputDilations, windowDilations, paddings)
	if err != nil {
		return nil, err
	}
	return f.out(r), nil
}
