package matfile

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coarsealign/coarsealign/pkg/datadir"
)

// enc builds MAT v5 files for tests, following the MathWorks "MAT-File Format" document
// (data element tags, small data elements, miMATRIX sub-elements).
type enc struct {
	order binary.ByteOrder
	small bool // use the small data element format for data of at most 4 bytes
}

func (e enc) u32(v uint32) []byte {
	b := make([]byte, 4)
	e.order.PutUint32(b, v)
	return b
}

// elem encodes one data element with its tag and padding to 8 bytes.
func (e enc) elem(typ uint32, data []byte) []byte {
	var b bytes.Buffer
	if e.small && len(data) <= 4 && typ != miMATRIX {
		b.Write(e.u32(uint32(len(data))<<16 | typ))
		b.Write(data)
		b.Write(make([]byte, 4-len(data)))
		return b.Bytes()
	}
	b.Write(e.u32(typ))
	b.Write(e.u32(uint32(len(data))))
	b.Write(data)
	if pad := (8 - len(data)%8) % 8; pad > 0 {
		b.Write(make([]byte, pad))
	}
	return b.Bytes()
}

// matrix encodes a miMATRIX element. flags holds the flag bits (0x0800 complex, 0x0200 logical).
func (e enc) matrix(name string, class Class, flags uint32, dims []int, body ...[]byte) []byte {
	var sub bytes.Buffer
	sub.Write(e.elem(miUINT32, append(e.u32(uint32(class)|flags), e.u32(0)...)))
	var d []byte
	for _, x := range dims {
		d = append(d, e.u32(uint32(int32(x)))...)
	}
	sub.Write(e.elem(miINT32, d))
	sub.Write(e.elem(miINT8, []byte(name)))
	for _, b := range body {
		sub.Write(b)
	}
	return e.elem(miMATRIX, sub.Bytes())
}

// numbers encodes values as data element type typ.
func (e enc) numbers(typ uint32, vals []float64) []byte {
	var b bytes.Buffer
	for _, v := range vals {
		switch typ {
		case miINT8:
			b.WriteByte(byte(int8(v)))
		case miUINT8:
			b.WriteByte(byte(v))
		case miINT16:
			binary.Write(&b, e.order, int16(v))
		case miUINT16:
			binary.Write(&b, e.order, uint16(v))
		case miINT32:
			binary.Write(&b, e.order, int32(v))
		case miUINT32:
			binary.Write(&b, e.order, uint32(v))
		case miSINGLE:
			binary.Write(&b, e.order, float32(v))
		case miDOUBLE:
			binary.Write(&b, e.order, v)
		case miINT64:
			binary.Write(&b, e.order, int64(v))
		case miUINT64:
			binary.Write(&b, e.order, uint64(v))
		}
	}
	return e.elem(typ, b.Bytes())
}

func (e enc) chars(name, s string) []byte {
	var d []byte
	for _, r := range s {
		d = append(d, 0, 0)
		e.order.PutUint16(d[len(d)-2:], uint16(r))
	}
	return e.matrix(name, ClassChar, 0, []int{1, len([]rune(s))}, e.elem(miUINT16, d))
}

func (e enc) structArr(name string, dims []int, fields []string, elems ...[]byte) []byte {
	fl := 8
	for _, f := range fields {
		fl = max(fl, len(f)+1)
	}
	names := make([]byte, fl*len(fields))
	for i, f := range fields {
		copy(names[i*fl:], f)
	}
	body := [][]byte{e.elem(miINT32, e.u32(uint32(fl))), e.elem(miINT8, names)}
	return e.matrix(name, ClassStruct, 0, dims, append(body, elems...)...)
}

func compress(el []byte) []byte {
	var z bytes.Buffer
	w := zlib.NewWriter(&z)
	w.Write(el)
	w.Close()
	return z.Bytes()
}

// file assembles a MAT-file; compressed wraps each variable in miCOMPRESSED.
func (e enc) file(compressed bool, vars ...[]byte) []byte {
	var b bytes.Buffer
	h := fmt.Sprintf("%-116s", "MATLAB 5.0 MAT-file, written by coarsealign tests")
	b.WriteString(h)
	b.Write(make([]byte, 8))
	v := make([]byte, 2)
	e.order.PutUint16(v, 0x0100)
	b.Write(v)
	if e.order == binary.ByteOrder(binary.LittleEndian) {
		b.WriteString("IM")
	} else {
		b.WriteString("MI")
	}
	for _, el := range vars {
		if compressed {
			z := compress(el)
			b.Write(e.u32(miCOMPRESSED))
			b.Write(e.u32(uint32(len(z))))
			b.Write(z)
		} else {
			b.Write(el)
		}
	}
	return b.Bytes()
}

// sample builds a file exercising every supported kind of value.
func (e enc) sample(compressed bool) []byte {
	return e.file(compressed,
		e.matrix("d_as_u8", ClassDouble, 0, []int{2, 3}, e.numbers(miUINT8, []float64{1, 2, 3, 4, 5, 255})),
		e.matrix("sgl", ClassSingle, 0, []int{1, 2}, e.numbers(miSINGLE, []float64{0.5, -1.25})),
		e.matrix("i16", ClassInt16, 0, []int{1, 3}, e.numbers(miINT16, []float64{-32768, 0, 32767})),
		e.matrix("i64", ClassInt64, 0, []int{1, 1}, e.numbers(miINT64, []float64{-1 << 40})),
		e.matrix("u64", ClassUint64, 0, []int{1, 1}, e.numbers(miUINT64, []float64{1 << 60})),
		e.matrix("i8", ClassInt8, 0, []int{1, 2}, e.numbers(miINT8, []float64{-128, 127})),
		e.matrix("u32", ClassUint32, 0, []int{1, 1}, e.numbers(miUINT32, []float64{4294967295})),
		e.matrix("dbl3", ClassDouble, 0, []int{2, 1, 2}, e.numbers(miDOUBLE, []float64{1.5, 2.5, 3.5, math.Inf(-1)})),
		e.matrix("lg", ClassUint8, 0x0200, []int{1, 3}, e.numbers(miUINT8, []float64{1, 0, 1})),
		e.matrix("z", ClassDouble, 0x0800, []int{1, 2}, e.numbers(miDOUBLE, []float64{1, 2}), e.numbers(miINT32, []float64{-3, 4})),
		e.chars("txt", "héllo"),
		e.matrix("u8txt", ClassChar, 0, []int{1, 3}, e.elem(miUTF8, []byte("a€b"))),
		e.matrix("rows", ClassChar, 0, []int{2, 2}, e.numbers(miUINT16, []float64{'a', 'c', 'b', 'd'})),
		e.matrix("c", ClassCell, 0, []int{1, 3},
			e.chars("", "one"),
			e.elem(miMATRIX, nil), // an empty [] as MATLAB writes it inside cells
			e.matrix("", ClassCell, 0, []int{1, 1}, e.matrix("", ClassDouble, 0, []int{1, 1}, e.numbers(miDOUBLE, []float64{42})))),
		e.matrix("e0", ClassDouble, 0, []int{0, 3}),
		e.matrix("e1", ClassChar, 0, []int{0, 0}),
		e.structArr("s", []int{1, 2}, []string{"RDM", "name"},
			e.matrix("", ClassDouble, 0, []int{2, 2}, e.numbers(miDOUBLE, []float64{0, 1, 1, 0})), e.chars("", "first"),
			e.matrix("", ClassSingle, 0, []int{2, 2}, e.numbers(miSINGLE, []float64{0, 2, 2, 0})), e.chars("", "second")),
	)
}

func TestReadSynthetic(t *testing.T) {
	for _, order := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
		for _, small := range []bool{false, true} {
			for _, compressed := range []bool{false, true} {
				e := enc{order: order, small: small}
				t.Run(fmt.Sprintf("%v/small=%v/compressed=%v", order, small, compressed), func(t *testing.T) {
					f, err := Read(e.sample(compressed), nil)
					if err != nil {
						t.Fatal(err)
					}
					checkSample(t, f)
				})
			}
		}
	}
}

func num(t *testing.T, f *File, name string) *Numeric {
	t.Helper()
	v, err := f.Var(name)
	if err != nil {
		t.Fatal(err)
	}
	n, ok := v.(*Numeric)
	if !ok {
		t.Fatalf("%s is %T", name, v)
	}
	return n
}

func checkSample(t *testing.T, f *File) {
	t.Helper()
	if got := strings.Join(f.Names(), ","); got != "d_as_u8,sgl,i16,i64,u64,i8,u32,dbl3,lg,z,txt,u8txt,rows,c,e0,e1,s" {
		t.Fatalf("names %s", got)
	}
	for _, tc := range []struct {
		name, data, dims string
		class            Class
	}{
		{"d_as_u8", "[1 2 3 4 5 255]", "[2 3]", ClassDouble},
		{"sgl", "[0.5 -1.25]", "[1 2]", ClassSingle},
		{"i16", "[-32768 0 32767]", "[1 3]", ClassInt16},
		{"i64", "[-1.099511627776e+12]", "[1 1]", ClassInt64},
		{"u64", "[1.152921504606847e+18]", "[1 1]", ClassUint64},
		{"i8", "[-128 127]", "[1 2]", ClassInt8},
		{"u32", "[4.294967295e+09]", "[1 1]", ClassUint32},
		{"dbl3", "[1.5 2.5 3.5 -Inf]", "[2 1 2]", ClassDouble},
		{"lg", "[1 0 1]", "[1 3]", ClassUint8},
		{"e0", "[]", "[0 3]", ClassDouble},
	} {
		n := num(t, f, tc.name)
		if fmt.Sprint(n.Data) != tc.data || fmt.Sprint(n.Dims) != tc.dims || n.Cls != tc.class || n.Imag != nil {
			t.Errorf("%s: %s %v %v imag=%v", tc.name, n.Cls, n.Dims, n.Data, n.Imag)
		}
	}
	if r, c, d, err := num(t, f, "d_as_u8").RowMajor(); err != nil || r != 2 || c != 3 || fmt.Sprint(d) != "[1 3 5 2 4 255]" {
		t.Errorf("RowMajor = %d %d %v %v", r, c, d, err)
	}
	if _, _, _, err := num(t, f, "dbl3").RowMajor(); err == nil {
		t.Error("RowMajor of a 3-D array gave no error")
	}
	if !num(t, f, "lg").Logical || num(t, f, "d_as_u8").Logical {
		t.Error("logical flag wrong")
	}
	if z := num(t, f, "z"); fmt.Sprint(z.Data, z.Imag) != "[1 2] [-3 4]" {
		t.Errorf("complex %v %v", z.Data, z.Imag)
	}
	for name, want := range map[string]string{"txt": "héllo", "u8txt": "a€b", "rows": "ab\ncd", "e1": ""} {
		v, _ := f.Var(name)
		if c, ok := v.(*Char); !ok || c.String() != want {
			t.Errorf("%s = %#v, want %q", name, v, want)
		}
	}
	v, _ := f.Var("c")
	c := v.(*Cell)
	if len(c.Elems) != 3 || c.Elems[0].(*Char).String() != "one" || len(c.Elems[1].(*Numeric).Data) != 0 ||
		c.Elems[2].(*Cell).Elems[0].(*Numeric).Data[0] != 42 {
		t.Errorf("cell %#v", c)
	}
	v, _ = f.Var("s")
	s := v.(*Struct)
	if fmt.Sprint(s.Fields) != "[RDM name]" || s.Len() != 2 {
		t.Fatalf("struct %v len %d", s.Fields, s.Len())
	}
	r, err := s.Field("RDM", 1)
	if err != nil || r.Class() != ClassSingle || fmt.Sprint(r.(*Numeric).Data) != "[0 2 2 0]" {
		t.Errorf("s(2).RDM = %v %v", r, err)
	}
	nm, _ := s.Field("name", 0)
	if nm.(*Char).String() != "first" {
		t.Errorf("s(1).name = %v", nm)
	}
	if _, err := s.Field("nope", 0); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Errorf("missing field err %v", err)
	}
	if _, err := s.Field("RDM", 2); err == nil {
		t.Error("out-of-range element gave no error")
	}
	if _, err := f.Var("absent"); err == nil || !strings.Contains(err.Error(), "absent") {
		t.Errorf("missing var err %v", err)
	}
}

func TestSubsystemDataSkipped(t *testing.T) {
	// MATLAB appends its subsystem data as an unnamed uint8 array; it is not a variable.
	e := enc{order: binary.LittleEndian}
	b := e.file(true, e.matrix("a", ClassDouble, 0, []int{1, 1}, e.numbers(miDOUBLE, []float64{7})),
		e.matrix("", ClassUint8, 0, []int{1, 8}, e.numbers(miUINT8, make([]float64, 8))))
	f, err := Read(b, nil)
	if err != nil || fmt.Sprint(f.Names()) != "[a]" {
		t.Fatalf("names %v, err %v", f.Names(), err)
	}
}

func TestReadErrors(t *testing.T) {
	e := enc{order: binary.LittleEndian}
	good := e.sample(false)
	bomb := make([]byte, 8<<20) // 8 MiB of zeros compresses to about 8 KiB
	cases := []struct {
		name string
		b    []byte
		opts *Options
		want string
	}{
		{"short", []byte("MATLAB"), nil, "too short"},
		{"hdf5", append([]byte("\x89HDF\r\n"), make([]byte, 200)...), nil, "v7.3"},
		{"endian", append(append([]byte{}, good[:126]...), 'X', 'Y'), nil, "endian"},
		{"truncated", good[:len(good)-5], nil, "remain"},
		{"sparse", e.file(false, e.matrix("sp", ClassSparse, 0, []int{2, 2})), nil, `variable "sp"`},
		{"object", e.file(true, e.matrix("ob", ClassOpaque, 0, []int{1, 1})), nil, "not supported"},
		{"overflow", e.file(false, e.matrix("big", ClassDouble, 0, []int{1 << 30, 1 << 30}, e.numbers(miDOUBLE, []float64{1}))), nil, "overflow"},
		{"dims vs data", e.file(false, e.matrix("big", ClassDouble, 0, []int{1000, 1000}, e.numbers(miDOUBLE, []float64{1}))), nil, "needs more data"},
		{"count mismatch", e.file(false, e.matrix("m", ClassDouble, 0, []int{2, 2}, e.numbers(miDOUBLE, []float64{1, 2, 3}))), nil, "want 4"},
		{"negative dim", e.file(false, e.matrix("m", ClassDouble, 0, []int{-1, 2})), nil, "negative"},
		{"huge cell", e.file(false, e.matrix("hc", ClassCell, 0, []int{40000, 40000})), nil, `variable "hc"`},
		{"fieldless struct", e.file(false, e.structArr("fs", []int{40000, 40000}, nil)), nil, "without fields"},
		{"bad field", e.file(false, e.structArr("st", []int{1, 1}, []string{"a"}, e.numbers(miDOUBLE, []float64{1}))), nil, `variable "st" (file, offset 216): field "a" of element 1 has element type 9`},
		{"nested error path", e.file(false, e.structArr("st", []int{1, 2}, []string{"x"},
			e.chars("", "ok"),
			e.matrix("", ClassCell, 0, []int{1, 1}, e.matrix("", ClassSparse, 0, []int{1, 1})))), nil, `variable "st(2).x{1}"`},
		{"zlib bomb", e.file(true, e.matrix("b", ClassUint8, 0, []int{1, len(bomb)}, e.elem(miUINT8, bomb))), &Options{MaxDecompressed: 1 << 20}, "limit"},
		{"bad zlib", append(e.file(false), append(e.u32(miCOMPRESSED), append(e.u32(8), "garbage!"...)...)...), nil, "compressed element at offset 128"},
		{"depth", e.file(false, deepCell(e, 70)), nil, "nested deeper"},
		{"checksum", flipChecksum(e.sample(true)), nil, "checksum"},
	}
	for _, tc := range cases {
		_, err := Read(tc.b, tc.opts)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want it to contain %q", tc.name, err, tc.want)
		}
	}
}

// flipChecksum corrupts the adler32 trailer of the first compressed element.
func flipChecksum(b []byte) []byte {
	b = append([]byte{}, b...)
	n := int(binary.LittleEndian.Uint32(b[132:]))
	b[128+8+n-1] ^= 0xff
	return b
}

// TestTruncatedStream checks that a zlib stream cut after the element's last byte
// (no adler32 trailer) still reads, and one cut inside the element does not.
func TestTruncatedStream(t *testing.T) {
	e := enc{order: binary.LittleEndian}
	el := e.matrix("x", ClassDouble, 0, []int{1, 3}, e.numbers(miDOUBLE, []float64{1, 2, 3}))
	var z bytes.Buffer
	w := zlib.NewWriter(&z)
	w.Write(el)
	w.Flush() // a sync flush: all of el is decodable, but the stream has no final block
	body := z.Bytes()
	file := func(body []byte) []byte {
		b := e.file(false)
		b = append(b, e.u32(miCOMPRESSED)...)
		b = append(b, e.u32(uint32(len(body)))...)
		return append(b, body...)
	}
	f, err := Read(file(body), nil)
	if err != nil {
		t.Fatal(err)
	}
	if x, _ := f.Var("x"); fmt.Sprint(x.(*Numeric).Data) != "[1 2 3]" {
		t.Fatalf("x = %v", x)
	}
	if _, err := Read(file(body[:len(body)/2]), nil); err == nil {
		t.Fatal("a stream cut inside the element was accepted")
	}
}

func deepCell(e enc, depth int) []byte {
	el := e.matrix("", ClassDouble, 0, []int{0, 0})
	for i := 0; i < depth; i++ {
		name := ""
		if i == depth-1 {
			name = "deep"
		}
		el = e.matrix(name, ClassCell, 0, []int{1, 1}, el)
	}
	return el
}

// realFiles returns the MAT-files of the 92-image data set (see the data README).
func realFiles(t testing.TB) []string {
	dir := filepath.Join(datadir.ForTest(t), "kriegeskorte92")
	var paths []string
	for _, name := range []string{"92_behavRDMs.mat", "92_brainRDMs.mat", "92_modelRDMs.mat", "Kriegeskorte_Neuron2008_supplementalData.mat"} {
		p := filepath.Join(dir, name)
		if _, err := os.Stat(p); err != nil {
			if name == "92_modelRDMs.mat" {
				continue // in the shared data, not downloaded by the CLI
			}
			t.Fatalf("want %s: %v", p, err)
		}
		paths = append(paths, p)
	}
	return paths
}

func TestReadRealFiles(t *testing.T) {
	want := map[string]string{
		// Variables and sizes as listed in the data README (shared/data/README.md).
		"92_behavRDMs.mat": "rdms_behav_92 struct [1 16]",
		"92_brainRDMs.mat": "RDMs struct [1 4 2]",
		"92_modelRDMs.mat": "Models struct [1 8]",
		"Kriegeskorte_Neuron2008_supplementalData.mat": "categoryLabels cell [1 12]; RDMs_mIT_hIT_fig1 struct [1 2]; categoryVectors double [92 12]; stimuli_92objs struct [1 92]",
	}
	for _, p := range realFiles(t) {
		f, err := ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var parts []string
		for _, v := range f.Vars {
			parts = append(parts, fmt.Sprintf("%s %s %v", v.Name, v.Value.Class(), v.Value.Size()))
		}
		if got := strings.Join(parts, "; "); got != want[filepath.Base(p)] {
			t.Errorf("%s: %s", filepath.Base(p), got)
		}
		if !strings.HasPrefix(f.Header, "MATLAB 5.0 MAT-file") || f.ByteOrder != binary.ByteOrder(binary.LittleEndian) {
			t.Errorf("%s: header %q order %v", p, f.Header, f.ByteOrder)
		}
	}
}

// seeds returns small inputs for FuzzRead: synthetic files in both byte orders and,
// when the data directory is there, slices of the real files (each real variable
// re-wrapped alone, compressed and uncompressed, when it is small).
func seeds(t testing.TB) [][]byte {
	var out [][]byte
	for _, order := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
		for _, small := range []bool{false, true} {
			e := enc{order: order, small: small}
			out = append(out, e.sample(false), e.sample(true))
		}
	}
	// Seeds from the real files when they are there (a fuzz target must not skip).
	root, err := datadir.RepoRoot()
	if err != nil {
		return out
	}
	dir := os.Getenv(datadir.EnvVar)
	switch {
	case dir == "":
		dir = filepath.Join(root, "..", "shared", "data")
	case !filepath.IsAbs(dir):
		dir = filepath.Join(root, dir)
	}
	paths, _ := filepath.Glob(filepath.Join(dir, "kriegeskorte92", "*.mat"))
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		header := b[:128]
		for off := 128; off+8 <= len(b); {
			n := int(binary.LittleEndian.Uint32(b[off+4:]))
			if off+8+n > len(b) || binary.LittleEndian.Uint32(b[off:]) != miCOMPRESSED {
				t.Fatalf("%s: unexpected element at offset %d", p, off)
			}
			z := b[off+8 : off+8+n]
			if n < 32<<10 {
				out = append(out, append(append([]byte{}, header...), b[off:off+8+n]...))
			}
			zr, err := zlib.NewReader(bytes.NewReader(z))
			if err != nil {
				t.Fatal(err)
			}
			var raw bytes.Buffer
			raw.ReadFrom(zr)
			if raw.Len() < 32<<10 {
				out = append(out, append(append([]byte{}, header...), raw.Bytes()...))
			}
			off += 8 + n
		}
	}
	return out
}

func FuzzRead(f *testing.F) {
	for _, s := range seeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		file, err := Read(b, &Options{MaxDecompressed: 16 << 20})
		if err != nil {
			if file != nil {
				t.Fatal("non-nil file with an error")
			}
			return
		}
		for _, v := range file.Vars {
			checkValue(t, v.Value)
		}
	})
}

// checkValue asserts the invariants the accessors rely on.
func checkValue(t *testing.T, v Value) {
	count := 1
	for _, d := range v.Size() {
		count *= d
	}
	switch x := v.(type) {
	case *Numeric:
		if len(x.Data) != count || (x.Imag != nil && len(x.Imag) != count) {
			t.Fatalf("numeric %v with %d values", x.Dims, len(x.Data))
		}
	case *Char:
		if len(x.Runes) != count {
			t.Fatalf("char %v with %d runes", x.Dims, len(x.Runes))
		}
		_ = x.Rows()
	case *Cell:
		if len(x.Elems) != count {
			t.Fatalf("cell %v with %d elements", x.Dims, len(x.Elems))
		}
		for _, e := range x.Elems {
			checkValue(t, e)
		}
	case *Struct:
		if len(x.Values) != count {
			t.Fatalf("struct %v with %d elements", x.Dims, len(x.Values))
		}
		for _, row := range x.Values {
			if len(row) != len(x.Fields) {
				t.Fatalf("struct row of %d values for %d fields", len(row), len(x.Fields))
			}
			for _, e := range row {
				checkValue(t, e)
			}
		}
	default:
		t.Fatalf("unexpected value %T", v)
	}
}

func BenchmarkReadSupplemental(b *testing.B) {
	p := filepath.Join(datadir.ForTest(b), "kriegeskorte92", "Kriegeskorte_Neuron2008_supplementalData.mat")
	raw, err := os.ReadFile(p)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(raw)))
	for b.Loop() {
		if _, err := Read(raw, nil); err != nil {
			b.Fatal(err)
		}
	}
}
