package encoding

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// gamma is Higham's gamma_n = n u / (1 - n u), u = 2^-53: a dot product of length n computed in
// any order is within gamma_n sum |x_k v_k| of the exact value (Higham 2002, "Accuracy and
// Stability of Numerical Algorithms", 2nd ed., section 3.1, eq. 3.5).
func gamma(n int) float64 {
	u := 0x1p-53
	return float64(n) * u / (1 - float64(n)*u)
}

// dotAxpy (AVX2 where available) gives the scalar loop's bits (same products, same summation
// order), so eigSym's results do not depend on the CPU, and its dot product is within Higham's
// bound of one summed in index order.
func TestDotAxpy(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for n := 0; n < 70; n++ {
		x, v, y := make([]float64, n), make([]float64, n), make([]float64, n)
		abs, seq := 0.0, 0.0
		for i := range x {
			x[i], v[i], y[i] = rng.NormFloat64(), rng.NormFloat64(), rng.NormFloat64()
			abs += math.Abs(x[i] * v[i])
			seq += x[i] * v[i]
		}
		y2 := append([]float64(nil), y...)
		got := dotAxpy(x, v, y, 0.37)
		want := dotAxpyScalar(x, v, y2, 0.37)
		if got != want {
			t.Errorf("n=%d: dot %v, scalar %v", n, got, want)
		}
		if d := math.Abs(got - seq); d > 2*gamma(n)*abs {
			t.Errorf("n=%d: dot %g vs sequential %g, beyond 2 gamma_n sum|xv| = %g", n, got, seq, 2*gamma(n)*abs)
		}
		for i := range y {
			if y[i] != y2[i] {
				t.Fatalf("n=%d: y[%d] = %g, scalar %g", n, i, y[i], y2[i])
			}
		}
	}
}

// symvUpper on the upper triangle of the trailing rows agrees with gonum's SymDense MulVec
// within twice Higham's bound for a length-m dot product.
func TestSymvUpper(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	n := 77
	a := make([]float64, n*n)
	for i := 0; i < n; i++ {
		for j := i; j < n; j++ {
			a[i*n+j] = rng.NormFloat64()
		}
	}
	for _, r0 := range []int{0, 1, 30, n - 1} {
		m := n - r0
		s := mat.NewSymDense(m, nil)
		for i := 0; i < m; i++ {
			for j := i; j < m; j++ {
				s.SetSym(i, j, a[(r0+i)*n+r0+j])
			}
		}
		v := make([]float64, m)
		for i := range v {
			v[i] = rng.NormFloat64()
		}
		y := make([]float64, m)
		symvUpper(a, n, r0, v, y)
		var want mat.VecDense
		want.MulVec(s, mat.NewVecDense(m, v))
		for i := 0; i < m; i++ {
			abs := 0.0
			for j := 0; j < m; j++ {
				abs += math.Abs(s.At(i, j) * v[j])
			}
			if d := math.Abs(y[i] - want.AtVec(i)); d > 2*gamma(m)*abs {
				t.Fatalf("r0=%d: y[%d] = %g, gonum %g", r0, i, y[i], want.AtVec(i))
			}
		}
	}
}

// eigSym passes LAPACK's tests of the symmetric eigensolvers (TESTING/EIG/ddrvst.f, dchkst.f):
// |S - V diag(w) V^T|_1 / (n |S|_1 ulp) and |I - V^T V|_1 / (n ulp) under the threshold 60 of
// TESTING/sep.in (Reference-LAPACK), and its eigenvalues are mat.EigenSym's within n |S|_1 ulp
// (Weyl: both are within that of the exact ones for backward-stable solvers, Golub & Van Loan
// 2013, section 8.1.2), on indefinite matrices and centred low-rank Gram matrices.
func TestEigSymLAPACKRatios(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	const ulp = 0x1p-52
	for _, n := range []int{5, 64, 150, 333} {
		for _, rank := range []int{n + 7, n/5 + 1} {
			a := randn(rng, n, rank, 1)
			for j := 0; j < rank; j++ { // centre the columns: an exact null vector (ones)
				mu := 0.0
				for i := 0; i < n; i++ {
					mu += a.At(i, j)
				}
				for i := 0; i < n; i++ {
					a.Set(i, j, a.At(i, j)-mu/float64(n))
				}
			}
			s := mat.NewSymDense(n, nil)
			s.SymOuterK(1, a)
			name := fmt.Sprintf("n=%d rank=%d", n, rank)
			if rank == n+7 { // indefinite instead: S - (its mean diagonal) I
				tr := 0.0
				for i := 0; i < n; i++ {
					tr += s.At(i, i)
				}
				for i := 0; i < n; i++ {
					s.SetSym(i, i, s.At(i, i)-tr/float64(n))
				}
				name = fmt.Sprintf("n=%d indefinite", n)
			}
			vals, vecs, ok := eigSym(s)
			if !ok {
				t.Fatalf("%s: no convergence", name)
			}
			var rec, vtv mat.Dense
			rec.Mul(vecs, mat.NewDiagDense(n, vals))
			rec.Mul(&rec, vecs.T())
			rec.Sub(&rec, s)
			vtv.Mul(vecs.T(), vecs)
			for i := 0; i < n; i++ {
				vtv.Set(i, i, vtv.At(i, i)-1)
			}
			nf, sn := float64(n), mat.Norm(s, 1)
			if r := mat.Norm(&rec, 1) / (nf * sn * ulp); r >= 60 {
				t.Errorf("%s: |S - V W V^T| ratio %.3g >= 60", name, r)
			}
			if r := mat.Norm(&vtv, 1) / (nf * ulp); r >= 60 {
				t.Errorf("%s: |I - V^T V| ratio %.3g >= 60", name, r)
			}
			var ref mat.EigenSym
			if !ref.Factorize(s, false) {
				t.Fatalf("%s: gonum failed", name)
			}
			for i, w := range ref.Values(nil) {
				if d := math.Abs(vals[i] - w); d > nf*sn*ulp {
					t.Errorf("%s: eigenvalue %d = %g, gonum %g", name, i, vals[i], w)
				}
			}
		}
	}
}
