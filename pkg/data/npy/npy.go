// Package npy reads and writes 1-D and 2-D NumPy .npy arrays as row-major
// float64 matrices, and reads arrays of any rank (ReadArray). Data are decoded by github.com/sbinet/npyio; the writer is
// local because npyio cannot write 2-D float32 arrays nor pads the header to
// 64 bytes as NumPy does.
//
// The header is parsed and checked here first (magic, version, dtype, shape
// against the file size), so corrupt or hostile files give an error naming the
// file and never an absurd allocation; npyio then decodes the data.
package npy

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/coarsealign/coarsealign/internal/fsutil"
	npyio "github.com/sbinet/npyio/npy"
)

// Header is the checked header of a .npy file.
type Header struct {
	// Dtype is the array-protocol type string, e.g. "<f8".
	Dtype string
	// Fortran reports column-major data.
	Fortran bool
	// Shape is the array shape (empty for a scalar).
	Shape []int
	// DataOffset is the byte offset of the data.
	DataOffset int
}

// itemSizes lists the dtypes ReadMatrix accepts and their sizes in bytes.
var itemSizes = map[string]int{
	"f4": 4, "f8": 8, "i1": 1, "u1": 1, "i2": 2, "u2": 2, "i4": 4, "u4": 4, "i8": 8, "u8": 8, "b1": 1,
}

var (
	reDescr   = regexp.MustCompile(`['"]descr['"]\s*:\s*['"]([^'"]*)['"]`)
	reFortran = regexp.MustCompile(`['"]fortran_order['"]\s*:\s*(True|False)`)
	reShape   = regexp.MustCompile(`['"]shape['"]\s*:\s*\(([^)]*)\)`)
)

// ParseHeader checks the header of a .npy file held in b against its length.
func ParseHeader(b []byte) (Header, error) {
	var h Header
	if len(b) < 10 || !bytes.Equal(b[:6], []byte("\x93NUMPY")) {
		return h, fmt.Errorf("not a .npy file (bad magic)")
	}
	var hlen, start int
	switch b[6] {
	case 1:
		hlen, start = int(binary.LittleEndian.Uint16(b[8:])), 10
	case 2, 3:
		if len(b) < 12 {
			return h, fmt.Errorf("truncated header")
		}
		hlen, start = int(binary.LittleEndian.Uint32(b[8:])), 12
	default:
		return h, fmt.Errorf("unsupported .npy version %d.%d", b[6], b[7])
	}
	if hlen < 0 || hlen > len(b)-start {
		return h, fmt.Errorf("header length %d exceeds the %d bytes of the file", hlen, len(b))
	}
	dict := string(b[start : start+hlen])
	h.DataOffset = start + hlen
	md := reDescr.FindStringSubmatch(dict)
	mf := reFortran.FindStringSubmatch(dict)
	ms := reShape.FindStringSubmatch(dict)
	if md == nil || mf == nil || ms == nil {
		return h, fmt.Errorf("header %q lacks descr, fortran_order or shape", strings.TrimSpace(dict))
	}
	h.Dtype = md[1]
	h.Fortran = mf[1] == "True"
	for _, tok := range strings.Split(ms[1], ",") {
		tok = strings.TrimSpace(tok)
		if tok == "" {
			continue
		}
		v, err := strconv.Atoi(strings.TrimSuffix(tok, "L"))
		if err != nil || v < 0 {
			return h, fmt.Errorf("bad shape entry %q", tok)
		}
		h.Shape = append(h.Shape, v)
	}
	return h, nil
}

// maxHeaderLen bounds the header ReadHeader reads (NumPy writes a few hundred bytes).
const maxHeaderLen = 1 << 20

// ReadHeader reads and checks only the header of the .npy file path: the magic, the version,
// a supported dtype (as ReadArray's) and a shape whose data fill the rest of the file exactly.
// It reads at most the header's bytes, so a large file is checked at once; errors name the file.
func ReadHeader(path string) (Header, error) {
	f, err := os.Open(path)
	if err != nil {
		return Header{}, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return Header{}, err
	}
	if !st.Mode().IsRegular() {
		return Header{}, fmt.Errorf("npy %s: not a regular file", path)
	}
	pre := make([]byte, 12)
	n, _ := io.ReadFull(f, pre)
	pre = pre[:n]
	hlen := 0
	switch {
	case n < 10 || !bytes.Equal(pre[:6], []byte("\x93NUMPY")):
		return Header{}, fmt.Errorf("npy %s: not a .npy file (bad magic)", path)
	case pre[6] == 1:
		hlen = 10 + int(binary.LittleEndian.Uint16(pre[8:]))
	case (pre[6] == 2 || pre[6] == 3) && n == 12:
		hlen = 12 + int(binary.LittleEndian.Uint32(pre[8:]))
	}
	if hlen > maxHeaderLen {
		return Header{}, fmt.Errorf("npy %s: header of %d bytes (at most %d)", path, hlen, maxHeaderLen)
	}
	b := pre
	if hlen > n {
		b = make([]byte, hlen)
		copy(b, pre)
		m, _ := io.ReadFull(f, b[n:])
		b = b[:n+m]
	}
	h, err := ParseHeader(b) // also reports an unsupported version or a truncated header
	if err != nil {
		return Header{}, fmt.Errorf("npy %s: %w", path, err)
	}
	_, size, err := checkDtype(h.Dtype)
	if err != nil {
		return Header{}, fmt.Errorf("npy %s: %w", path, err)
	}
	avail := st.Size() - int64(h.DataOffset)
	need := int64(size)
	for _, d := range h.Shape {
		if d != 0 && need > avail/int64(d) {
			return Header{}, fmt.Errorf("npy %s: shape %v of %s needs more than the %d data bytes present", path, h.Shape, h.Dtype, avail)
		}
		need *= int64(d)
	}
	if need != avail {
		return Header{}, fmt.Errorf("npy %s: shape %v of %s needs %d data bytes, file has %d", path, h.Shape, h.Dtype, need, avail)
	}
	return h, nil
}

// ReadMatrix reads a 1-D or 2-D .npy array of float32, float64, integer or bool
// values. A 1-D array of length n is returned as 1 x n. Fortran-order arrays
// are converted, so data is always rows x cols, row-major.
func ReadMatrix(path string) (rows, cols int, data []float64, err error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, 0, nil, err
	}
	rows, cols, data, err = DecodeMatrix(b)
	if err != nil {
		return 0, 0, nil, fmt.Errorf("npy %s: %w", path, err)
	}
	return rows, cols, data, nil
}

// ReadArray reads a .npy array of any rank (float32, float64, integer or bool values) as its
// shape and its values in row-major (C) order; Fortran-order arrays are converted. Used for
// tensors such as convolution kernels [out, in, kh, kw] exported from PyTorch.
func ReadArray(path string) (shape []int, data []float64, err error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	shape, data, err = DecodeArray(b)
	if err != nil {
		return nil, nil, fmt.Errorf("npy %s: %w", path, err)
	}
	return shape, data, nil
}

// DecodeArray is ReadArray on the bytes of a .npy file.
func DecodeArray(b []byte) (shape []int, data []float64, err error) {
	h, err := ParseHeader(b)
	if err != nil {
		return nil, nil, err
	}
	kind, size, err := checkDtype(h.Dtype)
	if err != nil {
		return nil, nil, err
	}
	avail := len(b) - h.DataOffset
	n := 1
	for _, d := range h.Shape {
		if d != 0 && n > avail/size/d {
			return nil, nil, fmt.Errorf("shape %v of %s needs more than the %d data bytes present", h.Shape, h.Dtype, avail)
		}
		n *= d
	}
	if n*size != avail {
		return nil, nil, fmt.Errorf("shape %v of %s needs %d data bytes, file has %d", h.Shape, h.Dtype, n*size, avail)
	}
	shape = append([]int{}, h.Shape...)
	if n == 0 {
		return shape, []float64{}, nil
	}
	data, err = decode(b, h.Dtype, kind, n)
	if err != nil {
		return nil, nil, err
	}
	if h.Fortran && len(shape) > 1 {
		data = fortranToC(shape, data)
	}
	return shape, data, nil
}

// fortranToC reorders column-major values of the given shape into row-major order.
func fortranToC(shape []int, data []float64) []float64 {
	out := make([]float64, len(data))
	idx := make([]int, len(shape))
	for f := range data {
		// f is the column-major offset of idx; compute the row-major offset.
		c := 0
		for k := range shape {
			c = c*shape[k] + idx[k]
		}
		out[c] = data[f]
		for k := range idx { // increment idx in column-major order (first axis fastest)
			idx[k]++
			if idx[k] < shape[k] {
				break
			}
			idx[k] = 0
		}
	}
	return out
}

// checkDtype returns the kind (dtype without byte order) and item size of a supported dtype.
func checkDtype(dtype string) (kind string, size int, err error) {
	kind = strings.TrimLeft(dtype, "<>|=")
	size, ok := itemSizes[kind]
	if !ok || len(dtype)-len(kind) > 1 {
		return "", 0, fmt.Errorf("dtype %q not supported (want float32/64, int or bool)", dtype)
	}
	if size > 1 && strings.HasPrefix(dtype, "|") {
		return "", 0, fmt.Errorf("dtype %q lacks a byte order", dtype)
	}
	return kind, size, nil
}

// DecodeMatrix is ReadMatrix on the bytes of a .npy file.
func DecodeMatrix(b []byte) (rows, cols int, data []float64, err error) {
	h, err := ParseHeader(b)
	if err != nil {
		return 0, 0, nil, err
	}
	kind, size, err := checkDtype(h.Dtype)
	if err != nil {
		return 0, 0, nil, err
	}
	switch len(h.Shape) {
	case 1:
		rows, cols = 1, h.Shape[0]
	case 2:
		rows, cols = h.Shape[0], h.Shape[1]
	default:
		return 0, 0, nil, fmt.Errorf("shape %v: want a 1-D or 2-D array", h.Shape)
	}
	avail := len(b) - h.DataOffset
	if cols != 0 && rows > avail/size/cols {
		return 0, 0, nil, fmt.Errorf("shape %v of %s needs more than the %d data bytes present", h.Shape, h.Dtype, avail)
	}
	n := rows * cols
	if n*size != avail {
		return 0, 0, nil, fmt.Errorf("shape %v of %s needs %d data bytes, file has %d", h.Shape, h.Dtype, n*size, avail)
	}
	if n == 0 {
		return rows, cols, []float64{}, nil
	}
	data, err = decode(b, h.Dtype, kind, n)
	if err != nil {
		return 0, 0, nil, err
	}
	if h.Fortran && rows > 1 && cols > 1 {
		rm := make([]float64, n)
		for j := 0; j < cols; j++ {
			for i := 0; i < rows; i++ {
				rm[i*cols+j] = data[j*rows+i]
			}
		}
		data = rm
	}
	return rows, cols, data, nil
}

// decode reads n values with npyio into float64, after the header was checked.
func decode(b []byte, dtype, kind string, n int) (out []float64, err error) {
	defer func() {
		if r := recover(); r != nil { // npyio is not written for hostile input; never let it crash the caller
			out, err = nil, fmt.Errorf("decoding %s data: %v", dtype, r)
		}
	}()
	// Hand npyio a canonical header (its header parser is strict about spacing and
	// trailing commas, and could otherwise see a different shape than the one checked).
	var buf bytes.Buffer
	w := bufio.NewWriter(&buf)
	writeHeader(w, dtype, fmt.Sprintf("(%d,)", n), false)
	w.Write(b[len(b)-n*itemSizes[kind]:])
	w.Flush()
	rd, err := npyio.NewReader(&buf)
	if err != nil {
		return nil, err
	}
	if len(rd.Header.Descr.Shape) != 1 || rd.Header.Descr.Shape[0] != n {
		return nil, fmt.Errorf("internal: npyio read shape %v, want (%d,)", rd.Header.Descr.Shape, n)
	}
	// npyio wants a Go slice of the on-disk type.
	out = make([]float64, n)
	read := func(ptr any) error { return rd.Read(ptr) }
	switch kind {
	case "f8":
		v := make([]float64, n)
		err = read(&v)
		copy(out, v)
	case "f4":
		v := make([]float32, n)
		err = read(&v)
		for i, x := range v {
			out[i] = float64(x)
		}
	case "i1":
		v := make([]int8, n)
		err = read(&v)
		for i, x := range v {
			out[i] = float64(x)
		}
	case "u1":
		v := make([]uint8, n)
		err = read(&v)
		for i, x := range v {
			out[i] = float64(x)
		}
	case "b1":
		v := make([]bool, n)
		err = read(&v)
		for i, x := range v {
			if x {
				out[i] = 1
			}
		}
	case "i2":
		v := make([]int16, n)
		err = read(&v)
		for i, x := range v {
			out[i] = float64(x)
		}
	case "u2":
		v := make([]uint16, n)
		err = read(&v)
		for i, x := range v {
			out[i] = float64(x)
		}
	case "i4":
		v := make([]int32, n)
		err = read(&v)
		for i, x := range v {
			out[i] = float64(x)
		}
	case "u4":
		v := make([]uint32, n)
		err = read(&v)
		for i, x := range v {
			out[i] = float64(x)
		}
	case "i8":
		v := make([]int64, n)
		err = read(&v)
		for i, x := range v {
			out[i] = float64(x)
		}
	case "u8":
		v := make([]uint64, n)
		err = read(&v)
		for i, x := range v {
			out[i] = float64(x)
		}
	default:
		return nil, fmt.Errorf("dtype %q not supported", dtype)
	}
	if err != nil {
		return nil, fmt.Errorf("decoding %s data: %w", dtype, err)
	}
	return out, nil
}

// WriteMatrix writes a rows x cols row-major float64 matrix as a C-order .npy
// (format 1.0) array of dtype <f8, atomically (temporary file in the same folder,
// then rename). The header is padded so the data start at a multiple of 64 bytes,
// as NumPy writes it. It panics if len(data) != rows*cols or rows, cols < 1.
func WriteMatrix(path string, rows, cols int, data []float64) error {
	checkShape(rows, cols, len(data))
	return writeAtomic(path, func(f *os.File) error {
		w := bufio.NewWriter(f)
		writeHeader(w, "<f8", fmt.Sprintf("(%d, %d)", rows, cols), false)
		var buf [8]byte
		for _, v := range data {
			binary.LittleEndian.PutUint64(buf[:], math.Float64bits(v))
			w.Write(buf[:])
		}
		return w.Flush()
	})
}

// WriteMatrix32 is WriteMatrix with dtype <f4.
func WriteMatrix32(path string, rows, cols int, data []float32) error {
	checkShape(rows, cols, len(data))
	return writeAtomic(path, func(f *os.File) error {
		w := bufio.NewWriter(f)
		writeHeader(w, "<f4", fmt.Sprintf("(%d, %d)", rows, cols), false)
		var buf [4]byte
		for _, v := range data {
			binary.LittleEndian.PutUint32(buf[:], math.Float32bits(v))
			w.Write(buf[:])
		}
		return w.Flush()
	})
}

// writeHeader writes a format 1.0 header for a shape written as a Python tuple;
// errors surface at Flush.
func writeHeader(w *bufio.Writer, dtype, shape string, fortran bool) {
	order := "False"
	if fortran {
		order = "True"
	}
	h := fmt.Sprintf("{'descr': '%s', 'fortran_order': %s, 'shape': %s, }", dtype, order, shape)
	for (10+len(h)+1)%64 != 0 {
		h += " "
	}
	h += "\n"
	w.WriteString("\x93NUMPY\x01\x00")
	var n [2]byte
	binary.LittleEndian.PutUint16(n[:], uint16(len(h)))
	w.Write(n[:])
	w.WriteString(h)
}

func checkShape(rows, cols, n int) {
	if rows <= 0 || cols <= 0 || rows > math.MaxInt32 || n != rows*cols {
		panic(fmt.Sprintf("npy: %d values for a %dx%d matrix (rows and cols must be positive)", n, rows, cols))
	}
}

func writeAtomic(path string, write func(*os.File) error) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	name := tmp.Name()
	if err := fsutil.ChmodTemp(tmp); err != nil { // CreateTemp makes 0600 files
		tmp.Close()
		os.Remove(name)
		return fmt.Errorf("npy %s: %w", path, err)
	}
	if err := write(tmp); err != nil {
		tmp.Close()
		os.Remove(name)
		return fmt.Errorf("npy %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		os.Remove(name)
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(name)
		return err
	}
	if err := os.Rename(name, path); err != nil {
		os.Remove(name)
		return err
	}
	return nil
}
