//go:build !goexperiment.simd || !amd64

package encoding

// rotateRows applies (x, y) <- (c x - s y, s x + c y) elementwise (portable build).
func rotateRows(x, y []float64, c, s float64) { rotateRowsScalar(x, y, c, s) }
