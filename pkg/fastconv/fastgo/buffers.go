package fastgo

import (
	"sync"
	"sync/atomic"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/pkg/errors"
)

// float32Data returns the flat data of a float32 buffer.
func float32Data(buf compute.Buffer) ([]float32, error) {
	d, err := buf.Data()
	if err != nil {
		return nil, err
	}
	f, ok := d.([]float32)
	if !ok {
		return nil, errors.Errorf("fastconv: expected float32 buffer, got %T", d)
	}
	return f, nil
}

// Output buffers of the native kernels. The wrapped backend never pools "shared" buffers (it
// allocates zeroed memory for each), so intermediate outputs are recycled here by shape: Execute
// hands back the ones it created and did not return to the caller.
type pooledBuffer struct {
	buf  compute.Buffer
	flat []float32
}

var (
	outPoolMu sync.Mutex
	outPool   = map[string][]pooledBuffer{}
	outFlat   = map[compute.Buffer][]float32{} // buffers created by newFloat32Buffer, live.

	freshBuffers atomic.Int64 // buffers newFloat32Buffer allocated (not recycled), for tests.
	pooledBytes  int64        // bytes held in outPool (under outPoolMu).
)

// maxPooledBytes bounds the bytes of idle buffers outPool keeps. The pool must hold a step's
// peak number of buffers of each shape: with a cap of 16 per shape, the ViT (a dozen layers of
// [128, 65, 768] activations) freed and re-allocated ~400 MB of zeroed memory per step, the heap
// grew to 7 GB between collections, and steps slowed by up to a third from page faults
// (vit-cifar-32, 12 steps: 1.50-1.83 s per step and 7.0 GB peak RSS; with the byte bound
// 1.37 s and 2.7 GB).
const maxPooledBytes = 4 << 30

// newFloat32Buffer returns a float32 buffer of the given dims from the pool, else a new one.
func newFloat32Buffer(backend compute.Backend, dims ...int) (compute.Buffer, []float32, error) {
	shape := shapes.Make(dtypes.Float32, dims...)
	key := shape.String()
	outPoolMu.Lock()
	if l := len(outPool[key]); l > 0 {
		pb := outPool[key][l-1]
		outPool[key] = outPool[key][:l-1]
		pooledBytes -= int64(4 * len(pb.flat))
		outFlat[pb.buf] = pb.flat
		outPoolMu.Unlock()
		return pb.buf, pb.flat, nil
	}
	outPoolMu.Unlock()
	buf, flat, err := backend.NewSharedBuffer(0, shape)
	if err != nil {
		return nil, nil, err
	}
	freshBuffers.Add(1)
	f := flat.([]float32)
	outPoolMu.Lock()
	outFlat[buf] = f
	outPoolMu.Unlock()
	return buf, f, nil
}

// releaseBuffer recycles buf if newFloat32Buffer created it; otherwise it finalizes it.
func releaseBuffer(buf compute.Buffer) {
	outPoolMu.Lock()
	flat, ok := outFlat[buf]
	if ok {
		delete(outFlat, buf)
		shape, err := buf.Shape()
		if size := int64(4 * len(flat)); err == nil && pooledBytes+size <= maxPooledBytes {
			key := shape.String()
			outPool[key] = append(outPool[key], pooledBuffer{buf, flat})
			pooledBytes += size
			outPoolMu.Unlock()
			return
		}
	}
	outPoolMu.Unlock()
	_ = buf.Finalize()
}

// forgetBuffer stops tracking buf (it was handed to the caller).
func forgetBuffer(buf compute.Buffer) {
	outPoolMu.Lock()
	delete(outFlat, buf)
	outPoolMu.Unlock()
}
