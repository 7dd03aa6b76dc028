package apps

import (
	"sync/atomic"

	"github.com/tetratelabs/wazero/experimental"
)

const pageSize = 65536

// memGuard caps one instance's linear memory. wazero's own limit
// (RuntimeConfig.WithMemoryLimitPages) is per runtime; a guard is passed to
// each instantiation through experimental.WithMemoryAllocator, so every
// app gets its own ceiling. It records a refused grow so that a trap that
// follows can be reported as MemoryLimit rather than a bare Trap.
type memGuard struct {
	limitPages uint32
	// refused is the page count of the last refused grow since reset, 0 if
	// none.
	refused atomic.Uint32
}

func newMemGuard(limitPages uint32) *memGuard { return &memGuard{limitPages: limitPages} }

// reset forgets refusals; called before each call into the app.
func (g *memGuard) reset() { g.refused.Store(0) }

// refusedPages returns the size of the last refused grow since reset.
func (g *memGuard) refusedPages() (uint32, bool) {
	p := g.refused.Load()
	return p, p != 0
}

// Allocate implements experimental.MemoryAllocator.
func (g *memGuard) Allocate(capacity, max uint64) experimental.LinearMemory {
	limit := uint64(g.limitPages) * pageSize
	if max < limit {
		limit = max
	}
	return &cappedMemory{guard: g, limit: limit, buf: make([]byte, 0, min(capacity, limit))}
}

// cappedMemory is a linear memory that never grows past limit bytes.
type cappedMemory struct {
	guard *memGuard
	limit uint64
	buf   []byte
}

// Reallocate implements experimental.LinearMemory. Returning nil makes
// memory.grow return -1.
//
// The initial allocation (the module's declared minimum) is checked
// against the limit before instantiation (program.check), so a refusal here
// only ever answers memory.grow.
func (m *cappedMemory) Reallocate(size uint64) []byte {
	if size > m.limit {
		m.guard.refused.Store(uint32((size + pageSize - 1) / pageSize))
		return nil
	}
	if size <= uint64(cap(m.buf)) {
		// Bytes past len were zeroed by make and never written: linear
		// memory does not shrink.
		m.buf = m.buf[:size]
		return m.buf
	}
	grown := make([]byte, size, min(max(size, 2*uint64(cap(m.buf))), m.limit))
	copy(grown, m.buf)
	m.buf = grown
	return m.buf
}

// Free implements experimental.LinearMemory.
func (m *cappedMemory) Free() { m.buf = nil }
