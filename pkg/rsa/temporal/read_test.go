package temporal

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// cube returns an n x n x nt series in C order (time last): d(i,j,t) = |i-j| + t/10, and its
// (t, i, j) accessor.
func cube(n, nt int) []float64 {
	out := make([]float64, n*n*nt)
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			for t := 0; t < nt; t++ {
				if i != j {
					out[(i*n+j)*nt+t] = math.Abs(float64(i-j)) + float64(t)/10
				}
			}
		}
	}
	return out
}

// writeNPY writes a float64 C-order .npy file of the given shape.
func writeNPY(t *testing.T, path string, shape []int, data []float64) {
	t.Helper()
	dims := make([]string, len(shape))
	for i, d := range shape {
		dims[i] = fmt.Sprint(d)
	}
	h := fmt.Sprintf("{'descr': '<f8', 'fortran_order': False, 'shape': (%s,), }", strings.Join(dims, ", "))
	for (10+len(h)+1)%64 != 0 {
		h += " "
	}
	h += "\n"
	var b bytes.Buffer
	b.WriteString("\x93NUMPY\x01\x00")
	binary.Write(&b, binary.LittleEndian, uint16(len(h)))
	b.WriteString(h)
	binary.Write(&b, binary.LittleEndian, data)
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// matElem is a MAT v5 data element (little endian), padded to 8 bytes.
func matElem(typ uint32, data []byte) []byte {
	var b bytes.Buffer
	binary.Write(&b, binary.LittleEndian, typ)
	binary.Write(&b, binary.LittleEndian, uint32(len(data)))
	b.Write(data)
	b.Write(make([]byte, (8-len(data)%8)%8))
	return b.Bytes()
}

// matDouble encodes a double array variable; data are column-major (MATLAB order).
func matDouble(name string, dims []int, data []float64) []byte {
	const miINT8, miINT32, miUINT32, miDOUBLE, miMATRIX, mxDOUBLE = 1, 5, 6, 9, 14, 6
	var flags, d, v bytes.Buffer
	binary.Write(&flags, binary.LittleEndian, []uint32{mxDOUBLE, 0})
	for _, x := range dims {
		binary.Write(&d, binary.LittleEndian, int32(x))
	}
	binary.Write(&v, binary.LittleEndian, data)
	var body []byte
	body = append(body, matElem(miUINT32, flags.Bytes())...)
	body = append(body, matElem(miINT32, d.Bytes())...)
	body = append(body, matElem(miINT8, []byte(name))...)
	body = append(body, matElem(miDOUBLE, v.Bytes())...)
	return matElem(miMATRIX, body)
}

func writeMAT(t *testing.T, path string, vars ...[]byte) {
	t.Helper()
	var b bytes.Buffer
	b.WriteString(fmt.Sprintf("%-116s", "MATLAB 5.0 MAT-file, written by coarsealign temporal tests"))
	b.Write(make([]byte, 8))
	binary.Write(&b, binary.LittleEndian, uint16(0x0100))
	b.WriteString("IM")
	for _, v := range vars {
		b.Write(v)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// checkCube checks a series read from cube(n, nt).
func checkCube(t *testing.T, s *Series, n, nt int) {
	t.Helper()
	if s.N != n || s.Len() != nt {
		t.Fatalf("series has %d stimuli x %d times, want %d x %d", s.N, s.Len(), n, nt)
	}
	for tt := 0; tt < nt; tt++ {
		for i := 0; i < n; i++ {
			for j := i + 1; j < n; j++ {
				want := float64(j-i) + float64(tt)/10
				if got := s.RDMs[tt].At(i, j); math.Abs(got-want) > 1e-12 {
					t.Fatalf("t=%d (%d,%d) = %g, want %g", tt, i, j, got, want)
				}
			}
		}
	}
}

func TestReadNPYLayouts(t *testing.T) {
	dir := t.TempDir()
	n, nt := 5, 4
	c := cube(n, nt)
	p := filepath.Join(dir, "nnt.npy")
	writeNPY(t, p, []int{n, n, nt}, c)
	s, err := Read(p, ReadOptions{ArrayOptions: ArrayOptions{Times: Times(-100, 50, nt), Stimuli: n}})
	if err != nil {
		t.Fatal(err)
	}
	checkCube(t, s, n, nt)
	if s.Times[0] != -100 || s.Times[3] != 50 {
		t.Errorf("times %v", s.Times)
	}
	// The same data as time x stimuli x stimuli.
	tnn := make([]float64, len(c))
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			for tt := 0; tt < nt; tt++ {
				tnn[(tt*n+i)*n+j] = c[(i*n+j)*nt+tt]
			}
		}
	}
	p2 := filepath.Join(dir, "tnn.npy")
	writeNPY(t, p2, []int{nt, n, n}, tnn)
	s2, err := ReadNPY(p2, ArrayOptions{Layout: TimeStimStim})
	if err != nil {
		t.Fatal(err)
	}
	checkCube(t, s2, n, nt)
}

func TestReadMAT(t *testing.T) {
	dir := t.TempDir()
	n, nt := 4, 3
	c := cube(n, nt)
	col := make([]float64, len(c)) // MATLAB column-major of the N x N x T array
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			for tt := 0; tt < nt; tt++ {
				col[i+n*(j+n*tt)] = c[(i*n+j)*nt+tt]
			}
		}
	}
	p := filepath.Join(dir, "meg.mat")
	writeMAT(t, p, matDouble("label", []int{1, 1}, []float64{7}),
		matDouble("rdms", []int{n, n, nt}, col), matDouble("t", []int{1, nt}, []float64{-10, 0, 10}))
	s, err := Read(p, ReadOptions{TimesVar: "t"})
	if err != nil {
		t.Fatal(err)
	}
	checkCube(t, s, n, nt)
	if s.Times[0] != -10 || s.Times[2] != 10 {
		t.Errorf("times %v", s.Times)
	}
	// The same series stored T x N x N (as after averaging the subjects and sessions of a 5-D file).
	tnn := make([]float64, len(c))
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			for tt := 0; tt < nt; tt++ {
				tnn[tt+nt*(i+n*j)] = c[(i*n+j)*nt+tt]
			}
		}
	}
	p2 := filepath.Join(dir, "tnn.mat")
	writeMAT(t, p2, matDouble("x", []int{nt, n, n}, tnn))
	s2, err := ReadMAT(p2, ReadOptions{Var: "x", ArrayOptions: ArrayOptions{Layout: TimeStimStim}})
	if err != nil {
		t.Fatal(err)
	}
	checkCube(t, s2, n, nt)
	if _, err := ReadMAT(p2, ReadOptions{}); err == nil || !strings.Contains(err.Error(), "not square") || !strings.Contains(err.Error(), `"x"`) {
		t.Errorf("T x N x N read as N x N x T: error %v should say not square and name the variable", err)
	}
	if _, err := ReadMAT(p, ReadOptions{Var: "label"}); err == nil || !strings.Contains(err.Error(), `"label"`) || !strings.Contains(err.Error(), p) {
		t.Errorf("2-D variable: error %v should name the file and the variable", err)
	}
	if _, err := ReadMAT(p, ReadOptions{Var: "missing"}); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("missing variable: %v", err)
	}
}

func TestReadMATv73Rejected(t *testing.T) {
	p := filepath.Join(t.TempDir(), "v73.mat")
	b := []byte(fmt.Sprintf("%-512s", "MATLAB 7.3 MAT-file, Platform: GLNXA64, Created on: Mon Jan  1 00:00:00 2024 HDF5 schema 1.00 ."))
	b = append(b, "\x89HDF\r\n\x1a\n"...)
	if err := os.WriteFile(p, append(b, make([]byte, 64)...), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Read(p, ReadOptions{})
	if err == nil {
		t.Fatal("v7.3 file accepted")
	}
	for _, want := range []string{p, "v7.3", "HDF5", "h5py", "scipy"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

func TestFromArrayValidation(t *testing.T) {
	n, nt := 4, 3
	for _, tc := range []struct {
		name  string
		shape []int
		edit  func([]float64)
		opt   ArrayOptions
		want  []string
	}{
		{"not 3-D", []int{n, n * nt}, nil, ArrayOptions{}, []string{"want 3-D"}},
		{"not square", []int{n, n + 1, nt * n / (n + 1)}, nil, ArrayOptions{}, []string{"not square"}},
		{"asymmetric", []int{n, n, nt}, func(c []float64) { c[(0*n+2)*nt+1] += 0.5 }, ArrayOptions{},
			[]string{"time point 2", "asymmetric", "(1,3)"}},
		{"NaN", []int{n, n, nt}, func(c []float64) { c[(1*n+3)*nt+2] = math.NaN() }, ArrayOptions{},
			[]string{"time point 3", "(2,4)", "NaN"}},
		{"Inf", []int{n, n, nt}, func(c []float64) { c[(1*n+3)*nt+0] = math.Inf(1) }, ArrayOptions{Upper: true},
			[]string{"time point 1", "(2,4)", "finite"}},
		{"stimulus count", []int{n, n, nt}, nil, ArrayOptions{Stimuli: 92}, []string{"4 stimuli, want 92"}},
		{"IDs", []int{n, n, nt}, nil, ArrayOptions{IDs: []string{"a"}}, []string{"1 stimulus IDs for 4"}},
		{"times", []int{n, n, nt}, nil, ArrayOptions{Times: []float64{1, 2}}, []string{"2 time stamps for 3"}},
		{"times order", []int{n, n, nt}, nil, ArrayOptions{Times: []float64{1, 2, 2}}, []string{"increase strictly"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := cube(n, nt)
			if tc.edit != nil {
				tc.edit(c)
			}
			if len(tc.shape) == 3 && tc.shape[0]*tc.shape[1]*tc.shape[2] != len(c) {
				c = c[:tc.shape[0]*tc.shape[1]*tc.shape[2]]
			}
			_, err := FromArray("file.npy", tc.shape, c, tc.opt)
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range append(tc.want, "file.npy") {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
	// A NaN diagonal (decoding RDMs) and a lower triangle of NaN with Upper are accepted.
	c := cube(n, nt)
	for i := 0; i < n; i++ {
		for tt := 0; tt < nt; tt++ {
			c[(i*n+i)*nt+tt] = math.NaN()
			for j := 0; j < i; j++ {
				c[(i*n+j)*nt+tt] = math.NaN()
			}
		}
	}
	s, err := FromArray("upper.npy", []int{n, n, nt}, c, ArrayOptions{Upper: true})
	if err != nil {
		t.Fatal(err)
	}
	checkCube(t, s, n, nt)
}
