//go:build !(goexperiment.simd && amd64)

package kernels

import "math"

// erfF32 sets out[i] = float32(math.Erf(float64(x[i]))).
func erfF32(out, x []float32) {
	x = x[:len(out)]
	for i, v := range x {
		out[i] = float32(math.Erf(float64(v)))
	}
}

// clearUpper is a no-op without vector code (see the amd64 simd version).
func clearUpper() {}
