package coarse

import (
	"bufio"
	"fmt"
	"os"
	"strings"

	"github.com/coarsealign/coarsealign/pkg/data/npy"
	"gonum.org/v1/gonum/mat"
)

// PixelMatrix views N images of uint8 pixels as an N x (H*W*C) matrix of
// values in [0,1] without copying (the raw-pixel control embedding). Pix is
// row-major, one image per row (e.g. images.Dataset.Pix with Cols = H*W*3).
type PixelMatrix struct {
	Pix        []uint8
	Rows, Cols int
}

// NewPixelMatrix returns a PixelMatrix over pix, panicking if len(pix) != rows*cols.
func NewPixelMatrix(pix []uint8, rows, cols int) *PixelMatrix {
	if len(pix) != rows*cols || rows < 0 || cols < 1 {
		panic(fmt.Sprintf("coarse: NewPixelMatrix: %d bytes for %d x %d", len(pix), rows, cols))
	}
	return &PixelMatrix{Pix: pix, Rows: rows, Cols: cols}
}

// Dims returns the number of rows (images) and columns (pixel values).
func (p *PixelMatrix) Dims() (int, int) { return p.Rows, p.Cols }

// At returns pixel j of image i scaled to [0,1].
func (p *PixelMatrix) At(i, j int) float64 { return float64(p.Pix[i*p.Cols+j]) / 255 }

// T returns the transpose.
func (p *PixelMatrix) T() mat.Matrix { return mat.Transpose{Matrix: p} }

// RowTo copies row i into dst (length Cols).
func (p *PixelMatrix) RowTo(i int, dst []float64) {
	for j, v := range p.Pix[i*p.Cols : (i+1)*p.Cols] {
		dst[j] = float64(v) / 255
	}
}

// ReadIDs reads one ID per line (surrounding spaces trimmed; empty lines skipped).
func ReadIDs(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("coarse: %w", err)
	}
	defer f.Close()
	var ids []string
	seen := map[string]int{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		s := strings.TrimSpace(sc.Text())
		if s == "" {
			continue
		}
		if first, dup := seen[s]; dup {
			return nil, fmt.Errorf("coarse: %s line %d: ID %q repeats line %d", path, line, s, first)
		}
		seen[s] = line
		ids = append(ids, s)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("coarse: %s: %w", path, err)
	}
	return ids, nil
}

// ReadNPY reads an n x d embedding from a .npy file and, if idsPath is not
// empty, the IDs of its rows (one per line, n lines). Errors name the file.
func ReadNPY(path, idsPath string) (*mat.Dense, []string, error) {
	r, c, data, err := npy.ReadMatrix(path)
	if err != nil {
		return nil, nil, fmt.Errorf("coarse: %w", err)
	}
	x := mat.NewDense(r, c, data)
	if idsPath == "" {
		return x, nil, nil
	}
	ids, err := ReadIDs(idsPath)
	if err != nil {
		return nil, nil, err
	}
	if len(ids) != r {
		return nil, nil, fmt.Errorf("coarse: %s has %d IDs but %s has %d rows", idsPath, len(ids), path, r)
	}
	return x, ids, nil
}

// AlignRows returns the rows of X (whose rows are named by ids) in the order of
// want. Every ID in want must be present; extra rows are dropped.
func AlignRows(X *mat.Dense, ids, want []string) (*mat.Dense, error) {
	n, d := X.Dims()
	if len(ids) != n {
		return nil, fmt.Errorf("coarse: %d IDs for %d rows", len(ids), n)
	}
	pos := make(map[string]int, n)
	for i, id := range ids {
		pos[id] = i
	}
	out := mat.NewDense(len(want), d, nil)
	for k, id := range want {
		i, ok := pos[id]
		if !ok {
			return nil, fmt.Errorf("coarse: no embedding row for ID %q", id)
		}
		out.SetRow(k, X.RawRowView(i))
	}
	return out, nil
}
