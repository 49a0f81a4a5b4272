package fastgo

import (
	"fmt"
	"runtime"
	"strings"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/shapes"
	"github.com/pkg/errors"
)

// A computation built on the wrapper backend is a sequence of steps: "inner" steps are graphs of the
// wrapped go backend (compiled and executed by it); "custom" steps run a native Go kernel on buffers.
// Values flowing from one step to a later one become outputs of the producing step and parameters of
// the consuming one. Ops inside closures (While/If/Sort bodies) are always delegated.

// value is the compute.Value handed out by the wrapper backend.
type value struct {
	id     int
	fn     *function // function where it was created (main or a closure).
	step   int       // index of the defining step (values of closures: the step of the closure).
	inner  compute.Value
	shape  shapes.Shape
	global int // >= 0 if it is a parameter of main (index of the executable input).

	// Provenance, for the native elementwise fast paths (ops_elem.go):
	scalar    *float64 // a scalar constant, or a broadcast of one.
	bcastSrc  *value   // BroadcastInDim source (with bcastAxes).
	bcastAxes []int
	geOf      [2]*value // GreaterOrEqual operands.
	leOf      [2]*value // LessOrEqual operands (dropout's mask, ops_dropout.go).
	reshapeOf *value    // Reshape source: native steps read its buffer (same flat data) instead.
	dotOf     *dotProv  // a native rank-2 product (ops_dot.go): its operands and layout.
}

type customOp struct {
	name    string
	inputs  []*value
	outputs []*value
	// run computes the outputs from the inputs' buffers (same order as inputs); it allocates the
	// output buffers on backend.
	run func(backend compute.Backend, inputs []compute.Buffer) ([]compute.Buffer, error)
	// Pointwise steps (fuse.go): the expression (its leaves are inputs), the shape of its values,
	// and the reduction the step applies to it (none: the step returns it).
	pw       *pwExpr
	pwShape  shapes.Shape
	pwReduce pwReduction
}

type step struct {
	// inner step:
	ib      compute.Builder
	fn      compute.Function
	inputs  []*value              // source of each parameter of the inner main, in creation order.
	imports map[int]compute.Value // value id -> parameter in this step.
	outputs []*value              // values returned by this step.
	outIdx  map[int]int           // value id -> output index.
	exec    compute.Executable    // after compile.
	custom  *customOp             // custom step.
	ops     map[string]int        // FASTCONV_TRACE: delegated ops of this inner step, by name.
}

// stepInputs returns the values a step reads (a custom step's, or an inner step's parameters).
func stepInputs(s *step) []*value {
	if s.custom != nil {
		return s.custom.inputs
	}
	return s.inputs
}

// stepOutputs returns the values a step produces.
func stepOutputs(s *step) []*value {
	if s.custom != nil {
		return s.custom.outputs
	}
	return s.outputs
}

type builder struct {
	backend *Backend
	name    string
	main    *function
	steps   []*step
	params  []*value // main parameters, in order.
	pnames  []string
	outputs []*value
	nextID  int
	err     error
}

var _ compute.Builder = (*builder)(nil)

func newBuilder(b *Backend, name string) *builder {
	bld := &builder{backend: b, name: name}
	bld.main = &function{b: bld}
	return bld
}

// function implements compute.Function for the main function and its closures. Its methods are
// written by hand in this package (native ops and plumbing) or generated (delegation):
//
//go:generate go run ../internal/genwrap -o zz_wrap_ops.go
type function struct {
	b      *builder
	parent *function
	inner  compute.Function // for closures: the wrapped closure.
	step   int              // for closures: step the closure lives in.
	done   bool
}

var _ compute.Function = (*function)(nil)

func (b *builder) Name() string           { return b.name }
func (b *builder) Main() compute.Function { return b.main }
func (b *builder) NewFunction(name string) (compute.Function, error) {
	return nil, errors.Wrapf(compute.ErrNotImplemented, "fastconv backend: named functions (NewFunction(%q)) are not supported", name)
}
func (b *builder) OpShape(op compute.Value) (shapes.Shape, error) {
	v, ok := op.(*value)
	if !ok {
		return shapes.Shape{}, errors.Errorf("fastconv: unknown value type %T", op)
	}
	return v.shape, nil
}
func (b *builder) DistributedSPMD(numDevices int) error {
	return errors.Wrapf(compute.ErrNotImplemented, "fastconv backend: distributed execution not supported")
}
func (b *builder) DistributedAutoSharding(meshes ...compute.Mesh) error {
	return errors.Wrapf(compute.ErrNotImplemented, "fastconv backend: distributed execution not supported")
}
func (b *builder) DeviceAssignment(devices ...compute.DeviceNum) error {
	for _, d := range devices {
		if d != 0 {
			return errors.Errorf("fastconv backend: only device 0 is supported")
		}
	}
	return nil
}

// currentInner returns the index of the current inner step, creating one if needed.
func (b *builder) currentInner() int {
	if n := len(b.steps); n > 0 && b.steps[n-1].custom == nil {
		return n - 1
	}
	ib := b.backend.Backend.Builder(fmt.Sprintf("%s#%d", b.name, len(b.steps)))
	b.steps = append(b.steps, &step{ib: ib, fn: ib.Main(), imports: map[int]compute.Value{}, outIdx: map[int]int{}})
	return len(b.steps) - 1
}

// markOutput makes v an output of its defining inner step (no-op for custom steps and globals).
func (b *builder) markOutput(v *value) {
	if v.global >= 0 {
		return
	}
	s := b.steps[v.step]
	if s.custom != nil {
		return
	}
	if _, ok := s.outIdx[v.id]; ok {
		return
	}
	s.outIdx[v.id] = len(s.outputs)
	s.outputs = append(s.outputs, v)
}

// importTo returns the inner value representing main value v in step k.
func (b *builder) importTo(v *value, k int) (compute.Value, error) {
	if v.step == k && b.steps[k].custom == nil && v.inner != nil {
		return v.inner, nil
	}
	s := b.steps[k]
	if p, ok := s.imports[v.id]; ok {
		return p, nil
	}
	p, err := s.fn.Parameter(fmt.Sprintf("v%d", v.id), v.shape, nil)
	if err != nil {
		return nil, err
	}
	s.imports[v.id] = p
	s.inputs = append(s.inputs, v)
	b.markOutput(v)
	return p, nil
}

func (b *builder) newValue(fn *function, stepIdx int, inner compute.Value, shape shapes.Shape) *value {
	v := &value{id: b.nextID, fn: fn, step: stepIdx, inner: inner, shape: shape, global: -1}
	b.nextID++
	return v
}

// addCustom appends a custom step computing outputs of the given shapes from inputs.
func (b *builder) addCustom(name string, inputs []*value, outShapes []shapes.Shape,
	run func(backend compute.Backend, inputs []compute.Buffer) ([]compute.Buffer, error)) []*value {
	inputs = resolveReshapes(inputs)
	op := &customOp{name: name, inputs: inputs, run: run}
	for _, in := range inputs {
		b.markOutput(in)
	}
	k := len(b.steps)
	b.steps = append(b.steps, &step{custom: op})
	for _, s := range outShapes {
		op.outputs = append(op.outputs, b.newValue(b.main, k, nil, s))
	}
	return op.outputs
}

// addNative appends a custom step computing one float32 value of the given shape from the
// float32 data of inputs: kernel(out, in) with in[i] the data of inputs[i] and out a new buffer.
func (b *builder) addNative(name string, inputs []*value, shape shapes.Shape, kernel func(out []float32, in [][]float32)) *value {
	return b.addCustom(name, inputs, []shapes.Shape{shape}, func(backend compute.Backend, bufs []compute.Buffer) ([]compute.Buffer, error) {
		in := make([][]float32, len(bufs))
		for i, buf := range bufs {
			var err error
			if in[i], err = float32Data(buf); err != nil {
				return nil, err
			}
		}
		buf, out, err := newFloat32Buffer(backend, shape.Dimensions...)
		if err != nil {
			return nil, err
		}
		kernel(out, in)
		return []compute.Buffer{buf}, nil
	})[0]
}

// isMain reports whether f is the main function.
func (f *function) isMain() bool { return f.parent == nil }

// target returns the inner function where a new delegated op of f goes.
func (f *function) target() compute.Function {
	if f.isMain() {
		return f.b.steps[f.b.currentInner()].fn
	}
	return f.inner
}

func (f *function) curStep() int {
	if f.isMain() {
		return f.b.currentInner()
	}
	return f.step
}

// in translates a wrapper value for use by a delegated op in f.
func (f *function) in(x compute.Value) (compute.Value, error) {
	v, ok := x.(*value)
	if !ok {
		return nil, errors.Errorf("fastconv: unknown value type %T", x)
	}
	if v.fn == f && !f.isMain() {
		return v.inner, nil
	}
	if !v.fn.isMain() {
		// A value of an enclosing closure: captured directly.
		return v.inner, nil
	}
	return f.b.importTo(v, f.curStep())
}

func (f *function) ins(xs []compute.Value) ([]compute.Value, error) {
	out := make([]compute.Value, len(xs))
	for i, x := range xs {
		var err error
		out[i], err = f.in(x)
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// out wraps an inner value just created by a delegated op in f.
func (f *function) out(r compute.Value) compute.Value {
	if r == nil {
		return nil
	}
	g := f.target()
	shape, err := g.Shape(r)
	if err != nil {
		panic(errors.WithMessage(err, "fastconv: shape of new value"))
	}
	return f.b.newValue(f, f.curStep(), r, shape)
}

func (f *function) outs(rs []compute.Value) []compute.Value {
	out := make([]compute.Value, len(rs))
	for i, r := range rs {
		out[i] = f.out(r)
	}
	return out
}

func (f *function) Name() string {
	if f.isMain() {
		return compute.MainName
	}
	return ""
}
func (f *function) Builder() compute.Builder { return f.b }
func (f *function) Parent() compute.Function {
	if f.parent == nil {
		return nil
	}
	return f.parent
}

func (f *function) Closure() (compute.Function, error) {
	k := f.curStep()
	ic, err := f.target().Closure()
	if err != nil {
		return nil, err
	}
	return &function{b: f.b, parent: f, inner: ic, step: k}, nil
}

func (f *function) Parameter(name string, shape shapes.Shape, sharding *compute.ShardingSpec) (compute.Value, error) {
	if !f.isMain() {
		p, err := f.inner.Parameter(name, shape, sharding)
		if err != nil {
			return nil, err
		}
		return f.b.newValue(f, f.step, p, shape), nil
	}
	k := f.b.currentInner()
	s := f.b.steps[k]
	p, err := s.fn.Parameter(name, shape, nil)
	if err != nil {
		return nil, err
	}
	v := f.b.newValue(f, k, p, shape)
	v.global = len(f.b.params)
	f.b.params = append(f.b.params, v)
	f.b.pnames = append(f.b.pnames, name)
	s.imports[v.id] = p
	s.inputs = append(s.inputs, v)
	return v, nil
}

func (f *function) Constant(flat any, dims ...int) (compute.Value, error) {
	g := f.target()
	c, err := g.Constant(flat, dims...)
	if err != nil {
		return nil, err
	}
	v := f.out(c).(*value)
	if len(dims) == 0 {
		switch x := flat.(type) {
		case []float32:
			if len(x) == 1 {
				s := float64(x[0])
				v.scalar = &s
			}
		case []float64:
			if len(x) == 1 {
				s := x[0]
				v.scalar = &s
			}
		}
	}
	return v, nil
}

func (f *function) Shape(x compute.Value) (shapes.Shape, error) {
	v, ok := x.(*value)
	if !ok {
		return shapes.Shape{}, errors.Errorf("fastconv: unknown value type %T", x)
	}
	return v.shape, nil
}

func (f *function) Return(outputs []compute.Value, shardings []*compute.ShardingSpec) error {
	if f.done {
		return errors.New("fastconv: Return called twice")
	}
	f.done = true
	if !f.isMain() {
		ins, err := f.ins(outputs)
		if err != nil {
			return err
		}
		return f.inner.Return(ins, nil)
	}
	for _, o := range outputs {
		v, ok := o.(*value)
		if !ok {
			return errors.Errorf("fastconv: unknown value type %T", o)
		}
		if v.global >= 0 {
			// Route parameters returned as outputs through an Identity so buffers are never aliased.
			iv, err := f.Identity(v)
			if err != nil {
				return err
			}
			v = iv.(*value)
		}
		f.b.markOutput(v)
		f.b.outputs = append(f.b.outputs, v)
	}
	return nil
}

func (f *function) unwrapFn(fn compute.Function) (compute.Function, error) {
	w, ok := fn.(*function)
	if !ok || w.isMain() {
		return nil, errors.Errorf("fastconv: expected a closure created by this backend, got %T", fn)
	}
	return w.inner, nil
}

func (f *function) Call(fn compute.Function, inputs ...compute.Value) ([]compute.Value, error) {
	return nil, errors.Wrapf(compute.ErrNotImplemented, "fastconv backend: Call not supported")
}

func (f *function) Sort(comparator compute.Function, axis int, isStable bool, inputs ...compute.Value) ([]compute.Value, error) {
	g := f.target()
	c, err := f.unwrapFn(comparator)
	if err != nil {
		return nil, err
	}
	ins, err := f.ins(inputs)
	if err != nil {
		return nil, err
	}
	rs, err := g.Sort(c, axis, isStable, ins...)
	if err != nil {
		return nil, err
	}
	return f.outs(rs), nil
}

func (f *function) While(cond, body compute.Function, initialState ...compute.Value) ([]compute.Value, error) {
	g := f.target()
	c, err := f.unwrapFn(cond)
	if err != nil {
		return nil, err
	}
	bd, err := f.unwrapFn(body)
	if err != nil {
		return nil, err
	}
	ins, err := f.ins(initialState)
	if err != nil {
		return nil, err
	}
	rs, err := g.While(c, bd, ins...)
	if err != nil {
		return nil, err
	}
	return f.outs(rs), nil
}

func (f *function) If(pred compute.Value, trueBranch, falseBranch compute.Function) ([]compute.Value, error) {
	g := f.target()
	t, err := f.unwrapFn(trueBranch)
	if err != nil {
		return nil, err
	}
	fb, err := f.unwrapFn(falseBranch)
	if err != nil {
		return nil, err
	}
	p, err := f.in(pred)
	if err != nil {
		return nil, err
	}
	rs, err := g.If(p, t, fb)
	if err != nil {
		return nil, err
	}
	return f.outs(rs), nil
}

// noteOp records, when tracing, that op was delegated into the current inner step of main.
func (f *function) noteOp(op string) {
	if !traceConv || !f.isMain() || len(f.b.steps) == 0 {
		return
	}
	s := f.b.steps[len(f.b.steps)-1]
	if s.custom != nil {
		return
	}
	if s.ops == nil {
		s.ops = make(map[string]int)
	}
	s.ops[op]++
}

// noteCaller is noteOp with the name of the method that called the delegating helper.
func (f *function) noteCaller() {
	if !traceConv {
		return
	}
	name := "?"
	if pc, _, _, ok := runtime.Caller(2); ok {
		if fn := runtime.FuncForPC(pc); fn != nil {
			name = fn.Name()
			if i := strings.LastIndex(name, "."); i >= 0 {
				name = name[i+1:]
			}
		}
	}
	f.noteOp(name)
}

// resolveReshapes returns vs with every Reshape replaced by its source: native kernels take their
// geometry from the shapes seen at graph building and read only the flat data, which a reshape
// does not change, so they need not wait for (or pay) the go backend's copy; the reshape itself
// is then dead code unless a segment uses it. vs is not modified.
func resolveReshapes(vs []*value) []*value {
	out := vs
	for i, v := range vs {
		src := v
		for src.reshapeOf != nil {
			src = src.reshapeOf
		}
		if src != v {
			if &out[0] == &vs[0] {
				out = append([]*value(nil), vs...)
			}
			out[i] = src
		}
	}
	return out
}
