package objectives

import (
	"fmt"
	"math"
	"sort"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/layers"
	"github.com/gomlx/gomlx/ml/model"
	"gonum.org/v1/gonum/mat"
)

// ClassicalMDS embeds m stimuli in dims dimensions from their dissimilarities sq (square, m x m,
// row-major, symmetric, zero diagonal): Torgerson's classical scaling, B = -1/2 J D^2 J with
// J = I - 11'/m, coordinates = the top eigenvectors of B times sqrt(eigenvalue) (gonum EigenSym).
// Eigenvalues <= 0 (a non-Euclidean RDM) give zero columns. The result, [m, dims] row-major, is
// scaled to unit root-mean-square over all entries (so predicting zeros has MSE 1), and each
// column's sign is fixed (largest-magnitude entry positive) for determinism. It returns the
// fraction of the positive eigenvalue mass the dims kept.
func ClassicalMDS(sq []float64, m, dims int) (coords []float64, kept float64, err error) {
	if m < 2 || len(sq) != m*m {
		return nil, 0, fmt.Errorf("objectives: MDS of %d values for %d stimuli", len(sq), m)
	}
	if dims < 1 || dims > m-1 {
		return nil, 0, fmt.Errorf("objectives: MDS dims %d, want 1..%d for %d stimuli", dims, m-1, m)
	}
	for i, v := range sq {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, 0, fmt.Errorf("objectives: MDS dissimilarity (%d, %d) is %v", i/m, i%m, v)
		}
	}
	d2 := mat.NewDense(m, m, nil)
	for i := range m {
		for j := range m {
			v := 0.5 * (sq[i*m+j] + sq[j*m+i])
			if i == j {
				v = 0
			}
			d2.Set(i, j, v*v)
		}
	}
	j := mat.NewDense(m, m, nil)
	for a := range m {
		for b := range m {
			v := -1 / float64(m)
			if a == b {
				v++
			}
			j.Set(a, b, v)
		}
	}
	var t, bm mat.Dense
	t.Mul(j, d2)
	bm.Mul(&t, j)
	bm.Scale(-0.5, &bm)
	sym := mat.NewSymDense(m, nil)
	for a := range m {
		for b := a; b < m; b++ {
			sym.SetSym(a, b, 0.5*(bm.At(a, b)+bm.At(b, a)))
		}
	}
	var eig mat.EigenSym
	if !eig.Factorize(sym, true) {
		return nil, 0, fmt.Errorf("objectives: MDS eigen-decomposition failed")
	}
	vals := eig.Values(nil)
	var vecs mat.Dense
	eig.VectorsTo(&vecs)
	order := make([]int, m)
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return vals[order[a]] > vals[order[b]] })
	var pos, top float64
	for _, v := range vals {
		if v > 0 {
			pos += v
		}
	}
	coords = make([]float64, m*dims)
	for c := range dims {
		k := order[c]
		if vals[k] <= 0 {
			continue
		}
		top += vals[k]
		s := math.Sqrt(vals[k])
		big := 0
		for i := range m {
			if math.Abs(vecs.At(i, k)) > math.Abs(vecs.At(big, k)) {
				big = i
			}
		}
		if vecs.At(big, k) < 0 {
			s = -s
		}
		for i := range m {
			coords[i*dims+c] = vecs.At(i, k) * s
		}
	}
	var ss float64
	for _, v := range coords {
		ss += v * v
	}
	if ss == 0 {
		return nil, 0, fmt.Errorf("objectives: MDS of a constant RDM (no positive eigenvalue)")
	}
	rms := math.Sqrt(ss / float64(len(coords)))
	for i := range coords {
		coords[i] /= rms
	}
	return coords, top / pos, nil
}

// RowCorrelations is the matrix [m, m] of Pearson correlations between row i of a [m, k] and
// row j of b [m, k] (across the k columns).
func RowCorrelations(a, b *graph.Node) *graph.Node {
	z := func(x *graph.Node) *graph.Node {
		xc := graph.Sub(x, graph.ReduceAndKeep(x, graph.ReduceMean, 1))
		return graph.Div(xc, graph.Sqrt(graph.ReduceAndKeep(graph.Square(xc), graph.ReduceSum, 1)))
	}
	return graph.MatMul(z(a), graph.Transpose(z(b), 0, 1))
}

// EncodingTerms are the parts of the ReAlnet-style encoding loss (scalars).
type EncodingTerms struct {
	// MSE is the mean squared error of the predicted coordinates.
	MSE *graph.Node
	// Matched is the mean correlation (across coordinates) of each stimulus's prediction with
	// its own target; Mismatched the mean over pairs of different stimuli.
	Matched, Mismatched *graph.Node
	// Loss = MSE + (1 - Matched) + Mismatched; all three terms carry gradient (the public ReAlnet
	// code builds the correlation terms outside the autograd graph, so only its MSE trains).
	Loss *graph.Node
}

// EncodingLoss is the ReAlnet loss of predictions pred [m, k] against target coordinates
// [m, k] (a constant of the same shape).
func EncodingLoss(pred, target *graph.Node) EncodingTerms {
	target = graph.ConvertDType(target, pred.DType())
	m := pred.Shape().Dimensions[0]
	if m < 2 || pred.Shape().Dimensions[1] < 2 {
		panic(fmt.Sprintf("objectives: encoding loss of predictions %v, want [m >= 2, k >= 2]", pred.Shape().Dimensions))
	}
	mse := graph.ReduceAllMean(graph.Square(graph.Sub(pred, target)))
	r := RowCorrelations(pred, target)
	eye := graph.ConvertDType(graph.Diagonal(pred.Graph(), m), pred.DType())
	diag := graph.ReduceAllSum(graph.Mul(r, eye))
	matched := graph.DivScalar(diag, float64(m))
	mismatched := graph.DivScalar(graph.Sub(graph.ReduceAllSum(r), diag), float64(m*(m-1)))
	loss := graph.Add(graph.Add(mse, graph.OneMinus(matched)), mismatched)
	return EncodingTerms{MSE: mse, Matched: matched, Mismatched: mismatched, Loss: loss}
}

// EncodingHead is the linear read-out (weights and bias in scope) from the activations of one
// or more layers, each [m, ...], concatenated after flattening, to k target coordinates: [m, k].
// It equals the sum of one linear head per layer.
func EncodingHead(scope *model.Scope, k int, activations ...*graph.Node) *graph.Node {
	flat := make([]*graph.Node, len(activations))
	for i, a := range activations {
		flat[i] = Flatten(a)
	}
	x := flat[0]
	if len(flat) > 1 {
		x = graph.Concatenate(flat, 1)
	}
	return layers.DenseWithBias(scope, x, k)
}
