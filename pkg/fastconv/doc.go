// Package fastconv makes GoMLX training and inference of CNNs fast on the pure-Go CPU backend,
// without changing model code. It has three parts:
//
//   - this package: GoMLX layer helpers (Conv2D, MaxPool, Relu, GlobalAvgPool, AdaptiveAvgPool)
//     built from standard GoMLX ops, so the same graph runs on XLA unchanged, and a cheaper Max/Min
//     gradient installed process-wide on import (vjp.go: one comparison and a Where per side, which
//     the wrapper backend turns into one native pass);
//   - fastgo: the wrapper backend ("fastgo"), which cuts a computation into segments of GoMLX's
//     go backend and native steps, with liveness and buffer recycling (see its doc);
//   - kernels: the native kernels on plain float32 slices (im2col + GEMM convolution, max pool and
//     its gradient, transposes, elementwise passes), on internal/gemm's micro-kernels.
//
// The backend is chosen by pkg/backend (GOMLX_BACKEND unset or "go": this wrapper).
//
// # Use
//
//	b, err := backend.New() // pkg/backend
//	fastconv.WarnIfNoSIMD(os.Stderr)
//	// model: x [batch, H, W, C] float32, channels last
//	x = fastconv.Conv2D(scope.In("conv1"), x, 64, 3, fastconv.NoBias())
//	x = fastconv.MaxPool2x2(fastconv.Relu(x))
//	x = fastconv.GlobalAvgPool(x) // or fastconv.AdaptiveAvgPool(x, 3)
//
// Build and test with GOEXPERIMENT=simd: without it (or on CPUs without AVX2+FMA) the GEMM runs a
// scalar Go kernel, several times slower.
//
// # Accuracy
//
// Tests compare values and gradients with the plain go backend's stock ops (graph.Convolve,
// graph.MaxPool forward, dense layers, transposes, elementwise ops) or, where the plain backend
// cannot compute them (max-pool gradients), with graph formulations differentiated by GoMLX.
// Tolerance: max |fast - plain| <= 1e-4 * (1 + max |plain|) (float32 sums in a different order).
// TestTrainingDoesNotHang trains a few steps under a watchdog (the go backend's default worker
// pool deadlocked; fastgo.New uses parallelism=-1).
//
// # Measured
//
// bench/train/run.sh (GoMLX on this backend vs PyTorch CPU, same networks, batch 64, Adam), on 2
// cores with AVX-512 (gomlx v0.28.2, compute v0.1.2), one core taken by another job:
// alexnet-bn-32 36.6 img/s against PyTorch's 37.3, features-92 171 against 208; the 3-conv CNN
// step took 48 ms against 5182 ms with stock layers.Convolution on the go backend.
// BenchmarkTrainStepCNN3 times that step here.
package fastconv
