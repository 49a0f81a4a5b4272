package gemm

import "gonum.org/v1/gonum/mat"

// Mul returns A B for A [m,k] and B [k,n] (MulF64). It panics like mat.Dense.Mul on a shape
// mismatch or an empty result.
func Mul(a, b *mat.Dense) *mat.Dense {
	m, k := a.Dims()
	kb, n := b.Dims()
	if k != kb || m == 0 || n == 0 {
		var c mat.Dense
		c.Mul(a, b)
		return &c
	}
	ra, rb := a.RawMatrix(), b.RawMatrix()
	c := make([]float64, m*n)
	MulF64(m, n, k, ra.Data, ra.Stride, rb.Data, rb.Stride, c, n)
	return mat.NewDense(m, n, c)
}

// MulTA returns A^T B for A [k,m] and B [k,n] (MulF64TA), without copying A^T.
func MulTA(a, b *mat.Dense) *mat.Dense {
	k, m := a.Dims()
	kb, n := b.Dims()
	if k != kb || m == 0 || n == 0 {
		var c mat.Dense
		c.Mul(a.T(), b)
		return &c
	}
	ra, rb := a.RawMatrix(), b.RawMatrix()
	c := make([]float64, m*n)
	MulF64TA(m, n, k, ra.Data, ra.Stride, rb.Data, rb.Stride, c, n)
	return mat.NewDense(m, n, c)
}

// Gram returns X X^T (n x n) for X [n,p] (SyrkF64).
func Gram(x *mat.Dense) *mat.SymDense {
	n, p := x.Dims()
	r := x.RawMatrix()
	g := make([]float64, n*n)
	SyrkF64(n, p, r.Data, r.Stride, g, n)
	return mat.NewSymDense(n, g)
}

// GramTA returns X^T X (p x p) for X [n,p] (SyrkF64TA), without copying X^T.
func GramTA(x *mat.Dense) *mat.SymDense {
	n, p := x.Dims()
	r := x.RawMatrix()
	g := make([]float64, p*p)
	SyrkF64TA(p, n, r.Data, r.Stride, g, p)
	return mat.NewSymDense(p, g)
}
