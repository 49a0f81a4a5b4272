package fastconv

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

func TestGEMM(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, c := range [][3]int{{1, 1, 1}, {8, 32, 16}, {13, 45, 300}, {70, 10, 27}, {129, 64, 600}, {27, 32, 2000}} {
		M, N, K := c[0], c[1], c[2]
		a := make([]float32, M*K)
		b := make([]float32, K*N)
		for i := range a {
			a[i] = float32(rng.NormFloat64())
		}
		for i := range b {
			b[i] = float32(rng.NormFloat64())
		}
		out := make([]float32, M*N)
		gemm(M, N, K, a, K, b, N, out, N)
		// Transposed A: at[k][i] = a[i][k].
		at := make([]float32, K*M)
		for i := range M {
			for k := range K {
				at[k*M+i] = a[i*K+k]
			}
		}
		outT := make([]float32, M*N)
		gemmTA(M, N, K, at, M, b, N, outT, N)
		for i := range out {
			if !(math.Abs(float64(out[i]-outT[i])) <= 1e-4*math.Sqrt(float64(K))) {
				t.Fatalf("gemmTA differs at %d: %g vs %g", i, outT[i], out[i])
			}
		}
		for i := range M {
			for j := range N {
				var want float64
				for k := range K {
					want += float64(a[i*K+k]) * float64(b[k*N+j])
				}
				if !(math.Abs(want-float64(out[i*N+j])) <= 1e-4*math.Sqrt(float64(K))*3) {
					t.Fatalf("M,N,K=%d,%d,%d: c[%d,%d]=%g, want %g", M, N, K, i, j, out[i*N+j], want)
				}
			}
		}
	}
}

func TestGEMMSpeed(t *testing.T) {
	if testing.Short() {
		t.Skip("speed report")
	}
	for _, c := range [][3]int{{16384, 64, 288}, {65536, 32, 27}, {288, 64, 16384}, {1024, 1024, 1024}} {
		M, N, K := c[0], c[1], c[2]
		a := make([]float32, M*K)
		b := make([]float32, K*N)
		for i := range a {
			a[i] = float32(i%7) - 3
		}
		for i := range b {
			b[i] = float32(i%5) - 2
		}
		out := make([]float32, M*N)
		gemm(M, N, K, a, K, b, N, out, N)
		start, cpu0 := time.Now(), cpuTime()
		n := 5
		for range n {
			gemm(M, N, K, a, K, b, N, out, N)
		}
		el := time.Since(start) / time.Duration(n)
		cpu := (cpuTime() - cpu0) / time.Duration(n)
		fmt.Printf("gemm %v: wall %v (%.1f GFLOP/s), cpu %v (%.1f GFLOP/s per busy core)\n", c, el,
			2*float64(M*N*K)/el.Seconds()/1e9, cpu, 2*float64(M*N*K)/cpu.Seconds()/1e9)
	}
}

func cpuTime() time.Duration { return processCPUTime() }
