package fastgo

import (
	"container/heap"
	"github.com/coarsealign/coarsealign/internal/gemm"
	"os"
	"runtime"
	"strconv"
	"sync"

	"github.com/gomlx/compute"
	"github.com/pkg/errors"
)

// Concurrent execution. The steps of a computation form a DAG through their values; executeDAG
// runs it on up to dagWorkers goroutines, starting ready steps in their compiled order, so that
// a single-threaded segment of the go backend (small ops, optimizer updates of small parameters,
// dropout masks) overlaps with native steps that do not depend on it. Every step computes the
// same values from the same inputs as in the sequential order, so the results are identical; a
// buffer is released when the last of its consumers has finished. FASTCONV_DAG=N sets the
// number of concurrent steps (default 2); FASTCONV_DAG=0, and
// FASTCONV_TRACE (whose per-step timings need the steps one at a time), run the steps in order.

var dagEnabled = os.Getenv("FASTCONV_DAG") != "0"

// dagWorkersEnv is FASTCONV_DAG when it is a number above 1: the steps run at once.
var dagWorkersEnv, _ = strconv.Atoi(os.Getenv("FASTCONV_DAG"))

// dagWorkers is the number of steps run at once: FASTCONV_DAG=N (N > 1), else 2 (1 with a single
// core).
func dagWorkers() int {
	if dagWorkersEnv > 1 {
		return dagWorkersEnv
	}
	return min(2, max(1, runtime.GOMAXPROCS(0)))
}

// dagPlan is the dependency structure of an executable, computed once.
type dagPlan struct {
	deps       [][]int // deps[i]: the steps whose outputs step i reads (distinct)
	dependents [][]int // the inverse
	uses       []int   // uses[value id]: reads by steps (each input slot) + 1 if a final output
}

func (e *executable) plan() *dagPlan {
	e.planOnce.Do(func() {
		producer := make(map[int]int)
		for i, s := range e.steps {
			for _, v := range stepOutputs(s) {
				producer[v.id] = i
			}
		}
		p := &dagPlan{deps: make([][]int, len(e.steps)), dependents: make([][]int, len(e.steps)), uses: make([]int, e.numValues)}
		for i, s := range e.steps {
			seen := make(map[int]bool)
			for _, v := range stepInputs(s) {
				p.uses[v.id]++
				if j, ok := producer[v.id]; ok && !seen[j] {
					seen[j] = true
					p.deps[i] = append(p.deps[i], j)
					p.dependents[j] = append(p.dependents[j], i)
				}
			}
		}
		for _, o := range e.b.outputs {
			p.uses[o.id]++
		}
		e.dag = p
	})
	return e.dag
}

// readyQueue is a min-heap of step indices.
type readyQueue []int

func (q readyQueue) Len() int           { return len(q) }
func (q readyQueue) Less(i, j int) bool { return q[i] < q[j] }
func (q readyQueue) Swap(i, j int)      { q[i], q[j] = q[j], q[i] }
func (q *readyQueue) Push(x any)        { *q = append(*q, x.(int)) }
func (q *readyQueue) Pop() any {
	old := *q
	x := old[len(old)-1]
	*q = old[:len(old)-1]
	return x
}

// executeDAG runs the steps concurrently (see the file comment) with bufs holding the inputs,
// and returns bufs with every final output set.
func (e *executable) executeDAG(bufs []compute.Buffer, protected map[compute.Buffer]bool, defaultDevice compute.DeviceNum) error {
	p := e.plan()
	n := len(e.steps)
	var (
		mu       sync.Mutex
		cond     = sync.NewCond(&mu)
		ready    readyQueue
		pending  = make([]int, n)
		left     = append([]int(nil), p.uses...)
		refs     = make(map[compute.Buffer]int)
		running  int
		done     int
		firstErr error
	)
	for i := range e.steps {
		pending[i] = len(p.deps[i])
		if pending[i] == 0 {
			heap.Push(&ready, i)
		}
	}
	release := func(buf compute.Buffer) { // mu held
		if buf == nil || protected[buf] {
			return
		}
		refs[buf]--
		if refs[buf] <= 0 {
			delete(refs, buf)
			releaseBuffer(buf)
		}
	}
	run := func(i int) ([]compute.Buffer, error) {
		s := e.steps[i]
		ins := stepInputs(s)
		inBufs := make([]compute.Buffer, len(ins))
		mu.Lock()
		for k, v := range ins {
			inBufs[k] = bufs[v.id]
		}
		mu.Unlock()
		for k, b := range inBufs {
			if b == nil {
				return nil, errors.Errorf("fastconv: internal error: value #%d not computed before use", ins[k].id)
			}
		}
		if s.custom != nil {
			out, err := s.custom.run(e.b.backend.Backend, inBufs)
			gemm.ClearUpper() // vector kernels leave dirty upper halves; the go backend runs SSE code
			return out, errors.WithMessagef(err, "fastconv: running %s", s.custom.name)
		}
		out, err := s.exec.Execute(inBufs, nil, defaultDevice)
		return out, errors.WithMessagef(err, "fastconv: executing segment %s", s.ib.Name())
	}
	finish := func(i int, outBufs []compute.Buffer) { // mu held
		s := e.steps[i]
		outVals := stepOutputs(s)
		for k, v := range outVals {
			bufs[v.id] = outBufs[k]
			refs[outBufs[k]]++
		}
		for k, buf := range outBufs {
			if k >= len(outVals) { // the dependency scalar of segments
				refs[buf]++
				release(buf)
			} else if left[outVals[k].id] == 0 { // never read
				release(buf)
				bufs[outVals[k].id] = nil
			}
		}
		for _, v := range stepInputs(s) {
			if left[v.id]--; left[v.id] == 0 && v.global < 0 {
				release(bufs[v.id])
				bufs[v.id] = nil
			}
		}
		for _, j := range p.dependents[i] {
			if pending[j]--; pending[j] == 0 {
				heap.Push(&ready, j)
			}
		}
	}
	var wg sync.WaitGroup
	for range dagWorkers() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mu.Lock()
			defer mu.Unlock()
			for {
				for ready.Len() == 0 && done+running < n && firstErr == nil {
					if running == 0 { // nothing runs and nothing can start: a dependency cycle
						firstErr = errors.Errorf("fastconv: internal error: %d of %d steps cannot start (dependency cycle); FASTCONV_FUSE=0 or FASTCONV_DAG=0 avoid it", n-done, n)
						break
					}
					cond.Wait()
				}
				if firstErr != nil || ready.Len() == 0 {
					cond.Broadcast()
					return
				}
				i := heap.Pop(&ready).(int)
				running++
				mu.Unlock()
				outBufs, err := run(i)
				mu.Lock()
				running--
				done++
				if err != nil {
					if firstErr == nil {
						firstErr = err
					}
				} else {
					finish(i, outBufs)
				}
				cond.Broadcast()
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	if done != n {
		return errors.Errorf("fastconv: internal error: %d of %d steps ran", done, n)
	}
	return nil
}
