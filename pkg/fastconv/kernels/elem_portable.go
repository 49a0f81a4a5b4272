//go:build !(goexperiment.simd && amd64)

package kernels

// maxInto sets dst[i] = max(dst[i], src[i]).
func maxInto(dst, src []float32) {
	src = src[:len(dst)]
	for i, v := range src {
		if v > dst[i] {
			dst[i] = v
		}
	}
}

// argmaxUpdate: where src[i] > bestV[i], bestV[i] = src[i] and bestIdx[i] = base + i.
func argmaxUpdate(bestV []float32, bestIdx []int32, src []float32, base int32) {
	src, bestIdx = src[:len(bestV)], bestIdx[:len(bestV)]
	for i, v := range src {
		if v > bestV[i] {
			bestV[i] = v
			bestIdx[i] = base + int32(i)
		}
	}
}

// reluF32 sets out[i] = max(x[i], 0).
func reluF32(out, x []float32) {
	x = x[:len(out)]
	for i, v := range x {
		out[i] = max(v, 0)
	}
}

// reluGradF32 sets out[i] = v[i] where (x[i] >= 0) == keepWhenGE, else 0.
func reluGradF32(out, x, v []float32, keepWhenGE bool) {
	x, v = x[:len(out)], v[:len(out)]
	for i := range out {
		if (x[i] >= 0) == keepWhenGE {
			out[i] = v[i]
		} else {
			out[i] = 0
		}
	}
}

// addF32 sets out[i] = a[i] + b[i].
func addF32(out, a, b []float32) {
	a, b = a[:len(out)], b[:len(out)]
	for i := range out {
		out[i] = a[i] + b[i]
	}
}

// binaryF32 sets out[i] = a[i] op b[i]; a or b of length 1 is broadcast (a scalar).
func binaryF32(op Op, out, a, b []float32) { binaryF32Go(op, out, a, b) }

// sqrtF32 sets out[i] = sqrt(x[i]).
func sqrtF32(out, x []float32) { sqrtF32Go(out, x) }

// scatterSelected sets out[c] = src[c] if idx[c] == base+c, else 0.
func scatterSelected(out, src []float32, idx []int32, base int32) {
	src, idx = src[:len(out)], idx[:len(out)]
	for c := range out {
		if idx[c] == base+int32(c) {
			out[c] = src[c]
		} else {
			out[c] = 0
		}
	}
}

// VectorLevel names the elementwise loops in use: "scalar" in builds without simd/archsimd.
func VectorLevel() string { return "scalar" }
