package features

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/coarsealign/coarsealign/pkg/data/npy"
)

// IndexFile is the name of the JSON index Save writes next to the .npy files.
const IndexFile = "index.json"

// Index describes a saved feature set.
type Index struct {
	Run     string       `json:"run,omitempty"`  // run directory the model came from.
	Step    int          `json:"step"`           // checkpoint step (0: untrained).
	Stimuli string       `json:"stimuli"`        // stimulus set name, e.g. "kriegeskorte92".
	IDs     []string     `json:"ids"`            // stimulus IDs, the rows of every matrix.
	Layers  []IndexLayer `json:"layers"`         // in network order.
	Note    string       `json:"note,omitempty"` // free text.
}

// IndexLayer describes one saved matrix.
type IndexLayer struct {
	Name     string `json:"name"`
	File     string `json:"file"` // .npy, float32, rows x cols, C order.
	Rows     int    `json:"rows"`
	Cols     int    `json:"cols"`
	Shape    []int  `json:"shape"` // per-stimulus activation shape before flattening.
	OrigCols int    `json:"orig_cols"`
	// Projection, if set: sparse random projection (Achlioptas/Li; see Projection).
	Projection *IndexProjection `json:"projection,omitempty"`
}

// IndexProjection records how a layer was projected.
type IndexProjection struct {
	K       int     `json:"k"`
	Density float64 `json:"density"`
	Seed    uint64  `json:"seed"`
	Scaling string  `json:"scaling"`
}

// fileName makes a layer name safe as a file name ("conv1.pre" -> "conv1.pre.npy").
func fileName(name string) string {
	r := strings.NewReplacer("/", "_", " ", "_", "\\", "_")
	return r.Replace(name) + ".npy"
}

// Save writes each layer to dir/<name>.npy (float32 matrices, stimuli x units) and dir/index.json.
// idx supplies Run, Step, Stimuli, IDs and Note; its Layers are filled in.
func Save(dir string, layers []Layer, idx Index) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	idx.Layers = nil
	for _, L := range layers {
		if len(idx.IDs) != 0 && len(idx.IDs) != L.Rows {
			return fmt.Errorf("features: %d IDs for layer %s with %d rows", len(idx.IDs), L.Name, L.Rows)
		}
		f := fileName(L.Name)
		if err := npy.WriteMatrix32(filepath.Join(dir, f), L.Rows, L.Cols, L.Data); err != nil {
			return fmt.Errorf("features: writing %s: %w", f, err)
		}
		il := IndexLayer{Name: L.Name, File: f, Rows: L.Rows, Cols: L.Cols, Shape: L.Shape, OrigCols: L.OrigCols}
		if p := L.Projection; p != nil {
			il.Projection = &IndexProjection{K: p.K, Density: p.Density, Seed: p.Seed,
				Scaling: "entries +-sqrt(1/(density*k)) with probability density/2 each, 0 otherwise (Achlioptas 2003; Li et al. 2006; sklearn SparseRandomProjection)"}
		}
		idx.Layers = append(idx.Layers, il)
	}
	b, err := json.MarshalIndent(idx, "", "  ")
	if err != nil {
		return err
	}
	tmp := filepath.Join(dir, IndexFile+".tmp")
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(dir, IndexFile))
}

// ParseIndex decodes and checks a feature set's JSON index; path names the index file in
// errors. An index is data that may come from elsewhere, so every field Load acts on is
// checked, and every problem is reported, each with its field: a layer's file must be a .npy
// file inside the index's folder (a relative path without "..", no backslash: "../../x.npy" or
// "/etc/passwd" could make Load read any file), layer names must be present and distinct, and
// shapes non-negative with one row per stimulus ID.
func ParseIndex(b []byte, path string) (Index, error) {
	var idx Index
	if err := json.Unmarshal(b, &idx); err != nil {
		return Index{}, fmt.Errorf("features: %s: %w", path, err)
	}
	var probs []string
	bad := func(field, format string, args ...any) {
		probs = append(probs, field+": "+fmt.Sprintf(format, args...))
	}
	names := map[string]int{}
	for i, il := range idx.Layers {
		f := fmt.Sprintf("layers[%d]", i)
		switch j, dup := names[il.Name]; {
		case il.Name == "":
			bad(f+".name", "empty")
		case dup:
			bad(f+".name", "%q is layers[%d] again", il.Name, j)
		default:
			names[il.Name] = i
		}
		if msg := checkFile(il.File); msg != "" {
			bad(f+".file", "%q %s", il.File, msg)
		}
		if il.Rows < 0 || il.Cols < 0 || il.OrigCols < 0 {
			bad(f, "negative rows, cols or orig_cols (%d, %d, %d)", il.Rows, il.Cols, il.OrigCols)
		}
		if len(idx.IDs) != 0 && il.Rows != len(idx.IDs) {
			bad(f+".rows", "%d rows for the %d stimulus IDs", il.Rows, len(idx.IDs))
		}
	}
	switch len(probs) {
	case 0:
		return idx, nil
	case 1:
		return Index{}, fmt.Errorf("features: %s: field %s", path, probs[0])
	}
	return Index{}, fmt.Errorf("features: %s: %d problems:\n  field %s", path, len(probs), strings.Join(probs, "\n  field "))
}

// checkFile returns why file cannot be a layer file of an index ("" if it can).
func checkFile(file string) string {
	switch {
	case file == "":
		return "is empty"
	case strings.Contains(file, `\`):
		return "contains a backslash (a path separator on Windows); a feature set's files are named with / only"
	case filepath.IsAbs(file) || strings.HasPrefix(file, "/"):
		return "is an absolute path; a feature set's files must lie inside its folder, beside index.json"
	case !filepath.IsLocal(filepath.FromSlash(file)):
		return "points outside the feature folder (..); a feature set's files must lie inside its folder, beside index.json"
	case !strings.HasSuffix(file, ".npy"):
		return "is not a .npy file"
	}
	return ""
}

// Load reads a feature set written by Save. The index is checked first (ParseIndex), and the
// layer files are opened through an os.Root of dir, so that neither a path in the index nor a
// symbolic link in the folder reads a file outside dir.
func Load(dir string) (Index, []Layer, error) {
	ipath := filepath.Join(dir, IndexFile)
	b, err := os.ReadFile(ipath)
	if err != nil {
		return Index{}, nil, err
	}
	idx, err := ParseIndex(b, ipath)
	if err != nil {
		return idx, nil, err
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return idx, nil, fmt.Errorf("features: %w", err)
	}
	defer root.Close()
	layers := make([]Layer, len(idx.Layers))
	for i, il := range idx.Layers {
		path := filepath.Join(dir, il.File)
		raw, err := root.ReadFile(filepath.FromSlash(il.File))
		if err != nil {
			return idx, nil, fmt.Errorf("features: %s field layers[%d].file: %w", ipath, i, err)
		}
		r, c, data, err := npy.DecodeMatrix(raw)
		if err != nil {
			return idx, nil, fmt.Errorf("features: npy %s: %w", path, err)
		}
		if c == 0 {
			return idx, nil, fmt.Errorf("features: %s (layer %q) has no units", path, il.Name)
		}
		if r != il.Rows || c != il.Cols {
			return idx, nil, fmt.Errorf("features: %s is %dx%d, index says %dx%d", path, r, c, il.Rows, il.Cols)
		}
		L := Layer{Name: il.Name, Rows: r, Cols: c, Shape: il.Shape, OrigCols: il.OrigCols, Data: make([]float32, len(data))}
		for k, v := range data {
			L.Data[k] = float32(v)
		}
		layers[i] = L
	}
	return idx, layers, nil
}
