package encoding

import (
	"sync"
	"sync/atomic"
)

// qlPanel is the width (columns) of a panel of W: four 4-lane or two 8-lane vectors.
const qlPanel = 16

// panels holds an n x n row-major matrix W as ceil(n/qlPanel) column panels, each n rows
// of qlPanel contiguous values: W[i][k] is data[(k/qlPanel)*n*qlPanel + i*qlPanel + k%qlPanel].
// Columns beyond n in the last panel are zero and stay zero under rotations.
type panels struct {
	n    int
	data []float64
}

func newPanels(n int) *panels {
	np := (n + qlPanel - 1) / qlPanel
	return &panels{n: n, data: make([]float64, np*n*qlPanel)}
}

// qlParallelMin is the least number of element updates (rotations x n) of a batch applied
// by more than one worker; smaller batches are applied by the calling goroutine.
const qlParallelMin = 1 << 18

// apply applies the batch of sweeps r, in order, to every panel, splitting the panels
// between at most workers goroutines. The result does not depend on workers.
func (w *panels) apply(r *qlRotations, workers int) {
	np := len(w.data) / (w.n * qlPanel)
	run := func(p0, p1 int) {
		for p := p0; p < p1; p++ {
			pd := w.data[p*w.n*qlPanel : (p+1)*w.n*qlPanel]
			for k, top := range r.top {
				sweepPanel(pd, top, r.cs[2*r.off[k]:2*r.off[k+1]])
			}
		}
	}
	if workers <= 1 || np < 2 || r.count()*w.n < qlParallelMin {
		run(0, np)
		return
	}
	// Panels are handed out one at a time, so a worker whose thread is descheduled (a shared
	// machine) delays the batch by one panel, not by a fixed half of them.
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(workers, np) {
		wg.Go(func() {
			for p := int(next.Add(1)) - 1; p < np; p = int(next.Add(1)) - 1 {
				run(p, p+1)
			}
		})
	}
	wg.Wait()
}

// sweepPanelScalar applies one QL sweep to the panel p (rows of qlPanel values): for
// j = 0 .. len(cs)/2-1 the rotation (c, s) = (cs[2j], cs[2j+1]) of rows x = top-j and
// y = top-j+1, (x, y) <- (c x - s y, s x + c y) elementwise. Row y of each rotation is row x
// of the previous one, so it is carried in registers; every product is rounded before the
// add (explicit conversions forbid fused multiply-adds), as in the vector kernels.
func sweepPanelScalar(p []float64, top int, cs []float64) {
	var carry [qlPanel]float64
	copy(carry[:], p[(top+1)*qlPanel:(top+2)*qlPanel])
	i := top
	for j := 0; j+1 < len(cs); j += 2 {
		c, s := cs[j], cs[j+1]
		x := (*[qlPanel]float64)(p[i*qlPanel : (i+1)*qlPanel])
		y := (*[qlPanel]float64)(p[(i+1)*qlPanel : (i+2)*qlPanel])
		for k := range qlPanel {
			xv, yv := x[k], carry[k]
			y[k] = float64(s*xv) + float64(c*yv)
			carry[k] = float64(c*xv) - float64(s*yv)
		}
		i--
	}
	copy(p[(i+1)*qlPanel:(i+2)*qlPanel], carry[:])
}
