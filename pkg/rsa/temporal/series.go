// Package temporal is time-resolved RSA, the standard analysis of MEG/EEG data (Cichy et al.
// 2014; Raugel et al.'s temporal score, methods.md §2): a brain RDM per time point, compared with
// the RDM of every model layer by any metric of the registry (pkg/metric), giving a layer x time
// map; each layer's peak latency and onset, and the rank correlation between layer depth and peak
// latency, all with resampling CIs over stimuli.
//
//   - Series is an RDM time series (stimuli x stimuli x time), built from RDMs (NewSeries), from a
//     dense array (FromArray) or read from .npy (ReadNPY) and MAT v5 (ReadMAT) files, validated:
//     square, symmetric, finite, one stimulus count.
//   - Compare gives the layer x time Map; Analyze adds the latencies and their CIs.
//   - Synthetic builds a series with planted per-layer latencies from model-like RDMs (tests and
//     the demo notebook).
//
// The package never imports GoMLX (internal/archtest).
package temporal

import (
	"fmt"
	"math"

	"github.com/coarsealign/coarsealign/pkg/rdm"
)

// Series is a time series of RDMs over the same N stimuli: RDMs[t] is the brain RDM at time
// Times[t]. Times are in the unit of the data (ms for the 92-image MEG RDMs) and increase
// strictly.
type Series struct {
	// Name describes the series (e.g. the file it was read from).
	Name string
	// IDs are the stimulus identifiers (length N); nil matches stimuli by order.
	IDs []string
	// N is the number of stimuli.
	N int
	// Times holds one time stamp per RDM.
	Times []float64
	// TimeUnit names the unit of Times (e.g. "ms"); empty: unknown, and figures say "time".
	TimeUnit string
	// RDMs holds one complete RDM (no NaN pair) per time point.
	RDMs []*rdm.RDM
}

// Len returns the number of time points.
func (s *Series) Len() int { return len(s.RDMs) }

// Times returns n time stamps start, start+step, ...: Times(-100, 1, 1101) are the 1 ms bins of
// the 92-image MEG RDMs (-100..1000 ms).
func Times(start, step float64, n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = start + step*float64(i)
	}
	return out
}

// NewSeries checks and wraps rdms, one per time stamp (times nil: 0, 1, ..., T-1). Every RDM must
// have the same stimulus count (and IDs, when both have them), and no missing or infinite pair.
// The RDMs are not copied. Errors name the series and the time point.
func NewSeries(name string, rdms []*rdm.RDM, times []float64) (*Series, error) {
	if len(rdms) == 0 {
		return nil, fmt.Errorf("temporal: series %q has no time points", name)
	}
	if times == nil {
		times = Times(0, 1, len(rdms))
	}
	if len(times) != len(rdms) {
		return nil, fmt.Errorf("temporal: series %q has %d RDMs but %d time stamps", name, len(rdms), len(times))
	}
	for t := range times {
		if math.IsNaN(times[t]) || math.IsInf(times[t], 0) || (t > 0 && !(times[t] > times[t-1])) {
			return nil, fmt.Errorf("temporal: series %q: time stamps must be finite and increase strictly (time %d is %g after %g)", name, t+1, times[t], times[max(t-1, 0)])
		}
	}
	ref := rdms[0]
	if ref.N < 3 {
		return nil, fmt.Errorf("temporal: series %q has %d stimuli, want at least 3", name, ref.N)
	}
	var ids []string
	for t, r := range rdms {
		if r.IDs != nil && ids == nil {
			ids = r.IDs
		}
		if r.N != ref.N || len(r.Vec) != rdm.NumPairs(r.N) {
			return nil, fmt.Errorf("temporal: series %q: time point %d (t=%g) has %d stimuli (%d pairs), time point 1 has %d", name, t+1, times[t], r.N, len(r.Vec), ref.N)
		}
		if r.IDs != nil && ids != nil {
			if err := rdm.Check(&rdm.RDM{Name: "time point 1", N: ref.N, IDs: ids}, r); err != nil {
				return nil, fmt.Errorf("temporal: series %q: time point %d (t=%g): %w", name, t+1, times[t], err)
			}
		}
		for k, v := range r.Vec {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				i, j := pairOf(r.N, k)
				return nil, fmt.Errorf("temporal: series %q: time point %d (t=%g): pair (%d,%d) is %g; time-resolved RSA needs finite, complete RDMs", name, t+1, times[t], i+1, j+1, v)
			}
		}
	}
	return &Series{Name: name, IDs: ids, N: ref.N, Times: times, RDMs: rdms}, nil
}

// Layout says how a dense array holds a series.
type Layout int

const (
	// StimStimTime is an N x N x T array: element (i, j, t) is the dissimilarity of stimuli i
	// and j at time t (MATLAB's rdm(:,:,t); numpy shape (N, N, T)).
	StimStimTime Layout = iota
	// TimeStimStim is a T x N x N array (numpy shape (T, N, N)).
	TimeStimStim
)

// String names the layout by its axes.
func (l Layout) String() string {
	switch l {
	case StimStimTime:
		return "stimuli x stimuli x time"
	case TimeStimStim:
		return "time x stimuli x stimuli"
	}
	return fmt.Sprintf("Layout(%d)", int(l))
}

// DefaultSymmetryTol is the symmetry tolerance of FromArray when none is given: |d(i,j) - d(j,i)|
// at most this times the largest absolute entry of the time point (or 1, if larger), loose
// enough for float32 data.
const DefaultSymmetryTol = 1e-6

// ArrayOptions says how FromArray reads an array.
type ArrayOptions struct {
	// Layout of the array (default StimStimTime).
	Layout Layout
	// Times are the time stamps (nil: 0, 1, ..., T-1).
	Times []float64
	// TimeUnit is the unit of the time stamps (e.g. "ms"), shown on the figures' axes.
	TimeUnit string
	// IDs are the stimulus identifiers (nil: matched by order); their count must be N.
	IDs []string
	// Stimuli, when positive, is the stimulus count the caller expects (e.g. the model's).
	Stimuli int
	// Upper reads only the upper triangle (i < j) of each time point, for files whose lower
	// triangle is empty or NaN; the symmetry check is skipped.
	Upper bool
	// SymmetryTol is the relative symmetry tolerance (0: DefaultSymmetryTol).
	SymmetryTol float64
}

// FromArray builds a Series from a dense row-major (C order) array of the given shape (3-D,
// laid out as opt.Layout). Each time point must be square, symmetric within opt.SymmetryTol,
// and finite off the diagonal (the diagonal is ignored: decoding RDMs often hold NaN there).
// Errors name the series (for a file: the file and field) and the time point.
func FromArray(name string, shape []int, data []float64, opt ArrayOptions) (*Series, error) {
	if len(shape) != 3 {
		return nil, fmt.Errorf("temporal: %s: array of shape %v, want 3-D (%s); average or select subjects and sessions first", name, shape, opt.Layout)
	}
	var n, n2, nt int
	switch opt.Layout {
	case StimStimTime:
		n, n2, nt = shape[0], shape[1], shape[2]
	case TimeStimStim:
		nt, n, n2 = shape[0], shape[1], shape[2]
	default:
		return nil, fmt.Errorf("temporal: %s: invalid layout %v", name, opt.Layout)
	}
	if n != n2 {
		return nil, fmt.Errorf("temporal: %s: array of shape %v is not square in its stimulus axes (%d x %d; layout %s)", name, shape, n, n2, opt.Layout)
	}
	if len(data) != n*n*nt {
		return nil, fmt.Errorf("temporal: %s: %d values for shape %v", name, len(data), shape)
	}
	if opt.Stimuli > 0 && n != opt.Stimuli {
		return nil, fmt.Errorf("temporal: %s: %d stimuli, want %d (layout %s, shape %v)", name, n, opt.Stimuli, opt.Layout, shape)
	}
	if opt.IDs != nil && len(opt.IDs) != n {
		return nil, fmt.Errorf("temporal: %s: %d stimulus IDs for %d stimuli", name, len(opt.IDs), n)
	}
	if opt.Times != nil && len(opt.Times) != nt {
		return nil, fmt.Errorf("temporal: %s: %d time stamps for %d time points", name, len(opt.Times), nt)
	}
	at := func(i, j, t int) float64 { return data[(i*n+j)*nt+t] }
	if opt.Layout == TimeStimStim {
		at = func(i, j, t int) float64 { return data[(t*n+i)*n+j] }
	}
	tol := opt.SymmetryTol
	if tol <= 0 {
		tol = DefaultSymmetryTol
	}
	times := opt.Times
	if times == nil {
		times = Times(0, 1, nt)
	}
	rdms := make([]*rdm.RDM, nt)
	for t := 0; t < nt; t++ {
		vec := make([]float64, 0, rdm.NumPairs(n))
		maxAbs := 1.0
		for i := 0; i < n; i++ {
			for j := 0; j < n; j++ {
				if v := math.Abs(at(i, j, t)); i != j && v > maxAbs && !math.IsInf(v, 0) {
					maxAbs = v
				}
			}
		}
		for i := 0; i < n; i++ {
			for j := i + 1; j < n; j++ {
				a := at(i, j, t)
				if math.IsNaN(a) || math.IsInf(a, 0) {
					return nil, fmt.Errorf("temporal: %s: time point %d (t=%g): entry (%d,%d) is %g; time-resolved RSA needs finite RDMs", name, t+1, times[t], i+1, j+1, a)
				}
				if !opt.Upper {
					b := at(j, i, t)
					if math.IsNaN(b) || math.Abs(a-b) > tol*maxAbs {
						return nil, fmt.Errorf("temporal: %s: time point %d (t=%g): asymmetric: entry (%d,%d)=%g but (%d,%d)=%g (tolerance %g; set Upper to read the upper triangle only)", name, t+1, times[t], i+1, j+1, a, j+1, i+1, b, tol*maxAbs)
					}
				}
				vec = append(vec, a)
			}
		}
		rdms[t] = &rdm.RDM{Name: fmt.Sprintf("%s@%g", name, times[t]), IDs: opt.IDs, N: n, Vec: vec}
	}
	s, err := NewSeries(name, rdms, times)
	if s != nil {
		s.TimeUnit = opt.TimeUnit
	}
	if err != nil {
		return nil, err
	}
	return s, nil
}

// pairOf returns the stimuli (i, j) of pair k in the vector form of an n-stimulus RDM.
func pairOf(n, k int) (int, int) {
	for i := 0; i < n; i++ {
		row := n - 1 - i
		if k < row {
			return i, i + 1 + k
		}
		k -= row
	}
	return -1, -1
}
