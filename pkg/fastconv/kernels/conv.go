package kernels

import "github.com/coarsealign/coarsealign/internal/gemm"

// Conv is the geometry of one 2D convolution without channel or batch groups. Element (b, h, w, c)
// of the input x is x[b*XStrides[0] + h*XStrides[1] + w*XStrides[2] + c*XStrides[3]]; element
// (kh, kw, c, n) of the kernel k is at the KStrides likewise; the output y is [B, OH, OW, N],
// channels last. Output position (oh, ow) and tap (kh, kw) read the input at virtual position
// (oh*S0 + kh*KD0 - P0, ow*S1 + kw*KD1 - P1) of the input dilated by (ID0, ID1); positions outside
// it, or between dilated rows/columns, read zero.
type Conv struct {
	B, C, H, W int // input batch, channels, height, width
	KH, KW, N  int // kernel height, width, output channels
	OH, OW     int // output height, width
	S0, S1     int // strides
	P0, P1     int // low paddings (may be negative)
	ID0, ID1   int // input dilations (>= 1)
	KD0, KD1   int // kernel dilations (>= 1)
	XStrides   [4]int
	KStrides   [4]int
}

// M is the number of output rows of the im2col product, B*OH*OW.
func (p *Conv) M() int { return p.B * p.OH * p.OW }

// K is the length of a patch, KH*KW*C.
func (p *Conv) K() int { return p.KH * p.KW * p.C }

func (p *Conv) xChannelsLast() bool {
	return p.XStrides == [4]int{p.H * p.W * p.C, p.W * p.C, p.C, 1}
}

// tapSplit enables the K ranges of tapStep (a variable so that tests can compare).
var tapSplit = true

// im2colFast enables im2colUnitStride (a variable so that tests and benchmarks can compare).
var im2colFast = true

// chunkL2 bounds the im2col scratch (floats) of one chunk, so it stays in L2 cache.
const chunkL2 = 1 << 16

// Run computes y [B, OH, OW, N] from x and k: im2col patches A[M, K] (built per row chunk, in
// L2) times the kernel B[K, N]. With few output rows (weight gradients, where K = batch*OH*OW
// is large) the kernel taps are split between workers with private accumulators instead.
func (p *Conv) Run(y, x, k []float32) {
	M, K := p.M(), p.K()
	taps := p.KH * p.KW
	fewRows := M < 8*64
	// Weight gradients: the "kernel" is the large output gradient; when its output-channel axis
	// is contiguous, each tap's [C, N] block is read in place (row stride KStrides[2]).
	perTapB := fewRows && p.KStrides[3] == 1 && p.N%32 == 0
	bmat := k
	if !perTapB && p.KStrides != [4]int{p.KW * p.C * p.N, p.C * p.N, p.N, 1} {
		bmat = gemm.Scratch(K * p.N)
		defer gemm.Release(bmat)
		Permute4(bmat, [4]int{p.KH, p.KW, p.C, p.N}, k, p.KStrides)
	}
	// Input in channels-last layout.
	xt := x
	if !p.xChannelsLast() {
		xt = gemm.Scratch(p.B * p.H * p.W * p.C)
		defer gemm.Release(xt)
		Permute4(xt, [4]int{p.B, p.H, p.W, p.C}, x, p.XStrides)
	}
	if !fewRows {
		// Many output rows (forward, input gradient): row chunks small enough for the patches to
		// stay in L2 while multiplied; each worker im2col's and multiplies its own chunks.
		// The kernel matrix is packed once for all chunks.
		// >= 96 rows so each B block is reused, a multiple of 12 so that the 6- and 12-row
		// micro-kernels see no partial row tile inside a chunk.
		rc := max(96, min(M, chunkL2/K)/12*12)
		numChunks := (M + rc - 1) / rc
		pb := gemm.PackF32(K, p.N, bmat, p.N)
		defer pb.Release()
		ts := p.tapStep(rc)
		gemm.ParallelFor(numChunks, func(start, end int) {
			a := gemm.Scratch(rc * ts * p.C)
			defer gemm.Release(a)
			for ch := start; ch < end; ch++ {
				r0, r1 := ch*rc, min(M, ch*rc+rc)
				// Patches of ts taps at a time (all of them unless K is long): the product is
				// accumulated over those K ranges, block for block as the whole product.
				for t0 := 0; t0 < taps; t0 += ts {
					t1 := min(taps, t0+ts)
					kLen := (t1 - t0) * p.C
					p.im2colRows(a, xt, r0, r1, t0, t1)
					gemm.MulF32PackedSerialRange(r1-r0, a, kLen, pb, t0*p.C, kLen, y[r0*p.N:], p.N, t0 > 0)
				}
			}
		})
		return
	}
	// Few output rows: each worker takes a range of taps into a private accumulator; sub-chunks
	// of taps keep the patches in L2.
	w := min(gemm.Workers(), taps)
	perWorker := (taps + w - 1) / w
	tc := max(1, min(perWorker, chunkL2/(M*p.C)))
	partial := make([][]float32, w)
	gemm.ParallelFor(w, func(start, end int) {
		for wi := start; wi < end; wi++ {
			acc := gemm.Scratch(M * p.N)
			a := gemm.Scratch(M * tc * p.C)
			first := true
			for t0 := wi * perWorker; t0 < min(taps, (wi+1)*perWorker); t0 += tc {
				t1 := min(taps, t0+tc, (wi+1)*perWorker)
				kLen := (t1 - t0) * p.C
				p.im2colRows(a, xt, 0, M, t0, t1)
				if perTapB {
					for t := t0; t < t1; t++ {
						kh, kw := t/p.KW, t%p.KW
						off := kh*p.KStrides[0] + kw*p.KStrides[1]
						gemm.MulF32Serial(M, p.N, p.C, a[(t-t0)*p.C:], kLen, k[off:], p.KStrides[2], acc, p.N, !first)
						first = false
					}
				} else {
					gemm.MulF32Serial(M, p.N, kLen, a, kLen, bmat[t0*p.C*p.N:], p.N, acc, p.N, !first)
					first = false
				}
			}
			gemm.Release(a)
			if first {
				clear(acc)
			}
			partial[wi] = acc
		}
	})
	copy(y, partial[0])
	gemm.Release(partial[0])
	for _, acc := range partial[1:] {
		addF32(y, y, acc)
		gemm.Release(acc)
	}
}

// tapStep returns the number of kernel taps whose patches a row chunk of rc rows is built and
// multiplied with at a time: all taps, unless the chunk's patches (rc x K) would be more than
// twice chunkL2 (the weight gradients, K = batch x positions: conv5 of AlexNet-BN width 1/4 has
// K = 8192, a 3 MiB chunk that no longer stays in L2 while multiplied). Then a multiple of the
// taps of whole kernel rows (KW) whose patch columns (taps x C) are a multiple of gemm.KBlock,
// so that the ranges split the product on its own K-block boundaries (same bits), and near
// chunkL2 in size; all taps if no such step is shorter.
func (p *Conv) tapStep(rc int) int {
	taps := p.KH * p.KW
	if !tapSplit || rc*p.K() <= 2*chunkL2 {
		return taps
	}
	step := gemm.KBlock / gcd(p.C, gemm.KBlock) // fewest taps whose columns fill whole K blocks
	step = step / gcd(step, p.KW) * p.KW        // and whole kernel rows (im2colUnitStride)
	if step >= taps {
		return taps
	}
	return min(taps, max(1, chunkL2/(rc*p.C*step))*step)
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// im2colRows fills a[r1-r0, (t1-t0)*C] with the patches of output rows [r0, r1) (row = (b, oh, ow))
// and kernel taps [t0, t1) (tap = kh*KW + kw), from xt [B, H, W, C] (channels-last).
func (p *Conv) im2colRows(a, xt []float32, r0, r1, t0, t1 int) {
	if im2colFast && p.im2colUnitStride(a, xt, r0, r1, t0, t1) {
		return
	}
	C, H, W, KW, OH, OW := p.C, p.H, p.W, p.KW, p.OH, p.OW
	ld := (t1 - t0) * C
	vH, vW := (H-1)*p.ID0+1, (W-1)*p.ID1+1 // virtual (dilated) input sizes.
	simple := p.ID1 == 1 && p.KD1 == 1
	for ri := 0; ri < r1-r0; ri++ {
		row := r0 + ri
		b, rem := row/(OH*OW), row%(OH*OW)
		oh, ow := rem/OW, rem%OW
		dstRow := a[ri*ld:][:ld]
		for t := t0; t < t1; t++ {
			kh, kw := t/KW, t%KW
			if kw == 0 && simple && t+KW <= t1 {
				// Whole kernel row at once when it lies inside the input.
				q0 := oh*p.S0 + kh*p.KD0 - p.P0
				q1 := ow*p.S1 - p.P1
				if q0 >= 0 && q0 < vH && q0%p.ID0 == 0 && q1 >= 0 && q1+KW <= W {
					h := q0 / p.ID0
					copy(dstRow[(t-t0)*C:][:KW*C], xt[((b*H+h)*W+q1)*C:][:KW*C])
					t += KW - 1
					continue
				}
			}
			d := dstRow[(t-t0)*C:][:C]
			q0 := oh*p.S0 + kh*p.KD0 - p.P0
			if q0 < 0 || q0 >= vH || q0%p.ID0 != 0 {
				clear(d)
				continue
			}
			q1 := ow*p.S1 + kw*p.KD1 - p.P1
			if q1 < 0 || q1 >= vW || q1%p.ID1 != 0 {
				clear(d)
				continue
			}
			h, w := q0/p.ID0, q1/p.ID1
			copy(d, xt[((b*H+h)*W+w)*C:][:C])
		}
	}
}

// im2colUnitStride is im2colRows for the common case (column stride 1, no dilation of the input
// or along the columns of the kernel, whole kernel rows of taps): the output position advances
// without a division per row, and a kernel row inside the input is one contiguous segment of
// KW*C values, copied by a plain loop when short (C = 3: 9 values, where a copy call costs more
// than the copy). Reports false, doing nothing, for other geometries.
func (p *Conv) im2colUnitStride(a, xt []float32, r0, r1, t0, t1 int) bool {
	C, H, W, KW, OH, OW := p.C, p.H, p.W, p.KW, p.OH, p.OW
	if p.S1 != 1 || p.ID0 != 1 || p.ID1 != 1 || p.KD1 != 1 || t0%KW != 0 || t1%KW != 0 || r0 >= r1 {
		return false
	}
	ld := (t1 - t0) * C
	seg := KW * C
	kh0, kh1 := t0/KW, t1/KW
	b, rem := r0/(OH*OW), r0%(OH*OW)
	oh, ow := rem/OW, rem%OW
	for ri := range r1 - r0 {
		dstRow := a[ri*ld:][:ld]
		w0 := ow - p.P1
		inside := w0 >= 0 && w0+KW <= W
		for kh := kh0; kh < kh1; kh++ {
			d := dstRow[(kh-kh0)*seg:][:seg]
			h := oh*p.S0 + kh*p.KD0 - p.P0
			if h < 0 || h >= H {
				clear(d)
				continue
			}
			base := (b*H + h) * W
			if inside {
				src := xt[(base+w0)*C:][:seg]
				if seg <= 32 {
					for i := range d {
						d[i] = src[i]
					}
				} else {
					copy(d, src)
				}
				continue
			}
			for kw := range KW {
				dd := d[kw*C:][:C]
				if w := w0 + kw; w < 0 || w >= W {
					clear(dd)
				} else {
					copy(dd, xt[(base+w)*C:][:C])
				}
			}
		}
		if ow++; ow == OW {
			ow = 0
			if oh++; oh == OH {
				oh = 0
				b++
			}
		}
	}
	return true
}
