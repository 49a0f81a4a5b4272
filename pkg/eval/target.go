package eval

import (
	"fmt"

	"github.com/coarsealign/coarsealign/pkg/data/npy"
)

// LoadTarget reads a user's target from a .npy file, for measurements of the same stimuli as
// the layers (row i = stimulus i; for the 92-image set, the set's order): with rdmPath, an
// RDM (a square n x n matrix or its upper-triangle vector, npy.ReadRDM); with
// responsesPath, a stimuli x units response matrix (recorded units, voxels), scored by every
// metric including CKA and encoding. Exactly one path must be given.
func LoadTarget(name, rdmPath, responsesPath string) (Target, error) {
	switch {
	case name == "":
		return Target{}, fmt.Errorf("eval: target without a name")
	case (rdmPath == "") == (responsesPath == ""):
		return Target{}, fmt.Errorf("eval: target %q: give either an RDM file or a responses file", name)
	case rdmPath != "":
		r, err := npy.ReadRDM(rdmPath)
		if err != nil {
			return Target{}, fmt.Errorf("eval: target %q: %w", name, err)
		}
		r.Name = name
		return Target{Name: name, RDM: r}, nil
	}
	rows, cols, data, err := npy.ReadMatrix(responsesPath)
	if err != nil {
		return Target{}, fmt.Errorf("eval: target %q: %w", name, err)
	}
	if rows < 2 || cols < 1 {
		return Target{}, fmt.Errorf("eval: target %q: %s is %d x %d; want stimuli x units", name, responsesPath, rows, cols)
	}
	return Target{Name: name, Responses: data, Units: cols}, nil
}
