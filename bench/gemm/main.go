// Command gemm prints internal/gemm's product rate beside the machine's FMA peak, measured in
// the same binary by an assembly loop of independent FMAs (gemm.FMALoops), as a fraction:
//
//	# peak avx2 f32: wall 1 goroutine 92.1 GFLOP/s, 2 goroutines 180.2 GFLOP/s; per CPU-second 92.3
//	gemm name=square-1024 dtype=f32 ... gflops=140.3 peak_frac=0.78 cpu_gflops=71.0 cpu_peak_frac=0.77
//
// peak_frac is the product's wall-clock rate (on gemm.Workers goroutines) over the wall-clock
// peak of all goroutines at once (same element type and instruction set); cpu_peak_frac is its
// rate per CPU-second of the process (getrusage) over the FMA loop's rate per CPU-second. On an
// idle machine the two agree; on a shared one the CPU-time fraction is the kernel's efficiency
// while it runs, and the wall-clock one also counts the time other processes took the cores.
// Each rate is the best of several timed windows or calls. Shapes: square, and the products of one training step of
// AlexNet-BN width 1/4 at 32x32, batch 128 (im2col convolutions forward, input and weight
// gradients; the FC layers).
//
// Usage: GOEXPERIMENT=simd go run ./bench/gemm [-reps 5] [-only f32]
package main

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/coarsealign/coarsealign/internal/gemm"
)

var (
	flagReps = flag.Int("reps", 5, "timed repetitions per shape (best reported)")
	flagOnly = flag.String("only", "", "f32 or f64: only that element type")
	flagPeak = flag.Duration("peak", 300*time.Millisecond, "duration of each FMA peak measurement")
)

type shape struct {
	name    string
	m, n, k int
	transA  bool
}

// AlexNet-BN width 1/4 at 32x32 (pkg/models: channels 16, 48, 96, 64, 64 after 3x3 convs, 2x2
// pools after conv1, conv2 and conv5, fc 576 -> 1024 -> 1024 -> K), batch 128: im2col products
// [pixels, 9 Cin] x [9 Cin, Cout] forward, [pixels, Cout] x [Cout, 9 Cin] for the input
// gradient, and [9 Cin, pixels] x [pixels, Cout] (A transposed) for the weight gradient.
var f32Shapes = []shape{
	{"square-512", 512, 512, 512, false},
	{"square-1024", 1024, 1024, 1024, false},
	{"square-2048", 2048, 2048, 2048, false},
	{"conv1-fwd", 128 * 32 * 32, 16, 27, false},
	{"conv2-fwd", 128 * 16 * 16, 48, 144, false},
	{"conv2-dx", 128 * 16 * 16, 144, 48, false},
	{"conv2-dw", 144, 48, 128 * 16 * 16, true},
	{"conv3-fwd", 128 * 8 * 8, 96, 432, false},
	{"conv4-fwd", 128 * 8 * 8, 64, 864, false},
	{"conv4-dx", 128 * 8 * 8, 864, 64, false},
	{"conv4-dw", 864, 64, 128 * 8 * 8, true},
	{"fc6-fwd", 128, 1024, 576, false},
	{"fc7-fwd", 128, 1024, 1024, false},
	{"fc7-dw", 1024, 1024, 128, true},
}

// Square float64 shapes and the metrics' products (800 stimuli x 2000 features, as in
// internal/gemm's BenchmarkMulF64).
var f64Shapes = []shape{
	{"square-512", 512, 512, 512, false},
	{"square-1024", 1024, 1024, 1024, false},
	{"ridge-800x2000", 800, 2000, 800, false},
}

func main() {
	flag.Parse()
	fmt.Printf("# %s load average: %s, GOMAXPROCS=%d, kernel=%s (available: %s)\n", time.Now().UTC().Format(time.RFC3339),
		loadavg(), gemm.Workers(), gemm.Kernel(), strings.Join(gemm.Kernels(), ","))
	type peakRates struct{ wall, cpu float64 }
	peaks := map[string]peakRates{}
	for _, l := range gemm.FMALoops() {
		w1, c1 := measureLoop(l, 1)
		wa, _ := measureLoop(l, gemm.Workers())
		fmt.Printf("# peak %s f%d: wall 1 goroutine %.1f GFLOP/s, %d goroutines %.1f GFLOP/s; per CPU-second %.1f GFLOP/s\n",
			l.ISA, l.Bits, w1/1e9, gemm.Workers(), wa/1e9, c1/1e9)
		peaks[fmt.Sprintf("%s/f%d", l.ISA, l.Bits)] = peakRates{wa, c1}
	}
	peak := func(bits int) peakRates {
		isa := strings.TrimSuffix(gemm.Kernel(), "-simd")
		return peaks[fmt.Sprintf("%s/f%d", isa, bits)]
	}
	rng := rand.New(rand.NewPCG(1, 2))
	if *flagOnly != "f64" {
		for _, s := range f32Shapes {
			a, b, c := randF32(rng, s.m*s.k), randF32(rng, s.k*s.n), make([]float32, s.m*s.n)
			el, cpu := best(func() {
				if s.transA {
					gemm.MulF32TA(s.m, s.n, s.k, a, s.m, b, s.n, c, s.n)
				} else {
					gemm.MulF32(s.m, s.n, s.k, a, s.k, b, s.n, c, s.n)
				}
			})
			report(s, "f32", el, cpu, peak(32).wall, peak(32).cpu)
		}
	}
	if *flagOnly != "f32" {
		for _, s := range f64Shapes {
			a, b, c := randF64(rng, s.m*s.k), randF64(rng, s.k*s.n), make([]float64, s.m*s.n)
			el, cpu := best(func() { gemm.MulF64(s.m, s.n, s.k, a, s.k, b, s.n, c, s.n) })
			report(s, "f64", el, cpu, peak(64).wall, peak(64).cpu)
		}
		const n, k = 1000, 2048 // Gram of 1000 stimuli x 2048 features (linear CKA, ridge)
		a, c := randF64(rng, n*k), make([]float64, n*n)
		el, cpu := best(func() { gemm.SyrkF64(n, k, a, k, c, n) })
		// Half the flops of the full product.
		report(shape{"syrk-1000x2048", n, n, k / 2, false}, "f64", el, cpu, peak(64).wall, peak(64).cpu)
	}
	fmt.Printf("# %s load average: %s\n", time.Now().UTC().Format(time.RFC3339), loadavg())
}

// measureLoop returns the FMA loop's best wall-clock rate over 10 windows of -peak/10 with g
// goroutines, and its best rate per CPU-second of the process.
func measureLoop(l gemm.FMALoop, g int) (wall, cpu float64) {
	const n = 1 << 14
	for range 10 {
		deadline := time.Now().Add(*flagPeak / 10)
		var mu sync.Mutex
		iters := 0
		start, c0 := time.Now(), cpuTime()
		var wg sync.WaitGroup
		for range g {
			wg.Add(1)
			go func() {
				defer wg.Done()
				done := 0
				for time.Now().Before(deadline) {
					l.Run(n)
					done += n
				}
				mu.Lock()
				iters += done
				mu.Unlock()
			}()
		}
		wg.Wait()
		flops := float64(iters) * float64(l.FlopsPerIter)
		wall = max(wall, flops/time.Since(start).Seconds())
		cpu = max(cpu, flops/(cpuTime()-c0).Seconds())
	}
	return wall, cpu
}

// best returns the shortest wall time and the smallest process CPU time of -reps calls of f
// after one warm-up call.
func best(f func()) (wall, cpu time.Duration) {
	f()
	for i := range *flagReps {
		start, c0 := time.Now(), cpuTime()
		f()
		el, ec := time.Since(start), cpuTime()-c0
		if i == 0 || el < wall {
			wall = el
		}
		if i == 0 || ec < cpu {
			cpu = ec
		}
	}
	return wall, cpu
}

// cpuTime is the process's user + system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func report(s shape, dtype string, el, cpu time.Duration, peakWall, peakCPU float64) {
	flops := 2 * float64(s.m) * float64(s.n) * float64(s.k)
	frac := func(rate, peak float64) string {
		if peak <= 0 {
			return "NA"
		}
		return fmt.Sprintf("%.2f", rate/peak)
	}
	rate, cpuRate := flops/el.Seconds(), flops/cpu.Seconds()
	fmt.Printf("gemm name=%s dtype=%s m=%d n=%d k=%d kernel=%s ms=%.3f gflops=%.1f peak_frac=%s cpu_gflops=%.1f cpu_peak_frac=%s\n",
		s.name, dtype, s.m, s.n, s.k, gemm.Kernel(), el.Seconds()*1e3, rate/1e9, frac(rate, peakWall), cpuRate/1e9, frac(cpuRate, peakCPU))
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	return strings.Join(f[:min(3, len(f))], " ")
}

func randF32(rng *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(rng.NormFloat64())
	}
	return s
}

func randF64(rng *rand.Rand, n int) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = rng.NormFloat64()
	}
	return s
}
