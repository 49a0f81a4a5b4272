// Package rdm holds the representational dissimilarity matrix (RDM) type shared
// by the data loaders and the alignment metrics.
//
// An RDM over n stimuli is stored as its upper triangle in row-major order
// (pairs (0,1), (0,2), ..., (0,n-1), (1,2), ...), a vector of length n(n-1)/2.
// This equals MATLAB's squareform/pdist layout and rsatoolbox's vector form.
// NaN entries mean a missing pair. The package never imports GoMLX.
package rdm

import (
	"fmt"
	"math"
)

// RDM is one representational dissimilarity matrix.
type RDM struct {
	// Name describes the RDM (e.g. "mIT", "hIT/1/2", a model layer).
	Name string
	// IDs are the stimulus identifiers, length N. May be nil (then stimuli are matched by order).
	IDs []string
	// N is the number of stimuli.
	N int
	// Vec is the upper triangle, row-major, length N*(N-1)/2. NaN means missing.
	Vec []float64
}

// NumPairs returns n(n-1)/2.
func NumPairs(n int) int { return n * (n - 1) / 2 }

// SizeFromPairs returns n such that n(n-1)/2 == m, or an error if m is not a triangular number.
func SizeFromPairs(m int) (int, error) {
	n := int(math.Round((1 + math.Sqrt(1+8*float64(m))) / 2))
	if m < 0 || NumPairs(n) != m {
		return 0, fmt.Errorf("rdm: vector length %d is not n(n-1)/2 for any n", m)
	}
	return n, nil
}

// Index returns the position of pair (i, j), i != j, in the vector form.
func Index(n, i, j int) int {
	if i > j {
		i, j = j, i
	}
	// Row i starts after sum_{r<i} (n-1-r) entries.
	return i*(2*n-i-1)/2 + (j - i - 1)
}

// FromVector wraps a vector-form RDM. ids may be nil. The slice is not copied.
func FromVector(name string, vec []float64, ids []string) (*RDM, error) {
	n, err := SizeFromPairs(len(vec))
	if err != nil {
		return nil, fmt.Errorf("rdm %q: %w", name, err)
	}
	if ids != nil && len(ids) != n {
		return nil, fmt.Errorf("rdm %q: %d stimulus IDs for %d stimuli", name, len(ids), n)
	}
	return &RDM{Name: name, IDs: ids, N: n, Vec: vec}, nil
}

// SymmetryTol is the tolerance used by FromSquare to accept a square matrix as symmetric,
// relative to the largest absolute entry.
const SymmetryTol = 1e-9

// FromSquare converts an n x n row-major square matrix into an RDM. It returns an
// error naming the first offending entry if the matrix is not square, is asymmetric
// beyond SymmetryTol (NaN must be mirrored by NaN), or has a non-zero, non-NaN diagonal.
func FromSquare(name string, sq []float64, n int, ids []string) (*RDM, error) {
	if n*n != len(sq) {
		return nil, fmt.Errorf("rdm %q: %d values do not form a %dx%d square matrix", name, len(sq), n, n)
	}
	if ids != nil && len(ids) != n {
		return nil, fmt.Errorf("rdm %q: %d stimulus IDs for %d stimuli", name, len(ids), n)
	}
	maxAbs := 0.0
	for _, v := range sq {
		if a := math.Abs(v); a > maxAbs && !math.IsInf(a, 0) {
			maxAbs = a
		}
	}
	tol := SymmetryTol * math.Max(maxAbs, 1)
	vec := make([]float64, 0, NumPairs(n))
	for i := 0; i < n; i++ {
		if d := sq[i*n+i]; d != 0 && !math.IsNaN(d) {
			return nil, fmt.Errorf("rdm %q: diagonal entry (%d,%d) is %g, want 0", name, i+1, i+1, d)
		}
		for j := i + 1; j < n; j++ {
			a, b := sq[i*n+j], sq[j*n+i]
			if math.IsNaN(a) != math.IsNaN(b) || (!math.IsNaN(a) && math.Abs(a-b) > tol) {
				return nil, fmt.Errorf("rdm %q: asymmetric: entry (%d,%d)=%g but (%d,%d)=%g", name, i+1, j+1, a, j+1, i+1, b)
			}
			vec = append(vec, a)
		}
	}
	return &RDM{Name: name, IDs: ids, N: n, Vec: vec}, nil
}

// Square returns the n x n row-major square form with a zero diagonal.
func (r *RDM) Square() []float64 {
	n := r.N
	sq := make([]float64, n*n)
	k := 0
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			sq[i*n+j] = r.Vec[k]
			sq[j*n+i] = r.Vec[k]
			k++
		}
	}
	return sq
}

// At returns the dissimilarity of stimuli i and j (0 when i == j).
func (r *RDM) At(i, j int) float64 {
	if i == j {
		return 0
	}
	return r.Vec[Index(r.N, i, j)]
}

// HasNaN reports whether any pair is missing.
func (r *RDM) HasNaN() bool {
	for _, v := range r.Vec {
		if math.IsNaN(v) {
			return true
		}
	}
	return false
}

// Subset returns the RDM restricted to the stimuli idx (in that order). Indices may
// repeat (bootstrap resampling); a pair of a stimulus with its own copy is NaN, as in
// rsatoolbox, where such pairs are excluded from comparisons.
func (r *RDM) Subset(idx []int) *RDM {
	m := len(idx)
	vec := make([]float64, 0, NumPairs(m))
	var ids []string
	if r.IDs != nil {
		ids = make([]string, m)
		for a, i := range idx {
			ids[a] = r.IDs[i]
		}
	}
	for a := 0; a < m; a++ {
		for b := a + 1; b < m; b++ {
			if idx[a] == idx[b] {
				vec = append(vec, math.NaN())
			} else {
				vec = append(vec, r.At(idx[a], idx[b]))
			}
		}
	}
	return &RDM{Name: r.Name, IDs: ids, N: m, Vec: vec}
}

// Check returns an error if two RDMs cannot be compared: different sizes, or stimulus IDs
// that are both set and differ.
func Check(a, b *RDM) error {
	if a.N != b.N {
		return fmt.Errorf("rdm: %q has %d stimuli but %q has %d", a.Name, a.N, b.Name, b.N)
	}
	if a.IDs != nil && b.IDs != nil {
		for i := range a.IDs {
			if a.IDs[i] != b.IDs[i] {
				return fmt.Errorf("rdm: stimulus %d is %q in %q but %q in %q", i+1, a.IDs[i], a.Name, b.IDs[i], b.Name)
			}
		}
	}
	return nil
}

// Mean returns the element-wise mean of RDMs of equal size, ignoring NaN
// (a pair missing in all inputs stays NaN).
func Mean(name string, rdms []*RDM) (*RDM, error) {
	if len(rdms) == 0 {
		return nil, fmt.Errorf("rdm: mean of zero RDMs")
	}
	for _, r := range rdms[1:] {
		if err := Check(rdms[0], r); err != nil {
			return nil, err
		}
	}
	m := len(rdms[0].Vec)
	vec := make([]float64, m)
	for k := 0; k < m; k++ {
		s, c := 0.0, 0
		for _, r := range rdms {
			if v := r.Vec[k]; !math.IsNaN(v) {
				s += v
				c++
			}
		}
		if c == 0 {
			vec[k] = math.NaN()
		} else {
			vec[k] = s / float64(c)
		}
	}
	return &RDM{Name: name, IDs: rdms[0].IDs, N: rdms[0].N, Vec: vec}, nil
}
