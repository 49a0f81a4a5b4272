package encoding

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// The vector sweep kernels (AVX-512, AVX2) give the scalar loop's bits: the same separate
// multiplies and adds, so eigSym's results do not depend on the CPU.
func TestSweepPanelMatchesScalar(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const rows = 40
	for top := 0; top < rows-1; top++ {
		for cnt := 1; cnt <= top+1; cnt += 3 {
			p := make([]float64, rows*qlPanel)
			for i := range p {
				p[i] = rng.NormFloat64()
			}
			cs := make([]float64, 2*cnt)
			for j := 0; j < cnt; j++ {
				a := rng.Float64() * 6.283185307179586
				cs[2*j], cs[2*j+1] = cosSin(a)
			}
			p2 := slices.Clone(p)
			sweepPanel(p, top, cs)
			sweepPanelScalar(p2, top, cs)
			if !slices.Equal(p, p2) {
				t.Fatalf("top=%d cnt=%d: sweepPanel differs from sweepPanelScalar", top, cnt)
			}
		}
	}
}

// sweepPanelScalar is the row-by-row rotation of the former tql: rotating rows top-j, top-j+1
// of a panel for j = 0, 1, ... with rotateRowsRef gives the same bits.
func TestSweepPanelMatchesRowRotations(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	const rows = 30
	p := make([]float64, rows*qlPanel)
	for i := range p {
		p[i] = rng.NormFloat64()
	}
	top, cnt := 25, 20
	cs := make([]float64, 2*cnt)
	for j := 0; j < cnt; j++ {
		cs[2*j], cs[2*j+1] = cosSin(rng.Float64() * 6)
	}
	p2 := slices.Clone(p)
	sweepPanelScalar(p, top, cs)
	for j := 0; j < cnt; j++ {
		i := top - j
		rotateRowsRef(p2[i*qlPanel:(i+1)*qlPanel], p2[(i+1)*qlPanel:(i+2)*qlPanel], cs[2*j], cs[2*j+1])
	}
	if !slices.Equal(p, p2) {
		t.Fatal("sweepPanelScalar differs from row-by-row rotations")
	}
}

// eigSym with rotations recorded in batches and applied to column panels by 1, 2 or 3 workers
// gives exactly the bits of the former eigSym (tqlRef: each rotation applied to two whole rows
// of W as it is computed), at n = 300 (not a multiple of the panel width; batches of qlBatch
// rotations of 300-long rows take the parallel path, qlParallelMin).
func TestEigSymParallelMatchesSerial(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	n := 300
	a := randn(rng, n, n+50, 1)
	full := mat.NewSymDense(n, nil)
	full.SymOuterK(1, a)
	z := randn(rng, n, 40, 1) // rank 40: many deflations
	low := mat.NewSymDense(n, nil)
	low.SymOuterK(1, z)
	for name, s := range map[string]*mat.SymDense{"full": full, "rank40": low} {
		wantVals, wantVecs, batches := eigSymRef(s)
		if batches < 2 || qlBatch*n < qlParallelMin {
			t.Fatalf("%s: only %d batches: the parallel path is not exercised", name, batches)
		}
		for _, workers := range []int{1, 2, 3} {
			vals, vecs, ok := eigSymWorkers(s, workers)
			if !ok {
				t.Fatalf("%s: no convergence", name)
			}
			if !slices.Equal(vals, wantVals) || !slices.Equal(vecs.RawMatrix().Data, wantVecs.RawMatrix().Data) {
				t.Fatalf("%s, %d workers: differs from the row-rotation eigSym", name, workers)
			}
		}
	}
}

// eigSymRef is the former eigSym: gonum's tridiagonal reduction, then QL with each rotation
// applied at once to two whole rows of the row-major W = Q^T. It also returns the number of
// batches tql records for the same matrix.
func eigSymRef(s *mat.SymDense) ([]float64, *mat.Dense, int) {
	n := s.SymmetricDim()
	d, e, q := tridiag(s)
	slices.Reverse(d) // as eigSym
	slices.Reverse(e[:n-1])
	w := make([]float64, n*n)
	for i := 0; i < n; i++ {
		for k, v := range q[i*n : (i+1)*n] {
			w[(n-1-k)*n+i] = v
		}
	}
	batches := 0
	rot := &qlRotations{}
	dd, ee := slices.Clone(d), slices.Clone(e)
	tql(dd, ee, rot, func(*qlRotations) { batches++ })
	tqlRef(d, e, w, n)
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(x, y int) int {
		switch {
		case d[x] < d[y]:
			return -1
		case d[x] > d[y]:
			return 1
		}
		return 0
	})
	vals := make([]float64, n)
	vecs := mat.NewDense(n, n, nil)
	for c, i := range idx {
		vals[c] = d[i]
		for r, v := range w[i*n : (i+1)*n] {
			vecs.Set(r, c, v)
		}
	}
	return vals, vecs, batches
}

// tqlRef is the former tql (verbatim but for the name): each rotation applied to rows i, i+1
// of the row-major n x n matrix w as soon as it is computed.
func tqlRef(d, e, w []float64, n int) bool {
	for l := 0; l < n; l++ {
		for iter := 0; ; iter++ {
			m := l
			for ; m < n-1; m++ {
				dd := math.Abs(d[m]) + math.Abs(d[m+1])
				if math.Abs(e[m])+dd == dd {
					break
				}
			}
			if m == l {
				break
			}
			if iter == 30 {
				return false
			}
			g := (d[l+1] - d[l]) / (2 * e[l])
			r := math.Hypot(g, 1)
			g = d[m] - d[l] + e[l]/(g+math.Copysign(r, g))
			s, c, p := 1.0, 1.0, 0.0
			deflated := false
			for i := m - 1; i >= l; i-- {
				f := s * e[i]
				b := c * e[i]
				r = math.Hypot(f, g)
				e[i+1] = r
				if r == 0 { // underflow: split the matrix and restart
					d[i+1] -= p
					e[m] = 0
					deflated = true
					break
				}
				s, c = f/r, g/r
				g = d[i+1] - p
				r = (d[i]-g)*s + 2*c*b
				p = s * r
				d[i+1] = g + p
				g = c*r - b
				rotateRowsRef(w[i*n:(i+1)*n], w[(i+1)*n:(i+2)*n], c, s)
			}
			if deflated {
				continue
			}
			d[l] -= p
			e[l] = g
			e[m] = 0
		}
	}
	return true
}

// rotateRowsRef applies (x, y) <- (c x - s y, s x + c y) elementwise (the former rotateRows).
func rotateRowsRef(x, y []float64, c, s float64) {
	y = y[:len(x)]
	for k, xv := range x {
		yv := y[k]
		y[k] = float64(s*xv) + float64(c*yv)
		x[k] = float64(c*xv) - float64(s*yv)
	}
}

func cosSin(a float64) (float64, float64) {
	sn, c := math.Sincos(a)
	return c, sn
}

// One QL sweep over an 800-row panel (eigSym's inner step at n = 800), and the rotations of
// one eigendecomposition at n = 800 applied by 1 and by gemm.Workers() goroutines.
func BenchmarkSweepPanel(b *testing.B) {
	p := make([]float64, 800*qlPanel)
	cs := make([]float64, 2*799)
	for i := range p {
		p[i] = float64(i % 7)
	}
	for j := 0; j < 799; j++ {
		cs[2*j], cs[2*j+1] = 0.8, 0.6
	}
	b.Run("dispatch", func(b *testing.B) {
		for b.Loop() {
			sweepPanel(p, 798, cs)
		}
	})
	b.Run("scalar", func(b *testing.B) {
		for b.Loop() {
			sweepPanelScalar(p, 798, cs)
		}
	})
}

func BenchmarkEigSymWorkers(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	a := randn(rng, 800, 2000, 1)
	s := mat.NewSymDense(800, nil)
	s.SymOuterK(1, a)
	for _, w := range []int{1, 2} {
		b.Run(fmt.Sprintf("workers=%d", w), func(b *testing.B) {
			for b.Loop() {
				eigSymWorkers(s, w)
			}
		})
	}
}
