package kernels

import (
	"math"

	"github.com/coarsealign/coarsealign/internal/gemm"
)

// Softmax sets out to the softmax of x along one axis, for x viewed as [outer, axis, inner]
// (row-major): for each (outer, inner), out = exp(x - max) / sum exp(x - max). It makes the
// same three passes in the same float32 order as GoMLX's fused softmax on the go backend
// (max; exp32 and a sequential sum; multiplication by 1/sum), with the same exponential, so
// the values are bitwise equal; the (outer, inner) lines are split between workers.
func Softmax(out, x []float32, outer, axis, inner int) {
	lines := outer * inner
	gemm.ParallelFor(lines, func(l0, l1 int) {
		for l := l0; l < l1; l++ {
			o, in := l/inner, l%inner
			base := o*axis*inner + in
			maxV := float32(math.Inf(-1))
			for i := range axis {
				if v := x[base+i*inner]; v > maxV {
					maxV = v
				}
			}
			var sum float32
			for i := range axis {
				idx := base + i*inner
				out[idx] = exp32(x[idx] - maxV)
				sum += out[idx]
			}
			inv := 1.0 / sum
			for i := range axis {
				out[base+i*inner] *= inv
			}
		}
	})
}

// exp32 is the Cephes single-precision exponential (S. L. Moshier, Cephes Math Library, expf.c):
// n = round(x log2 e), g = x - n ln2 (ln 2 split in two parts), e^g by a degree-7 polynomial,
// scaled by 2^n through the exponent bits; x is clamped to +-88.03 (result: the largest
// Cephes float32, or 0). These are the constants and operation order of GoMLX's
// fastmath.Exp32, which the go backend's softmax uses (relative error < 1e-7 against math.Exp).
func exp32(x float32) float32 {
	const (
		maxNum = 1.7014117331926442990585209174225846272e38
		maxLog = 88.02969187150841
		minLog = -88.02969187150841
		log2E  = 1.44269504088896341
		ln2Hi  = 0.693359375
		ln2Lo  = -2.12194440e-4
		p7     = 1.9875691500e-4
		p6     = 1.3981999507e-3
		p5     = 8.3334519073e-3
		p4     = 4.1665795894e-2
		p3     = 1.6666665459e-1
		p2     = 5.0000001201e-1
	)
	if x > maxLog {
		return maxNum
	}
	if x < minLog {
		return 0
	}
	z := float32(math.Floor(float64(x)*log2E + 0.5))
	g := x - z*ln2Hi - z*ln2Lo
	scale := math.Float32frombits(uint32(int32(int(z))+127) << 23)
	return scale * ((((((p7*g+p6)*g+p5)*g+p4)*g+p3)*g+p2)*(g*g) + g + 1.0)
}
