package npy

import (
	"encoding/binary"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func FuzzReadNPY(f *testing.F) {
	f.Add(handcrafted("{'descr': '<f8', 'fortran_order': True, 'shape': (2, 3), }", []float64{1, 4, 2, 5, 3, 6}))
	f.Add(handcrafted("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", []float32{1, 2, 3}))
	f.Add(handcrafted("{'descr': '>i8', 'fortran_order': False, 'shape': (1, 1), }", []int64{7}))
	f.Add(handcrafted("{'descr': '|b1', 'fortran_order': False, 'shape': (2,), }", []uint8{1, 0}))
	f.Add(handcrafted("{'descr': '<u2', 'fortran_order': True, 'shape': (0, 4), }", nil))
	f.Add(handcrafted("{'descr': '<f8', 'fortran_order': False, 'shape': (), }", []float64{1}))
	dir := f.TempDir()
	p := filepath.Join(dir, "w.npy")
	if err := WriteMatrix32(p, 2, 2, []float32{1, 2, 3, 4}); err != nil {
		f.Fatal(err)
	}
	b, _ := os.ReadFile(p)
	f.Add(b)
	f.Add(handcrafted("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 1, 2), }", []float32{1, 2, 3, 4}))
	hdrFile := filepath.Join(f.TempDir(), "fuzz.npy") // one per fuzzing process
	f.Fuzz(func(t *testing.T, b []byte) {
		// ReadHeader (header only, from a file) accepts exactly what DecodeArray accepts.
		if err := os.WriteFile(hdrFile, b, 0o644); err != nil {
			t.Fatal(err)
		}
		hh, herr := ReadHeader(hdrFile)
		shape, _, derr := DecodeArray(b)
		if (herr == nil) != (derr == nil) || (herr == nil && !slices.Equal(hh.Shape, shape)) {
			t.Fatalf("ReadHeader %v (shape %v) vs DecodeArray %v (shape %v)", herr, hh.Shape, derr, shape)
		}
		if shape, data, err := DecodeArray(b); err == nil {
			n := 1
			for _, d := range shape {
				n *= d
			}
			if len(data) != n || len(data) > len(b) {
				t.Fatalf("shape %v with %d values from %d bytes", shape, len(data), len(b))
			}
		}
		rows, cols, data, err := DecodeMatrix(b)
		if err != nil {
			return
		}
		if rows < 0 || cols < 0 || len(data) != rows*cols || len(data) > len(b) {
			t.Fatalf("%dx%d with %d values from %d bytes", rows, cols, len(data), len(b))
		}
		// Differential check against a direct decoder of the checked header.
		h, _ := ParseHeader(b)
		want := reference(h, b[h.DataOffset:], rows, cols)
		for i := range want {
			if math.Float64bits(want[i]) != math.Float64bits(data[i]) && !(math.IsNaN(want[i]) && math.IsNaN(data[i])) {
				t.Fatalf("value %d: got %v, want %v (header %+v)", i, data[i], want[i], h)
			}
		}
	})
}

// reference decodes the payload with encoding/binary, independently of npyio.
func reference(h Header, p []byte, rows, cols int) []float64 {
	kind := strings.TrimLeft(h.Dtype, "<>|=")
	var order binary.ByteOrder = binary.LittleEndian
	if strings.HasPrefix(h.Dtype, ">") {
		order = binary.BigEndian
	}
	sz := itemSizes[kind]
	n := rows * cols
	out := make([]float64, n)
	for k := 0; k < n; k++ {
		v := p[k*sz : (k+1)*sz]
		var x float64
		switch kind {
		case "f8":
			x = math.Float64frombits(order.Uint64(v))
		case "f4":
			x = float64(math.Float32frombits(order.Uint32(v)))
		case "i1":
			x = float64(int8(v[0]))
		case "u1":
			x = float64(v[0])
		case "b1":
			if v[0] == 1 {
				x = 1
			}
		case "i2":
			x = float64(int16(order.Uint16(v)))
		case "u2":
			x = float64(order.Uint16(v))
		case "i4":
			x = float64(int32(order.Uint32(v)))
		case "u4":
			x = float64(order.Uint32(v))
		case "i8":
			x = float64(int64(order.Uint64(v)))
		case "u8":
			x = float64(order.Uint64(v))
		}
		if h.Fortran { // element k is (k%rows, k/rows)
			out[(k%rows)*cols+k/rows] = x
		} else {
			out[k] = x
		}
	}
	return out
}

// TestNumPyInterop reads files NumPy wrote and has NumPy read ours, when a Python with
// NumPy is installed (Debian's python3-numpy at /usr/bin/python3); it skips otherwise.
func TestNumPyInterop(t *testing.T) {
	py := "/usr/bin/python3"
	if testing.Short() {
		t.Skip("runs python3")
	}
	if err := exec.Command(py, "-c", "import numpy").Run(); err != nil {
		t.Skip("no python3 with numpy")
	}
	dir := t.TempDir()
	script := `
import numpy as np, sys
d = sys.argv[1]
a = np.arange(6, dtype=np.float64).reshape(2, 3) * 1.5
np.save(d + '/c.npy', a)
np.save(d + '/f.npy', np.asfortranarray(a))
np.save(d + '/f32.npy', a.astype(np.float32))
np.save(d + '/be.npy', a.astype('>f8'))
np.save(d + '/i.npy', np.arange(6).reshape(2, 3))
`
	if out, err := exec.Command(py, "-c", script, dir).CombinedOutput(); err != nil {
		t.Fatalf("numpy: %v %s", err, out)
	}
	for _, name := range []string{"c", "f", "f32", "be", "i"} {
		r, c, d, err := ReadMatrix(filepath.Join(dir, name+".npy"))
		if err != nil {
			t.Fatal(err)
		}
		want := []float64{0, 1.5, 3, 4.5, 6, 7.5}
		if name == "i" {
			want = []float64{0, 1, 2, 3, 4, 5}
		}
		for k := range want {
			if r != 2 || c != 3 || d[k] != want[k] {
				t.Fatalf("%s: %dx%d %v", name, r, c, d)
			}
		}
	}
	if err := WriteMatrix(filepath.Join(dir, "o64.npy"), 2, 2, []float64{1, 2, 3, 4}); err != nil {
		t.Fatal(err)
	}
	if err := WriteMatrix32(filepath.Join(dir, "o32.npy"), 1, 3, []float32{1, 2, 3.5}); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(py, "-c", `
import numpy as np, sys
a = np.load(sys.argv[1] + '/o64.npy'); b = np.load(sys.argv[1] + '/o32.npy')
print(a.dtype, a.shape, a.tolist(), b.dtype, b.shape, b.tolist())`, dir).CombinedOutput()
	if err != nil {
		t.Fatalf("numpy load: %v %s", err, out)
	}
	if got := strings.TrimSpace(string(out)); got != "float64 (2, 2) [[1.0, 2.0], [3.0, 4.0]] float32 (1, 3) [[1.0, 2.0, 3.5]]" {
		t.Fatalf("numpy read %q", got)
	}
}
