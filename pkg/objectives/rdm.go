// Package objectives holds differentiable alignment losses in GoMLX for brain-guided training
// (the ReAlnet mechanism, Lu & Wang; docs/brain-guided.md): a layer's representational geometry
// on a batch of stimuli is pulled towards a target RDM on the same stimuli, either directly (the
// RDM loss: 1 - Pearson, or an approximate soft-rank Spearman, of the upper triangles) or
// through a linear encoding head regressing a classical-MDS embedding of the target RDM
// (ReAlnet's MSE + correlation loss). Everything here is graph code; the metric packages
// (pkg/rsa, pkg/rdm) stay GoMLX-free and are the reference the tests compare with.
package objectives

import (
	"fmt"

	"github.com/gomlx/gomlx/core/graph"
)

// Flatten reshapes activations [m, ...] to [m, d] (d the product of the other axes).
func Flatten(x *graph.Node) *graph.Node {
	dims := x.Shape().Dimensions
	if len(dims) < 1 {
		panic(fmt.Sprintf("objectives: activations of shape %v, want [m, ...]", dims))
	}
	d := 1
	for _, v := range dims[1:] {
		d *= v
	}
	return graph.Reshape(x, dims[0], d)
}

// CorrelationRDM is the RDM of the rows of x [m, ...] (flattened to [m, d]) under 1 - Pearson
// correlation (rsatoolbox calc_rdm "correlation", rsa.Correlation): [m, m], zero diagonal up to
// rounding. eps (in squared-norm units) keeps a constant row from dividing by zero.
func CorrelationRDM(x *graph.Node, eps float64) *graph.Node {
	x = Flatten(x)
	xc := graph.Sub(x, graph.ReduceAndKeep(x, graph.ReduceMean, 1))
	norm := graph.Sqrt(graph.AddScalar(graph.ReduceAndKeep(graph.Square(xc), graph.ReduceSum, 1), eps))
	z := graph.Div(xc, norm)
	c := graph.MatMul(z, graph.Transpose(z, 0, 1))
	return graph.OneMinus(c)
}

// UpperTriangle returns the pairs i < j of a square matrix [m, m] in row-major order
// ((0,1), (0,2), ..., (1,2), ...: pkg/rdm's vector form), [m(m-1)/2].
func UpperTriangle(sq *graph.Node) *graph.Node {
	dims := sq.Shape().Dimensions
	if len(dims) != 2 || dims[0] != dims[1] || dims[0] < 2 {
		panic(fmt.Sprintf("objectives: UpperTriangle of shape %v, want [m, m] with m >= 2", dims))
	}
	m := dims[0]
	idx := make([][]int32, 0, m*(m-1)/2)
	for i := range m {
		for j := i + 1; j < m; j++ {
			idx = append(idx, []int32{int32(i*m + j)})
		}
	}
	flat := graph.Reshape(sq, m*m)
	return graph.Gather(flat, graph.Const(sq.Graph(), idx), true)
}

// Pearson is the Pearson correlation of two vectors [n] (a scalar), differentiable in both.
func Pearson(a, b *graph.Node) *graph.Node {
	ac := graph.Sub(a, graph.ReduceAllMean(a))
	bc := graph.Sub(b, graph.ReduceAllMean(b))
	num := graph.ReduceAllSum(graph.Mul(ac, bc))
	den := graph.Sqrt(graph.Mul(graph.ReduceAllSum(graph.Square(ac)), graph.ReduceAllSum(graph.Square(bc))))
	return graph.Div(num, den)
}

// SoftRank is a differentiable approximation of the ranks (1..n, ties averaged) of v [n]:
// r_i = 1/2 + sum_j sigmoid((v_i - v_j) / tau), which tends to the average rank as tau -> 0
// (sigmoid(0) = 1/2 gives ties their mean rank). It costs n^2 memory: for the 2,016 pairs of
// 64 stimuli, 4 M entries. tau is in the units of v.
func SoftRank(v *graph.Node, tau float64) *graph.Node {
	n := v.Shape().Dimensions[0]
	diff := graph.Sub(graph.Reshape(v, n, 1), graph.Reshape(v, 1, n))
	s := graph.Logistic(graph.MulScalar(diff, 1/tau))
	return graph.AddScalar(graph.ReduceSum(s, 1), 0.5)
}

// Kind is the comparison of an RDM loss.
type Kind int

const (
	// PearsonKind compares the upper triangles by Pearson correlation (rsatoolbox "corr").
	PearsonKind Kind = iota
	// SoftSpearmanKind compares soft ranks (SoftRank) by Pearson: an approximation of the
	// Spearman correlation that approaches it as Tau -> 0.
	SoftSpearmanKind
)

// RDMLoss is 1 - r between the upper triangles of the correlation RDM of activations [m, ...]
// and of target [m, m] (a constant: the target RDM on the same m stimuli, in the same order),
// r being the Pearson correlation (kind PearsonKind; equal to rsa.Compare with rsa.Corr on the
// same RDMs) or the Pearson correlation of soft ranks (SoftSpearmanKind, with temperature tau
// in dissimilarity units; the target's ranks are exact). Returns a scalar in [0, 2].
func RDMLoss(activations, target *graph.Node, kind Kind, tau float64) *graph.Node {
	model := UpperTriangle(CorrelationRDM(activations, 1e-12))
	tgt := UpperTriangle(graph.ConvertDType(target, model.DType()))
	switch kind {
	case PearsonKind:
	case SoftSpearmanKind:
		if !(tau > 0) {
			panic(fmt.Sprintf("objectives: soft-rank temperature %g, want > 0", tau))
		}
		model = SoftRank(model, tau)
		tgt = SoftRank(tgt, tau/1e3) // (nearly) exact ranks of the constant target
	default:
		panic(fmt.Sprintf("objectives: unknown RDM loss kind %d", kind))
	}
	return graph.OneMinus(Pearson(model, tgt))
}
