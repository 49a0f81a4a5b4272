package coarse

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/coarsealign/coarsealign/internal/fsutil"
	"github.com/coarsealign/coarsealign/pkg/data/npy"
	"gonum.org/v1/gonum/mat"
)

// Provenance describes where an embedding (and so a labeling) came from.
type Provenance struct {
	// Source is the kind of embedding: "pixels", "npy", "features", ...
	Source string `json:"source"`
	// Model names the source model (e.g. "alexnet-fine-seed1"), or the .npy file.
	Model string `json:"model,omitempty"`
	// Layer names the layer the features were taken from, if any.
	Layer string `json:"layer,omitempty"`
	// Dataset names the image set (e.g. "cifar10-jpg").
	Dataset string `json:"dataset,omitempty"`
	// Split names the part of the image set (e.g. "train").
	Split string `json:"split,omitempty"`
	// Created is the creation time (RFC 3339), set by Save if empty.
	Created string `json:"created,omitempty"`
}

// File names written by Save inside its folder.
const (
	LabelsFile     = "labels.csv"
	ProvenanceFile = "provenance.json"
	MeanFile       = "pca_mean.npy"
	ComponentsFile = "pca_components.npy"
)

// FormatVersion identifies the saved layout.
const FormatVersion = "coarsealign-coarse-labels/1"

// savedJSON is the content of ProvenanceFile.
type savedJSON struct {
	Format     string            `json:"format"`
	Provenance Provenance        `json:"provenance"`
	N          int               `json:"n"`
	D          int               `json:"d"`
	Bits       int               `json:"bits"`
	Method     string            `json:"method"`
	BitOrder   string            `json:"bit_order"`
	Signs      string            `json:"sign_convention"`
	Variance   []float64         `json:"variance"`
	Total      float64           `json:"total_variance"`
	Explained  []float64         `json:"explained_variance_ratio"`
	Medians    []float64         `json:"medians"`
	Counts     map[string][]int  `json:"class_counts"`
	Files      map[string]string `json:"files"`
}

// FitSource fits X (n x d, rows aligned with ids; ids may be nil) and records prov.
// It is the entry point for embeddings from any source (pixels, .npy, network features).
func FitSource(X mat.Matrix, ids []string, prov Provenance, opts *Options) (*Labeling, error) {
	n, _ := X.Dims()
	if ids != nil && len(ids) != n {
		return nil, fmt.Errorf("coarse: %d IDs for %d rows", len(ids), n)
	}
	l, err := Fit(X, opts)
	if err != nil {
		return nil, err
	}
	l.IDs = ids
	l.Provenance = prov
	return l, nil
}

// Save writes the labeling into dir (created if needed): LabelsFile (CSV with
// columns index, id, k2, k4, ..., one row per fitted image), MeanFile (1 x D),
// ComponentsFile (Bits x D) and ProvenanceFile (provenance, n, d, explained
// variance, medians, class counts per K). Each file is written atomically.
func (l *Labeling) Save(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("coarse: %w", err)
	}
	prov := l.Provenance
	if prov.Created == "" {
		prov.Created = time.Now().UTC().Format(time.RFC3339)
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	hdr := []string{"index", "id"}
	for _, K := range l.Ks() {
		hdr = append(hdr, "k"+strconv.Itoa(K))
	}
	w.Write(hdr)
	rec := make([]string, len(hdr))
	for i, c := range l.Codes {
		rec[0] = strconv.Itoa(i)
		rec[1] = ""
		if l.IDs != nil {
			rec[1] = l.IDs[i]
		}
		for b := 1; b <= l.Bits; b++ {
			rec[1+b] = strconv.Itoa(int(c >> (l.Bits - b)))
		}
		w.Write(rec)
	}
	w.Flush()
	if err := writeAtomic(filepath.Join(dir, LabelsFile), buf.Bytes()); err != nil {
		return err
	}
	if err := npy.WriteMatrix(filepath.Join(dir, MeanFile), 1, l.D, l.Mean); err != nil {
		return fmt.Errorf("coarse: %w", err)
	}
	if err := npy.WriteMatrix(filepath.Join(dir, ComponentsFile), l.Bits, l.D, l.Components.RawMatrix().Data); err != nil {
		return fmt.Errorf("coarse: %w", err)
	}
	s := savedJSON{Format: FormatVersion, Provenance: prov, N: l.N, D: l.D, Bits: l.Bits, Method: l.Method.String(),
		BitOrder: "bit j is 1 if the projection on PC j+1 is above its median; label_K for K = 2^b is the integer of bits 1..b with PC1 the most significant bit, so label_K = label_2K >> 1",
		Signs:    "each PC's largest-magnitude loading is positive",
		Variance: l.Variance, Total: l.TotalVariance, Explained: l.ExplainedRatio(), Medians: l.Medians,
		Counts: map[string][]int{}, Files: map[string]string{"labels": LabelsFile, "mean": MeanFile, "components": ComponentsFile}}
	for _, K := range l.Ks() {
		s.Counts[strconv.Itoa(K)] = l.ClassCounts(K)
	}
	js, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("coarse: %w", err)
	}
	return writeAtomic(filepath.Join(dir, ProvenanceFile), append(js, '\n'))
}

// Load reads a labeling written by Save. Apply works on the loaded labeling.
// Errors name the file and the field or line that is wrong.
func Load(dir string) (*Labeling, error) {
	pj := filepath.Join(dir, ProvenanceFile)
	b, err := os.ReadFile(pj)
	if err != nil {
		return nil, fmt.Errorf("coarse: %w", err)
	}
	var s savedJSON
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("coarse: %s: %w", pj, err)
	}
	if s.Format != FormatVersion {
		return nil, fmt.Errorf("coarse: %s: format %q, want %q", pj, s.Format, FormatVersion)
	}
	if s.Bits < 1 || s.Bits > 8 || len(s.Medians) != s.Bits || len(s.Variance) != s.Bits || s.N < 1 || s.D < 1 {
		return nil, fmt.Errorf("coarse: %s: inconsistent bits=%d n=%d d=%d medians=%d variance=%d", pj, s.Bits, s.N, s.D, len(s.Medians), len(s.Variance))
	}
	l := &Labeling{N: s.N, D: s.D, Bits: s.Bits, Medians: s.Medians, Variance: s.Variance, TotalVariance: s.Total, Provenance: s.Provenance}
	switch s.Method {
	case "exact":
		l.Method = Exact
	case "randomized":
		l.Method = Randomized
	}
	r, c, mean, err := npy.ReadMatrix(filepath.Join(dir, MeanFile))
	if err != nil {
		return nil, fmt.Errorf("coarse: %w", err)
	}
	if r*c != s.D {
		return nil, fmt.Errorf("coarse: %s holds %d values, want d=%d", filepath.Join(dir, MeanFile), r*c, s.D)
	}
	l.Mean = mean
	r, c, comps, err := npy.ReadMatrix(filepath.Join(dir, ComponentsFile))
	if err != nil {
		return nil, fmt.Errorf("coarse: %w", err)
	}
	if r != s.Bits || c != s.D {
		return nil, fmt.Errorf("coarse: %s is %d x %d, want %d x %d", filepath.Join(dir, ComponentsFile), r, c, s.Bits, s.D)
	}
	l.Components = mat.NewDense(r, c, comps)
	if err := l.readLabels(filepath.Join(dir, LabelsFile)); err != nil {
		return nil, err
	}
	return l, nil
}

// readLabels reads LabelsFile, checking nestedness of the columns.
func (l *Labeling) readLabels(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("coarse: %w", err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return fmt.Errorf("coarse: %s: %w", path, err)
	}
	if len(rows) != l.N+1 || len(rows[0]) != 2+l.Bits {
		return fmt.Errorf("coarse: %s: %d rows of %d columns, want %d of %d", path, len(rows), len(rows[0]), l.N+1, 2+l.Bits)
	}
	l.Codes = make([]uint8, l.N)
	ids := make([]string, l.N)
	anyID := false
	for i, rec := range rows[1:] {
		if rec[0] != strconv.Itoa(i) {
			return fmt.Errorf("coarse: %s line %d: index %q, want %d", path, i+2, rec[0], i)
		}
		ids[i] = rec[1]
		anyID = anyID || rec[1] != ""
		prev := 0
		for b := 1; b <= l.Bits; b++ {
			v, err := strconv.Atoi(rec[1+b])
			if err != nil || v < 0 || v >= 1<<b || v>>1 != prev {
				return fmt.Errorf("coarse: %s line %d: column k%d = %q is not a nested label", path, i+2, 1<<b, rec[1+b])
			}
			prev = v
		}
		l.Codes[i] = uint8(prev)
	}
	if anyID {
		l.IDs = ids
	}
	return nil
}

// writeAtomic writes data to path through a temporary file in the same folder.
func writeAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("coarse: %w", err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(f.Name())
		return fmt.Errorf("coarse: writing %s: %w", path, err)
	}
	if err := fsutil.ChmodTemp(f); err != nil { // CreateTemp makes 0600 files
		f.Close()
		os.Remove(f.Name())
		return fmt.Errorf("coarse: writing %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("coarse: writing %s: %w", path, err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("coarse: writing %s: %w", path, err)
	}
	return nil
}

// MustLoad is Load that panics on error, for notebooks.
func MustLoad(dir string) *Labeling {
	l, err := Load(dir)
	if err != nil {
		panic(err)
	}
	return l
}
