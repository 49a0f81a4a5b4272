//go:build !goexperiment.simd

package fastconv

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
