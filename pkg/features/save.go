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

// Load reads a feature set written by Save.
func Load(dir string) (Index, []Layer, error) {
	var idx Index
	b, err := os.ReadFile(filepath.Join(dir, IndexFile))
	if err != nil {
		return idx, nil, err
	}
	if err := json.Unmarshal(b, &idx); err != nil {
		return idx, nil, fmt.Errorf("features: %s: %w", filepath.Join(dir, IndexFile), err)
	}
	layers := make([]Layer, len(idx.Layers))
	for i, il := range idx.Layers {
		path := filepath.Join(dir, il.File)
		r, c, data, err := npy.ReadMatrix(path)
		if err != nil {
			return idx, nil, err
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
