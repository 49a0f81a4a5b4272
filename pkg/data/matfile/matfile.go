// Package matfile reads MATLAB Level 5 MAT-files (the format written by MATLAB's
// save with -v6 or -v7, the default before -v7.3).
//
// It supports what public research data typically holds: zlib-compressed
// elements (miCOMPRESSED), numeric arrays of every class (double, single,
// int8..uint64, logical) whose storage type may be narrower than the class
// (a double stored as uint8), complex numeric arrays, char arrays (UTF-8, UTF-16,
// UTF-32 or uint16 code units), cell arrays and struct arrays, in either byte
// order. Sparse arrays, objects, function handles and opaque (MATLAB class)
// values are rejected with an error naming the variable. HDF5-based -v7.3 files
// are not MAT v5 and are rejected.
//
// The reader is meant for untrusted input: it never panics on corrupt files,
// bounds every allocation by the size of the input that remains (and the
// decompressed size by Options.MaxDecompressed), and its errors name the
// variable, the field path and the byte offset of the offending element.
//
// Numeric data are converted to float64 in MATLAB's column-major order:
// element (i, j, k) of an array with Dims [d0, d1, d2] is Data[i + d0*(j + d1*k)].
// int64/uint64 values beyond 2^53 lose precision in that conversion.
package matfile

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"unicode/utf16"
	"unicode/utf8"
)

// Class is a MATLAB array class (mxClassID).
type Class uint8

// MATLAB array classes, with the numeric values used in MAT-files.
const (
	ClassCell   Class = 1
	ClassStruct Class = 2
	ClassObject Class = 3
	ClassChar   Class = 4
	ClassSparse Class = 5
	ClassDouble Class = 6
	ClassSingle Class = 7
	ClassInt8   Class = 8
	ClassUint8  Class = 9
	ClassInt16  Class = 10
	ClassUint16 Class = 11
	ClassInt32  Class = 12
	ClassUint32 Class = 13
	ClassInt64  Class = 14
	ClassUint64 Class = 15
	ClassFunc   Class = 16
	ClassOpaque Class = 17
)

var classNames = map[Class]string{
	ClassCell: "cell", ClassStruct: "struct", ClassObject: "object", ClassChar: "char",
	ClassSparse: "sparse", ClassDouble: "double", ClassSingle: "single", ClassInt8: "int8",
	ClassUint8: "uint8", ClassInt16: "int16", ClassUint16: "uint16", ClassInt32: "int32",
	ClassUint32: "uint32", ClassInt64: "int64", ClassUint64: "uint64",
	ClassFunc: "function_handle", ClassOpaque: "opaque",
}

// String returns MATLAB's name of the class ("double", "cell", ...).
func (c Class) String() string {
	if s, ok := classNames[c]; ok {
		return s
	}
	return fmt.Sprintf("class(%d)", uint8(c))
}

// Data element types (miINT8 ...).
const (
	miINT8       = 1
	miUINT8      = 2
	miINT16      = 3
	miUINT16     = 4
	miINT32      = 5
	miUINT32     = 6
	miSINGLE     = 7
	miDOUBLE     = 9
	miINT64      = 12
	miUINT64     = 13
	miMATRIX     = 14
	miCOMPRESSED = 15
	miUTF8       = 16
	miUTF16      = 17
	miUTF32      = 18
)

// elemSize returns the byte size of one value of a numeric data type, 0 if not numeric.
func elemSize(t uint32) int {
	switch t {
	case miINT8, miUINT8, miUTF8:
		return 1
	case miINT16, miUINT16, miUTF16:
		return 2
	case miINT32, miUINT32, miSINGLE, miUTF32:
		return 4
	case miDOUBLE, miINT64, miUINT64:
		return 8
	}
	return 0
}

// Value is one MATLAB array: *Numeric, *Char, *Cell or *Struct.
type Value interface {
	// Class returns the MATLAB class of the array.
	Class() Class
	// Size returns the dimensions (at least 2, MATLAB's size()).
	Size() []int
}

// Numeric is a numeric or logical array.
type Numeric struct {
	Dims []int
	// Cls is the array class (ClassDouble ... ClassUint64); logical arrays have Cls ClassUint8 and Logical set.
	Cls     Class
	Logical bool
	// Data holds the real part, column-major, len = product of Dims.
	Data []float64
	// Imag holds the imaginary part of a complex array, nil for real arrays.
	Imag []float64
}

// Char is a char array. Runes are column-major, len = product of Dims.
type Char struct {
	Dims  []int
	Runes []rune
}

// Cell is a cell array. Elems are column-major, len = product of Dims.
type Cell struct {
	Dims  []int
	Elems []Value
}

// Struct is a struct array with named fields.
type Struct struct {
	Dims []int
	// Fields are the field names in file order.
	Fields []string
	// Values[k][f] is field Fields[f] of element k (column-major k).
	Values [][]Value
}

func (v *Numeric) Class() Class { return v.Cls }
func (v *Char) Class() Class    { return ClassChar }
func (v *Cell) Class() Class    { return ClassCell }
func (v *Struct) Class() Class  { return ClassStruct }
func (v *Numeric) Size() []int  { return v.Dims }
func (v *Char) Size() []int     { return v.Dims }
func (v *Cell) Size() []int     { return v.Dims }
func (v *Struct) Size() []int   { return v.Dims }

// Len returns the number of elements (product of Dims).
func (v *Numeric) Len() int { return len(v.Data) }

// Scalar returns the single value of a 1x1 array, or an error.
func (v *Numeric) Scalar() (float64, error) {
	if len(v.Data) != 1 {
		return 0, fmt.Errorf("matfile: want a scalar, have a %s array of size %v", v.Cls, v.Dims)
	}
	return v.Data[0], nil
}

// RowMajor returns a 2-D array as rows x cols values in row-major order (a copy).
// It returns an error for arrays of more than two dimensions or complex arrays.
func (v *Numeric) RowMajor() (rows, cols int, data []float64, err error) {
	if len(v.Dims) != 2 || v.Imag != nil {
		return 0, 0, nil, fmt.Errorf("matfile: want a real 2-D array, have a %s array of size %v (complex=%v)", v.Cls, v.Dims, v.Imag != nil)
	}
	rows, cols = v.Dims[0], v.Dims[1]
	data = make([]float64, len(v.Data))
	for i := 0; i < rows; i++ {
		for j := 0; j < cols; j++ {
			data[i*cols+j] = v.Data[i+rows*j]
		}
	}
	return rows, cols, data, nil
}

// String returns the text of a char array of one row (or a column / empty array);
// rows of a multi-row array are joined with newlines.
func (v *Char) String() string {
	rows := v.Rows()
	if len(rows) == 1 {
		return rows[0]
	}
	var b bytes.Buffer
	for i, r := range rows {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(r)
	}
	return b.String()
}

// Rows returns the rows of a 2-D char array as strings (a 1xN array gives one string;
// an Nx1 array is read as one string too, as MATLAB users usually mean).
func (v *Char) Rows() []string {
	if len(v.Dims) != 2 {
		return []string{string(v.Runes)}
	}
	m, n := v.Dims[0], v.Dims[1]
	if m <= 1 || n == 1 {
		return []string{string(v.Runes)}
	}
	rows := make([]string, m)
	buf := make([]rune, n)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			buf[j] = v.Runes[i+m*j]
		}
		rows[i] = string(buf)
	}
	return rows
}

// Len returns the number of struct elements.
func (v *Struct) Len() int { return len(v.Values) }

// FieldIndex returns the position of a field, or -1.
func (v *Struct) FieldIndex(name string) int {
	for i, f := range v.Fields {
		if f == name {
			return i
		}
	}
	return -1
}

// Field returns field name of element index (0-based, column-major).
func (v *Struct) Field(name string, index int) (Value, error) {
	f := v.FieldIndex(name)
	if f < 0 {
		return nil, fmt.Errorf("matfile: struct has no field %q (fields: %v)", name, v.Fields)
	}
	if index < 0 || index >= len(v.Values) {
		return nil, fmt.Errorf("matfile: struct element %d out of range [0,%d)", index, len(v.Values))
	}
	return v.Values[index][f], nil
}

// Var is one named variable of a MAT-file.
type Var struct {
	Name  string
	Value Value
	// Global reports MATLAB's global flag.
	Global bool
}

// File is a parsed MAT-file.
type File struct {
	// Header is the 116-byte descriptive text, trimmed of trailing spaces and NULs.
	Header string
	// ByteOrder is the order the file was written in.
	ByteOrder binary.ByteOrder
	// Vars are the variables in file order.
	Vars []Var
}

// Names returns the variable names in file order.
func (f *File) Names() []string {
	names := make([]string, len(f.Vars))
	for i, v := range f.Vars {
		names[i] = v.Name
	}
	return names
}

// Var returns the variable with the given name.
func (f *File) Var(name string) (Value, error) {
	for _, v := range f.Vars {
		if v.Name == name {
			return v.Value, nil
		}
	}
	return nil, fmt.Errorf("matfile: no variable %q (have %v)", name, f.Names())
}

// Options bounds the resources used by Read.
type Options struct {
	// MaxDecompressed caps the total number of bytes produced by decompressing
	// miCOMPRESSED elements. Zero means DefaultMaxDecompressed.
	MaxDecompressed int64
	// MaxDepth caps the nesting depth of cells and structs. Zero means DefaultMaxDepth.
	MaxDepth int
}

// maxFieldlessStruct caps the size of a struct array without fields, which has no data to bound it.
const maxFieldlessStruct = 1 << 20

// Defaults for Options.
const (
	DefaultMaxDecompressed = 1 << 30
	DefaultMaxDepth        = 64
)

// ReadFile parses the MAT-file at path with default options.
func ReadFile(path string) (*File, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	f, err := Read(b, nil)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return f, nil
}

// Read parses a MAT-file held in memory. opts may be nil.
func Read(b []byte, opts *Options) (*File, error) {
	o := Options{}
	if opts != nil {
		o = *opts
	}
	if o.MaxDecompressed <= 0 {
		o.MaxDecompressed = DefaultMaxDecompressed
	}
	if o.MaxDepth <= 0 {
		o.MaxDepth = DefaultMaxDepth
	}
	if len(b) < 128 {
		return nil, fmt.Errorf("matfile: %d bytes is too short for a MAT-file header (128 bytes)", len(b))
	}
	if bytes.HasPrefix(b, []byte("\x89HDF")) || bytes.Contains(b[:128], []byte("7.3 MAT-file")) {
		return nil, errors.New("matfile: MATLAB -v7.3 (HDF5) files are not supported; re-save with -v7")
	}
	f := &File{Header: string(bytes.TrimRight(b[:116], " \x00"))}
	switch string(b[126:128]) {
	case "IM":
		f.ByteOrder = binary.LittleEndian
	case "MI":
		f.ByteOrder = binary.BigEndian
	default:
		return nil, fmt.Errorf("matfile: not a MAT v5 file (endian indicator %q at offset 126)", b[126:128])
	}
	if v := f.ByteOrder.Uint16(b[124:126]); v != 0x0100 {
		return nil, fmt.Errorf("matfile: unsupported MAT-file version 0x%04x at offset 124", v)
	}
	p := &parser{order: f.ByteOrder, opts: o, budget: o.MaxDecompressed}
	off := 128
	for off < len(b) {
		if len(b)-off < 8 {
			// Trailing bytes shorter than a tag: MATLAB never writes them; tolerate zero padding.
			if allZero(b[off:]) {
				break
			}
			return nil, fmt.Errorf("matfile: %d stray bytes at offset %d", len(b)-off, off)
		}
		typ, n, data, next, err := p.tag(b, off, "")
		if err != nil {
			return nil, err
		}
		switch typ {
		case miCOMPRESSED:
			raw, err := p.inflate(data, off)
			if err != nil {
				return nil, err
			}
			sub := &loc{base: fmt.Sprintf("compressed element at offset %d", off)}
			if len(raw) < 8 {
				return nil, fmt.Errorf("matfile: %s: decompressed to %d bytes, too short for an element", sub.base, len(raw))
			}
			t2, _, d2, _, err := p.tag(raw, 0, sub.base)
			if err != nil {
				return nil, err
			}
			if t2 != miMATRIX {
				return nil, fmt.Errorf("matfile: %s: holds element type %d, want miMATRIX (14)", sub.base, t2)
			}
			v, err := p.variable(d2, sub, 8)
			if err != nil {
				return nil, err
			}
			if v.Name != "" { // an unnamed top-level array is MATLAB's subsystem data: skipped
				f.Vars = append(f.Vars, v)
			}
		case miMATRIX:
			v, err := p.variable(data, &loc{base: "file"}, off+8)
			if err != nil {
				return nil, err
			}
			if v.Name != "" { // an unnamed top-level array is MATLAB's subsystem data: skipped
				f.Vars = append(f.Vars, v)
			}
		default:
			return nil, fmt.Errorf("matfile: top-level element of type %d (%d bytes) at offset %d, want miMATRIX or miCOMPRESSED", typ, n, off)
		}
		off = next
	}
	return f, nil
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// loc describes where a parsed buffer came from, for error messages.
type loc struct {
	base string // "file" or "compressed element at offset N"
}

type parser struct {
	order  binary.ByteOrder
	opts   Options
	budget int64 // remaining decompressed bytes
}

// tag reads the data element tag at b[off:] and returns its type, byte count,
// its data, and the offset of the next element (8-byte aligned, except after miCOMPRESSED).
func (p *parser) tag(b []byte, off int, where string) (typ uint32, n int, data []byte, next int, err error) {
	at := func() string {
		if where == "" {
			return fmt.Sprintf("offset %d", off)
		}
		return fmt.Sprintf("%s, offset %d", where, off)
	}
	if off < 0 || len(b)-off < 8 {
		return 0, 0, nil, 0, fmt.Errorf("matfile: truncated element tag at %s", at())
	}
	w := p.order.Uint32(b[off:])
	if w>>16 != 0 {
		// Small data element: 2-byte count, 2-byte type, up to 4 bytes of data.
		typ = w & 0xffff
		n = int(w >> 16)
		if n > 4 {
			return 0, 0, nil, 0, fmt.Errorf("matfile: small data element of %d bytes (max 4) at %s", n, at())
		}
		return typ, n, b[off+4 : off+4+n], off + 8, nil
	}
	typ = w
	n64 := uint64(p.order.Uint32(b[off+4:]))
	if n64 > uint64(len(b)-off-8) {
		return 0, 0, nil, 0, fmt.Errorf("matfile: element of type %d claims %d bytes but only %d remain at %s", typ, n64, len(b)-off-8, at())
	}
	n = int(n64)
	data = b[off+8 : off+8+n]
	next = off + 8 + n
	if typ != miCOMPRESSED {
		if pad := (8 - n%8) % 8; pad > 0 {
			next += pad
			if next > len(b) {
				next = len(b) // the last element may lack its padding
			}
		}
	}
	return typ, n, data, next, nil
}

// inflate decompresses a miCOMPRESSED element within the remaining budget.
func (p *parser) inflate(data []byte, off int) ([]byte, error) {
	zr, err := zlib.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("matfile: compressed element at offset %d: %v", off, err)
	}
	defer zr.Close()
	var buf bytes.Buffer
	n, err := io.Copy(&buf, io.LimitReader(zr, p.budget+1))
	if n > p.budget {
		return nil, fmt.Errorf("matfile: compressed element at offset %d: decompressed data exceed the limit of %d bytes (Options.MaxDecompressed)", off, p.opts.MaxDecompressed)
	}
	p.budget -= n
	if err != nil {
		// A corrupt stream or a checksum mismatch is an error. A stream that ends early
		// is accepted only if the element it holds decoded in full: some writers end the
		// stream without its final block or adler32 trailer (SciPy's loadmat tolerates
		// such files too), and the element's own byte count shows it is complete.
		if !errors.Is(err, io.ErrUnexpectedEOF) || n < 8 {
			return nil, fmt.Errorf("matfile: compressed element at offset %d: %v", off, err)
		}
		if need := int(p.order.Uint32(buf.Bytes()[4:])) + 8; buf.Len() < need {
			return nil, fmt.Errorf("matfile: compressed element at offset %d: %v after %d of %d bytes", off, err, buf.Len(), need)
		}
	}
	return buf.Bytes(), nil
}

// variable parses the contents of a top-level miMATRIX element.
// base is the offset of data within its buffer, for messages.
func (p *parser) variable(data []byte, l *loc, base int) (Var, error) {
	var v Var
	m, err := p.matrix(data, l, base, "", 0)
	if err != nil {
		return v, err
	}
	v.Name, v.Value, v.Global = m.name, m.value, m.global
	return v, nil
}

type matrix struct {
	name   string
	value  Value
	global bool
}

// matrix parses the contents (sub-elements) of one miMATRIX element.
// path names the enclosing variable/field for errors ("" at top level).
func (p *parser) matrix(data []byte, l *loc, base int, path string, depth int) (matrix, error) {
	var m matrix
	fail := func(off int, format string, args ...any) error {
		what := "variable"
		if path != "" {
			what = fmt.Sprintf("variable %q", path)
		}
		return fmt.Errorf("matfile: %s (%s, offset %d): %s", what, l.base, base+off, fmt.Sprintf(format, args...))
	}
	if depth > p.opts.MaxDepth {
		return m, fail(0, "cells/structs nested deeper than %d", p.opts.MaxDepth)
	}
	if len(data) == 0 {
		// An empty miMATRIX: MATLAB writes this for [] inside cells and structs.
		m.value = &Numeric{Dims: []int{0, 0}, Cls: ClassDouble, Data: []float64{}}
		return m, nil
	}
	off := 0
	next := func(want uint32, what string) ([]byte, error) {
		typ, _, d, nx, err := p.tag(data, off, l.base)
		if err != nil {
			return nil, fail(off, "%s: %v", what, err)
		}
		if want != 0 && typ != want {
			return nil, fail(off, "%s has element type %d, want %d", what, typ, want)
		}
		off = nx
		return d, nil
	}
	// Array flags.
	flags, err := next(miUINT32, "array flags")
	if err != nil {
		return m, err
	}
	if len(flags) < 8 {
		return m, fail(0, "array flags of %d bytes, want 8", len(flags))
	}
	fw := p.order.Uint32(flags)
	class := Class(fw & 0xff)
	complexFlag := fw&0x0800 != 0
	m.global = fw&0x0400 != 0
	logical := fw&0x0200 != 0
	// Dimensions.
	dimOff := off
	dd, err := next(miINT32, "dimensions")
	if err != nil {
		return m, err
	}
	if len(dd)%4 != 0 || len(dd) < 8 {
		return m, fail(dimOff, "dimensions element of %d bytes, want at least 2 int32", len(dd))
	}
	dims := make([]int, len(dd)/4)
	count := 1
	for i := range dims {
		d := int32(p.order.Uint32(dd[4*i:]))
		if d < 0 {
			return m, fail(dimOff, "negative dimension %d", d)
		}
		dims[i] = int(d)
		if d != 0 && count > math.MaxInt32/int(d) {
			return m, fail(dimOff, "dimensions %v overflow", dims[:i+1])
		}
		count *= int(d)
	}
	// Name.
	nm, err := next(miINT8, "array name")
	if err != nil {
		return m, err
	}
	if !utf8.Valid(nm) {
		return m, fail(dimOff, "array name is not valid text")
	}
	m.name = string(nm)
	if path == "" {
		path = m.name
	}
	remaining := len(data) - off

	switch class {
	case ClassDouble, ClassSingle, ClassInt8, ClassUint8, ClassInt16, ClassUint16,
		ClassInt32, ClassUint32, ClassInt64, ClassUint64:
		// Every value needs at least one byte of storage.
		if count > remaining {
			return m, fail(dimOff, "%s array of size %v needs more data than the %d bytes left", class, dims, remaining)
		}
		if count == 0 && off >= len(data) {
			// An empty array written without a data element.
			m.value = &Numeric{Dims: dims, Cls: class, Logical: logical, Data: []float64{}}
			break
		}
		rOff := off
		re, err := p.numbers(data, &off, l, count)
		if err != nil {
			return m, fail(rOff, "real part: %v", err)
		}
		num := &Numeric{Dims: dims, Cls: class, Logical: logical, Data: re}
		if complexFlag {
			iOff := off
			im, err := p.numbers(data, &off, l, count)
			if err != nil {
				return m, fail(iOff, "imaginary part: %v", err)
			}
			num.Imag = im
		}
		m.value = num
	case ClassChar:
		if count > remaining {
			return m, fail(dimOff, "char array of size %v needs more data than the %d bytes left", dims, remaining)
		}
		if count == 0 && off >= len(data) {
			m.value = &Char{Dims: dims, Runes: []rune{}}
			break
		}
		cOff := off
		typ, _, d, nx, err := p.tag(data, off, l.base)
		if err != nil {
			return m, fail(cOff, "char data: %v", err)
		}
		off = nx
		runes, err := p.decodeChars(typ, d, count)
		if err != nil {
			return m, fail(cOff, "char data: %v", err)
		}
		m.value = &Char{Dims: dims, Runes: runes}
	case ClassCell:
		// Each element is a miMATRIX of at least an 8-byte tag.
		if count > remaining/8 {
			return m, fail(dimOff, "cell array of size %v needs more data than the %d bytes left", dims, remaining)
		}
		c := &Cell{Dims: dims, Elems: make([]Value, count)}
		for k := 0; k < count; k++ {
			eOff := off
			typ, _, d, nx, err := p.tag(data, off, l.base)
			if err != nil {
				return m, fail(eOff, "cell element %d: %v", k+1, err)
			}
			if typ != miMATRIX {
				return m, fail(eOff, "cell element %d has element type %d, want miMATRIX", k+1, typ)
			}
			off = nx
			sub, err := p.matrix(d, l, base+eOff+8, fmt.Sprintf("%s{%d}", path, k+1), depth+1)
			if err != nil {
				return m, err
			}
			c.Elems[k] = sub.value
		}
		m.value = c
	case ClassStruct:
		lOff := off
		ld, err := next(miINT32, "field name length")
		if err != nil {
			return m, err
		}
		if len(ld) != 4 {
			return m, fail(lOff, "field name length element of %d bytes, want 4", len(ld))
		}
		fl := int(int32(p.order.Uint32(ld)))
		if fl <= 0 || fl > 4096 {
			return m, fail(lOff, "field name length %d out of range", fl)
		}
		fOff := off
		fd, err := next(miINT8, "field names")
		if err != nil {
			return m, err
		}
		if len(fd)%fl != 0 {
			return m, fail(fOff, "%d bytes of field names are not a multiple of the name length %d", len(fd), fl)
		}
		nf := len(fd) / fl
		fields := make([]string, nf)
		for i := range fields {
			name := fd[i*fl : (i+1)*fl]
			if z := bytes.IndexByte(name, 0); z >= 0 {
				name = name[:z]
			}
			fields[i] = string(name)
		}
		remaining = len(data) - off
		if nf == 0 && count > maxFieldlessStruct {
			return m, fail(dimOff, "struct array of size %v without fields exceeds %d elements", dims, maxFieldlessStruct)
		}
		if nf > 0 && count > remaining/8/nf {
			return m, fail(dimOff, "struct array of size %v with %d fields needs more data than the %d bytes left", dims, nf, remaining)
		}
		s := &Struct{Dims: dims, Fields: fields, Values: make([][]Value, count)}
		for k := 0; k < count; k++ {
			s.Values[k] = make([]Value, nf)
			for fi, fname := range fields {
				eOff := off
				fpath := fmt.Sprintf("%s(%d).%s", path, k+1, fname)
				if count == 1 {
					fpath = fmt.Sprintf("%s.%s", path, fname)
				}
				typ, _, d, nx, err := p.tag(data, off, l.base)
				if err != nil {
					return m, fail(eOff, "field %q of element %d: %v", fname, k+1, err)
				}
				if typ != miMATRIX {
					return m, fail(eOff, "field %q of element %d has element type %d, want miMATRIX", fname, k+1, typ)
				}
				off = nx
				sub, err := p.matrix(d, l, base+eOff+8, fpath, depth+1)
				if err != nil {
					return m, err
				}
				s.Values[k][fi] = sub.value
			}
		}
		m.value = s
	case ClassSparse:
		return m, fail(0, "sparse arrays are not supported")
	case ClassObject, ClassFunc, ClassOpaque:
		return m, fail(0, "MATLAB %s values are not supported", class)
	default:
		return m, fail(0, "unknown array class %d", uint8(class))
	}
	return m, nil
}

// numbers reads one numeric sub-element at data[*off:] holding count values and converts them to float64.
func (p *parser) numbers(data []byte, off *int, l *loc, count int) ([]float64, error) {
	typ, n, d, nx, err := p.tag(data, *off, l.base)
	if err != nil {
		return nil, err
	}
	sz := elemSize(typ)
	if sz == 0 || typ == miUTF8 || typ == miUTF16 || typ == miUTF32 {
		return nil, fmt.Errorf("element type %d is not numeric", typ)
	}
	if n != count*sz {
		return nil, fmt.Errorf("%d bytes of type %d hold %d values, want %d", n, typ, n/sz, count)
	}
	*off = nx
	out := make([]float64, count)
	o := p.order
	switch typ {
	case miINT8:
		for i := range out {
			out[i] = float64(int8(d[i]))
		}
	case miUINT8:
		for i := range out {
			out[i] = float64(d[i])
		}
	case miINT16:
		for i := range out {
			out[i] = float64(int16(o.Uint16(d[2*i:])))
		}
	case miUINT16:
		for i := range out {
			out[i] = float64(o.Uint16(d[2*i:]))
		}
	case miINT32:
		for i := range out {
			out[i] = float64(int32(o.Uint32(d[4*i:])))
		}
	case miUINT32:
		for i := range out {
			out[i] = float64(o.Uint32(d[4*i:]))
		}
	case miSINGLE:
		for i := range out {
			out[i] = float64(math.Float32frombits(o.Uint32(d[4*i:])))
		}
	case miDOUBLE:
		for i := range out {
			out[i] = math.Float64frombits(o.Uint64(d[8*i:]))
		}
	case miINT64:
		for i := range out {
			out[i] = float64(int64(o.Uint64(d[8*i:])))
		}
	case miUINT64:
		for i := range out {
			out[i] = float64(o.Uint64(d[8*i:]))
		}
	}
	return out, nil
}

// decodeChars decodes char data into count runes.
func (p *parser) decodeChars(typ uint32, d []byte, count int) ([]rune, error) {
	var runes []rune
	switch typ {
	case miUINT16, miUTF16:
		if len(d)%2 != 0 {
			return nil, fmt.Errorf("odd byte count %d for 16-bit chars", len(d))
		}
		u := make([]uint16, len(d)/2)
		for i := range u {
			u[i] = p.order.Uint16(d[2*i:])
		}
		if typ == miUINT16 {
			// MATLAB chars are UTF-16 code units, one per array element.
			runes = make([]rune, len(u))
			for i, c := range u {
				runes[i] = rune(c)
			}
		} else {
			runes = utf16.Decode(u)
		}
	case miUTF8, miUINT8, miINT8:
		if typ == miUTF8 {
			if !utf8.Valid(d) {
				return nil, errors.New("invalid UTF-8")
			}
			runes = []rune(string(d))
		} else {
			runes = make([]rune, len(d))
			for i, c := range d {
				runes[i] = rune(c)
			}
		}
	case miUTF32, miINT32, miUINT32:
		if len(d)%4 != 0 {
			return nil, fmt.Errorf("byte count %d is not a multiple of 4 for 32-bit chars", len(d))
		}
		runes = make([]rune, len(d)/4)
		for i := range runes {
			runes[i] = rune(p.order.Uint32(d[4*i:]))
		}
	default:
		return nil, fmt.Errorf("element type %d cannot hold chars", typ)
	}
	if len(runes) != count {
		return nil, fmt.Errorf("%d characters for a char array of %d elements", len(runes), count)
	}
	return runes, nil
}
