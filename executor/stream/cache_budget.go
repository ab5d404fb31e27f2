package stream

import "sync/atomic"

// DefaultStateCacheBytes is the budget NewCacheBudget gives when asked for none (and the one
// a PebbleState opened without a budget gets for itself alone).
const DefaultStateCacheBytes int64 = 256 << 20

// StateEntryOverhead is what the budget charges a cached entry on top of its key and its
// encoded value. Measured on the Go heap with 200K cached entries: an entry without a value
// (a watermark index) costs about 56 bytes besides its key (the stateEntry, its map slot and
// ring slot); a Distinct row of three columns (27 bytes encoded) costs about 170 bytes besides
// its key and encoding, since its decoded form boxes every column. 160 is near the common case;
// states of wide rows use more heap than they are charged, index entries less.
const StateEntryOverhead = 160

// CacheBudget is the memory shared by the caches of every PebbleState opened with it: one per
// process (views.New makes it), so that --state-cache-size bounds the operator state kept in
// memory whatever the number of views. Each state accounts its cached entries (key length +
// encoded value length + StateEntryOverhead; a value's encoded length is known when it is read
// from Pebble and when it is flushed, and an entry changed since keeps its last known size)
// and evicts only its own clean entries: states never reach into each other, so a state needs
// no lock, and the budget holds only atomic counters, which metrics read from any goroutine.
//
// The policy, with L the limit, T the bytes all states hold and S = L / (states sharing the
// budget) a state's fair share:
//
//   - B1 insert: before caching an entry read from Pebble, a state above its share evicts its
//     clean entries (CLOCK) while T plus the new entry exceeds L. A state at or below its share
//     takes the room even if T goes over L: that is how a busy state wins memory back from
//     states that hold more than their share but are idle, which give it back at B2.
//   - B2 flush: after Flush (or Dirty), while T exceeds L, a state evicts its clean entries down
//     to min(S, what it held before the flush). So it gives back at least what its flush added
//     (values whose size became known), and, above its share, shrinks towards the share.
//   - B3 dirty entries are never evicted: they must be flushed first. Between flushes T may
//     therefore exceed L by the entries changed in the epoch, and by what B1 lets states below
//     their share take (about L in all: each stops one entry past its share).
//
// B2 bounds T by L once every state sharing the budget has flushed (the maintainer flushes
// all of them after every command): take the last state whose trim ended because T <= L; each
// later state ended at or below what it held before its flush, so T did not grow after it; and
// if there is none, every state ended at or below S, and the shares add up to at most L.
// Eviction never changes results: an evicted entry is read back from Pebble.
type CacheBudget struct {
	limit  int64
	used   atomic.Int64 // bytes charged by every state sharing the budget
	states atomic.Int64 // open states sharing it, for the fair share
}

// NewCacheBudget returns a budget of limit bytes; limit <= 0 means DefaultStateCacheBytes.
// Tests give a few bytes to make every state keep at most the entry it just read.
func NewCacheBudget(limit int64) *CacheBudget {
	if limit <= 0 {
		limit = DefaultStateCacheBytes
	}
	return &CacheBudget{limit: limit}
}

// Used returns the bytes the states sharing the budget hold in their caches now. It may exceed
// Limit between flushes (B1, B3). Safe for concurrent use.
func (b *CacheBudget) Used() int64 { return b.used.Load() }

// Limit returns the budget's limit in bytes.
func (b *CacheBudget) Limit() int64 { return b.limit }

// over reports whether adding n bytes would take the states over the limit.
func (b *CacheBudget) over(n int64) bool { return b.used.Load()+n > b.limit }

// share is a state's fair share of the limit.
func (b *CacheBudget) share() int64 { return b.limit / max(b.states.Load(), 1) }

// entrySize is the bytes a cached entry is charged: its key, its encoded value (0 for an
// absent key) and the fixed overhead.
func entrySize(keyLen, valueLen int) int64 {
	return int64(keyLen) + int64(valueLen) + StateEntryOverhead
}
