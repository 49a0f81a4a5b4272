package kernels

import "testing"

// adamWProgram is the optimizer update train.AdamW builds for one decayed variable, as the
// fastgo fusion hands it to Pointwise: inputs p, g, m, v (length n) and ten scalars; the new
// moments are side outputs, the result is the new parameter.
func adamWProgram() *Pointwise {
	inp := func(i int) PWRef { return PWRef{Input: true, Idx: i} }
	node := func(i int) PWRef { return PWRef{Idx: i} }
	bin := func(op Op, a, b PWRef) PWNode { return PWNode{Kind: PWBinary, Op: op, Args: [2]PWRef{a, b}} }
	return &Pointwise{Side: []int{3, 7}, Nodes: []PWNode{
		bin(OpMul, inp(1), inp(4)),              // 0 gr = g*clip
		bin(OpMul, inp(2), inp(5)),              // 1 m*b1
		bin(OpMul, node(0), inp(6)),             // 2 gr*(1-b1)
		bin(OpAdd, node(1), node(2)),            // 3 m'
		bin(OpMul, inp(3), inp(7)),              // 4 v*b2
		bin(OpMul, node(0), node(0)),            // 5 gr^2
		bin(OpMul, node(5), inp(8)),             // 6 gr^2*(1-b2)
		bin(OpAdd, node(4), node(6)),            // 7 v'
		bin(OpDiv, node(7), inp(9)),             // 8 v'/bias2
		{Kind: PWSqrt, Args: [2]PWRef{node(8)}}, // 9
		bin(OpAdd, node(9), inp(10)),            // 10 + eps
		bin(OpDiv, node(3), inp(11)),            // 11 m'/bias1
		bin(OpDiv, node(11), node(10)),          // 12 upd
		bin(OpMul, inp(12), inp(0)),             // 13 lrwd*p
		bin(OpSub, inp(0), node(13)),            // 14 p - lrwd*p
		bin(OpMul, inp(13), node(12)),           // 15 lr*upd
		bin(OpSub, node(14), node(15)),          // 16 p'
	}}
}

// BenchmarkPointwiseAdamW runs adamWProgram on 2^22 parameters (every array 16 MiB), per parameter.
func BenchmarkPointwiseAdamW(b *testing.B) {
	const n = 1 << 22
	in := make([][]float32, 14)
	for i := range 4 {
		in[i] = make([]float32, n)
		for j := range in[i] {
			in[i][j] = float32(j%97)*0.01 + 0.5
		}
	}
	for i := 4; i < 14; i++ {
		in[i] = []float32{0.9}
	}
	p := adamWProgram()
	out := make([]float32, n)
	side := [][]float32{make([]float32, n), make([]float32, n)}
	b.SetBytes(7 * 4 * n)
	b.ResetTimer()
	for range b.N {
		p.RunSide(out, side, in)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/param")
}

// BenchmarkBinaryF32L1: one binaryF32 or sqrtF32 call on 2048 elements held in L1, per 16
// elements (one AVX-512 vector).
func BenchmarkBinaryF32L1(b *testing.B) {
	x, y, out := make([]float32, 2048), make([]float32, 2048), make([]float32, 2048)
	for i := range x {
		x[i], y[i] = float32(i), 1.5
	}
	s := []float32{0.9}
	b.Run("same", func(b *testing.B) {
		for range b.N {
			binaryF32(OpMul, out, x, y)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/2048*16, "ns/16-elements")
	})
	b.Run("scalar", func(b *testing.B) {
		for range b.N {
			binaryF32(OpMul, out, x, s)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/2048*16, "ns/16-elements")
	})
	b.Run("div", func(b *testing.B) {
		for range b.N {
			binaryF32(OpDiv, out, x, y)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/2048*16, "ns/16-elements")
	})
	b.Run("sqrt", func(b *testing.B) {
		for range b.N {
			sqrtF32(out, x)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/2048*16, "ns/16-elements")
	})
}

// BenchmarkReluGradLarge: ReluGrad on conv1's output gradient of alexnet-w25-32 ([128, 32, 32, 16]).
func BenchmarkReluGradLarge(b *testing.B) {
	const n = 128 * 32 * 32 * 16
	x, v, out := make([]float32, n), make([]float32, n), make([]float32, n)
	for i := range x {
		x[i], v[i] = float32(i%13)-6, float32(i%7)
	}
	for range b.N {
		ReluGrad(out, x, v, true)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/element")
}
