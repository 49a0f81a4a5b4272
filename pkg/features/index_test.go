package features

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/coarsealign/coarsealign/pkg/data/npy"
)

// saveSmall writes a two-layer feature set of 3 stimuli into a new folder under parent.
func saveSmall(t testing.TB, parent string) string {
	t.Helper()
	dir := filepath.Join(parent, "feats")
	layers := []Layer{
		{Name: "conv1.pre", Rows: 3, Cols: 2, Data: []float32{1, 2, 3, 4, 5, 6}, Shape: []int{1, 1, 2}, OrigCols: 2},
		{Name: "fc7.post", Rows: 3, Cols: 1, Data: []float32{7, 8, 9}, Shape: []int{1}, OrigCols: 1},
	}
	if err := Save(dir, layers, Index{Stimuli: "test", IDs: []string{"a", "b", "c"}}); err != nil {
		t.Fatal(err)
	}
	return dir
}

// rewriteIndex applies edit to the index of dir.
func rewriteIndex(t *testing.T, dir string, edit func(*Index)) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, IndexFile))
	if err != nil {
		t.Fatal(err)
	}
	var idx Index
	if err := json.Unmarshal(b, &idx); err != nil {
		t.Fatal(err)
	}
	edit(&idx)
	if b, err = json.Marshal(idx); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, IndexFile), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// An index.json naming a file outside its folder ("../x.npy", an absolute path, a path that
// climbs out through a sub-folder) is rejected with an error naming the index file, the field
// and the reason, even when the file it names is a valid matrix of the right shape (which Load
// used to read). A symbolic link inside the folder pointing outside is refused too.
func TestLoadRejectsFilesOutsideTheFolder(t *testing.T) {
	parent := t.TempDir()
	dir := saveSmall(t, parent)
	if _, _, err := Load(dir); err != nil {
		t.Fatal(err)
	}
	secret := filepath.Join(parent, "secret.npy") // a 3 x 2 matrix, as conv1.pre
	if err := npy.WriteMatrix32(secret, 3, 2, []float32{-1, -1, -1, -1, -1, -1}); err != nil {
		t.Fatal(err)
	}
	ipath := filepath.Join(dir, IndexFile)
	for _, tc := range []struct{ file, why string }{
		{"../secret.npy", "outside the feature folder"},
		{"sub/../../secret.npy", "outside the feature folder"},
		{secret, "absolute path"},
		{`..\secret.npy`, "backslash"},
		{"", "empty"},
		{"conv1.pre.txt", "not a .npy file"},
	} {
		rewriteIndex(t, dir, func(idx *Index) { idx.Layers[0].File = tc.file })
		_, layers, err := Load(dir)
		if err == nil {
			t.Errorf("file %q: accepted (first value %v)", tc.file, layers[0].Data[0])
			continue
		}
		for _, want := range []string{ipath, "field layers[0].file", tc.why} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("file %q: error %q does not mention %q", tc.file, err, want)
			}
		}
	}
	// A file in a sub-folder of the feature folder is inside it.
	os.MkdirAll(filepath.Join(dir, "sub"), 0o755)
	os.Rename(filepath.Join(dir, "conv1.pre.npy"), filepath.Join(dir, "sub", "c1.npy"))
	rewriteIndex(t, dir, func(idx *Index) { idx.Layers[0].File = "sub/c1.npy" })
	if _, layers, err := Load(dir); err != nil || layers[0].Data[5] != 6 {
		t.Fatalf("sub-folder file: %v", err)
	}
	// A symbolic link to the outside file: the name is local, the target is not.
	if err := os.Symlink(secret, filepath.Join(dir, "link.npy")); err != nil {
		t.Skip("no symbolic links:", err)
	}
	rewriteIndex(t, dir, func(idx *Index) { idx.Layers[0].File = "link.npy" })
	if _, layers, err := Load(dir); err == nil {
		t.Errorf("symbolic link out of the folder: accepted (first value %v)", layers[0].Data[0])
	} else if !strings.Contains(err.Error(), "field layers[0].file") {
		t.Errorf("symbolic link: error %q does not name the field", err)
	}
}

// Every problem of an index is reported at once, each with its field.
func TestParseIndexReportsEveryProblem(t *testing.T) {
	b := []byte(`{"ids": ["a", "b"], "layers": [
		{"name": "x", "file": "/etc/passwd", "rows": 2, "cols": 1},
		{"name": "x", "file": "ok.npy", "rows": 3, "cols": 1},
		{"name": "", "file": "../../etc/passwd.npy", "rows": 2, "cols": -1}]}`)
	_, err := ParseIndex(b, "some/index.json")
	if err == nil {
		t.Fatal("accepted")
	}
	for _, want := range []string{"some/index.json", "6 problems", "field layers[0].file", "field layers[1].name", "field layers[1].rows",
		"field layers[2].name: empty", "field layers[2].file", "field layers[2]: negative"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	if _, err := ParseIndex([]byte(`{"layers": 3}`), "i.json"); err == nil || !strings.Contains(err.Error(), "i.json") {
		t.Errorf("bad JSON: %v", err)
	}
}

// FuzzParseIndex: no input panics; an accepted index names only .npy files inside its folder,
// with distinct non-empty layer names, and survives a JSON round trip unchanged; a rejected one
// is rejected with an error naming the index file.
func FuzzParseIndex(f *testing.F) {
	dir := saveSmall(f, f.TempDir())
	b, err := os.ReadFile(filepath.Join(dir, IndexFile))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte(`{"layers": [{"name": "a", "file": "../../etc/passwd", "rows": 1, "cols": 1}]}`))
	f.Add([]byte(`{"ids": ["x"], "layers": [{"name": "a", "file": "/abs.npy", "rows": 1, "cols": 1}, {"name": "a", "file": "a.npy"}]}`))
	f.Add([]byte(`{"layers": [{"name": "a", "file": "s/./t/../a.npy", "rows": 0, "cols": 0, "projection": {"k": 2, "density": 0.5}}]}`))
	f.Add([]byte(`{"step": -1, "layers": null}`))
	f.Add([]byte(`[]`))
	const path = "fuzz/index.json"
	f.Fuzz(func(t *testing.T, b []byte) {
		idx, err := ParseIndex(b, path)
		if err != nil {
			if !strings.Contains(err.Error(), path) {
				t.Fatalf("error %q does not name the index file", err)
			}
			return
		}
		names := map[string]bool{}
		for i, il := range idx.Layers {
			clean := filepath.Clean(filepath.FromSlash(il.File))
			if il.File == "" || filepath.IsAbs(il.File) || clean == ".." || strings.HasPrefix(clean, ".."+string(filepath.Separator)) ||
				strings.Contains(il.File, `\`) || !strings.HasSuffix(il.File, ".npy") {
				t.Fatalf("layers[%d].file %q accepted", i, il.File)
			}
			if il.Name == "" || names[il.Name] {
				t.Fatalf("layers[%d].name %q accepted (empty or repeated)", i, il.Name)
			}
			names[il.Name] = true
			if il.Rows < 0 || il.Cols < 0 || len(idx.IDs) > 0 && il.Rows != len(idx.IDs) {
				t.Fatalf("layers[%d] shape %dx%d accepted with %d IDs", i, il.Rows, il.Cols, len(idx.IDs))
			}
		}
		out, err := json.Marshal(idx)
		if err != nil {
			t.Fatal(err)
		}
		again, err := ParseIndex(out, path)
		if err != nil {
			t.Fatalf("re-encoded index rejected: %v\n%s", err, out)
		}
		if !reflect.DeepEqual(again, idx) {
			t.Fatalf("round trip changed the index:\n%+v\n%+v", idx, again)
		}
	})
}
