//go:build !(goexperiment.simd && amd64)

package kernels

import "math"

// expF32 sets out[i] = float32(math.Exp(float64(x[i]))).
func expF32(out, x []float32) {
	x = x[:len(out)]
	for i, v := range x {
		out[i] = float32(math.Exp(float64(v)))
	}
}
