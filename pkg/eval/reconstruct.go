package eval

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// This file holds the PCA-reconstruction control of the coarse-label study (methods.md: "A control
// rebuilds the 1000-class model's activations from its top M principal components (M = 1..15)"):
// if coarse labels helped only by keeping a representation's top principal directions, the
// fine-label model rebuilt from its own top M PCs should align as well as the coarse models.

// ReconstructionLayer is the layer name Reconstruct gives to layer rebuilt from its top m PCs
// ("conv3" and 2 give "conv3/pc02").
func ReconstructionLayer(layer string, m int) string { return fmt.Sprintf("%s/pc%02d", layer, m) }

// Reconstruct returns f's activations rebuilt from their top m principal components, in the
// original unit space: with X the N x D activations (rows are stimuli), mu its column means and
// X - mu = U S Vᵀ the thin SVD, the result is U_m S_m V_mᵀ + mu (N x D, the same shape and stimulus
// order as f; scikit-learn's PCA(m).inverse_transform(PCA(m).transform(X))). The mean is added back
// because the model RDM (1 - Pearson correlation between stimulus rows) depends on it. The result's
// Layer is ReconstructionLayer(f.Layer, m).
//
// m must be in 1..min(N, D); m = min(N, D) keeps every component and reproduces X up to rounding.
// It returns an error naming the layer for a bad m, a size mismatch, NaN or Inf activations, or an
// SVD that does not converge. Use ReconstructTop for several m (one SVD).
func Reconstruct(f Features, m int) (Features, error) {
	p, err := newPCA(f)
	if err != nil {
		return Features{}, err
	}
	if m < 1 || m > len(p.s) {
		return Features{}, fmt.Errorf("eval: Reconstruct: layer %q: m = %d, need 1..%d (min of %d stimuli, %d units)", f.Layer, m, len(p.s), f.N, f.D)
	}
	return p.rebuild(m), nil
}

// ReconstructTop returns Reconstruct(f, m) for m = 1..min(maxM, N, D), in that order, from a single
// SVD. Errors are those of Reconstruct (maxM < 1 is one).
func ReconstructTop(f Features, maxM int) ([]Features, error) {
	p, err := newPCA(f)
	if err != nil {
		return nil, err
	}
	if maxM < 1 {
		return nil, fmt.Errorf("eval: ReconstructTop: layer %q: maxM = %d, need >= 1", f.Layer, maxM)
	}
	out := make([]Features, 0, min(maxM, len(p.s)))
	for m := 1; m <= min(maxM, len(p.s)); m++ {
		out = append(out, p.rebuild(m))
	}
	return out, nil
}

// pca is the thin SVD of a layer's centred activations.
type pca struct {
	f    Features
	mean []float64 // D column means
	u, v mat.Dense // N x r and D x r, r = min(N, D)
	s    []float64 // r singular values, decreasing
}

func newPCA(f Features) (*pca, error) {
	if f.N < 1 || f.D < 1 || len(f.X) != f.N*f.D {
		return nil, fmt.Errorf("eval: Reconstruct: layer %q: %d values for %d stimuli x %d units", f.Layer, len(f.X), f.N, f.D)
	}
	for k, x := range f.X {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, fmt.Errorf("eval: Reconstruct: layer %q: activation of stimulus %d, unit %d is %v", f.Layer, k/f.D, k%f.D, x)
		}
	}
	p := &pca{f: f, mean: make([]float64, f.D)}
	for i := 0; i < f.N; i++ {
		row := f.X[i*f.D : (i+1)*f.D]
		for j, x := range row {
			p.mean[j] += x
		}
	}
	for j := range p.mean {
		p.mean[j] /= float64(f.N)
	}
	c := mat.NewDense(f.N, f.D, nil)
	for i := 0; i < f.N; i++ {
		for j := 0; j < f.D; j++ {
			c.Set(i, j, f.X[i*f.D+j]-p.mean[j])
		}
	}
	var svd mat.SVD
	if !svd.Factorize(c, mat.SVDThin) {
		return nil, fmt.Errorf("eval: Reconstruct: layer %q: SVD did not converge", f.Layer)
	}
	svd.UTo(&p.u)
	svd.VTo(&p.v)
	p.s = svd.Values(nil)
	return p, nil
}

// rebuild returns U_m S_m V_mᵀ + mean.
func (p *pca) rebuild(m int) Features {
	n, d := p.f.N, p.f.D
	us := mat.DenseCopyOf(p.u.Slice(0, n, 0, m))
	for k := 0; k < m; k++ {
		for i := 0; i < n; i++ {
			us.Set(i, k, us.At(i, k)*p.s[k])
		}
	}
	var r mat.Dense
	r.Mul(us, p.v.Slice(0, d, 0, m).T())
	out := Features{Layer: ReconstructionLayer(p.f.Layer, m), N: n, D: d, X: make([]float64, n*d)}
	for i := 0; i < n; i++ {
		for j := 0; j < d; j++ {
			out.X[i*d+j] = r.At(i, j) + p.mean[j]
		}
	}
	return out
}
