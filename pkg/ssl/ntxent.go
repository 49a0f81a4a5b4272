package ssl

import (
	"fmt"
	"math"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
)

// NTXent is the normalised temperature-scaled cross-entropy of SimCLR (Chen et al. 2020,
// equation 1 and Algorithm 1) on z [2N, d], whose rows i and i+N (i < N) are the two views of
// image i: with u_i = z_i/||z_i|| and s_ij = u_i.u_j / tau,
//
//	l(i, j) = -log( exp(s_ij) / sum_{k != i} exp(s_ik) ),
//	loss = 1/(2N) sum_{i<N} [ l(i, i+N) + l(i+N, i) ].
//
// It returns the loss (a scalar) and the fraction of rows whose most similar other row is
// their positive (instance-discrimination accuracy, float64).
func NTXent(z *graph.Node, tau float64) (loss, accuracy *graph.Node) {
	d := z.Shape().Dimensions
	if len(d) != 2 || d[0] < 2 || d[0]%2 != 0 {
		panic(fmt.Sprintf("ssl: NTXent needs [2N, d] with N >= 1, got %v", d))
	}
	if !(tau > 0) {
		panic(fmt.Sprintf("ssl: NTXent temperature %g, want > 0", tau))
	}
	g := z.Graph()
	n2 := d[0]
	n := n2 / 2
	u := graph.Div(z, graph.Sqrt(graph.AddScalar(graph.ReduceAndKeep(graph.Square(z), graph.ReduceSum, -1), 1e-12)))
	sim := graph.MulScalar(graph.MatMul(u, graph.Transpose(u, 0, 1)), 1/tau) // [2N, 2N]
	eye := graph.Equal(graph.Iota(g, sim.Shape(), 0), graph.Iota(g, sim.Shape(), 1))
	// Exclude k = i: a large negative logit instead of -inf keeps the gradient finite.
	sim = graph.Where(eye, graph.Scalar(g, sim.DType(), -1e9), sim)
	partner := graph.Concatenate([]*graph.Node{graph.Slice(u, graph.AxisRange(n, n2)), graph.Slice(u, graph.AxisRange(0, n))}, 0)
	pos := graph.MulScalar(graph.ReduceSum(graph.Mul(u, partner), -1), 1/tau) // [2N]
	m := graph.StopGradient(graph.ReduceAndKeep(sim, graph.ReduceMax, -1))    // log-sum-exp, shifted by the row maximum
	lse := graph.Add(graph.Reshape(m, n2), graph.Log(graph.ReduceSum(graph.Exp(graph.Sub(sim, m)), -1)))
	loss = graph.ReduceAllMean(graph.Sub(lse, pos))
	// Accuracy: the arg-max of each row of sim is its partner (i+N mod 2N).
	iota := graph.Iota(g, shapes.Make(dtypes.Int32, n), 0)
	target := graph.Concatenate([]*graph.Node{graph.AddScalar(iota, float64(n)), iota}, 0)
	hits := graph.ConvertDType(graph.Equal(graph.ArgMax(sim, -1, dtypes.Int32), target), dtypes.Float64)
	return loss, graph.ReduceAllMean(hits)
}

// NTXentHost is NTXent on the host in float64 (z is 2N rows of d values): the reference of the
// tests, written as the formula reads.
func NTXentHost(z [][]float64, tau float64) float64 {
	n2 := len(z)
	u := make([][]float64, n2)
	for i, r := range z {
		norm := 0.0
		for _, v := range r {
			norm += v * v
		}
		norm = math.Sqrt(norm)
		u[i] = make([]float64, len(r))
		for k, v := range r {
			u[i][k] = v / norm
		}
	}
	s := func(i, j int) float64 {
		d := 0.0
		for k := range u[i] {
			d += u[i][k] * u[j][k]
		}
		return d / tau
	}
	total := 0.0
	for i := range n2 {
		j := (i + n2/2) % n2
		den := 0.0
		for k := range n2 {
			if k != i {
				den += math.Exp(s(i, k))
			}
		}
		total += -math.Log(math.Exp(s(i, j)) / den)
	}
	return total / float64(n2)
}
