// Command train measures GoMLX training and feature-extraction throughput on the pure-Go path
// (fastconv wrapper backend) for the workloads of bench/train/run.sh, printing one line per workload:
//
//	workload=cnn3-32 impl=gomlx backend=fastgo (simd) batch=64 ms_step=... img_s=...
//
// Usage: GOEXPERIMENT=simd go run ./bench/train -workload cnn3-32 [-steps 10] [-warmup 2]
package main

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime/pprof"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/coarsealign/coarsealign/pkg/backend"
	"github.com/coarsealign/coarsealign/pkg/fastconv"
	"github.com/coarsealign/coarsealign/pkg/models"
	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/gobackend"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/layers"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train"
	"github.com/gomlx/gomlx/ml/train/loss"
	"github.com/gomlx/gomlx/ml/train/optimizer"
)

var (
	flagWorkload = flag.String("workload", "cnn3-32", "cnn3-32, alexnet-bn-32, alexnet-bn-64, alexnet-w25-32, vit-cifar-32, vit-cifar-w25-32 or features-92 (comma-separated list allowed)")
	flagSteps    = flag.Int("steps", 10, "measured steps (median reported)")
	flagWarmup   = flag.Int("warmup", 2, "warm-up steps (compilation included)")
	flagBatch    = flag.Int("batch", 64, "training batch size")
	flagClasses  = flag.Int("classes", 16, "K, outputs of AlexNet-BN")
	flagPlain    = flag.Bool("plain", false, "use the plain pure-Go backend (stock ops; for comparison)")
	flagProfile  = flag.String("cpuprofile", "", "write a CPU profile of the measured steps")
)

func getBackend() compute.Backend {
	if *flagPlain {
		b, err := gobackend.New("parallelism=-1")
		if err != nil {
			panic(err)
		}
		return b
	}
	return backend.MustNew()
}

// cnn3 is the 3-conv CNN: 3x3 convs 32/64/128 with ReLU and 2x2 max-pool, global average pool,
// dense 10. x: [batch, H, W, 3] float32; returns logits [batch, 10].
func cnn3(scope *model.Scope, x *graph.Node) *graph.Node {
	for i, ch := range []int{32, 64, 128} {
		x = fastconv.Conv2D(scope.In("conv%d", i), x, ch, 3)
		x = fastconv.MaxPool2x2(fastconv.Relu(x))
	}
	x = fastconv.GlobalAvgPool(x)
	return layers.DenseWithBias(scope.In("dense"), x, 10)
}

// alexnetSpec is the project's AlexNet-BN (pkg/models, width 1: convs 64/192/384/256/256 with BN
// and ReLU, FC 4096 x2 with BN, dropout 0.3, K outputs) at the given input size; the PyTorch peer
// (torch_peer.py) builds the same network.
func alexnetSpec(size int, width float64) models.Spec {
	return models.DefaultAlexNetBN(*flagClasses, size, width)
}

// alexnetBN returns the logits and the fc7 (second hidden FC, post-ReLU) features.
func alexnetBN(scope *model.Scope, x *graph.Node, size int, width float64) (logits, features *graph.Node) {
	logits, taps := models.Build(scope, alexnetSpec(size, width), x)
	for _, t := range taps {
		if t.Name == "fc7.post" {
			features = t.Node
		}
	}
	return logits, features
}

func randomImages(rng *rand.Rand, n, size int) []float32 {
	data := make([]float32, n*size*size*3)
	for i := range data {
		data[i] = float32(rng.NormFloat64())
	}
	return data
}

func median(xs []time.Duration) time.Duration {
	s := append([]time.Duration(nil), xs...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

func benchTrain(name string, size, batch int, modelFn func(scope *model.Scope, x *graph.Node) *graph.Node) {
	backend := getBackend()
	store := model.NewStore()
	store.SetParam(model.ParamInitialSeed, int64(1))
	opt := optimizer.Adam().LearningRate(1e-3).Done()
	trainer := train.NewTrainer(backend, store, modelFn, loss.SparseCategoricalCrossEntropyLogits, opt, nil, nil)
	rng := rand.New(rand.NewPCG(1, 1))
	images := randomImages(rng, batch, size)
	labels := make([]int32, batch)
	for i := range labels {
		labels[i] = int32(rng.IntN(10))
	}
	var times, cpus []time.Duration
	var lastLoss float32
	for step := 0; step < *flagWarmup+*flagSteps; step++ {
		x := tensors.FromFlatDataAndDimensions(append([]float32(nil), images...), batch, size, size, 3)
		y := tensors.FromFlatDataAndDimensions(append([]int32(nil), labels...), batch, 1)
		start, cpu0 := time.Now(), cpuTime()
		metrics, err := trainer.TrainStep(train.Batch{Inputs: []*tensors.Tensor{x}, Labels: []*tensors.Tensor{y}})
		if err != nil {
			fmt.Fprintf(os.Stderr, "%s: train step %d: %+v\n", name, step, err)
			os.Exit(1)
		}
		lastLoss = tensors.MustCopyFlatData[float32](metrics[0])[0]
		if step >= *flagWarmup {
			times = append(times, time.Since(start))
			cpus = append(cpus, cpuTime()-cpu0)
		}
		if step == *flagWarmup-1 && *flagProfile != "" {
			f, err := os.Create(*flagProfile)
			if err != nil {
				panic(err)
			}
			_ = pprof.StartCPUProfile(f)
			defer pprof.StopCPUProfile()
		}
	}
	m := median(times)
	fmt.Printf("workload=%s impl=gomlx backend=%q batch=%d ms_step=%.1f img_s=%.1f cpu_ms_step=%.1f loss=%.4f\n",
		name, fastconv.BackendInfo(backend), batch, float64(m.Microseconds())/1000, float64(batch)/m.Seconds(),
		float64(median(cpus).Microseconds())/1000, lastLoss)
}

// benchFeatures: forward-only AlexNet-BN (inference mode) over 92 images at 64x64, returning FC2
// features [92, 1024]; img/s counts the 92 images of one call.
func benchFeatures(name string, n, size int) {
	backend := getBackend()
	store := model.NewStore()
	store.SetParam(model.ParamInitialSeed, int64(1))
	exec, err := model.NewExec(backend, store, func(scope *model.Scope, x *graph.Node) *graph.Node {
		_, f := alexnetBN(scope, x, size, 1)
		return f
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %+v\n", name, err)
		os.Exit(1)
	}
	rng := rand.New(rand.NewPCG(2, 2))
	images := randomImages(rng, n, size)
	var times, cpus []time.Duration
	for step := 0; step < *flagWarmup+*flagSteps; step++ {
		x := tensors.FromFlatDataAndDimensions(append([]float32(nil), images...), n, size, size, 3)
		start, cpu0 := time.Now(), cpuTime()
		out, err := exec.Call(x)
		if err != nil {
			fmt.Fprintf(os.Stderr, "%s: %+v\n", name, err)
			os.Exit(1)
		}
		_ = tensors.MustCopyFlatData[float32](out[0])
		if step >= *flagWarmup {
			times = append(times, time.Since(start))
			cpus = append(cpus, cpuTime()-cpu0)
		}
		if step == *flagWarmup-1 && *flagProfile != "" {
			f, err := os.Create(*flagProfile)
			if err != nil {
				fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
				os.Exit(1)
			}
			_ = pprof.StartCPUProfile(f)
			defer pprof.StopCPUProfile()
		}
	}
	m := median(times)
	fmt.Printf("workload=%s impl=gomlx backend=%q batch=%d ms_step=%.1f img_s=%.1f cpu_ms_step=%.1f\n",
		name, fastconv.BackendInfo(backend), n, float64(m.Microseconds())/1000, float64(n)/m.Seconds(),
		float64(median(cpus).Microseconds())/1000)
}

// cpuTime is the process CPU time (user+system), reported next to wall time because the cores
// are shared with other work.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func main() {
	flag.Parse()
	fastconv.WarnIfNoSIMD(os.Stderr)
	_ = dtypes.Float32
	for _, w := range strings.Split(*flagWorkload, ",") {
		switch w {
		case "cnn3-32":
			benchTrain(w, 32, *flagBatch, cnn3)
		case "alexnet-bn-32", "alexnet-bn-64":
			size := 32
			if w == "alexnet-bn-64" {
				size = 64
			}
			benchTrain(w, size, *flagBatch, func(scope *model.Scope, x *graph.Node) *graph.Node {
				logits, _ := alexnetBN(scope, x, size, 1)
				return logits
			})
		case "alexnet-w25-32":
			// The CIFAR recipe's network (width 1/4, batch 128) of configs/cifar-3ep.yaml.
			benchTrain(w, 32, 128, func(scope *model.Scope, x *graph.Node) *graph.Node {
				logits, _ := alexnetBN(scope, x, 32, 0.25)
				return logits
			})
		case "vit-cifar-32":
			// The CIFAR-scale ViT (issue 17: width 192, 6 blocks, 3 heads, patch 4) at batch 128;
			// torch_peer.py builds bench/parity/torch_vit.py's twin.
			benchTrain(w, 32, 128, func(scope *model.Scope, x *graph.Node) *graph.Node {
				return models.Logits(scope, models.DefaultViTCIFAR(*flagClasses, 32, 1), x)
			})
		case "vit-cifar-w25-32":
			// The same ViT at width 1/4 (D = 48), the size the granularity study trains, batch 128.
			benchTrain(w, 32, 128, func(scope *model.Scope, x *graph.Node) *graph.Node {
				return models.Logits(scope, models.DefaultViTCIFAR(*flagClasses, 32, 0.25), x)
			})
		case "features-92":
			benchFeatures(w, 92, 64)
		default:
			fmt.Fprintf(os.Stderr, "unknown workload %q\n", w)
			os.Exit(2)
		}
	}
}
