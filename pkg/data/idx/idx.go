// Package idx reads IDX files, the format of MNIST and Fashion-MNIST (LeCun et al.'s
// description at yann.lecun.com/exdb/mnist): a big-endian header of two zero bytes, a type
// code, the number of dimensions, one uint32 per dimension, then the values in row-major
// order. Files may be gzip-compressed (detected by the gzip magic, not the name).
//
// Every error from a file names it. The reader never trusts the header: the dimensions must
// be positive, their product bounded, and the payload exactly as long as they say.
package idx

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"io"
	"os"
)

// Type is an IDX element type code (the file's third byte).
type Type byte

// The IDX element types.
const (
	Uint8   Type = 0x08
	Int8    Type = 0x09
	Int16   Type = 0x0B
	Int32   Type = 0x0C
	Float32 Type = 0x0D
	Float64 Type = 0x0E
)

// Size returns the bytes per element of t, or 0 for an unknown type.
func (t Type) Size() int {
	switch t {
	case Uint8, Int8:
		return 1
	case Int16:
		return 2
	case Int32, Float32:
		return 4
	case Float64:
		return 8
	}
	return 0
}

func (t Type) String() string {
	switch t {
	case Uint8:
		return "uint8"
	case Int8:
		return "int8"
	case Int16:
		return "int16"
	case Int32:
		return "int32"
	case Float32:
		return "float32"
	case Float64:
		return "float64"
	}
	return fmt.Sprintf("type 0x%02x", byte(t))
}

// MaxElements bounds the number of elements a file may declare (2^31: Fashion-MNIST's
// training images are 47,040,000), so a corrupt header cannot ask for terabytes.
const MaxElements = 1 << 31

// Array is a decoded IDX file: Dims (e.g. [60000 28 28]) and the raw big-endian values,
// len(Data) = product(Dims) * Type.Size().
type Array struct {
	Type Type
	Dims []int
	Data []byte
}

// Len returns the number of elements, the product of Dims.
func (a *Array) Len() int {
	n := 1
	for _, d := range a.Dims {
		n *= d
	}
	return n
}

// Decode reads an IDX array from r (raw or gzip-compressed). name labels the errors.
func Decode(r io.Reader, name string) (*Array, error) {
	rr, err := maybeGunzip(r)
	if err != nil {
		return nil, fmt.Errorf("idx: %s: gzip: %w", name, err)
	}
	br := bufio.NewReader(rr)
	var head [4]byte
	if _, err := io.ReadFull(br, head[:]); err != nil {
		return nil, fmt.Errorf("idx: %s: header: %w", name, short(err))
	}
	if head[0] != 0 || head[1] != 0 {
		return nil, fmt.Errorf("idx: %s: magic %02x%02x, want 0000 (not an IDX file)", name, head[0], head[1])
	}
	a := &Array{Type: Type(head[2])}
	if a.Type.Size() == 0 {
		return nil, fmt.Errorf("idx: %s: unknown element type 0x%02x", name, head[2])
	}
	nd := int(head[3])
	if nd == 0 {
		return nil, fmt.Errorf("idx: %s: zero dimensions", name)
	}
	dims := make([]byte, 4*nd)
	if _, err := io.ReadFull(br, dims); err != nil {
		return nil, fmt.Errorf("idx: %s: %d dimension sizes: %w", name, nd, short(err))
	}
	total := uint64(1)
	for i := range nd {
		d := binary.BigEndian.Uint32(dims[4*i:])
		if d == 0 {
			return nil, fmt.Errorf("idx: %s: dimension %d is 0", name, i)
		}
		total *= uint64(d)
		if total > MaxElements {
			return nil, fmt.Errorf("idx: %s: more than %d elements declared", name, uint64(MaxElements))
		}
		a.Dims = append(a.Dims, int(d))
	}
	want := int(total) * a.Type.Size()
	// Read in bounded chunks, so a lying header on a short file fails before a huge allocation.
	var buf bytes.Buffer
	if n, err := io.CopyN(&buf, br, int64(want)); err != nil {
		return nil, fmt.Errorf("idx: %s: %v data holds %d of %d bytes: %w", name, a.Dims, n, want, short(err))
	}
	n, err := io.Copy(io.Discard, br)
	if err != nil { // e.g. a gzip checksum error at the end of the stream
		return nil, fmt.Errorf("idx: %s: after the data: %w", name, err)
	}
	if n > 0 {
		return nil, fmt.Errorf("idx: %s: %d bytes after the %v %s values", name, n, a.Dims, a.Type)
	}
	a.Data = buf.Bytes()
	return a, nil
}

func short(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// Read reads the IDX file at path (raw or gzip-compressed).
func Read(path string) (*Array, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("idx: %w", err)
	}
	defer f.Close()
	return Decode(f, path)
}

// Uint8s returns the values of a uint8 array; an error names the type otherwise.
func (a *Array) Uint8s(name string) ([]uint8, error) {
	if a.Type != Uint8 {
		return nil, fmt.Errorf("idx: %s holds %s values, want uint8", name, a.Type)
	}
	return a.Data, nil
}

// maybeGunzip returns a reader of r's bytes, decompressed if they start with the gzip magic.
func maybeGunzip(r io.Reader) (io.Reader, error) {
	br := bufio.NewReader(r)
	if magic, err := br.Peek(2); err == nil && magic[0] == 0x1f && magic[1] == 0x8b {
		return gzip.NewReader(br)
	}
	return br, nil
}
