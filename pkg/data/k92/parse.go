package k92

import (
	"fmt"
	"math"
	"strings"

	"github.com/coarsealign/coarsealign/pkg/data/matfile"
	"github.com/coarsealign/coarsealign/pkg/rdm"
)

// matErr prefixes an error with the file and what was being read.
func matErr(path, what string, err error) error {
	return fmt.Errorf("k92: %s: %s: %w", path, what, err)
}

func structVar(f *matfile.File, path, name string, dims ...int) (*matfile.Struct, error) {
	v, err := f.Var(name)
	if err != nil {
		return nil, matErr(path, name, err)
	}
	s, ok := v.(*matfile.Struct)
	if !ok {
		return nil, matErr(path, name, fmt.Errorf("is a %s array, want struct", v.Class()))
	}
	if !sameDims(s.Dims, dims) {
		return nil, matErr(path, name, fmt.Errorf("has size %v, want %v", s.Dims, dims))
	}
	return s, nil
}

func sameDims(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func numField(s *matfile.Struct, path, varName, field string, k int, dims ...int) (*matfile.Numeric, error) {
	what := fmt.Sprintf("%s(%d).%s", varName, k+1, field)
	v, err := s.Field(field, k)
	if err != nil {
		return nil, matErr(path, what, err)
	}
	n, ok := v.(*matfile.Numeric)
	if !ok {
		return nil, matErr(path, what, fmt.Errorf("is a %s array, want numeric", v.Class()))
	}
	if n.Imag != nil {
		return nil, matErr(path, what, fmt.Errorf("is complex"))
	}
	if dims != nil && !sameDims(n.Dims, dims) {
		return nil, matErr(path, what, fmt.Errorf("has size %v, want %v", n.Dims, dims))
	}
	for i, x := range n.Data {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, matErr(path, what, fmt.Errorf("element %d is %g", i+1, x))
		}
	}
	return n, nil
}

func charField(s *matfile.Struct, path, varName, field string, k int) (string, error) {
	what := fmt.Sprintf("%s(%d).%s", varName, k+1, field)
	v, err := s.Field(field, k)
	if err != nil {
		return "", matErr(path, what, err)
	}
	c, ok := v.(*matfile.Char)
	if !ok {
		return "", matErr(path, what, fmt.Errorf("is a %s array, want char", v.Class()))
	}
	return c.String(), nil
}

func flag(s *matfile.Struct, path, field string, k int) (bool, error) {
	n, err := numField(s, path, "stimuli_92objs", field, k, 1, 1)
	if err != nil {
		return false, err
	}
	switch n.Data[0] {
	case 0:
		return false, nil
	case 1:
		return true, nil
	}
	return false, matErr(path, fmt.Sprintf("stimuli_92objs(%d).%s", k+1, field), fmt.Errorf("is %g, want 0 or 1", n.Data[0]))
}

// squareRDM converts a column-major 92x92 MATLAB matrix into an RDM (a symmetric
// matrix reads the same in either order; FromSquare checks symmetry and the diagonal).
func squareRDM(name string, n *matfile.Numeric, ids []string) (*rdm.RDM, error) {
	sq := make([]float64, NumImages*NumImages)
	for i := 0; i < NumImages; i++ {
		for j := 0; j < NumImages; j++ {
			sq[i*NumImages+j] = n.Data[i+NumImages*j]
		}
	}
	return rdm.FromSquare(name, sq, NumImages, ids)
}

func (s *Set) parseSupplemental(path string) error {
	f, err := matfile.ReadFile(path)
	if err != nil {
		return fmt.Errorf("k92: %w", err)
	}
	st, err := structVar(f, path, "stimuli_92objs", 1, NumImages)
	if err != nil {
		return err
	}
	s.Pixels = make([][]uint8, NumImages)
	s.Category = make([]string, NumImages)
	s.Human = make([]bool, NumImages)
	s.Face = make([]bool, NumImages)
	s.Animal = make([]bool, NumImages)
	s.Natural = make([]bool, NumImages)
	const hw = ImageSize * ImageSize
	for k := 0; k < NumImages; k++ {
		im, err := numField(st, path, "stimuli_92objs", "image", k, ImageSize, ImageSize, 3)
		if err != nil {
			return err
		}
		px := make([]uint8, hw*3)
		for y := 0; y < ImageSize; y++ {
			for x := 0; x < ImageSize; x++ {
				for c := 0; c < 3; c++ {
					v := im.Data[y+ImageSize*(x+ImageSize*c)] // MATLAB column-major (row, col, channel)
					if v < 0 || v > 255 || v != math.Trunc(v) {
						return matErr(path, fmt.Sprintf("stimuli_92objs(%d).image", k+1), fmt.Errorf("pixel (%d,%d,%d) is %g, want 0..255", y+1, x+1, c+1, v))
					}
					px[(y*ImageSize+x)*3+c] = uint8(v)
				}
			}
		}
		s.Pixels[k] = px
		if s.Category[k], err = charField(st, path, "stimuli_92objs", "category", k); err != nil {
			return err
		}
		for _, fl := range []struct {
			name string
			dst  []bool
		}{{"human", s.Human}, {"face", s.Face}, {"animal", s.Animal}, {"natural", s.Natural}} {
			if fl.dst[k], err = flag(st, path, fl.name, k); err != nil {
				return err
			}
		}
	}

	// categoryVectors: 92 x 12 of 0/1.
	v, err := f.Var("categoryVectors")
	if err != nil {
		return matErr(path, "categoryVectors", err)
	}
	cv, ok := v.(*matfile.Numeric)
	if !ok || !sameDims(cv.Dims, []int{NumImages, NumCategories}) {
		return matErr(path, "categoryVectors", fmt.Errorf("is %s of size %v, want numeric %dx%d", v.Class(), v.Size(), NumImages, NumCategories))
	}
	s.CategoryVectors = make([][]bool, NumImages)
	for i := range s.CategoryVectors {
		s.CategoryVectors[i] = make([]bool, NumCategories)
		for k := 0; k < NumCategories; k++ {
			switch x := cv.Data[i+NumImages*k]; x {
			case 0:
			case 1:
				s.CategoryVectors[i][k] = true
			default:
				return matErr(path, "categoryVectors", fmt.Errorf("element (%d,%d) is %g, want 0 or 1", i+1, k+1, x))
			}
		}
	}
	v, err = f.Var("categoryLabels")
	if err != nil {
		return matErr(path, "categoryLabels", err)
	}
	cl, ok := v.(*matfile.Cell)
	if !ok || len(cl.Elems) != NumCategories {
		return matErr(path, "categoryLabels", fmt.Errorf("is %s of size %v, want a cell of %d", v.Class(), v.Size(), NumCategories))
	}
	s.CategoryLabels = make([]string, NumCategories)
	for k, e := range cl.Elems {
		c, ok := e.(*matfile.Char)
		if !ok {
			return matErr(path, fmt.Sprintf("categoryLabels{%d}", k+1), fmt.Errorf("is %s, want char", e.Class()))
		}
		s.CategoryLabels[k] = c.String()
	}

	// Figure 1 RDMs as 1 x 4186 vectors (MATLAB squareform order = row-major upper triangle).
	fig, err := structVar(f, path, "RDMs_mIT_hIT_fig1", 1, 2)
	if err != nil {
		return err
	}
	for k, dst := range []**rdm.RDM{&s.MIT, &s.HIT} {
		n, err := numField(fig, path, "RDMs_mIT_hIT_fig1", "RDM", k, 1, rdm.NumPairs(NumImages))
		if err != nil {
			return err
		}
		name := Prefix + []string{"mIT", "hIT"}[k]
		r, err := rdm.FromVector(name, append([]float64(nil), n.Data...), s.IDs)
		if err != nil {
			return matErr(path, fmt.Sprintf("RDMs_mIT_hIT_fig1(%d).RDM", k+1), err)
		}
		*dst = r
	}
	return nil
}

func (s *Set) parseBrain(path string) error {
	f, err := matfile.ReadFile(path)
	if err != nil {
		return fmt.Errorf("k92: %w", err)
	}
	st, err := structVar(f, path, "RDMs", 1, NumHITSubjects, NumHITSessions)
	if err != nil {
		return err
	}
	for sub := 0; sub < NumHITSubjects; sub++ {
		for ses := 0; ses < NumHITSessions; ses++ {
			k := sub + NumHITSubjects*ses // column-major index of RDMs(1, sub, ses)
			n, err := numField(st, path, "RDMs", "RDM", k, NumImages, NumImages)
			if err != nil {
				return err
			}
			name := fmt.Sprintf(Prefix+"hIT/%d/%d", sub+1, ses+1)
			r, err := squareRDM(name, n, s.IDs)
			if err != nil {
				return matErr(path, fmt.Sprintf("RDMs(1,%d,%d).RDM", sub+1, ses+1), err)
			}
			s.HITSessions[sub][ses] = r
			// Names read "hIT | BE | Session: 1": check the layout claim and keep the subject code.
			label, err := charField(st, path, "RDMs", "name", k)
			if err != nil {
				return err
			}
			parts := strings.Split(label, "|")
			if len(parts) != 3 || strings.TrimSpace(parts[2]) != fmt.Sprintf("Session: %d", ses+1) {
				return matErr(path, fmt.Sprintf("RDMs(1,%d,%d).name", sub+1, ses+1), fmt.Errorf("is %q, want \"hIT | XX | Session: %d\"", label, ses+1))
			}
			code := strings.TrimSpace(parts[1])
			if ses == 0 {
				s.HITSubjectCodes[sub] = code
			} else if code != s.HITSubjectCodes[sub] {
				return matErr(path, fmt.Sprintf("RDMs(1,%d,%d).name", sub+1, ses+1), fmt.Errorf("subject %q differs from session 1's %q", code, s.HITSubjectCodes[sub]))
			}
		}
		m, err := rdm.Mean(fmt.Sprintf(Prefix+"hIT/%d", sub+1), s.HITSessions[sub][:])
		if err != nil {
			return fmt.Errorf("k92: %w", err)
		}
		s.HITSubjects[sub] = m
	}
	return nil
}

func (s *Set) parseBehav(path string) error {
	f, err := matfile.ReadFile(path)
	if err != nil {
		return fmt.Errorf("k92: %w", err)
	}
	st, err := structVar(f, path, "rdms_behav_92", 1, NumBehavSubjects)
	if err != nil {
		return err
	}
	for k := 0; k < NumBehavSubjects; k++ {
		n, err := numField(st, path, "rdms_behav_92", "RDM", k, NumImages, NumImages)
		if err != nil {
			return err
		}
		r, err := squareRDM(fmt.Sprintf(Prefix+"behav/%d", k+1), n, s.IDs)
		if err != nil {
			return matErr(path, fmt.Sprintf("rdms_behav_92(%d).RDM", k+1), err)
		}
		s.Behav[k] = r
	}
	m, err := rdm.Mean(Prefix+"behav-mean", s.Behav[:])
	if err != nil {
		return fmt.Errorf("k92: %w", err)
	}
	s.BehavMean = m
	return nil
}
