package fastgo

import (
	"fmt"
	"github.com/coarsealign/coarsealign/internal/gemm"
	"github.com/gomlx/compute"
	"github.com/gomlx/compute/shapes"
	"github.com/pkg/errors"
	"os"
	"sort"
	"strings"
	"sync"
	"time"
)

type executable struct {
	b         *builder
	steps     []*step
	numValues int
	// dying[i] lists the values whose last use is step i (their buffers are released after it);
	// lastUse[id] is -1 for values never consumed, len(steps) for final outputs.
	dying   [][]*value
	lastUse []int

	planOnce sync.Once
	dag      *dagPlan // executeDAG's dependency structure, built at the first run
}

var _ compute.Executable = (*executable)(nil)

func (b *builder) Compile() (compute.Executable, error) {
	if !b.main.done {
		return nil, errors.New("fastconv: Main().Return() must be called before Compile()")
	}
	b.fusePointwise()
	if err := b.checkOrder(); err != nil {
		return nil, err
	}
	// Liveness: drop custom steps whose outputs are never used (e.g. the gradient of a convolution
	// with respect to the model input), and inner steps none of whose outputs are used.
	needed := make(map[int]bool)
	for _, o := range b.outputs {
		needed[o.id] = true
	}
	live := make([]bool, len(b.steps))
	for i := len(b.steps) - 1; i >= 0; i-- {
		s := b.steps[i]
		outs, ins := stepOutputs(s), stepInputs(s)
		for _, v := range outs {
			if needed[v.id] {
				live[i] = true
				break
			}
		}
		if !live[i] {
			continue
		}
		// Inner steps keep all their outputs: the go backend fails on parameters that no output
		// depends on, and we cannot see which ones those would be.
		for _, v := range ins {
			needed[v.id] = true
		}
	}
	var steps []*step
	for i, s := range b.steps {
		if !live[i] {
			continue
		}
		if s.custom != nil {
			steps = append(steps, s)
			continue
		}
		outs := make([]compute.Value, len(s.outputs))
		for i, v := range s.outputs {
			outs[i] = v.inner
		}
		if len(s.inputs) > 0 {
			// The go backend fails on parameters no output depends on (it indexes its per-node
			// state up to the last node needed): one extra scalar output depends on all of them.
			params := make([]compute.Value, len(s.inputs))
			for i, v := range s.inputs {
				params[i] = s.imports[v.id]
			}
			dummy, err := s.fn.Constant([]float32{0})
			if err != nil {
				return nil, err
			}
			barrier, err := s.fn.SchedulingBarrier(dummy, params...)
			if err != nil {
				return nil, err
			}
			outs = append(outs, barrier)
		}
		if err := s.fn.Return(outs, nil); err != nil {
			return nil, errors.WithMessagef(err, "fastconv: returning from segment %s", s.ib.Name())
		}
		exec, err := s.ib.Compile()
		if err != nil {
			return nil, errors.WithMessagef(err, "fastconv: compiling segment %s", s.ib.Name())
		}
		s.exec = exec
		steps = append(steps, s)
	}
	e := &executable{b: b, steps: steps, numValues: b.nextID, dying: make([][]*value, len(steps)), lastUse: make([]int, b.nextID)}
	for i := range e.lastUse {
		e.lastUse[i] = -1
	}
	for i, s := range steps {
		for _, v := range stepInputs(s) {
			e.lastUse[v.id] = i
		}
	}
	for _, o := range b.outputs {
		e.lastUse[o.id] = len(steps)
	}
	for i, s := range steps {
		for _, v := range stepInputs(s) {
			if e.lastUse[v.id] == i && v.global < 0 {
				e.dying[i] = append(e.dying[i], v)
				e.lastUse[v.id] = -2 // listed once.
			}
		}
	}
	for _, s := range steps {
		for _, v := range stepInputs(s) {
			if e.lastUse[v.id] == -2 {
				e.lastUse[v.id] = 0 // consumed (released via dying)
			}
		}
	}
	return e, nil
}

func (e *executable) Finalize() {
	for _, s := range e.steps {
		if s.exec != nil {
			s.exec.Finalize()
		}
	}
}

func (e *executable) Inputs() (names []string, inputShapes []shapes.Shape) {
	for _, p := range e.b.params {
		inputShapes = append(inputShapes, p.shape)
	}
	return e.b.pnames, inputShapes
}

func (e *executable) Outputs() (outputShapes []shapes.Shape) {
	for _, o := range e.b.outputs {
		outputShapes = append(outputShapes, o.shape)
	}
	return
}

func (e *executable) Execute(inputs []compute.Buffer, donate []bool, defaultDevice compute.DeviceNum) ([]compute.Buffer, error) {
	if len(inputs) != len(e.b.params) {
		return nil, errors.Errorf("fastconv: executable %q takes %d inputs, got %d", e.b.name, len(e.b.params), len(inputs))
	}
	bufs := make([]compute.Buffer, e.numValues)
	for i, p := range e.b.params {
		bufs[p.id] = unwrapBuffer(inputs[i])
	}
	protected := make(map[compute.Buffer]bool, len(inputs))
	for _, in := range inputs {
		protected[unwrapBuffer(in)] = true
	}
	if dagEnabled && !traceConv && dagWorkers() > 1 {
		if err := e.executeDAG(bufs, protected, defaultDevice); err != nil {
			return nil, err
		}
		return e.results(bufs, inputs, donate), nil
	}
	refs := make(map[compute.Buffer]int)
	release := func(buf compute.Buffer) {
		if buf == nil || protected[buf] {
			return
		}
		refs[buf]--
		if refs[buf] <= 0 {
			delete(refs, buf)
			releaseBuffer(buf)
		}
	}
	for stepIdx, s := range e.steps {
		ins := stepInputs(s)
		inBufs := make([]compute.Buffer, len(ins))
		for i, v := range ins {
			inBufs[i] = bufs[v.id]
			if inBufs[i] == nil {
				return nil, errors.Errorf("fastconv: internal error: value #%d not computed before use", v.id)
			}
		}
		var outBufs []compute.Buffer
		var err error
		var outVals []*value
		stepStart, stepCPU := time.Now(), time.Duration(0)
		if traceConv {
			stepCPU = processCPUTime()
		}
		if s.custom != nil {
			outBufs, err = s.custom.run(e.b.backend.Backend, inBufs)
			gemm.ClearUpper() // vector kernels leave dirty upper halves; the go backend runs SSE code
			outVals = s.custom.outputs
			if err != nil {
				return nil, errors.WithMessagef(err, "fastconv: running %s", s.custom.name)
			}
		} else {
			outBufs, err = s.exec.Execute(inBufs, nil, defaultDevice)
			outVals = s.outputs
			if err != nil {
				return nil, errors.WithMessagef(err, "fastconv: executing segment %s", s.ib.Name())
			}
		}
		if traceConv {
			name := "segment"
			if s.custom != nil {
				name = s.custom.name
			}
			var in0 shapes.Shape
			if len(ins) > 0 {
				in0 = ins[0].shape
			}
			fmt.Fprintf(os.Stderr, "  step %-12s (%2d in, %2d out): wall %8.2fms cpu %8.2fms  in0 %s %s\n", name, len(ins), len(outVals),
				float64(time.Since(stepStart).Microseconds())/1000, float64((processCPUTime()-stepCPU).Microseconds())/1000, in0, opList(s.ops))
		}
		for i, v := range outVals {
			bufs[v.id] = outBufs[i]
			refs[outBufs[i]]++
		}
		// Outputs nobody uses (e.g. the dependency scalar of inner steps) go right back.
		for i, buf := range outBufs {
			if i >= len(outVals) {
				refs[buf]++
				release(buf)
			} else if e.lastUse[outVals[i].id] == -1 {
				release(buf)
				bufs[outVals[i].id] = nil
			}
		}
		for _, v := range e.dying[stepIdx] {
			release(bufs[v.id])
			bufs[v.id] = nil
		}
	}
	return e.results(bufs, inputs, donate), nil
}

// results collects the final outputs from bufs, finalizes donated inputs that are not among them
// and wraps the outputs for the caller.
func (e *executable) results(bufs, inputs []compute.Buffer, donate []bool) []compute.Buffer {
	results := make([]compute.Buffer, len(e.b.outputs))
	for i, o := range e.b.outputs {
		results[i] = bufs[o.id]
		forgetBuffer(results[i])
	}
	// Donated inputs are owned by the executable now.
	for i, d := range donate {
		if d && i < len(inputs) && inputs[i] != nil {
			isResult := false
			for _, r := range results {
				if r == unwrapBuffer(inputs[i]) {
					isResult = true
				}
			}
			if !isResult {
				_ = inputs[i].Finalize()
			}
		}
	}
	for i, r := range results {
		results[i] = b2w(e.b.backend, r)
	}
	return results
}

// opList formats a segment's delegated ops for the trace, most frequent first.
func opList(ops map[string]int) string {
	if len(ops) == 0 {
		return ""
	}
	names := make([]string, 0, len(ops))
	for n := range ops {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool {
		if ops[names[i]] != ops[names[j]] {
			return ops[names[i]] > ops[names[j]]
		}
		return names[i] < names[j]
	})
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = fmt.Sprintf("%s:%d", n, ops[n])
	}
	return "ops " + strings.Join(parts, ",")
}

// checkOrder verifies that every step reads only values computed by earlier steps or given as
// inputs (what the sequential executor needs, and what rules out cycles for the concurrent one).
func (b *builder) checkOrder() error {
	computed := make(map[int]bool)
	for _, p := range b.params {
		computed[p.id] = true
	}
	for i, s := range b.steps {
		for _, v := range stepInputs(s) {
			if !computed[v.id] && v.global < 0 {
				return errors.Errorf("fastconv: internal error: step %d reads value #%d before it is computed (set FASTCONV_FUSE=0 to run without fusion)", i, v.id)
			}
		}
		for _, v := range stepOutputs(s) {
			computed[v.id] = true
		}
	}
	return nil
}
