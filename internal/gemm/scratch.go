package gemm

import "sync"

// ParallelFor runs fn over [0,n) split into contiguous chunks, one per worker (Workers), and
// waits for them; each worker clears the vector registers' upper halves after fn (ClearUpper).
func ParallelFor(n int, fn func(start, end int)) {
	w := min(Workers(), n)
	if w <= 1 {
		fn(0, n)
		ClearUpper()
		return
	}
	var wg sync.WaitGroup
	chunk := (n + w - 1) / w
	for start := 0; start < n; start += chunk {
		end := min(start+chunk, n)
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(start, end)
			ClearUpper()
		}()
	}
	wg.Wait()
}

// Scratch returns a float32 buffer of length n (contents unspecified) from a pool that survives
// garbage collections (a sync.Pool is emptied by every GC, which made each training step re-fault
// its large buffers). Give it back with Release.
func Scratch(n int) []float32 { return pool32.get(n) }

// Release returns a buffer obtained from Scratch to the pool.
func Release(s []float32) { pool32.put(s) }

// pool keeps up to 8 free buffers per power-of-two capacity.
type pool[T float] struct {
	mu   sync.Mutex
	free [48][][]T
}

var (
	pool32 pool[float32]
	pool64 pool[float64]
)

func poolOf[T float]() *pool[T] {
	var z T
	if _, ok := any(z).(float32); ok {
		return any(&pool32).(*pool[T])
	}
	return any(&pool64).(*pool[T])
}

func (p *pool[T]) get(n int) []T {
	c := sizeClass(n)
	p.mu.Lock()
	if l := len(p.free[c]); l > 0 {
		s := p.free[c][l-1]
		p.free[c] = p.free[c][:l-1]
		p.mu.Unlock()
		return s[:n]
	}
	p.mu.Unlock()
	return make([]T, n, 1<<c)
}

func (p *pool[T]) put(s []T) {
	c := sizeClass(cap(s))
	if 1<<c != cap(s) {
		return
	}
	p.mu.Lock()
	if len(p.free[c]) < 8 {
		p.free[c] = append(p.free[c], s[:0])
	}
	p.mu.Unlock()
}

func sizeClass(n int) int {
	c := 0
	for 1<<c < n {
		c++
	}
	return c
}
