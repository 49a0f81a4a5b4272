package rsa

import (
	"fmt"
	"math"
	"strings"

	"gonum.org/v1/gonum/mat"

	"github.com/coarsealign/coarsealign/internal/gemm"
	"github.com/coarsealign/coarsealign/pkg/rdm"
)

// Distance is a pattern dissimilarity measure for building RDMs.
type Distance int

const (
	// Correlation is 1 - Pearson correlation of two patterns (rsatoolbox calc_rdm
	// method "correlation", scipy pdist "correlation").
	Correlation Distance = iota + 1
	// CosineDist is 1 - cosine similarity (scipy pdist "cosine"; rsatoolbox has no
	// such calc method).
	CosineDist
	// Euclidean is rsatoolbox's calc_rdm "euclidean": the SQUARED Euclidean distance
	// divided by the number of channels d, ||x - y||^2 / d (rsatoolbox names the
	// result "squared euclidean"). It is not scipy's "euclidean"; see L2.
	Euclidean
	// SqEuclidean is the squared Euclidean distance ||x - y||^2, not divided by d
	// (scipy pdist "sqeuclidean").
	SqEuclidean
	// L2 is the plain Euclidean distance ||x - y|| (scipy pdist "euclidean").
	L2
)

var distanceNames = map[Distance]string{
	Correlation: "correlation", CosineDist: "cosine", Euclidean: "euclidean",
	SqEuclidean: "sqeuclidean", L2: "l2",
}

// String returns the distance's name as accepted by DistanceFromString.
func (d Distance) String() string {
	if s, ok := distanceNames[d]; ok {
		return s
	}
	return fmt.Sprintf("Distance(%d)", int(d))
}

// DistanceFromString parses "correlation", "cosine", "euclidean" (rsatoolbox's:
// squared, per channel), "sqeuclidean" or "l2" (plain Euclidean).
func DistanceFromString(s string) (Distance, error) {
	k := strings.ToLower(strings.TrimSpace(s))
	for d, name := range distanceNames {
		if k == name {
			return d, nil
		}
	}
	return 0, fmt.Errorf("rsa: unknown pattern distance %q (want correlation, cosine, euclidean, sqeuclidean or l2)", s)
}

// RDMFromPatterns computes the RDM of the n x d pattern matrix x (rows are stimuli,
// columns channels/units) under dist. ids may be nil or hold n stimulus IDs. The
// pairwise inner products come from a blocked, parallel matrix product (internal/gemm),
// so 2,000 x 4,096 patterns take about a second. Distances that come out slightly
// negative from rounding are set to 0.
//
// It returns an error naming the row when a pattern holds NaN or Inf, or when a
// pattern has zero variance (Correlation) or zero norm (CosineDist), for which the
// distance is undefined.
func RDMFromPatterns(name string, x mat.Matrix, dist Distance, ids []string) (*rdm.RDM, error) {
	n, d := x.Dims()
	var data []float64
	if dense, ok := x.(*mat.Dense); ok && dense.RawMatrix().Stride == d {
		data = dense.RawMatrix().Data[:n*d]
	} else {
		data = make([]float64, n*d)
		for i := 0; i < n; i++ {
			for j := 0; j < d; j++ {
				data[i*d+j] = x.At(i, j)
			}
		}
	}
	return RDMFromPatternSlice(name, data, n, d, dist, ids)
}

// RDMFromPatternSlice is RDMFromPatterns for a row-major n x d slice (len(data) == n*d).
// data is not modified.
func RDMFromPatternSlice(name string, data []float64, n, d int, dist Distance, ids []string) (*rdm.RDM, error) {
	if len(data) != n*d {
		return nil, fmt.Errorf("rsa: patterns %q: %d values for %d x %d", name, len(data), n, d)
	}
	if n < 2 || d < 1 {
		return nil, fmt.Errorf("rsa: patterns %q: need at least 2 stimuli and 1 channel, have %d x %d", name, n, d)
	}
	if ids != nil && len(ids) != n {
		return nil, fmt.Errorf("rsa: patterns %q: %d stimulus IDs for %d stimuli", name, len(ids), n)
	}
	if _, ok := distanceNames[dist]; !ok {
		return nil, fmt.Errorf("rsa: invalid distance %v", dist)
	}
	for k, v := range data {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("rsa: patterns %q: row %d, column %d is %v", name, k/d+1, k%d+1, v)
		}
	}
	x := data
	if dist == Correlation || dist == CosineDist {
		x = make([]float64, len(data))
		copy(x, data)
		for i := 0; i < n; i++ {
			row := x[i*d : (i+1)*d]
			if dist == Correlation {
				mean := 0.0
				for _, v := range row {
					mean += v
				}
				mean /= float64(d)
				for j := range row {
					row[j] -= mean
				}
			}
			ss := 0.0
			for _, v := range row {
				ss += v * v
			}
			if ss == 0 {
				what := "zero norm"
				if dist == Correlation {
					what = "zero variance"
				}
				return nil, fmt.Errorf("rsa: patterns %q: row %d has %s; %s distance undefined", name, i+1, what, dist)
			}
			s := 1 / math.Sqrt(ss)
			for j := range row {
				row[j] *= s
			}
		}
	}
	g := gram(x, n, d)
	vec := make([]float64, 0, rdm.NumPairs(n))
	for i := 0; i < n; i++ {
		gi := g[i*n : (i+1)*n]
		for j := i + 1; j < n; j++ {
			var v float64
			switch dist {
			case Correlation, CosineDist:
				v = 1 - gi[j]
			default:
				v = gi[i] + g[j*n+j] - 2*gi[j]
				if v < 0 {
					v = 0
				}
				switch dist {
				case Euclidean:
					v /= float64(d)
				case L2:
					v = math.Sqrt(v)
				}
			}
			vec = append(vec, v)
		}
	}
	return &rdm.RDM{Name: name, IDs: ids, N: n, Vec: vec}, nil
}

// gram returns the upper triangle (diagonal included) of x x' for the row-major
// n x d matrix x, as an n x n row-major slice whose lower triangle is unspecified
// (internal/gemm.SyrkF64: about half the flops of a full product).
func gram(x []float64, n, d int) []float64 {
	g := make([]float64, n*n)
	gemm.SyrkF64(n, d, x, d, g, n)
	return g
}
