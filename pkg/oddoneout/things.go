package oddoneout

import (
	"bufio"
	"bytes"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"gonum.org/v1/gonum/mat"

	"github.com/coarsealign/coarsealign/pkg/data/npy"
)

// ReadTriplets reads THINGS-format triplets (Hebart et al. 2020; the study's
// train_90.npy / test_10.npy): an n x 3 array of non-negative integer object indices,
// one triplet per row, the human's odd one LAST, so row (a, b, c) is
// Triplet{I: a, J: b, Odd: c}. This is the study's convention: its accuracy counts a
// choice of position 2 as correct and its probe's label is the pair of positions 0 and 1.
//
// A path ending in .npy is read as a NumPy array (any integer or float dtype holding
// integers); any other path as text with three whitespace-separated integers per line,
// blank lines and lines starting with # skipped. Errors name the file, the row or line
// and the field (1-based). Indices are checked against an embedding later (Evaluate, Probe).
func ReadTriplets(path string) ([]Triplet, error) {
	if strings.HasSuffix(strings.ToLower(path), ".npy") {
		shape, data, err := npy.ReadArray(path)
		if err != nil {
			return nil, fmt.Errorf("oddoneout: triplets %w", err)
		}
		if len(shape) != 2 || shape[1] != 3 {
			return nil, fmt.Errorf("oddoneout: triplets %s: shape %v, want n x 3", path, shape)
		}
		out := make([]Triplet, shape[0])
		for r := range out {
			var v [3]int
			for f := 0; f < 3; f++ {
				x := data[3*r+f]
				if x != math.Trunc(x) || x < 0 || x > math.MaxInt32 {
					return nil, fmt.Errorf("oddoneout: triplets %s: row %d field %d: %g is not a non-negative integer index", path, r+1, f+1, x)
				}
				v[f] = int(x)
			}
			out[r] = Triplet{I: v[0], J: v[1], Odd: v[2]}
		}
		if len(out) == 0 {
			return nil, fmt.Errorf("oddoneout: triplets %s: no triplets", path)
		}
		return out, nil
	}
	var out []Triplet
	err := eachLine(path, func(line int, fields []string) error {
		if len(fields) != 3 {
			return fmt.Errorf("line %d: %d fields, want 3 (two objects, then the odd one)", line, len(fields))
		}
		var v [3]int
		for f, s := range fields {
			k, err := strconv.Atoi(s)
			if err != nil || k < 0 {
				return fmt.Errorf("line %d field %d: %q is not a non-negative integer index", line, f+1, s)
			}
			v[f] = k
		}
		out = append(out, Triplet{I: v[0], J: v[1], Odd: v[2]})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("oddoneout: triplets %s: %w", path, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("oddoneout: triplets %s: no triplets", path)
	}
	return out, nil
}

// WriteTriplets writes triplets as text in the format ReadTriplets reads (odd one last).
func WriteTriplets(path string, triplets []Triplet) error {
	var b bytes.Buffer
	for _, t := range triplets {
		fmt.Fprintf(&b, "%d %d %d\n", t.I, t.J, t.Odd)
	}
	return os.WriteFile(path, b.Bytes(), 0o644)
}

// eachLine calls fn with the 1-based line number and the whitespace-separated fields of
// every line that is neither blank nor a # comment.
func eachLine(path string, fn func(line int, fields []string) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	line := 0
	for sc.Scan() {
		line++
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 || strings.HasPrefix(fields[0], "#") {
			continue
		}
		if err := fn(line, fields); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("line %d: %w", line+1, err)
	}
	return nil
}

// ReadEmbedding reads a concept embedding such as the 66-d SPoSE embedding of the 1,854
// THINGS concepts (spose_embedding_66d_sorted.txt): whitespace-separated numbers, one row
// per concept in the order of the concept list, the same number of columns on every
// row; blank and # lines are skipped. A .npy path is read as a 2-D array. It returns the
// n x d matrix; errors name the file, line and field.
func ReadEmbedding(path string) (*mat.Dense, error) {
	if strings.HasSuffix(strings.ToLower(path), ".npy") {
		r, c, data, err := npy.ReadMatrix(path)
		if err != nil {
			return nil, fmt.Errorf("oddoneout: embedding %w", err)
		}
		if r == 0 || c == 0 {
			return nil, fmt.Errorf("oddoneout: embedding %s is empty (%d x %d)", path, r, c)
		}
		return mat.NewDense(r, c, data), nil
	}
	var data []float64
	rows, cols := 0, 0
	err := eachLine(path, func(line int, fields []string) error {
		if rows == 0 {
			cols = len(fields)
		} else if len(fields) != cols {
			return fmt.Errorf("line %d: %d fields, want %d like the first row", line, len(fields), cols)
		}
		for f, s := range fields {
			v, err := strconv.ParseFloat(s, 64)
			if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("line %d field %d: %q is not a finite number", line, f+1, s)
			}
			data = append(data, v)
		}
		rows++
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("oddoneout: embedding %s: %w", path, err)
	}
	if rows == 0 {
		return nil, fmt.Errorf("oddoneout: embedding %s: no rows", path)
	}
	return mat.NewDense(rows, cols, data), nil
}

// ReadConcepts reads the list of concepts whose order the triplet indices and the
// embedding rows follow (index i is line i). Two layouts are accepted: one concept name
// per line (THINGS unique_id.txt), or a tab-separated table with a header line that has a
// uniqueID column (THINGS things_concepts.tsv), whose uniqueID values are used. Blank
// lines are skipped; a repeated name is an error naming the file and both lines.
func ReadConcepts(path string) ([]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("oddoneout: concepts: %w", err)
	}
	lines := strings.Split(strings.ReplaceAll(string(b), "\r\n", "\n"), "\n")
	col := -1
	start := 0
	if len(lines) > 0 && strings.Contains(lines[0], "\t") {
		for k, h := range strings.Split(lines[0], "\t") {
			if strings.TrimSpace(h) == "uniqueID" {
				col = k
			}
		}
		if col < 0 {
			return nil, fmt.Errorf("oddoneout: concepts %s: line 1: a tab-separated header without a uniqueID column", path)
		}
		start = 1
	}
	var out []string
	seen := map[string]int{}
	for k := start; k < len(lines); k++ {
		s := lines[k]
		if strings.TrimSpace(s) == "" {
			continue
		}
		if col >= 0 {
			f := strings.Split(s, "\t")
			if col >= len(f) {
				return nil, fmt.Errorf("oddoneout: concepts %s: line %d: %d fields, no uniqueID (field %d)", path, k+1, len(f), col+1)
			}
			s = f[col]
		}
		s = strings.TrimSpace(s)
		if s == "" {
			return nil, fmt.Errorf("oddoneout: concepts %s: line %d field %d: empty concept name", path, k+1, col+1)
		}
		if prev, dup := seen[s]; dup {
			return nil, fmt.Errorf("oddoneout: concepts %s: line %d: concept %q repeats line %d", path, k+1, s, prev)
		}
		seen[s] = k + 1
		out = append(out, s)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("oddoneout: concepts %s: no concepts", path)
	}
	return out, nil
}

// ConceptFolders maps concept i to its image folder root/concepts[i] (the THINGS image
// layout, object_images/<concept>/<concept>_01b.jpg). It returns an error naming the
// first missing folder and how many are missing.
func ConceptFolders(root string, concepts []string) ([]string, error) {
	out := make([]string, len(concepts))
	missing, first := 0, ""
	for i, c := range concepts {
		out[i] = filepath.Join(root, c)
		if st, err := os.Stat(out[i]); err != nil || !st.IsDir() {
			if missing == 0 {
				first = out[i]
			}
			missing++
		}
	}
	if missing > 0 {
		return out, fmt.Errorf("oddoneout: %d of %d concept folders missing under %s, first %s", missing, len(concepts), root, first)
	}
	return out, nil
}

// ConceptOf returns the concept of a stimulus ID: its first path element
// ("aardvark/aardvark_01b.jpg" -> "aardvark"), or the ID without its extension when it
// has no folder ("aardvark.jpg" -> "aardvark").
func ConceptOf(id string) string {
	id = filepath.ToSlash(id)
	if k := strings.IndexByte(id, '/'); k >= 0 {
		return id[:k]
	}
	return strings.TrimSuffix(id, filepath.Ext(id))
}

// ConceptMeans averages the rows of x (stimuli x d, row r has stimulus ID ids[r]) per
// concept (ConceptOf) in the order of concepts, giving the len(concepts) x d embedding that
// triplet indices address. It returns an error naming the first concept without a stimulus;
// stimuli of concepts not in the list are ignored. It panics if len(ids) != rows of x.
func ConceptMeans(x mat.Matrix, ids, concepts []string) (*mat.Dense, error) {
	r, d := x.Dims()
	if len(ids) != r {
		panic(fmt.Sprintf("oddoneout: %d IDs for %d rows", len(ids), r))
	}
	index := make(map[string]int, len(concepts))
	for i, c := range concepts {
		index[c] = i
	}
	out := mat.NewDense(len(concepts), d, nil)
	count := make([]float64, len(concepts))
	for k, id := range ids {
		i, ok := index[ConceptOf(id)]
		if !ok {
			continue
		}
		count[i]++
		row := out.RawRowView(i)
		for j := range row {
			row[j] += x.At(k, j)
		}
	}
	for i, c := range count {
		if c == 0 {
			return nil, fmt.Errorf("oddoneout: concept %d (%q) has no stimulus among the %d IDs", i, concepts[i], len(ids))
		}
		row := out.RawRowView(i)
		for j := range row {
			row[j] /= c
		}
	}
	return out, nil
}
