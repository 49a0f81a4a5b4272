//go:build !(goexperiment.simd && amd64)

package kernels

import "math"

// erfF32 sets out[i] = float32(math.Erf(float64(x[i]))).
func erfF32(out, x []float32) { mathF32(out, x, math.Erf) }

// expF32 sets out[i] = float32(math.Exp(float64(x[i]))).
func expF32(out, x []float32) { mathF32(out, x, math.Exp) }
