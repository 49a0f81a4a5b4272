package gemm

import (
	"fmt"
	"testing"
)

// BenchmarkMicroF32 times the float32 packed micro-kernel alone on L1-resident panels (kc = 256),
// reporting GFLOP/s of one core: the ceiling of every product (compare with FMALoops' peak).
func BenchmarkMicroF32(b *testing.B) {
	pk := active.p32
	if pk == nil {
		b.Skipf("no packed float32 kernel (%s)", Kernel())
	}
	a := make([]float32, pk.mr*kc)
	bb := make([]float32, pk.nr*kc)
	c := make([]float32, pk.mr*pk.nr)
	for i := range a {
		a[i] = 1
	}
	b.ReportAllocs()
	for b.Loop() {
		pk.fn(kc, &a[0], &bb[0], &c[0], pk.nr, false)
	}
	b.ReportMetric(2*float64(pk.mr*pk.nr*kc)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

// BenchmarkSquareF32 times MulF32 (parallel) and MulF32Serial on square products.
func BenchmarkSquareF32(b *testing.B) {
	for _, n := range []int{512, 1024, 2048} {
		a, bb, c := make([]float32, n*n), make([]float32, n*n), make([]float32, n*n)
		for _, par := range []bool{false, true} {
			b.Run(fmt.Sprintf("n=%d/parallel=%v", n, par), func(b *testing.B) {
				for b.Loop() {
					if par {
						MulF32(n, n, n, a, n, bb, n, c, n)
					} else {
						MulF32Serial(n, n, n, a, n, bb, n, c, n, false)
					}
				}
				b.ReportMetric(2*float64(n*n*n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}

// rowBlocks covers every row once in blocks of a multiple of mr rows, at most mcPacked, with at
// least two blocks per worker.
func TestRowBlocks(t *testing.T) {
	for _, mr := range []int{6, 12} {
		for _, w := range []int{1, 2, 3, 4} {
			for m := 1; m < 3000; m += 7 {
				br, blocks := rowBlocks(m, mr, w)
				if br%mr != 0 || br > mcPacked || br < mr {
					t.Fatalf("m=%d mr=%d w=%d: block of %d rows", m, mr, w, br)
				}
				if blocks*br < m || (blocks-1)*br >= m {
					t.Fatalf("m=%d mr=%d w=%d: %d blocks of %d rows do not cover the rows exactly once", m, mr, w, blocks, br)
				}
				// Enough blocks to keep every worker busy, unless there are too few rows.
				if w > 1 && m >= 2*w*mr && blocks < 2*w {
					t.Errorf("m=%d mr=%d w=%d: only %d blocks", m, mr, w, blocks)
				}
			}
		}
	}
}

// BenchmarkLongKTA times A^T B products with a long contraction (weight gradients: A [k, m] the
// layer inputs, B [k, n] the output gradients): AlexNet-BN conv4 at width 1/4 and a ViT MLP
// weight (8320 tokens).
func BenchmarkLongKTA(b *testing.B) {
	for _, s := range [][3]int{{864, 64, 8192}, {192, 768, 8320}} {
		m, n, k := s[0], s[1], s[2]
		a, bb, c := make([]float32, k*m), make([]float32, k*n), make([]float32, m*n)
		b.Run(fmt.Sprintf("m=%d/n=%d/k=%d", m, n, k), func(b *testing.B) {
			for b.Loop() {
				MulF32TA(m, n, k, a, m, bb, n, c, n)
			}
			b.ReportMetric(2*float64(m*n*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
