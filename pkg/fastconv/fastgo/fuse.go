package fastgo

import (
	"fmt"
	"os"

	"github.com/coarsealign/coarsealign/pkg/fastconv/kernels"
	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
)

// Pointwise fusion. The native elementwise ops (ReLU and its gradient, bias add, binary ops with
// a same-shape, scalar or row operand, sqrt) are recorded as pointwise expressions. At Compile,
// a pointwise step whose operand is the output of another pointwise step of the same shape, used
// nowhere else, absorbs that step's expression: chains such as the optimizer's moment updates or
// batch norm's normalise-scale-shift then run as one kernels.Pointwise pass, chunk by chunk,
// without writing the intermediate tensors. Results are bitwise those of the separate ops.
// FASTCONV_FUSE=0 turns fusion off (for before/after timings).

var fuseEnabled = os.Getenv("FASTCONV_FUSE") != "0"

// lowestFloat32 is the go backend's initial value of a float32 ReduceMax.
var lowestFloat32 = dtypes.Float32.LowestValue().(float32)

// pwExpr is a pointwise expression: a leaf (a value) or node applied to args (node.Args unused).
type pwExpr struct {
	leaf *value
	node kernels.PWNode
	args []*pwExpr
	out  *value // a value this node's result is also returned as (a side output), or nil
}

// pwArity is the number of operands of each node kind.
func pwArity(k kernels.PWKind) int {
	switch k {
	case kernels.PWBinary, kernels.PWRow, kernels.PWCol, kernels.PWReluGrad, kernels.PWMaskLE:
		return 2
	}
	return 1
}

// addPointwise appends a native step computing node (its Args index inputs) on float32 inputs;
// the output has the given shape (that of the full-size operands).
func (b *builder) addPointwise(name string, inputs []*value, shape shapes.Shape, node kernels.PWNode) *value {
	inputs = resolveReshapes(inputs)
	e := &pwExpr{node: node}
	for k := range pwArity(node.Kind) {
		e.args = append(e.args, &pwExpr{leaf: inputs[node.Args[k].Idx]})
	}
	v := b.addCustom(name, inputs, []shapes.Shape{shape}, nil)[0]
	op := b.steps[len(b.steps)-1].custom
	op.pw, op.pwShape = e, shape
	op.run = pwRun(e, shape, pwReduction{})
	return v
}

// pwReduction is what a pointwise step does with its expression's values.
type pwReduction struct {
	kind    int   // reduceNone, reduceRows or reduceLast
	L       int   // reduceLast: elements per output (the product of the reduced trailing dims)
	outDims []int // reduceLast: the output's dimensions (the leading ones)
	max     bool
}

const (
	reduceNone = iota
	reduceRows // sum over all axes but the last: [..., C] -> [C]
	reduceLast // sum or max over trailing axes: [..., L] -> [...]
)

// addReduceLast appends a native step reducing x over its trailing axes from first on (sum, or
// max with isMax) to outShape; fusion can fold x's pointwise producer into it.
func (b *builder) addReduceLast(name string, x *value, first int, isMax bool, outShape shapes.Shape) *value {
	L := 1
	for _, d := range x.shape.Dimensions[first:] {
		L *= d
	}
	v := b.addCustom(name, []*value{x}, []shapes.Shape{outShape}, nil)[0]
	op := b.steps[len(b.steps)-1].custom
	op.pw, op.pwShape, op.pwReduce = &pwExpr{leaf: op.inputs[0]}, x.shape, pwReduction{kind: reduceLast, L: L, outDims: outShape.Dimensions, max: isMax}
	op.run = pwRun(op.pw, x.shape, op.pwReduce)
	return v
}

// addSumRows appends a native step summing x [..., C] over all axes but the last (the bias
// gradient, batch-norm sums); fusion can fold x's pointwise producer into it.
func (b *builder) addSumRows(name string, x *value) *value {
	C := x.shape.Dimensions[x.shape.Rank()-1]
	v := b.addCustom(name, []*value{x}, []shapes.Shape{shapes.Make(dtypes.Float32, C)}, nil)[0]
	op := b.steps[len(b.steps)-1].custom
	op.pw, op.pwShape, op.pwReduce = &pwExpr{leaf: op.inputs[0]}, x.shape, pwReduction{kind: reduceRows}
	op.run = pwRun(op.pw, x.shape, op.pwReduce)
	return v
}

// pwRun compiles e (values of the given shape) into a kernels.Pointwise program and returns the
// custom step's run function, which returns e or its reduction red; the inputs it expects are
// pwLeaves(e).
func pwRun(e *pwExpr, shape shapes.Shape, red pwReduction) func(backend compute.Backend, bufs []compute.Buffer) ([]compute.Buffer, error) {
	run, _ := pwRunSide(e, shape, red)
	return run
}

// pwRunSide is pwRun for an expression with side outputs (pwExpr.out): the run function returns
// the expression's value and then the side outputs, in the order of the returned values.
func pwRunSide(e *pwExpr, shape shapes.Shape, red pwReduction) (func(backend compute.Backend, bufs []compute.Buffer) ([]compute.Buffer, error), []*value) {
	prog := &kernels.Pointwise{}
	index := make(map[int]int) // leaf value id -> input index
	memo := make(map[*pwExpr]kernels.PWRef)
	var sides []*value
	var walk func(e *pwExpr) kernels.PWRef
	walk = func(e *pwExpr) kernels.PWRef {
		if r, ok := memo[e]; ok {
			return r
		}
		if e.leaf != nil {
			i, ok := index[e.leaf.id]
			if !ok {
				i = len(index)
				index[e.leaf.id] = i
			}
			return kernels.PWRef{Input: true, Idx: i}
		}
		nd := e.node
		for k, a := range e.args {
			nd.Args[k] = walk(a)
		}
		switch nd.Kind {
		case kernels.PWRow:
			prog.RowC = e.args[1].leaf.shape.Size()
		case kernels.PWCol:
			dims := shape.Dimensions
			prog.RowC = dims[len(dims)-1]
		}
		prog.Nodes = append(prog.Nodes, nd)
		r := kernels.PWRef{Idx: len(prog.Nodes) - 1}
		memo[e] = r
		if e.out != nil {
			prog.Side = append(prog.Side, r.Idx)
			sides = append(sides, e.out)
		}
		return r
	}
	walk(e)
	return func(backend compute.Backend, bufs []compute.Buffer) ([]compute.Buffer, error) {
		in := make([][]float32, len(bufs))
		for i, buf := range bufs {
			var err error
			if in[i], err = float32Data(buf); err != nil {
				return nil, err
			}
		}
		if red.kind == reduceLast {
			buf, out, err := newFloat32Buffer(backend, red.outDims...)
			if err != nil {
				return nil, err
			}
			prog.ReduceLast(out, in, shape.Size(), red.L, red.max, lowestFloat32)
			return []compute.Buffer{buf}, nil
		}
		if red.kind == reduceRows {
			C := shape.Dimensions[shape.Rank()-1]
			buf, out, err := newFloat32Buffer(backend, C)
			if err != nil {
				return nil, err
			}
			if len(prog.Nodes) == 0 { // nothing fused: the plain kernel on the input
				kernels.SumRows(out, in[0])
			} else {
				prog.SumRows(out, in, shape.Size())
			}
			return []compute.Buffer{buf}, nil
		}
		buf, out, err := newFloat32Buffer(backend, shape.Dimensions...)
		if err != nil {
			return nil, err
		}
		outBufs := []compute.Buffer{buf}
		var side [][]float32
		for range sides {
			sb, sf, err := newFloat32Buffer(backend, shape.Dimensions...)
			if err != nil {
				return nil, err
			}
			outBufs = append(outBufs, sb)
			side = append(side, sf)
		}
		prog.RunSide(out, side, in)
		return outBufs, nil
	}, sides
}

// pwLeaves lists the distinct leaf values of e in first-visit order (the order pwRun indexes them).
func pwLeaves(e *pwExpr) []*value {
	var out []*value
	seen := make(map[int]bool)
	var walk func(e *pwExpr)
	walk = func(e *pwExpr) {
		if e.leaf != nil {
			if !seen[e.leaf.id] {
				seen[e.leaf.id] = true
				out = append(out, e.leaf)
			}
			return
		}
		for _, a := range e.args {
			walk(a)
		}
	}
	walk(e)
	return out
}

// pwSize is the number of operation nodes of e.
func pwSize(e *pwExpr) int {
	if e.leaf != nil {
		return 0
	}
	n := 1
	for _, a := range e.args {
		n += pwSize(a)
	}
	return n
}

// fusePointwise merges pointwise steps into their single pointwise consumer (see the file
// comment) and drops the merged steps from b.steps.
func (b *builder) fusePointwise() {
	if !fuseEnabled {
		return
	}
	consumers := make(map[int][]int) // value id -> indices of the steps reading it (per input slot)
	for i, s := range b.steps {
		for _, v := range stepInputs(s) {
			consumers[v.id] = append(consumers[v.id], i)
		}
	}
	isOutput := make(map[int]bool)
	for _, o := range b.outputs {
		isOutput[o.id] = true
	}
	// singleUse: read once, by one step, and not a final output (never absorbed).
	singleUse := func(id int) bool { return len(consumers[id]) == 1 && !isOutput[id] }
	producer := make(map[int]int) // output value id -> index of its pointwise step
	for i, s := range b.steps {
		if s.custom != nil && s.custom.pw != nil && s.custom.pwReduce.kind == reduceNone {
			producer[s.custom.outputs[0].id] = i
		}
	}
	removed := make([]bool, len(b.steps))
	absorbedInto := make(map[int]int) // step index -> the step that absorbed it
	fused := false
	for i, s := range b.steps {
		if s.custom == nil || s.custom.pw == nil {
			continue
		}
		shape := s.custom.pwShape
		changed := false
		var inline func(e *pwExpr) *pwExpr
		inline = func(e *pwExpr) *pwExpr {
			if v := e.leaf; v != nil {
				j, ok := producer[v.id]
				if ok && j < i && !removed[j] && singleUse(v.id) && v.shape.Equal(shape) {
					removed[j], changed = true, true
					absorbedInto[j] = i
					return inline(b.steps[j].custom.pw)
				}
				return e
			}
			for k, a := range e.args {
				e.args[k] = inline(a)
			}
			return e
		}
		s.custom.pw = inline(s.custom.pw)
		if changed {
			fused = true
			s.custom.inputs = pwLeaves(s.custom.pw)
			s.custom.run = pwRun(s.custom.pw, shape, s.custom.pwReduce)
			s.custom.name = fmt.Sprintf("pointwise/%d", pwSize(s.custom.pw))
			if s.custom.pwReduce.kind != reduceNone {
				s.custom.name = fmt.Sprintf("pointwise-reduce/%d", pwSize(s.custom.pw))
			}
		}
	}
	if b.absorbSideOutputs(producer, consumers, removed, absorbedInto) {
		fused = true
	}
	if !fused {
		return
	}
	kept := b.steps[:0]
	for i, s := range b.steps {
		if !removed[i] {
			kept = append(kept, s)
		}
	}
	b.steps = kept
}

// absorbSideOutputs is fusion's second phase: a pointwise step reading the output v of an earlier
// pointwise step P of the same shape that others read too (the optimizer's new moments, read by
// the weight update and returned) absorbs P and returns v as a side output, when every other
// reader of v (and of P's own side outputs) comes after it, so that no step it waits for waits
// for it. The moments and the weights are then written in one pass. Reports whether any step
// changed.
func (b *builder) absorbSideOutputs(producer map[int]int, consumers map[int][]int, removed []bool, absorbedInto map[int]int) bool {
	// root is the step that now runs step k's work.
	root := func(k int) int {
		for {
			r, ok := absorbedInto[k]
			if !ok {
				return k
			}
			k = r
		}
	}
	changedAny := false
	for i, s := range b.steps {
		if removed[i] || s.custom == nil || s.custom.pw == nil || s.custom.pwReduce.kind != reduceNone {
			continue
		}
		shape := s.custom.pwShape
		laterOnly := func(vid int) bool { // every reader outside this step runs after it
			for _, c := range consumers[vid] {
				if r := root(c); r != i && r < i {
					return false
				}
			}
			return true
		}
		changed := false
		var absorb func(e *pwExpr) *pwExpr
		absorb = func(e *pwExpr) *pwExpr {
			if v := e.leaf; v != nil {
				j, ok := producer[v.id]
				if !ok || j >= i || removed[j] || !v.shape.Equal(shape) || !laterOnly(v.id) {
					return e
				}
				p := b.steps[j].custom
				if p.pw.leaf != nil || p.pwReduce.kind != reduceNone {
					return e
				}
				for _, sv := range pwSides(p.pw) {
					if !laterOnly(sv.id) {
						return e
					}
				}
				removed[j], changed = true, true
				absorbedInto[j] = i
				p.pw.out = v
				return p.pw
			}
			for k, a := range e.args {
				e.args[k] = absorb(a)
			}
			return e
		}
		s.custom.pw = absorb(s.custom.pw)
		if !changed {
			continue
		}
		// Leaves that are side outputs now computed inside the expression read that node.
		sideOf := make(map[int]*pwExpr)
		var collect func(e *pwExpr)
		collect = func(e *pwExpr) {
			if e.out != nil {
				sideOf[e.out.id] = e
			}
			for _, a := range e.args {
				collect(a)
			}
		}
		collect(s.custom.pw)
		var relink func(e *pwExpr) *pwExpr
		relink = func(e *pwExpr) *pwExpr {
			if e.leaf != nil {
				if se, ok := sideOf[e.leaf.id]; ok {
					return se
				}
				return e
			}
			for k, a := range e.args {
				e.args[k] = relink(a)
			}
			return e
		}
		s.custom.pw = relink(s.custom.pw)
		changedAny = true
		s.custom.inputs = pwLeaves(s.custom.pw)
		var sides []*value
		s.custom.run, sides = pwRunSide(s.custom.pw, shape, s.custom.pwReduce)
		s.custom.outputs = append(s.custom.outputs[:1:1], sides...)
		s.custom.name = fmt.Sprintf("pointwise/%d+%d", pwSize(s.custom.pw), len(sides))
		for _, sv := range sides {
			producer[sv.id] = i
		}
	}
	return changedAny
}

// pwSides lists the side-output values of e's nodes.
func pwSides(e *pwExpr) []*value {
	var out []*value
	seen := make(map[*pwExpr]bool)
	var walk func(e *pwExpr)
	walk = func(e *pwExpr) {
		if seen[e] {
			return
		}
		seen[e] = true
		if e.out != nil {
			out = append(out, e.out)
		}
		for _, a := range e.args {
			walk(a)
		}
	}
	walk(e)
	return out
}
