package npy

import (
	"fmt"

	"github.com/coarsealign/coarsealign/pkg/rdm"
)

// ReadRDM reads an RDM from a .npy file: a square n x n matrix (checked for symmetry and a
// zero diagonal, rdm.FromSquare) or a vector of length n(n-1)/2, the upper triangle in
// row-major order (1 x m, m x 1 or 1-D). The RDM is named after the file.
func ReadRDM(path string) (*rdm.RDM, error) {
	rows, cols, data, err := ReadMatrix(path)
	if err != nil {
		return nil, err
	}
	if rows == 1 || cols == 1 {
		r, err := rdm.FromVector(path, data, nil)
		if err != nil {
			return nil, fmt.Errorf("%s: %d values are neither an n x n RDM nor an RDM vector of length n(n-1)/2", path, len(data))
		}
		return r, nil
	}
	if rows != cols {
		return nil, fmt.Errorf("%s: RDM matrix is %d x %d, not square", path, rows, cols)
	}
	return rdm.FromSquare(path, data, rows, nil)
}
