//go:build !goexperiment.simd || !amd64

package encoding

// sweepPanel applies one QL sweep to a panel (portable build; see sweepPanelScalar).
func sweepPanel(p []float64, top int, cs []float64) { sweepPanelScalar(p, top, cs) }
