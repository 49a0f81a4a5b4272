// Command ridge times pkg/encoding's cross-validated ridge (and linear CKA) on synthetic data
// and writes that data as X.npy / Y.npy so that bench/metrics/ridge_peer.py runs on the same numbers.
// Run it through bench/metrics/ridge.sh.
package main

import (
	"flag"
	"fmt"
	"log"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime/pprof"
	"syscall"
	"time"

	"github.com/sbinet/npyio"
	"gonum.org/v1/gonum/mat"

	"github.com/coarsealign/coarsealign/pkg/cka"
	"github.com/coarsealign/coarsealign/pkg/encoding"
)

func main() {
	n := flag.Int("n", 1000, "stimuli")
	p := flag.Int("p", 4096, "features")
	t := flag.Int("t", 500, "targets")
	folds := flag.Int("folds", 5, "outer and inner folds")
	nalpha := flag.Int("alphas", 20, "alphas log-spaced 1e-10..1e10")
	seed := flag.Uint64("seed", 1, "data and fold seed")
	dir := flag.String("dir", "", "directory for X.npy and Y.npy (required)")
	what := flag.String("what", "ridge", "ridge or cka")
	loo := flag.Bool("loo", false, "choose alpha by efficient leave-one-out (encoding.Options.InnerLOO)")
	cpuprof := flag.String("cpuprofile", "", "write a CPU profile of the timed section to this file")
	flag.Parse()
	if *dir == "" {
		log.Fatal("ridge: -dir is required")
	}
	x, y := data(*n, *p, *t, *seed)
	for name, m := range map[string]*mat.Dense{"X.npy": x, "Y.npy": y} {
		f, err := os.Create(filepath.Join(*dir, name))
		if err != nil {
			log.Fatal(err)
		}
		if err := npyio.Write(f, m); err != nil {
			log.Fatalf("ridge: writing %s: %v", name, err)
		}
		if err := f.Close(); err != nil {
			log.Fatal(err)
		}
	}
	if *cpuprof != "" { // only the timed section: not the data generation and .npy writing above
		pf, err := os.Create(*cpuprof)
		if err != nil {
			log.Fatal(err)
		}
		if err := pprof.StartCPUProfile(pf); err != nil {
			log.Fatal(err)
		}
		defer pprof.StopCPUProfile()
	}
	switch *what {
	case "ridge":
		t0, c0 := time.Now(), cpuSeconds()
		res, err := encoding.Ridge(x, y, encoding.Options{Alphas: encoding.LogSpace(-10, 10, *nalpha), Folds: *folds, InnerFolds: *folds, Seed: *seed, InnerLOO: *loo})
		if err != nil {
			log.Fatal(err)
		}
		rname := "r_go.npy"
		inner := fmt.Sprintf("%dfold", *folds)
		if *loo {
			rname, inner = "r_go_loo.npy", "loo"
		}
		if err := writeFolds(*dir, rname, res); err != nil {
			log.Fatal(err)
		}
		wall, cpu := time.Since(t0).Seconds(), cpuSeconds()-c0
		fmt.Printf("go ridge n=%d p=%d t=%d folds=%d inner=%s alphas=%d seconds=%.3f cpu=%.3f mean_r=%.4f median_alpha=%.3g\n",
			*n, *p, *t, *folds, inner, *nalpha, wall, cpu, res.Score, medianAlpha(res.Alpha))
	case "cka":
		for _, est := range []cka.Estimator{cka.Biased, cka.Unbiased} {
			best := math.Inf(1)
			var v float64
			for range 20 { // best of 20, as the peer (one product takes ~10 ms: a few runs are noise)
				t0 := time.Now()
				var err error
				if v, err = cka.CKA(x, y, cka.Options{Estimator: est}); err != nil {
					log.Fatal(err)
				}
				best = math.Min(best, time.Since(t0).Seconds())
			}
			fmt.Printf("go cka debiased=%v value=%.10f seconds=%.4f\n", est == cka.Unbiased, v, best)
		}
	default:
		log.Fatalf("ridge: unknown -what %q", *what)
	}
}

// data: X = F L + 0.5 noise with 50 latent factors F; Y = F M + noise (unit SD), so the
// targets are partly predictable and the best alpha is neither extreme.
func data(n, p, t int, seed uint64) (*mat.Dense, *mat.Dense) {
	rng := rand.New(rand.NewPCG(seed, 2026))
	g := func(r, c int, sd float64) *mat.Dense {
		d := make([]float64, r*c)
		for i := range d {
			d[i] = sd * rng.NormFloat64()
		}
		return mat.NewDense(r, c, d)
	}
	k := 50
	f := g(n, k, 1)
	var x, y mat.Dense
	x.Mul(f, g(k, p, 1))
	x.Add(&x, g(n, p, 0.5))
	y.Mul(f, g(k, t, 0.2))
	y.Add(&y, g(n, t, 1))
	return &x, &y
}

func medianAlpha(a [][]float64) float64 {
	var all []float64
	for _, r := range a {
		all = append(all, r...)
	}
	return encoding.Median(all)
}

// writeFolds saves the per-target r (r_go.npy),  the outer fold of each stimulus (folds.npy, length n) and the inner fold of
// each training stimulus per outer fold (inner_<f>.npy), so the peer uses identical splits.
func writeFolds(dir, rname string, res *encoding.Result) error {
	save := func(name string, v []int) error {
		f64 := make([]float64, len(v))
		for i, x := range v {
			f64[i] = float64(x)
		}
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			return err
		}
		if err := npyio.Write(f, f64); err != nil {
			return fmt.Errorf("ridge: writing %s: %w", name, err)
		}
		return f.Close()
	}
	if err := save("folds.npy", res.Fold); err != nil {
		return err
	}
	f, err := os.Create(filepath.Join(dir, rname))
	if err != nil {
		return err
	}
	if err := npyio.Write(f, res.R); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	for f, in := range res.InnerFold {
		if in == nil {
			continue
		}
		if err := save(fmt.Sprintf("inner_%d.npy", f), in); err != nil {
			return err
		}
	}
	return nil
}

// cpuSeconds returns the user+system CPU time of this process (all threads), so that
// ratios can be compared on a machine shared with other jobs.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return math.NaN()
	}
	tv := func(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }
	return tv(ru.Utime) + tv(ru.Stime)
}
