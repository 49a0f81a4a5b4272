package fastgo

import (
	"encoding/binary"
	"math/rand/v2"
	"unsafe"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/pkg/errors"
)

// RNGBitGenerator implements compute.Function: native for large Uint32 or Uint64 outputs (the
// random bits of dropout and of RandomUniform), delegated otherwise. It runs the go backend's
// algorithm (compute v0.1.2, ops/rngbitgenerator.go): a math/rand/v2 PCG seeded with state[0],
// state[1] fills the output's bytes, little-endian, from one Uint64 per 8 bytes, and the new state
// is the PCG's MarshalBinary fields read little-endian. The go backend stores the bytes one at a
// time (~17 ns per Uint32); here a whole Uint64 goes at once, so the bits are the same (test).
func (f *function) RNGBitGenerator(state compute.Value, shape shapes.Shape) (compute.Value, compute.Value, error) {
	sv := state.(*value)
	if f.isMain() && !shape.IsDynamic() && shape.Size() >= minNativeSize &&
		(shape.DType == dtypes.Uint32 || shape.DType == dtypes.Uint64) && sv.shape.Equal(compute.RNGStateShape) {
		outs := f.b.addCustom("rng-bits", []*value{sv}, []shapes.Shape{sv.shape.Clone(), shape.Clone()},
			func(backend compute.Backend, bufs []compute.Buffer) ([]compute.Buffer, error) {
				return rngBits(backend, bufs[0], shape)
			})
		return outs[0], outs[1], nil
	}
	g := f.target()
	f.noteOp("RNGBitGenerator")
	is, err := f.in(state)
	if err != nil {
		return nil, nil, err
	}
	s, bits, err := g.RNGBitGenerator(is, shape)
	if err != nil {
		return nil, nil, err
	}
	return f.out(s), f.out(bits), nil
}

// rngBits runs the go backend's RNGBitGenerator on the state buffer (Uint64[3]) for shape.
func rngBits(backend compute.Backend, stateBuf compute.Buffer, shape shapes.Shape) ([]compute.Buffer, error) {
	d, err := stateBuf.Data()
	if err != nil {
		return nil, err
	}
	state, ok := d.([]uint64)
	if !ok || len(state) != 3 {
		return nil, errors.Errorf("fastconv: RNGBitGenerator state: expected Uint64[3], got %T of length %d", d, len(state))
	}
	outState, sflat, err := backend.NewSharedBuffer(0, compute.RNGStateShape)
	if err != nil {
		return nil, err
	}
	bitsBuf, bflat, err := backend.NewSharedBuffer(0, shape)
	if err != nil {
		return nil, err
	}
	var raw []byte
	switch b := bflat.(type) {
	case []uint32:
		raw = unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(b))), 4*len(b))
	case []uint64:
		raw = unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(b))), 8*len(b))
	default:
		return nil, errors.Errorf("fastconv: RNGBitGenerator output %s: unexpected flat type %T", shape, bflat)
	}
	rng := rand.NewPCG(state[0], state[1])
	i := 0
	for ; i+8 <= len(raw); i += 8 {
		binary.LittleEndian.PutUint64(raw[i:], rng.Uint64())
	}
	if i < len(raw) {
		bits := rng.Uint64()
		for ; i < len(raw); i++ {
			raw[i] = byte(bits)
			bits >>= 8
		}
	}
	m, err := rng.MarshalBinary()
	if err != nil || len(m) != 20 || string(m[:4]) != "pcg:" {
		return nil, errors.Errorf("fastconv: RNGBitGenerator: unexpected PCG state encoding (%d bytes, err %v)", len(m), err)
	}
	ns := sflat.([]uint64)
	ns[0] = binary.LittleEndian.Uint64(m[4:12])
	ns[1] = binary.LittleEndian.Uint64(m[12:20])
	ns[2] = state[2]
	return []compute.Buffer{outState, bitsBuf}, nil
}
