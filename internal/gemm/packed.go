package gemm

import (
	"sync"
	"sync/atomic"
)

// packedKernel is a micro-kernel on packed panels (the assembly kernels, see asmgen): fn(k, a, b,
// c, ldc, acc) sets (acc: adds to) the mr x nr tile c[r*ldc+j] to sum_{l<k} a[l*mr+r]*b[l*nr+j].
// nc is the column block (B block kc x nc, packed once per block and shared by the workers).
// direct is the same tile with A read in place (A(r, l) = a[r*lda+l]), used for row-major A when
// N spans at most directPanels panels (then packing A costs as much as a good part of the product).
type packedKernel[T float] struct {
	mr, nr, nc int
	fn         func(k int, a, b, c *T, ldc int, acc bool)
	direct     func(k int, a *T, lda int, b, c *T, ldc int, acc bool)
}

// directPanels is the widest B (in nr-column panels) for which row-major A is read in place
// rather than packed (a variable so that tests can force either path).
var directPanels = 16

// mcPacked is the row block (A block mcPacked x kc, packed per worker, in L2: 96 KiB float32,
// 192 KiB float64); a multiple of every kernel's mr (6 and 12).
const mcPacked = 96

// maxTile bounds mr*nr of every packed kernel (12 x 32).
const maxTile = 12 * 32

// runPacked sets c[M,N] (row stride ldc) to A B, or adds it with accumulate. Element (i, l) of A is
// a[i*aRow+l*aCol], element (l, j) of B is b[l*bRow+j*bCol] (so transposed operands are read in
// place). With upper only the tiles that hold an element on or above the diagonal (i <= j) are
// computed (SyrkF64); below-diagonal elements inside them are written too, with their values.
// Loops (GotoBLAS order): column blocks of nc, K blocks of kc (B block packed), row blocks of
// at most mcPacked (A block packed; blocks handed out to Workers goroutines if parallel), then
// nr-column and mr-row tiles. Edge tiles go through a buffer, so padded rows and columns
// (zeros) are never stored.
func runPacked[T float](pk *packedKernel[T], M, N, K int, a []T, aRow, aCol int, b []T, bRow, bCol int, c []T, ldc int, accumulate, parallel, upper bool) {
	runPackedB(pk, M, N, K, a, aRow, aCol, b, bRow, bCol, nil, c, ldc, accumulate, parallel, upper)
}

// runPackedB is runPacked with B taken from pre (packed by packAllB) when pre is not nil.
func runPackedB[T float](pk *packedKernel[T], M, N, K int, a []T, aRow, aCol int, b []T, bRow, bCol int, pre []T, c []T, ldc int, accumulate, parallel, upper bool) {
	if M == 0 || N == 0 {
		return
	}
	if K == 0 {
		if !accumulate {
			for i := range M {
				clear(c[i*ldc:][:N])
			}
		}
		return
	}
	mr, nr := pk.mr, pk.nr
	ncb := min(pk.nc, (N+nr-1)/nr*nr)
	p := poolOf[T]()
	var bp []T
	if pre == nil {
		bp = p.get(min(kc, K) * ncb)
		defer p.put(bp)
	}
	w := 1
	if parallel {
		w = Workers()
	}
	for j0 := 0; j0 < N; j0 += ncb {
		nb := min(ncb, N-j0)
		panels := (nb + nr - 1) / nr
		direct := pk.direct != nil && aCol == 1 && panels <= directPanels
		mu := M
		if upper {
			mu = min(M, j0+nb) // rows below the block's last column hold no upper element
		}
		br, blocks := rowBlocks(mu, mr, w)
		for k0 := 0; k0 < K; k0 += kc {
			kb := min(kc, K-k0)
			var bk []T
			if pre != nil {
				bk = pre[j0*K+k0*panels*nr:][:panels*nr*kb]
			} else if j0 == 0 && nb == nr && bCol == 1 && bRow == nr {
				// B is one full panel of contiguous rows: already in packed order (the output
				// gradients of 16-channel convolutions as B of their weight gradients).
				bk = b[k0*nr:][:nr*kb]
			} else {
				bk = bp[:panels*nr*kb]
				packB(bk, b, bRow, bCol, k0, kb, j0, nb, nr, w > 1 && panels >= 8)
			}
			add := accumulate || k0 > 0
			forBlocks(blocks, w, func(ap []T, blk int) {
				i0 := blk * br
				mb := min(br, mu-i0)
				if !direct {
					packA(ap, a, aRow, aCol, i0, mb, k0, kb, mr)
				}
				var tile [maxTile]T
				for q := range panels {
					c0 := j0 + q*nr
					nc := min(nr, N-c0)
					bq := bk[q*nr*kb:][:nr*kb]
					for ir := 0; ir < mb; ir += mr {
						i := i0 + ir
						if upper && i >= c0+nc {
							break // this tile and the ones below are strictly lower
						}
						m := min(mr, mb-ir)
						var aq []T
						if direct {
							if m == mr {
								_ = a[(i+mr-1)*aRow+k0+kb-1]
								if nc == nr {
									_ = c[(i+mr-1)*ldc+c0+nr-1]
									pk.direct(kb, &a[i*aRow+k0], aRow, &bq[0], &c[i*ldc+c0], ldc, add)
									continue
								}
								pk.direct(kb, &a[i*aRow+k0], aRow, &bq[0], &tile[0], nr, false)
								for r := range m {
									copyOrAdd(c[(i+r)*ldc+c0:][:nc], tile[r*nr:], add)
								}
								continue
							}
							aq = ap[:mr*kb] // last, partial row tile: packed
							packA(aq, a, aRow, aCol, i, m, k0, kb, mr)
						} else {
							aq = ap[ir*kb:][:mr*kb]
						}
						if m == mr && nc == nr {
							_ = c[(i+mr-1)*ldc+c0+nr-1]
							pk.fn(kb, &aq[0], &bq[0], &c[i*ldc+c0], ldc, add)
							continue
						}
						pk.fn(kb, &aq[0], &bq[0], &tile[0], nr, false)
						for r := range m {
							copyOrAdd(c[(i+r)*ldc+c0:][:nc], tile[r*nr:], add)
						}
					}
				}
			}, mcPacked*kc)
		}
	}
}

// rowBlocks splits m rows into blocks of br rows (a multiple of mr, at most mcPacked) for w
// workers: at least two blocks per worker and, where mr-row rounding allows, a number of blocks
// that is a multiple of w, of near-equal sizes, so that no worker waits long for the last one
// (1024 rows on 2 workers: 12 blocks of 90 rows and one of 34 rather than 10 of 96 and one of 64).
func rowBlocks(m, mr, w int) (br, blocks int) {
	if w <= 1 {
		br = min(mcPacked, (m+mr-1)/mr*mr)
		return br, (m + br - 1) / br
	}
	base := max(2*w, (m+mcPacked-1)/mcPacked)
	base = (base + w - 1) / w * w
	// Rounding the block up to mr rows can drop blocks: try the next rounds until the count is whole.
	for nb := base; nb <= base+4*w; nb += w {
		b := max(mr, ((m+nb-1)/nb+mr-1)/mr*mr)
		if (m+b-1)/b == nb {
			return b, nb
		}
	}
	br = max(mr, m/base/mr*mr) // rounded down: at least base blocks
	return br, (m + br - 1) / br
}

// packAllB packs all of B [K, N] (element (l, j) at b[l*bRow+j*bCol]) in runPackedB's order: column
// blocks of pk.nc, then K blocks of kc, each as packB's panels.
func packAllB[T float](pk *packedKernel[T], K, N int, b []T, bRow, bCol int, dst []T) {
	nr := pk.nr
	ncb := min(pk.nc, (N+nr-1)/nr*nr)
	for j0 := 0; j0 < N; j0 += ncb {
		nb := min(ncb, N-j0)
		panels := (nb + nr - 1) / nr
		for k0 := 0; k0 < K; k0 += kc {
			kb := min(kc, K-k0)
			packB(dst[j0*K+k0*panels*nr:][:panels*nr*kb], b, bRow, bCol, k0, kb, j0, nb, nr, false)
		}
	}
}

// packedLen is the length of packAllB's output.
func packedLen(nr, K, N int) int { return K * ((N + nr - 1) / nr * nr) }

// packB writes the columns [j0, j0+nb) of rows [k0, k0+kb) of B into bp as nr-column panels:
// bp[q*nr*kb + l*nr + j] = B(k0+l, j0+q*nr+j), zero past column j0+nb.
func packB[T float](bp, b []T, bRow, bCol, k0, kb, j0, nb, nr int, parallel bool) {
	panels := (nb + nr - 1) / nr
	pack := func(q0, q1 int) {
		for q := q0; q < q1; q++ {
			dst := bp[q*nr*kb:][:nr*kb]
			nc := min(nr, nb-q*nr)
			for l := range kb {
				row := dst[l*nr:][:nr]
				off := (k0+l)*bRow + (j0+q*nr)*bCol
				if bCol == 1 {
					// Element moves rather than a copy call per nr values.
					for j, v := range b[off:][:nc] {
						row[j] = v
					}
				} else {
					for j := range nc {
						row[j] = b[off+j*bCol]
					}
				}
				clear(row[nc:])
			}
		}
	}
	if parallel {
		ParallelFor(panels, pack)
	} else {
		pack(0, panels)
	}
}

// packA writes the rows [i0, i0+mb) of columns [k0, k0+kb) of A into ap as mr-row panels:
// ap[p*mr*kb + l*mr + r] = A(i0+p*mr+r, k0+l), zero past row i0+mb.
func packA[T float](ap, a []T, aRow, aCol, i0, mb, k0, kb, mr int) {
	for p0 := 0; p0 < mb; p0 += mr {
		dst := ap[p0*kb:][:mr*kb]
		m := min(mr, mb-p0)
		if aRow == 1 { // A^T in place: the mr values of one l are contiguous
			src := a[k0*aCol+i0+p0:]
			switch {
			// Element moves: an array copy of a generic T compiles to a memmove call per l.
			case m == 6 && mr == 6:
				for l := range kb {
					d, v := dst[l*6:][:6], src[l*aCol:][:6]
					d[0], d[1], d[2], d[3], d[4], d[5] = v[0], v[1], v[2], v[3], v[4], v[5]
				}
			case m == 12 && mr == 12:
				for l := range kb {
					d, v := dst[l*12:][:12], src[l*aCol:][:12]
					for r := range d {
						d[r] = v[r]
					}
				}
			default: // a partial tile: element loops (a copy call per few values costs more)
				for l := range kb {
					d, sv := dst[l*mr:][:mr], src[l*aCol:][:m]
					for r, v := range sv {
						d[r] = v
					}
					for r := m; r < mr; r++ {
						d[r] = 0
					}
				}
			}
			continue
		}
		if aCol == 1 && m == 6 && mr == 6 {
			// Six sequential read streams, one sequential write stream.
			base := (i0+p0)*aRow + k0
			r0, r1, r2 := a[base:][:kb], a[base+aRow:][:kb], a[base+2*aRow:][:kb]
			r3, r4, r5 := a[base+3*aRow:][:kb], a[base+4*aRow:][:kb], a[base+5*aRow:][:kb]
			for l := range kb {
				d := (*[6]T)(dst[l*6:])
				d[0], d[1], d[2], d[3], d[4], d[5] = r0[l], r1[l], r2[l], r3[l], r4[l], r5[l]
			}
			continue
		}
		for r := range m {
			src := a[(i0+p0+r)*aRow+k0*aCol:]
			if aCol == 1 {
				for l, v := range src[:kb] {
					dst[l*mr+r] = v
				}
			} else {
				for l := range kb {
					dst[l*mr+r] = src[l*aCol]
				}
			}
		}
		for r := m; r < mr; r++ {
			for l := range kb {
				dst[l*mr+r] = 0
			}
		}
	}
}

// forBlocks calls fn(buf, blk) for every blk < n on w goroutines (blocks handed out in order,
// one at a time); buf is a per-goroutine scratch buffer of bufLen elements.
func forBlocks[T float](n, w int, fn func(buf []T, blk int), bufLen int) {
	p := poolOf[T]()
	w = min(w, n)
	if w <= 1 {
		buf := p.get(bufLen)
		for blk := range n {
			fn(buf, blk)
		}
		p.put(buf)
		ClearUpper()
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range w {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := p.get(bufLen)
			defer p.put(buf)
			defer ClearUpper()
			for {
				blk := int(next.Add(1)) - 1
				if blk >= n {
					return
				}
				fn(buf, blk)
			}
		}()
	}
	wg.Wait()
}

// FMALoop is an assembly loop of independent FMAs for measuring the machine's peak rate:
// Run(n) does n iterations of FlopsPerIter floating-point operations on registers.
type FMALoop struct {
	ISA          string // "avx512" or "avx2"
	Bits         int    // 32 (float32) or 64 (float64)
	Run          func(n int)
	FlopsPerIter int
}

// FMALoops returns the FMA peak loops this CPU runs (empty off amd64).
func FMALoops() []FMALoop { return peakLoops() }
