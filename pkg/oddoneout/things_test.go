package oddoneout

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/coarsealign/coarsealign/pkg/data/npy"
)

// writeInt64NPY writes an rows x cols int64 (<i8) .npy file, the dtype of the THINGS
// triplet files train_90.npy / test_10.npy (NumPy format 1.0).
func writeInt64NPY(t *testing.T, path string, rows, cols int, v []int64) {
	t.Helper()
	h := fmt.Sprintf("{'descr': '<i8', 'fortran_order': False, 'shape': (%d, %d), }", rows, cols)
	pad := 64 - (10+len(h)+1)%64
	h += strings.Repeat(" ", pad%64) + "\n"
	b := append([]byte("\x93NUMPY\x01\x00"), byte(len(h)), byte(len(h)>>8))
	b = append(b, h...)
	for _, x := range v {
		b = binary.LittleEndian.AppendUint64(b, uint64(x))
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func write(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestReadTriplets(t *testing.T) {
	dir := t.TempDir()
	want := "[{0 1 2} {3 1 0}]" // odd one last: row (3, 1, 0) -> pair {3,1}, odd 0
	p := filepath.Join(dir, "train_90.npy")
	writeInt64NPY(t, p, 2, 3, []int64{0, 1, 2, 3, 1, 0})
	if got, err := ReadTriplets(p); err != nil || fmt.Sprint(got) != want {
		t.Errorf("npy int64: %v %v, want %v", got, err, want)
	}
	pf := filepath.Join(dir, "f.npy")
	if err := npy.WriteMatrix(pf, 2, 3, []float64{0, 1, 2, 3, 1, 0}); err != nil {
		t.Fatal(err)
	}
	if got, err := ReadTriplets(pf); err != nil || fmt.Sprint(got) != want {
		t.Errorf("npy float64: %v %v, want %v", got, err, want)
	}
	pt := write(t, dir, "trainset.txt", "# a comment\n0 1 2\n\n3\t1  0\n")
	if got, err := ReadTriplets(pt); err != nil || fmt.Sprint(got) != want {
		t.Errorf("text: %v %v, want %v", got, err, want)
	}
	rt := filepath.Join(dir, "rt.txt")
	if err := WriteTriplets(rt, []Triplet{{0, 1, 2}, {3, 1, 0}}); err != nil {
		t.Fatal(err)
	}
	if got, err := ReadTriplets(rt); err != nil || fmt.Sprint(got) != want {
		t.Errorf("WriteTriplets round trip: %v %v", got, err)
	}
	bad4 := filepath.Join(dir, "bad4.npy")
	writeInt64NPY(t, bad4, 1, 4, []int64{0, 1, 2, 3})
	badNeg := filepath.Join(dir, "neg.npy")
	writeInt64NPY(t, badNeg, 2, 3, []int64{0, 1, 2, 3, -1, 0})
	for _, tc := range []struct{ path, want string }{
		{write(t, dir, "a.txt", "0 1 2\n0 1\n"), "a.txt: line 2: 2 fields"},
		{write(t, dir, "b.txt", "0 1 2\n\n0 x 2\n"), "b.txt: line 3 field 2: \"x\""},
		{write(t, dir, "c.txt", "0 1 -2\n"), "c.txt: line 1 field 3"},
		{write(t, dir, "d.txt", "# nothing\n"), "d.txt: no triplets"},
		{bad4, "bad4.npy: shape [1 4]"},
		{badNeg, "neg.npy: row 2 field 2: -1"},
		{filepath.Join(dir, "missing.txt"), "missing.txt"},
	} {
		_, err := ReadTriplets(tc.path)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want it to contain %q", filepath.Base(tc.path), err, tc.want)
		}
	}
}

func TestReadEmbeddingAndConcepts(t *testing.T) {
	dir := t.TempDir()
	// The SPoSE layout: one row per concept, space-separated, trailing spaces.
	p := write(t, dir, "spose_embedding_66d_sorted.txt", "0.1 0.0 2.5 \n1e-3 4 0\n")
	x, err := ReadEmbedding(p)
	if err != nil || !mat.Equal(x, mat.NewDense(2, 3, []float64{0.1, 0, 2.5, 1e-3, 4, 0})) {
		t.Errorf("embedding %v %v", x, err)
	}
	for _, tc := range []struct{ text, want string }{
		{"1 2 3\n4 5\n", "e.txt: line 2: 2 fields, want 3"},
		{"1 2 3\n4 nan 6\n", "e.txt: line 2 field 2: \"nan\""},
		{"\n", "e.txt: no rows"},
	} {
		_, err := ReadEmbedding(write(t, dir, "e.txt", tc.text))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want %q", tc.text, err, tc.want)
		}
	}
	// unique_id.txt (one per line) and things_concepts.tsv (uniqueID column).
	c1, err := ReadConcepts(write(t, dir, "unique_id.txt", "aardvark\nabacus\n\n"))
	c2, err2 := ReadConcepts(write(t, dir, "things_concepts.tsv", "Word\tuniqueID\tWordnet ID\naardvark\taardvark\tn1\nabacus\tabacus\tn2\n"))
	if err != nil || err2 != nil || fmt.Sprint(c1) != "[aardvark abacus]" || fmt.Sprint(c2) != fmt.Sprint(c1) {
		t.Errorf("concepts %v %v / %v %v", c1, err, c2, err2)
	}
	if _, err := ReadConcepts(write(t, dir, "dup.txt", "a\nb\na\n")); err == nil || !strings.Contains(err.Error(), "dup.txt: line 3: concept \"a\" repeats line 1") {
		t.Errorf("duplicate: %v", err)
	}
	if _, err := ReadConcepts(write(t, dir, "h.tsv", "Word\tID\nx\ty\n")); err == nil || !strings.Contains(err.Error(), "h.tsv: line 1") {
		t.Errorf("no uniqueID column: %v", err)
	}
	// Image folders and per-concept means of image features.
	img := filepath.Join(dir, "object_images")
	for _, c := range c1 {
		if err := os.MkdirAll(filepath.Join(img, c), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if f, err := ConceptFolders(img, c1); err != nil || f[1] != filepath.Join(img, "abacus") {
		t.Errorf("folders %v %v", f, err)
	}
	if _, err := ConceptFolders(img, []string{"aardvark", "zebra"}); err == nil || !strings.Contains(err.Error(), "zebra") {
		t.Errorf("missing folder: %v", err)
	}
	feat := mat.NewDense(3, 1, []float64{1, 3, 10})
	ids := []string{"aardvark/aardvark_01b.jpg", "aardvark/aardvark_02s.jpg", "abacus/abacus_01b.jpg"}
	m, err := ConceptMeans(feat, ids, c1)
	if err != nil || m.At(0, 0) != 2 || m.At(1, 0) != 10 {
		t.Errorf("concept means %v %v", m, err)
	}
	if _, err := ConceptMeans(feat, ids, []string{"aardvark", "zebra"}); err == nil || !strings.Contains(err.Error(), "zebra") {
		t.Errorf("concept without images: %v", err)
	}
}
