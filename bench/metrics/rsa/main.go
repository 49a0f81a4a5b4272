// Command rsa is the Go side of bench/metrics/rsa.sh: it writes the benchmark data
// (-gen) as .npy files and times pkg/rsa on them (-what rdm|kendall).
//
// Workloads:
//
//	rdm:     correlation-distance RDM of an n x d pattern matrix, then Spearman against
//	         a model RDM (default 2000 x 4096);
//	kendall: Kendall tau-b between two RDMs of n stimuli (default 10000: ~50M pairs),
//	         the second with ties (rounded).
//
// Output lines are "key=value" pairs with seconds=... for the timed part.
package main

import (
	"flag"
	"fmt"
	"log"
	"math"
	"os"
	"path/filepath"
	"runtime/pprof"
	"syscall"
	"time"

	"github.com/coarsealign/coarsealign/pkg/data/npy"
	"github.com/coarsealign/coarsealign/pkg/rdm"
	"github.com/coarsealign/coarsealign/pkg/rsa"
	"github.com/coarsealign/coarsealign/pkg/stats"
)

func main() {
	what := flag.String("what", "rdm", "gen-rdm, gen-kendall, rdm or kendall")
	n := flag.Int("n", 2000, "stimuli")
	d := flag.Int("d", 4096, "channels (rdm workload)")
	dir := flag.String("dir", ".", "folder for the .npy files")
	seed := flag.Uint64("seed", 1, "data seed")
	reps := flag.Int("reps", 1, "timed repetitions; the fastest is reported")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the run to this file")
	flag.Parse()
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			log.Fatal(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			log.Fatal(err)
		}
		defer pprof.StopCPUProfile()
	}
	if err := runBench(*what, *n, *d, *dir, *seed, max(*reps, 1)); err != nil {
		pprof.StopCPUProfile()
		log.Fatalf("rsa bench: %v", err)
	}
}

func runBench(what string, n, d int, dir string, seed uint64, reps int) error {
	r := stats.NewRand(seed)
	switch what {
	case "gen-rdm":
		// Patterns with a shared low-rank structure so that the RDMs correlate.
		const k = 16
		basis := make([]float64, k*d)
		for i := range basis {
			basis[i] = r.NormFloat64()
		}
		x := make([]float64, n*d)
		model := make([]float64, n*k)
		for i := 0; i < n; i++ {
			for c := 0; c < k; c++ {
				model[i*k+c] = r.NormFloat64()
			}
			for j := 0; j < d; j++ {
				s := 0.0
				for c := 0; c < k; c++ {
					s += model[i*k+c] * basis[c*d+j]
				}
				x[i*d+j] = s + 3*r.NormFloat64()
			}
		}
		m, err := rsa.RDMFromPatternSlice("model", model, n, k, rsa.L2, nil)
		if err != nil {
			return err
		}
		if err := npy.WriteMatrix(filepath.Join(dir, "patterns.npy"), n, d, x); err != nil {
			return err
		}
		return npy.WriteMatrix(filepath.Join(dir, "model_rdm.npy"), 1, len(m.Vec), m.Vec)
	case "gen-kendall":
		const k = 8
		p := make([]float64, n*k)
		for i := range p {
			p[i] = r.NormFloat64()
		}
		a, err := rsa.RDMFromPatternSlice("a", p, n, k, rsa.L2, nil)
		if err != nil {
			return err
		}
		b := make([]float64, len(a.Vec))
		for i, v := range a.Vec {
			b[i] = math.Round((v+r.NormFloat64())*20) / 20 // noisy and tied
		}
		if err := npy.WriteMatrix(filepath.Join(dir, "kendall_a.npy"), 1, len(a.Vec), a.Vec); err != nil {
			return err
		}
		return npy.WriteMatrix(filepath.Join(dir, "kendall_b.npy"), 1, len(b), b)
	case "rdm":
		rows, cols, x, err := npy.ReadMatrix(filepath.Join(dir, "patterns.npy"))
		if err != nil {
			return err
		}
		_, _, mv, err := npy.ReadMatrix(filepath.Join(dir, "model_rdm.npy"))
		if err != nil {
			return err
		}
		model, err := rdm.FromVector("model", mv, nil)
		if err != nil {
			return err
		}
		var brain *rdm.RDM
		var v float64
		best := [3]float64{math.Inf(1), math.Inf(1), math.Inf(1)}
		bestCPU := math.Inf(1)
		for range reps {
			c0 := cpuSeconds()
			t0 := time.Now()
			brain, err = rsa.RDMFromPatternSlice("patterns", x, rows, cols, rsa.Correlation, nil)
			if err != nil {
				return err
			}
			t1 := time.Now()
			v, err = rsa.Compare(brain, model, rsa.Spearman)
			if err != nil {
				return err
			}
			t2 := time.Now()
			bestCPU = min(bestCPU, cpuSeconds()-c0)
			if s := t2.Sub(t0).Seconds(); s < best[2] {
				best = [3]float64{t1.Sub(t0).Seconds(), t2.Sub(t1).Seconds(), s}
			}
		}
		fmt.Printf("go rdm n=%d d=%d reps=%d value=%.12f rdm_s=%.3f spearman_s=%.3f seconds=%.3f cpu_s=%.3f\n",
			rows, cols, reps, v, best[0], best[1], best[2], bestCPU)
		return npy.WriteMatrix(filepath.Join(dir, "rdm_go.npy"), 1, len(brain.Vec), brain.Vec)
	case "kendall":
		_, _, av, err := npy.ReadMatrix(filepath.Join(dir, "kendall_a.npy"))
		if err != nil {
			return err
		}
		_, _, bv, err := npy.ReadMatrix(filepath.Join(dir, "kendall_b.npy"))
		if err != nil {
			return err
		}
		a, err := rdm.FromVector("a", av, nil)
		if err != nil {
			return err
		}
		b, err := rdm.FromVector("b", bv, nil)
		if err != nil {
			return err
		}
		var v float64
		best, bestCPU := math.Inf(1), math.Inf(1)
		for range reps {
			c0 := cpuSeconds()
			t0 := time.Now()
			v, err = rsa.Compare(a, b, rsa.Kendall)
			if err != nil {
				return err
			}
			best = min(best, time.Since(t0).Seconds())
			bestCPU = min(bestCPU, cpuSeconds()-c0)
		}
		fmt.Printf("go kendall n=%d pairs=%d reps=%d value=%.12f seconds=%.3f cpu_s=%.3f\n", a.N, len(av), reps, v, best, bestCPU)
		return nil
	}
	return fmt.Errorf("unknown -what %q", what)
}

// cpuSeconds returns the user+system CPU time of the process so far (all threads),
// the counterpart of Python's time.process_time.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return math.NaN()
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}
