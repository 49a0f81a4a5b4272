//go:build !goexperiment.simd || !amd64

package encoding

// sweepPanel applies one QL sweep to a panel (portable build; see sweepPanelScalar).
func sweepPanel(p []float64, top int, cs []float64) { sweepPanelScalar(p, top, cs) }

// dotAxpy returns sum_k x[k] v[k] and adds alpha x to y (portable build; see dotAxpyScalar).
func dotAxpy(x, v, y []float64, alpha float64) float64 { return dotAxpyScalar(x, v, y, alpha) }
