package npy

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

// handcrafted builds a v1.0 .npy file with the given header dict and little-endian payload,
// padded as NumPy does (total header length a multiple of 64).
func handcrafted(dict string, payload any) []byte {
	var b bytes.Buffer
	b.WriteString("\x93NUMPY\x01\x00")
	h := dict
	for (10+len(h)+1)%64 != 0 {
		h += " "
	}
	h += "\n"
	binary.Write(&b, binary.LittleEndian, uint16(len(h)))
	b.WriteString(h)
	if payload != nil {
		binary.Write(&b, binary.LittleEndian, payload)
	}
	return b.Bytes()
}

func TestReadFortranOrder(t *testing.T) {
	// The 2x3 matrix [[1 2 3] [4 5 6]] stored column-major, as numpy.asfortranarray would save it.
	b := handcrafted("{'descr': '<f8', 'fortran_order': True, 'shape': (2, 3), }", []float64{1, 4, 2, 5, 3, 6})
	r, c, d, err := DecodeMatrix(b)
	if err != nil {
		t.Fatal(err)
	}
	if r != 2 || c != 3 || fmt.Sprint(d) != "[1 2 3 4 5 6]" {
		t.Fatalf("got %dx%d %v", r, c, d)
	}
	// The same in C order.
	b = handcrafted("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }", []float64{1, 2, 3, 4, 5, 6})
	if r, c, d, err = DecodeMatrix(b); err != nil || r != 2 || c != 3 || fmt.Sprint(d) != "[1 2 3 4 5 6]" {
		t.Fatalf("C order: %dx%d %v %v", r, c, d, err)
	}
}

func TestReadLenientHeader(t *testing.T) {
	// Headers as other writers produce them: no trailing comma, no spaces, double quotes.
	for _, dict := range []string{
		"{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3)}",
		"{'descr':'<f8','fortran_order':False,'shape':(2,3)}",
		`{"descr": "<f8", "fortran_order": False, "shape": (2, 3), }`,
		"{'shape': (2, 3), 'fortran_order': False, 'descr': '<f8'}",
	} {
		r, c, d, err := DecodeMatrix(handcrafted(dict, []float64{1, 2, 3, 4, 5, 6}))
		if err != nil || r != 2 || c != 3 || fmt.Sprint(d) != "[1 2 3 4 5 6]" {
			t.Errorf("%s: %dx%d %v %v", dict, r, c, d, err)
		}
	}
}

func TestReadDtypes(t *testing.T) {
	for _, tc := range []struct {
		dtype   string
		payload any
	}{
		{"<f4", []float32{1, -2, 3.5}},
		{"<i4", []int32{1, -2, 3}},
		{"<i8", []int64{1, -2, 3}},
		{"|u1", []uint8{1, 2, 3}},
		{"<u2", []uint16{1, 2, 3}},
	} {
		b := handcrafted(fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': (3,), }", tc.dtype), tc.payload)
		r, c, d, err := DecodeMatrix(b)
		if err != nil {
			t.Fatalf("%s: %v", tc.dtype, err)
		}
		if r != 1 || c != 3 || d[0] != 1 || math.Abs(d[1]) != 2 {
			t.Fatalf("%s: %dx%d %v", tc.dtype, r, c, d)
		}
	}
	// Big-endian float64.
	var b bytes.Buffer
	b.Write(handcrafted("{'descr': '>f8', 'fortran_order': False, 'shape': (1, 2), }", nil))
	binary.Write(&b, binary.BigEndian, []float64{0.25, -7})
	if r, c, d, err := DecodeMatrix(b.Bytes()); err != nil || r != 1 || c != 2 || d[0] != 0.25 || d[1] != -7 {
		t.Fatalf("big-endian: %dx%d %v %v", r, c, d, err)
	}
}

func TestRoundTrip(t *testing.T) {
	dir := t.TempDir()
	data := []float64{1.5, -2, math.Pi, 0, 1e-300, 7}
	p := filepath.Join(dir, "m.npy")
	if err := WriteMatrix(p, 3, 2, data); err != nil {
		t.Fatal(err)
	}
	r, c, d, err := ReadMatrix(p)
	if err != nil || r != 3 || c != 2 || fmt.Sprint(d) != fmt.Sprint(data) {
		t.Fatalf("float64: %dx%d %v %v", r, c, d, err)
	}
	p32 := filepath.Join(dir, "m32.npy")
	d32 := []float32{1.5, -2, 3.25, 0, 5, 7}
	if err := WriteMatrix32(p32, 2, 3, d32); err != nil {
		t.Fatal(err)
	}
	r, c, d, err = ReadMatrix(p32)
	if err != nil || r != 2 || c != 3 || fmt.Sprint(d) != "[1.5 -2 3.25 0 5 7]" {
		t.Fatalf("float32: %dx%d %v %v", r, c, d, err)
	}
	// Fortran-order round trip: write the transpose's bytes with a Fortran header and read it back.
	b, _ := os.ReadFile(p)
	h, _ := ParseHeader(b)
	ft := make([]float64, 6) // column-major of the 3x2 data
	for i := 0; i < 3; i++ {
		for j := 0; j < 2; j++ {
			ft[j*3+i] = data[i*2+j]
		}
	}
	fb := handcrafted("{'descr': '<f8', 'fortran_order': True, 'shape': (3, 2), }", ft)
	if r, c, d, err = DecodeMatrix(fb); err != nil || r != h.Shape[0] || c != h.Shape[1] || fmt.Sprint(d) != fmt.Sprint(data) {
		t.Fatalf("fortran: %dx%d %v %v", r, c, d, err)
	}
	// No temporary files are left behind.
	ents, _ := os.ReadDir(dir)
	if len(ents) != 2 {
		t.Fatalf("dir holds %d entries", len(ents))
	}
}

func TestReadErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		b    []byte
		want string
	}{
		{"magic", []byte("hello world, not numpy"), "magic"},
		{"truncated data", handcrafted("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }", []float64{1, 2}), "data bytes"},
		{"huge shape", handcrafted("{'descr': '<f8', 'fortran_order': False, 'shape': (100000000000, 100000000000), }", []float64{1}), "needs more"},
		{"3-D", handcrafted("{'descr': '<f8', 'fortran_order': False, 'shape': (1, 1, 1), }", []float64{1}), "1-D or 2-D"},
		{"dtype", handcrafted("{'descr': '<c16', 'fortran_order': False, 'shape': (1,), }", []float64{1, 2}), "not supported"},
		{"no shape", handcrafted("{'descr': '<f8', 'fortran_order': False}", []float64{1}), "lacks"},
		{"header length", []byte("\x93NUMPY\x01\x00\xff\xff{}"), "exceeds"},
	} {
		_, _, _, err := DecodeMatrix(tc.b)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.want)
		}
	}
	_, _, _, err := ReadMatrix(filepath.Join(t.TempDir(), "absent.npy"))
	if err == nil {
		t.Fatal("no error for a missing file")
	}
}

func ExampleReadMatrix() {
	dir, _ := os.MkdirTemp("", "npy")
	defer os.RemoveAll(dir)
	p := filepath.Join(dir, "features.npy")
	if err := WriteMatrix(p, 2, 3, []float64{1, 2, 3, 4, 5, 6}); err != nil {
		panic(err)
	}
	rows, cols, data, err := ReadMatrix(p)
	fmt.Println(rows, cols, data, err)
	// Output: 2 3 [1 2 3 4 5 6] <nil>
}

// TestReadArrayFortran3D checks the N-d reader against NumPy's layout: for
// np.arange(1, 7, dtype='<f4').reshape(2, 1, 3, order='F') the bytes on disk are
// 1..6 and the C-order values are [1, 3, 5, 2, 4, 6] (element [i,0,k] = 1 + i + 2k).
func TestReadArrayFortran3D(t *testing.T) {
	b := handcrafted("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 1, 3), }", []float32{1, 2, 3, 4, 5, 6})
	shape, data, err := DecodeArray(b)
	if err != nil {
		t.Fatal(err)
	}
	want := []float64{1, 3, 5, 2, 4, 6}
	if len(shape) != 3 || shape[0] != 2 || shape[1] != 1 || shape[2] != 3 {
		t.Fatalf("shape %v, want [2 1 3]", shape)
	}
	for i := range want {
		if data[i] != want[i] {
			t.Fatalf("data %v, want %v", data, want)
		}
	}
	// C order is read as is; a truncated file is an error.
	b = handcrafted("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2, 2), }", []float64{0, 1, 2, 3, 4, 5, 6, 7})
	if _, data, err = DecodeArray(b); err != nil || data[5] != 5 {
		t.Fatalf("C order: %v %v", data, err)
	}
	if _, _, err := DecodeArray(b[:len(b)-8]); err == nil {
		t.Fatal("truncated array accepted")
	}
}

// ReadHeader accepts exactly the files DecodeArray accepts, with the same shape, reading only
// the header.
func TestReadHeaderAgreesWithDecode(t *testing.T) {
	dir := t.TempDir()
	big := handcrafted("{'descr': '<f4', 'fortran_order': False, 'shape': (300, 70), }", make([]float32, 300*70))
	cases := map[string][]byte{
		"2-D f4":         big,
		"1-D f8":         handcrafted("{'descr': '<f8', 'fortran_order': False, 'shape': (5,), }", []float64{1, 2, 3, 4, 5}),
		"3-D fortran":    handcrafted("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 1, 3), }", []float32{1, 2, 3, 4, 5, 6}),
		"scalar":         handcrafted("{'descr': '<f8', 'fortran_order': False, 'shape': (), }", []float64{1}),
		"empty":          handcrafted("{'descr': '<f8', 'fortran_order': False, 'shape': (0, 4), }", nil),
		"truncated data": handcrafted("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }", []float64{1, 2}),
		"extra data":     handcrafted("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }", []float64{1, 2}),
		"huge shape":     handcrafted("{'descr': '<f8', 'fortran_order': False, 'shape': (100000000000, 100000000000), }", []float64{1}),
		"dtype":          handcrafted("{'descr': '<c16', 'fortran_order': False, 'shape': (1,), }", []float64{1, 2}),
		"no shape":       handcrafted("{'descr': '<f8', 'fortran_order': False}", []float64{1}),
		"header length":  []byte("\x93NUMPY\x01\x00\xff\xff{}"),
		"magic":          []byte("hello world, not numpy"),
		"short":          []byte("\x93NUM"),
		"version 9":      []byte("\x93NUMPY\x09\x00\x00\x00"),
		"v2 truncated":   []byte("\x93NUMPY\x02\x00\x10\x00"),
	}
	for name, b := range cases {
		p := filepath.Join(dir, strings.ReplaceAll(name, " ", "_")+".npy")
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		h, herr := ReadHeader(p)
		shape, _, derr := DecodeArray(b)
		if (herr == nil) != (derr == nil) {
			t.Errorf("%s: ReadHeader err %v, DecodeArray err %v", name, herr, derr)
			continue
		}
		if herr != nil {
			if !strings.Contains(herr.Error(), p) {
				t.Errorf("%s: error %q does not name the file", name, herr)
			}
			continue
		}
		if fmt.Sprint(h.Shape) != fmt.Sprint(shape) {
			t.Errorf("%s: ReadHeader shape %v, DecodeArray %v", name, h.Shape, shape)
		}
	}
	if _, err := ReadHeader(filepath.Join(dir, "absent.npy")); err == nil {
		t.Error("missing file: no error")
	}
	if _, err := ReadHeader(dir); err == nil {
		t.Error("a folder: no error")
	}
}
