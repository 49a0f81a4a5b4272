package fastconv

import "math"

type binOp int

const (
	opAdd binOp = iota
	opSub
	opMul
	opDiv
)

func binaryF32Go(op binOp, out, a, b []float32) {
	at := func(s []float32, i int) float32 {
		if len(s) == 1 {
			return s[0]
		}
		return s[i]
	}
	for i := range out {
		x, y := at(a, i), at(b, i)
		switch op {
		case opAdd:
			out[i] = x + y
		case opSub:
			out[i] = x - y
		case opMul:
			out[i] = x * y
		default:
			out[i] = x / y
		}
	}
}

func sqrtF32Go(out, x []float32) {
	for i, v := range x[:len(out)] {
		out[i] = float32(math.Sqrt(float64(v)))
	}
}
