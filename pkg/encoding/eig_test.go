package encoding

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/lapack/gonum"
	"gonum.org/v1/gonum/mat"
)

// eigSym agrees with gonum's mat.EigenSym on the eigenvalues and reconstructs S = V diag(w) V^T
// with orthonormal V, on full-rank, rank-deficient (centred Gram, p < n) and repeated-eigenvalue
// matrices of several sizes.
func TestEigSym(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	cases := map[string]*mat.SymDense{}
	for _, n := range []int{1, 2, 3, 17, 120} {
		a := randn(rng, n, n, 1)
		s := mat.NewSymDense(n, nil)
		s.SymOuterK(1, a)
		cases[fmt.Sprintf("full%d", n)] = s
		// Centred Gram of n rows and n/3+1 features: rank <= n/3+1, exact null space.
		z := randn(rng, n, n/3+1, 1)
		var c mat.Dense
		h := mat.NewDense(n, n, nil)
		for i := 0; i < n; i++ {
			for j := 0; j < n; j++ {
				h.Set(i, j, -1/float64(n))
			}
			h.Set(i, i, 1-1/float64(n))
		}
		c.Mul(h, z)
		g := mat.NewSymDense(n, nil)
		g.SymOuterK(1, &c)
		cases[fmt.Sprintf("gram%d", n)] = g
	}
	id := mat.NewSymDense(50, nil) // 2 I: one eigenvalue of multiplicity 50
	for i := 0; i < 50; i++ {
		id.SetSym(i, i, 2)
	}
	cases["identity"] = id
	for name, s := range cases {
		n := s.SymmetricDim()
		vals, vecs, ok := eigSym(s)
		if !ok {
			t.Fatalf("%s: no convergence", name)
		}
		var ref mat.EigenSym
		if !ref.Factorize(s, false) {
			t.Fatalf("%s: gonum failed", name)
		}
		want := ref.Values(nil)
		scale := math.Max(math.Abs(want[0]), math.Abs(want[n-1]))
		for i := range want {
			if math.Abs(vals[i]-want[i]) > 1e-12*scale {
				t.Errorf("%s: eigenvalue %d = %.15g, gonum %.15g", name, i, vals[i], want[i])
			}
		}
		var rec, vtv mat.Dense
		rec.Mul(vecs, mat.NewDiagDense(n, vals))
		rec.Mul(&rec, vecs.T())
		vtv.Mul(vecs.T(), vecs)
		for i := 0; i < n; i++ {
			for j := 0; j < n; j++ {
				if d := math.Abs(rec.At(i, j) - s.At(i, j)); d > 1e-12*scale {
					t.Fatalf("%s: reconstruction [%d,%d] off by %g", name, i, j, d)
				}
				want := 0.0
				if i == j {
					want = 1
				}
				if d := math.Abs(vtv.At(i, j) - want); d > 1e-12 {
					t.Fatalf("%s: V^T V [%d,%d] off by %g", name, i, j, d)
				}
			}
		}
	}
}

func BenchmarkEig800(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	a := randn(rng, 800, 2000, 1)
	s := mat.NewSymDense(800, nil)
	s.SymOuterK(1, a)
	b.Run("eigSym", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			eigSym(s)
		}
	})
	b.Run("tridiag", func(b *testing.B) {
		for b.Loop() {
			tridiag(s)
		}
	})
	b.Run("tridiagGonum", func(b *testing.B) {
		for b.Loop() {
			tridiagGonum(s)
		}
	})
	b.Run("gonumEigenSym", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			var e mat.EigenSym
			e.Factorize(s, true)
		}
	})
}

// tridiag (gonum's blocked reduction with its rank-2k update on internal/gemm) passes LAPACK's
// tests of DSYTRD + DORGTR: the ratios |S - Q T Q^T|_1 / (n |S|_1 ulp) and |I - Q^T Q|_1 / (n ulp)
// of TESTING/EIG/dchkst.f stay under the threshold 60 of TESTING/sep.in (Reference-LAPACK), at
// sizes below, at and above a few panel widths, on full-rank and rank-deficient matrices.
func TestTridiag(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	const ulp = 0x1p-52
	for _, n := range []int{1, 2, 31, 32, 33, 100, 257} {
		for _, rank := range []int{n + 3, n/4 + 1} {
			a := randn(rng, n, rank, 1)
			s := mat.NewSymDense(n, nil)
			s.SymOuterK(1, a)
			d, e, q := tridiag(s)
			tm := mat.NewDense(n, n, nil)
			for i := 0; i < n; i++ {
				tm.Set(i, i, d[i])
				if i+1 < n {
					tm.Set(i, i+1, e[i])
					tm.Set(i+1, i, e[i])
				}
			}
			qm := mat.NewDense(n, n, q)
			var r, qtq mat.Dense
			r.Mul(qm, tm)
			r.Mul(&r, qm.T())
			r.Sub(&r, s)
			qtq.Mul(qm.T(), qm)
			for i := 0; i < n; i++ {
				qtq.Set(i, i, qtq.At(i, i)-1)
			}
			nf := float64(n)
			if ratio := mat.Norm(&r, 1) / (nf * mat.Norm(s, 1) * ulp); ratio >= 60 {
				t.Errorf("n=%d rank=%d: |S - Q T Q^T| ratio %.3g >= 60", n, rank, ratio)
			}
			if ratio := mat.Norm(&qtq, 1) / (nf * ulp); ratio >= 60 {
				t.Errorf("n=%d rank=%d: |I - Q^T Q| ratio %.3g >= 60", n, rank, ratio)
			}
		}
	}
}

// tridiagGonum is the former tridiag: gonum's Dsytrd (its reference Dsyr2k) and Dorgtr.
func tridiagGonum(s *mat.SymDense) (d, e, q []float64) {
	n := s.SymmetricDim()
	raw := s.RawSymmetric()
	a := make([]float64, n*n)
	for i := 0; i < n; i++ {
		copy(a[i*n+i:(i+1)*n], raw.Data[i*raw.Stride+i:i*raw.Stride+n])
	}
	var impl gonum.Implementation
	d, e = make([]float64, n), make([]float64, n)
	tau := make([]float64, max(1, n-1))
	lq := make([]float64, 1)
	impl.Dsytrd(blas.Upper, n, a, n, d, e, tau, lq, -1)
	lw := int(lq[0])
	impl.Dorgtr(blas.Upper, n, a, n, tau, lq, -1)
	work := make([]float64, max(lw, int(lq[0]), 1))
	impl.Dsytrd(blas.Upper, n, a, n, d, e, tau, work, len(work))
	impl.Dorgtr(blas.Upper, n, a, n, tau, work, len(work))
	e[n-1] = 0
	return d, e, a
}
