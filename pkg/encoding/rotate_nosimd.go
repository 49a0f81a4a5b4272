//go:build !goexperiment.simd || !amd64

package encoding

import "gonum.org/v1/gonum/mat"

// rotateRows applies (x, y) <- (c x - s y, s x + c y) elementwise (portable build).
func rotateRows(x, y []float64, c, s float64) { rotateRowsScalar(x, y, c, s) }

// mulFast is the AVX-512 product, available only in GOEXPERIMENT=simd builds on amd64.
func mulFast(dst *mat.Dense, a, b *mat.Dense) bool { return false }

// gramFast is the AVX-512 Gram product, available only in GOEXPERIMENT=simd builds on amd64.
func gramFast(z, zt *mat.Dense) (*mat.SymDense, bool) { return nil, false }
