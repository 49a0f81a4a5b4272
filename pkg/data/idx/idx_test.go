package idx

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// encode writes an IDX file by the format's definition (yann.lecun.com/exdb/mnist).
func encode(t Type, dims []int, data []byte) []byte {
	var b bytes.Buffer
	b.Write([]byte{0, 0, byte(t), byte(len(dims))})
	for _, d := range dims {
		binary.Write(&b, binary.BigEndian, uint32(d))
	}
	b.Write(data)
	return b.Bytes()
}

func gz(b []byte) []byte {
	var out bytes.Buffer
	w := gzip.NewWriter(&out)
	w.Write(b)
	w.Close()
	return out.Bytes()
}

func TestDecodeRawAndGzip(t *testing.T) {
	data := []byte{1, 2, 3, 4, 5, 6}
	raw := encode(Uint8, []int{2, 3}, data)
	for name, b := range map[string][]byte{"raw": raw, "gzip": gz(raw)} {
		a, err := Decode(bytes.NewReader(b), name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if a.Type != Uint8 || len(a.Dims) != 2 || a.Dims[0] != 2 || a.Dims[1] != 3 || !bytes.Equal(a.Data, data) || a.Len() != 6 {
			t.Errorf("%s: got %+v", name, a)
		}
	}
	f32 := encode(Float32, []int{2}, []byte{0x3f, 0x80, 0, 0, 0x40, 0, 0, 0}) // 1.0, 2.0 big-endian
	a, err := Decode(bytes.NewReader(f32), "f32")
	if err != nil || a.Type != Float32 || len(a.Data) != 8 {
		t.Fatalf("float32: %+v %v", a, err)
	}
	if _, err := a.Uint8s("f32"); err == nil || !strings.Contains(err.Error(), "float32") {
		t.Errorf("Uint8s of float32: %v", err)
	}
}

func TestCorruptFilesNamed(t *testing.T) {
	good := encode(Uint8, []int{2, 2}, []byte{1, 2, 3, 4})
	gzGood := gz(good)
	badCRC := append([]byte(nil), gzGood...)
	badCRC[len(badCRC)-6] ^= 0xff // the CRC-32 of the gzip trailer
	cases := map[string]struct {
		b    []byte
		want string
	}{
		"magic":     {append([]byte{1}, good[1:]...), "magic"},
		"type":      {encode(Type(0x07), []int{2}, []byte{1, 2}), "element type"},
		"zerodims":  {[]byte{0, 0, 8, 0}, "zero dimensions"},
		"zerodim":   {encode(Uint8, []int{0}, nil), "dimension 0 is 0"},
		"huge":      {encode(Uint8, []int{1 << 16, 1 << 16}, nil), "elements declared"},
		"truncated": {good[:len(good)-1], "3 of 4 bytes"},
		"header":    {good[:6], "dimension sizes"},
		"trailing":  {append(append([]byte(nil), good...), 9), "1 bytes after"},
		"gzipcrc":   {badCRC, "after the data"},
		"gzipshort": {gzGood[:len(gzGood)/2], "idx:"},
		"empty":     {nil, "header"},
	}
	dir := t.TempDir()
	for name, c := range cases {
		path := filepath.Join(dir, name+".idx")
		if err := os.WriteFile(path, c.b, 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := Read(path)
		if err == nil {
			t.Errorf("%s: no error", name)
			continue
		}
		if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %q does not name the file and %q", name, err, c.want)
		}
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(encode(Uint8, []int{2, 3}, []byte{1, 2, 3, 4, 5, 6}))
	f.Add(gz(encode(Int32, []int{1}, []byte{0, 0, 0, 7})))
	f.Add(encode(Float64, []int{1, 1, 1}, make([]byte, 8)))
	f.Add([]byte{0, 0, 8, 3, 0, 0, 0, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := Decode(bytes.NewReader(b), "fuzz")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "idx: fuzz") {
				t.Fatalf("error does not name the input: %v", err)
			}
			return
		}
		if len(a.Data) != a.Len()*a.Type.Size() || a.Len() <= 0 {
			t.Fatalf("inconsistent array: dims %v type %v, %d bytes", a.Dims, a.Type, len(a.Data))
		}
	})
}
