package features

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sync"

	"gonum.org/v1/gonum/stat/distuv"
)

// MaxProjectionDim is the study's projection size cap: k = min(4096, D).
const MaxProjectionDim = 4096

// Projection is a sparse random projection R (K x D) in the sense of Achlioptas (2003) and Li,
// Hastie & Church (2006), as scikit-learn's SparseRandomProjection: with density d = 1/sqrt(D)
// (s = 1/d), every entry is
//
//	+sqrt(s/K) with probability d/2,  0 with probability 1-d,  -sqrt(s/K) with probability d/2,
//
// so E[|Rx|^2] = |x|^2 (distances preserved in expectation, Johnson-Lindenstrauss). Rows are
// drawn as in scikit-learn: the number of non-zeros of a row is Binomial(D, d) and their
// positions are uniform without replacement; signs are fair coins. The generator is PCG seeded
// by (Seed, D, K), so the same seed gives the same matrix.
type Projection struct {
	D, K    int
	Density float64
	Seed    uint64
	// cols[j] lists the non-zeros of column j (input unit j): output rows and signs.
	cols  [][]entry
	scale float32
}

type entry struct {
	row  int32
	sign float32
}

var (
	projMu    sync.Mutex
	projCache = map[[3]uint64]*Projection{}
)

// NewProjection returns the projection of D-dimensional vectors to k = min(MaxProjectionDim, D)
// dimensions (or kMax if 0 < kMax), cached per (D, k, seed) for the life of the process.
func NewProjection(d, kMax int, seed uint64) *Projection {
	if d < 1 {
		panic(fmt.Sprintf("features: projection of dimension %d", d))
	}
	if kMax <= 0 {
		kMax = MaxProjectionDim
	}
	k := min(kMax, d)
	key := [3]uint64{uint64(d), uint64(k), seed}
	projMu.Lock()
	defer projMu.Unlock()
	if p, ok := projCache[key]; ok {
		return p
	}
	density := 1 / math.Sqrt(float64(d))
	src := rand.NewPCG(seed, uint64(d)<<20^uint64(k))
	rng := rand.New(src)
	binom := distuv.Binomial{N: float64(d), P: density, Src: src}
	p := &Projection{D: d, K: k, Density: density, Seed: seed, cols: make([][]entry, d),
		scale: float32(math.Sqrt(1 / density / float64(k)))}
	seen := map[int]bool{}
	for i := 0; i < k; i++ {
		nnz := int(binom.Rand())
		clear(seen)
		for len(seen) < nnz {
			j := rng.IntN(d)
			if seen[j] {
				continue
			}
			seen[j] = true
			s := float32(1)
			if rng.IntN(2) == 0 {
				s = -1
			}
			p.cols[j] = append(p.cols[j], entry{row: int32(i), sign: s})
		}
	}
	projCache[key] = p
	return p
}

// Apply projects the rows of x (n x D, row-major) to n x K.
func (p *Projection) Apply(x []float32, n int) []float32 {
	if len(x) != n*p.D {
		panic(fmt.Sprintf("features: projecting %d floats as %d x %d", len(x), n, p.D))
	}
	out := make([]float32, n*p.K)
	for r := 0; r < n; r++ {
		xr := x[r*p.D : (r+1)*p.D]
		or := out[r*p.K : (r+1)*p.K]
		for j, v := range xr {
			if v == 0 {
				continue
			}
			for _, e := range p.cols[j] {
				or[e.row] += e.sign * v
			}
		}
		for i := range or {
			or[i] *= p.scale
		}
	}
	return out
}

// Project replaces the data of every layer wider than the cap by its projection (seeded by
// seed); narrower layers are left exact.
func Project(layers []Layer, seed uint64) {
	for i := range layers {
		L := &layers[i]
		if L.Cols <= MaxProjectionDim || L.Projection != nil {
			continue
		}
		p := NewProjection(L.Cols, MaxProjectionDim, seed)
		L.Data = p.Apply(L.Data, L.Rows)
		L.OrigCols = L.Cols
		L.Cols = p.K
		L.Projection = p
	}
}
