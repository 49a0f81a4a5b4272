// Package fastgo is the fastconv wrapper backend: a compute.Backend, registered as "fastgo", that
// wraps GoMLX's pure-Go backend and runs a set of float32 ops with native kernels (package
// kernels) instead of delegating them.
//
// A computation is cut into steps: graphs of the go backend ("segments", compiled and run by it)
// and native steps. Values crossing a cut become outputs of the producing segment and parameters
// of the consuming one (function.go). At compile time (exec.go) steps none of whose outputs is
// used are dropped; at execution, buffers of native outputs are reference-counted, released after
// their last consumer and recycled by shape (buffers.go).
//
// Native (main function, float32, static shapes; anything else is delegated): ConvGeneral in 2D
// without groups (forward and both gradients), ReduceWindow max and SelectAndScatterMax (max-pool
// and its gradient, which the go backend lacks), DotGeneral of matrices, batched over leading axes
// or not, and the Transpose of such a product as the transposed product (ops_dot.go), FusedDense
// (no activation or the exact GELU), large Transpose, FusedLayerNorm over trailing axes (rows in
// parallel), edge-only Pad (the gradient of slices), Reverse (the flipped kernels of input
// gradients), RNGBitGenerator (the go backend's PCG, one Uint64 store per 8 bytes instead of one
// byte at a time), dropout's uniform and mask (ConvertDType Uint32 -> Float32, Abs, Min, and Where
// on a LessOrEqual with a scalar as one mask node; ops_dropout.go), FusedSoftmax, and the pointwise
// ops on large operands: ReLU (Max with 0), its gradient (Where(x >= 0, v, 0)), Add/Sub/Mul/Div
// with a same-shape, scalar, last-axis row or [..., 1] column operand, Sqrt, Rsqrt, Neg, Exp, Log,
// Erf, Tanh and the exact GELU, plus sums over all axes but the last, sums and maxima over trailing
// axes and sums over leading axes. The transcendental ops, softmax and the trailing and leading
// reductions compute what the go backend computes, in its order, so they are bitwise equal to it
// (tests). Pointwise steps are fused at Compile (fuse.go): a chain of them, ending possibly in a
// reduction, runs as one pass. Native consumers of a Reshape read its source's buffer (the flat
// data is the same). The list of ops, nativeOps, is derived by internal/genwrap from this package's
// source, with the delegating methods of zz_wrap_ops.go.
//
// Process-wide effects: importing the package registers the backend; New raises the GC target
// (GCPercent) once unless GOGC is set; FASTCONV_TRACE=1 prints per-step timings (with the first
// input's shape and, for segments, the ops delegated into them) and the delegated products and
// large binary ops to stderr; FASTCONV_FUSE=0 turns pointwise fusion off.
package fastgo

import (
	"fmt"
	"os"
	"runtime/debug"
	"sync"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/shapes"
	"github.com/pkg/errors"
)

// BackendName is the name under which the wrapper backend is registered: GOMLX_BACKEND=fastgo
// (optionally "fastgo:<config of the go backend>", e.g. "fastgo:parallelism=2").
const BackendName = "fastgo"

// DefaultInnerConfig is the configuration given to the wrapped pure-Go backend when none is given.
// parallelism=-1 avoids the executor deadlock seen with the default worker pool (every worker holding
// a matmul that waits for a free worker).
const DefaultInnerConfig = "parallelism=-1"

func init() {
	compute.Register(BackendName, func(config string) (compute.Backend, error) {
		return New(config)
	})
}

// Backend wraps the pure-Go backend ("go", package github.com/gomlx/compute/gobackend): every op is
// delegated to it except the native ones (see the package doc), which run between segments of the
// wrapped backend's executables. Buffers and data transfers are the wrapped backend's own.
type Backend struct {
	compute.Backend // the wrapped pure-Go backend.
}

var _ compute.Backend = (*Backend)(nil)

// New creates a wrapper backend around a new pure-Go backend built with the given configuration
// (see gobackend.New); an empty config means DefaultInnerConfig.
func New(config string) (*Backend, error) {
	if config == "" {
		config = DefaultInnerConfig
	}
	inner, err := NewGo(config)
	if err != nil {
		return nil, errors.WithMessagef(err, "fastconv: creating the wrapped go backend with config %q", config)
	}
	gcOnce.Do(func() {
		// The wrapped backend pools its buffers in sync.Pools, which every garbage collection
		// empties: with the default GOGC=100, large training steps re-allocate (and page-fault)
		// most of their buffers. Unless GOGC is set explicitly, collect less often.
		if os.Getenv("GOGC") == "" {
			if old := debug.SetGCPercent(GCPercent); old > GCPercent {
				debug.SetGCPercent(old)
			}
		}
	})
	return &Backend{Backend: inner}, nil
}

// GCPercent is the garbage-collection target New sets (once, process-wide) when GOGC is not set.
const GCPercent = 400

var gcOnce sync.Once

// IsFast reports whether backend is a fastconv wrapper backend.
func IsFast(backend compute.Backend) bool {
	_, ok := backend.(*Backend)
	return ok
}

// Name implements compute.Backend.
func (b *Backend) Name() string { return BackendName }

// String implements compute.Backend.
func (b *Backend) String() string { return BackendName }

// Description implements compute.Backend.
func (b *Backend) Description() string {
	return fmt.Sprintf("fastconv wrapper (native Go conv/pool kernels) around %s", b.Backend.Description())
}

// Capabilities implements compute.Backend: the wrapped backend's plus nativeOps, without dynamic
// axes.
func (b *Backend) Capabilities() compute.Capabilities {
	c := b.Backend.Capabilities().Clone()
	c.DynamicAxes = false
	for _, op := range nativeOps {
		c.Operations[op] = true
	}
	return c
}

// Builder implements compute.Backend.
func (b *Backend) Builder(name string) compute.Builder {
	return newBuilder(b, name)
}

// buffer wraps a buffer of the wrapped backend so that Backend() reports the wrapper (GoMLX ties
// tensors to the backend instance that owns their buffers).
type buffer struct {
	compute.Buffer
	b *Backend
}

func (x *buffer) Backend() compute.Backend { return x.b }

func (x *buffer) CopyToDevice(deviceNum compute.DeviceNum) (compute.Buffer, error) {
	r, err := x.Buffer.CopyToDevice(deviceNum)
	if err != nil {
		return nil, err
	}
	return b2w(x.b, r), nil
}

func b2w(b *Backend, buf compute.Buffer) compute.Buffer {
	if buf == nil {
		return nil
	}
	return &buffer{Buffer: buf, b: b}
}

func unwrapBuffer(buf compute.Buffer) compute.Buffer {
	if w, ok := buf.(*buffer); ok {
		return w.Buffer
	}
	return buf
}

// BufferFromFlatData implements compute.DataInterface.
func (b *Backend) BufferFromFlatData(deviceNum compute.DeviceNum, flat any, shape shapes.Shape) (compute.Buffer, error) {
	r, err := b.Backend.BufferFromFlatData(deviceNum, flat, shape)
	if err != nil {
		return nil, err
	}
	return b2w(b, r), nil
}

// NewSharedBuffer implements compute.DataInterface.
func (b *Backend) NewSharedBuffer(deviceNum compute.DeviceNum, shape shapes.Shape) (compute.Buffer, any, error) {
	r, flat, err := b.Backend.NewSharedBuffer(deviceNum, shape)
	if err != nil {
		return nil, nil, err
	}
	return b2w(b, r), flat, nil
}
