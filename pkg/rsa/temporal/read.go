package temporal

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/coarsealign/coarsealign/pkg/data/matfile"
	"github.com/coarsealign/coarsealign/pkg/data/npy"
)

// ReadOptions says how to read a series from a file: FromArray's options, plus, for MAT files,
// which variables hold the RDMs and the time stamps.
type ReadOptions struct {
	ArrayOptions
	// Var names the MAT variable holding the 3-D array; empty: the file's only 3-D numeric
	// variable.
	Var string
	// TimesVar names a MAT variable holding the T time stamps (a vector); empty: Times, else
	// 0..T-1.
	TimesVar string
}

// Read reads a series from a .npy or .mat file (by extension; ReadNPY, ReadMAT).
func Read(path string, opt ReadOptions) (*Series, error) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".npy":
		return ReadNPY(path, opt.ArrayOptions)
	case ".mat":
		return ReadMAT(path, opt)
	}
	return nil, fmt.Errorf("temporal: %s: unknown extension (want .npy or .mat)", path)
}

// MustRead is Read that panics on error, for notebook cells.
func MustRead(path string, opt ReadOptions) *Series {
	s, err := Read(path, opt)
	if err != nil {
		panic(err)
	}
	return s
}

// ReadNPY reads a 3-D .npy array (any numeric dtype; C or Fortran order) laid out as
// opt.Layout: numpy shape (N, N, T) by default, (T, N, N) with TimeStimStim. Errors name the
// file.
func ReadNPY(path string, opt ArrayOptions) (*Series, error) {
	shape, data, err := npy.ReadArray(path)
	if err != nil {
		return nil, fmt.Errorf("temporal: %w", err)
	}
	return FromArray(path, shape, data, opt)
}

// ReadMAT reads a series from a MAT v5 file (MATLAB save -v6/-v7): the N x N x T double (or any
// numeric class) variable opt.Var (MATLAB's rdm(:,:,t) by default; T x N x N with
// TimeStimStim) and optionally the time stamps in opt.TimesVar. MAT v7.3 files are HDF5 and are
// rejected with an error saying how to convert them. Errors name the file and the variable.
func ReadMAT(path string, opt ReadOptions) (*Series, error) {
	if err := checkNotHDF5(path); err != nil {
		return nil, err
	}
	f, err := matfile.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("temporal: %w", err)
	}
	name := opt.Var
	if name == "" {
		var cands []string
		for _, v := range f.Vars {
			if num, ok := v.Value.(*matfile.Numeric); ok && len(num.Dims) == 3 {
				cands = append(cands, v.Name)
			}
		}
		if len(cands) != 1 {
			return nil, fmt.Errorf("temporal: %s: %d 3-D numeric variables (%s) among %v; name the RDM variable (ReadOptions.Var)", path, len(cands), strings.Join(cands, ", "), f.Names())
		}
		name = cands[0]
	}
	v, err := f.Var(name)
	if err != nil {
		return nil, fmt.Errorf("temporal: %s: %w (variables: %v)", path, err, f.Names())
	}
	num, ok := v.(*matfile.Numeric)
	if !ok || num.Imag != nil {
		return nil, fmt.Errorf("temporal: %s: variable %q is a %s array, want a real numeric N x N x T array", path, name, v.Class())
	}
	where := fmt.Sprintf("%s: variable %q", path, name)
	if opt.TimesVar != "" {
		tv, err := f.Var(opt.TimesVar)
		if err != nil {
			return nil, fmt.Errorf("temporal: %s: %w (variables: %v)", path, err, f.Names())
		}
		tn, ok := tv.(*matfile.Numeric)
		if !ok || tn.Imag != nil || !isVector(tn.Dims) {
			return nil, fmt.Errorf("temporal: %s: variable %q (times) is a %s array of size %v, want a real vector", path, opt.TimesVar, tv.Class(), tv.Size())
		}
		opt.Times = tn.Data
	}
	if len(num.Dims) != 3 {
		return nil, fmt.Errorf("temporal: %s has size %v, want 3-D (%s); average or select subjects and sessions first", where, num.Dims, opt.Layout)
	}
	// MATLAB stores column-major: reverse the axes to get a C-order array of the reversed shape,
	// then map the layout onto it.
	d0, d1, d2 := num.Dims[0], num.Dims[1], num.Dims[2]
	data := make([]float64, len(num.Data))
	for i := 0; i < d0; i++ {
		for j := 0; j < d1; j++ {
			for k := 0; k < d2; k++ {
				data[(i*d1+j)*d2+k] = num.Data[i+d0*(j+d1*k)]
			}
		}
	}
	return FromArray(where, []int{d0, d1, d2}, data, opt.ArrayOptions)
}

// checkNotHDF5 returns an error for a MAT v7.3 (HDF5) file, which the MAT v5 reader cannot read.
func checkNotHDF5(path string) error {
	fh, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("temporal: %w", err)
	}
	defer fh.Close()
	head := make([]byte, 520)
	n, _ := io.ReadFull(fh, head)
	head = head[:n]
	if bytes.HasPrefix(head, []byte("\x89HDF")) || bytes.Contains(head[:min(n, 128)], []byte("7.3 MAT-file")) ||
		(n >= 520 && bytes.HasPrefix(head[512:], []byte("\x89HDF"))) {
		return fmt.Errorf("temporal: %s is a MAT v7.3 (HDF5) file, which is not MAT v5: convert it, in MATLAB with "+
			"save(name, var, '-v7'), or in Python by reading it with h5py and writing it with scipy.io.savemat (or numpy.save to .npy); "+
			"note h5py returns MATLAB arrays with their axes reversed (T x N x N for an N x N x T variable)", path)
	}
	return nil
}

func isVector(dims []int) bool {
	big := 0
	for _, d := range dims {
		if d != 1 {
			big++
		}
	}
	return len(dims) >= 1 && big <= 1
}
