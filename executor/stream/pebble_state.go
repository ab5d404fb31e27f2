package stream

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"sort"

	"github.com/cockroachdb/pebble"
)

// Key layout of operator state in Pebble. Every key of one State starts with its prefix:
//
//	's'  view ID (4 bytes big-endian)  operator ID (4 bytes big-endian)  part (1 byte)  key
//
// where key is the operator's own encoded key (executor.RowKey of a group, join key or row)
// and part tells apart the states of one operator (a join's left side is 0, its right 1). The
// prefix has a fixed width, so no State's prefix is a prefix of another's. Operator IDs are
// the planner's stable IDs (Graph.Nodes[i].ID), kept across versions of a view so that an
// unchanged operator finds its state again. 's' sits beside storage's 't' (table rows) and 'm'
// (metadata) in the one keyspace.
const statePrefixByte byte = 's'

// StatePrefix returns the key prefix of part of operator opID's state in view viewID.
func StatePrefix(viewID, opID uint32, part uint8) []byte {
	return append(OpStatePrefix(viewID, opID), part)
}

// OpStatePrefix is the prefix of every state key of operator opID of view viewID (all parts).
func OpStatePrefix(viewID, opID uint32) []byte {
	return binary.BigEndian.AppendUint32(ViewStatePrefix(viewID), opID)
}

// ViewStatePrefix is the prefix of every state key of view viewID's operators.
func ViewStatePrefix(viewID uint32) []byte {
	b := make([]byte, 0, 10)
	b = append(b, statePrefixByte)
	return binary.BigEndian.AppendUint32(b, viewID)
}

// PebbleStateOptions configure a PebbleState.
type PebbleStateOptions struct {
	// Budget is the memory the state's cache shares with other states (see CacheBudget); nil
	// gives the state a budget of DefaultStateCacheBytes for itself alone.
	Budget *CacheBudget
	// CacheEntries, if positive, also caps the clean entries the state keeps (values and
	// known-absent keys), whatever their size: tests use it to evict at known points.
	CacheEntries int
}

// PebbleState is the State whose values live in Pebble under a key prefix, with an in-memory
// cache of recently used entries in front, bounded by a CacheBudget shared with the other
// states (DESIGN.md: "State, epochs and checkpoints"). A value is read from Pebble on a cache
// miss and decoded with the codec; a Put or Delete changes only the cache and marks the key
// dirty; Flush writes every dirty key into the caller's batch once per epoch. Reading Pebble
// per event would be far too slow, which is why writes wait for the epoch.
//
// The reader must show what the flushed batches committed: pass the *pebble.DB (not a
// snapshot taken before them), and commit the batch Flush filled before the next call on the
// state, since a clean entry evicted after Flush is read back from the reader.
//
// A value Get returns may be changed in place and then Put (State's contract). Once a clean
// entry was evicted, a later Get of its key decodes a fresh copy: an operator that changed a
// value in place must Put it before it Gets that key again (every operator here does).
//
// Pebble reads cannot fail through State's methods, which return no error: the first read or
// decoding error sticks, Get then reports the key absent, and Flush and Err return the error,
// so the epoch that saw it is never checkpointed. Not safe for concurrent use. Release it when
// dropping it, or the budget keeps counting its cache.
type PebbleState[V any] struct {
	r          pebble.Reader
	codec      Codec[V]
	prefix     []byte
	upper      []byte // the first key after every key with prefix
	budget     *CacheBudget
	maxEntries int   // cap on len(ring), 0 for none
	bytes      int64 // what this state's cached entries are charged, part of budget.used

	cache map[string]*stateEntry[V] // every cached entry, clean or dirty
	dirty map[string]*stateEntry[V] // the dirty subset of cache
	ring  []*stateEntry[V]          // the clean subset of cache, which eviction sweeps
	hand  int                       // the clock hand: the next ring slot eviction looks at
	n     int                       // live keys: Len
	err   error
	kbuf  []byte
	vbuf  []byte
}

// stateEntry is a cached key: its value when ok, or a known-absent (ok false) key. Clean
// entries are on the ring; dirty ones are off it, so they cannot be evicted.
//
// Eviction is CLOCK (second chance), not LRU: a hit only sets ref, where moving the entry to
// the head of an LRU list wrote to three scattered entries and made a cached Get four times
// slower (680 against 160 ns with 100K entries).
type stateEntry[V any] struct {
	key       string
	v         V
	ok, dirty bool
	ref       bool  // used since the hand last passed
	size      int32 // charged to the budget: entrySize at the last read or flush
	pos       int   // index in ring, -1 when off it
}

// NewPebbleState opens the state stored under prefix in r. Opening reads nothing: a restart
// opens every operator state of every view, and counting their keys here made recovery time
// grow with the state (0.8 s of a 1 GB restart); Len counts them on first use instead.
func NewPebbleState[V any](r pebble.Reader, prefix []byte, codec Codec[V], opts PebbleStateOptions) (*PebbleState[V], error) {
	s := &PebbleState[V]{r: r, codec: codec, prefix: append([]byte(nil), prefix...),
		upper: PrefixEnd(prefix), budget: opts.Budget, maxEntries: max(opts.CacheEntries, 0),
		cache: map[string]*stateEntry[V]{}, dirty: map[string]*stateEntry[V]{}}
	if s.budget == nil {
		s.budget = NewCacheBudget(0)
	}
	s.n = -1 // counted when first asked: opening must not cost a scan of the whole state
	s.budget.states.Add(1)
	return s, nil
}

// Release gives the state's share of the budget back: its cached entries are dropped, unflushed
// changes included, and it no longer counts towards the fair share. The state must not be used
// afterwards. Releasing twice is harmless.
func (s *PebbleState[V]) Release() {
	if s.cache == nil {
		return
	}
	s.budget.used.Add(-s.bytes)
	s.budget.states.Add(-1)
	s.bytes = 0
	s.cache, s.dirty, s.ring = nil, nil, nil
}

// PrefixEnd returns the smallest key greater than every key starting with p (nil if none).
func PrefixEnd(p []byte) []byte {
	end := append([]byte(nil), p...)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i]++; end[i] != 0 {
			return end[:i+1]
		}
	}
	return nil
}

// Err returns the first Pebble or decoding error the state met, if any.
func (s *PebbleState[V]) Err() error { return s.err }

func (s *PebbleState[V]) setErr(err error) {
	if s.err == nil {
		s.err = err
	}
}

func (s *PebbleState[V]) fullKey(key string) []byte {
	s.kbuf = append(append(s.kbuf[:0], s.prefix...), key...)
	return s.kbuf
}

// load reads key from the reader, decoding its value if decode is set; n is the length of
// the stored value (0 if absent).
func (s *PebbleState[V]) load(key string, decode bool) (v V, n int, ok bool) {
	b, closer, err := s.r.Get(s.fullKey(key))
	if errors.Is(err, pebble.ErrNotFound) {
		return v, 0, false
	}
	if err != nil {
		s.setErr(fmt.Errorf("stream: read state: %w", err))
		return v, 0, false
	}
	defer closer.Close()
	if !decode {
		return v, len(b), true
	}
	if v, err = s.codec.Decode(b); err != nil {
		s.setErr(fmt.Errorf("stream: state key %x: %w", key, err))
		return v, 0, false
	}
	return v, len(b), true
}

// entry returns key's cache entry, reading it from Pebble on a miss (decoding the value only
// if decode is set: a Put or Delete needs to know only whether the key exists).
func (s *PebbleState[V]) entry(key string, decode bool) *stateEntry[V] {
	if e := s.cache[key]; e != nil {
		if !e.ref {
			e.ref = true
		}
		return e
	}
	v, n, ok := s.load(key, decode)
	e := &stateEntry[V]{key: key, v: v, ok: ok, pos: -1}
	if ok && !decode {
		// Only known to exist: the caller is about to overwrite or delete it, which makes it
		// dirty; never leave it clean without its value.
		s.add(e, n)
		return e
	}
	s.makeRoom(entrySize(len(key), n)) // first, so the new entry is not the one evicted
	s.add(e, n)
	s.pushClean(e)
	return e
}

// add caches e, whose stored value is n bytes long, and charges it to the budget.
func (s *PebbleState[V]) add(e *stateEntry[V], n int) {
	e.size = clampSize(entrySize(len(e.key), n))
	s.cache[e.key] = e
	s.charge(int64(e.size))
}

// charge counts d more bytes (fewer if negative) against this state and the budget.
func (s *PebbleState[V]) charge(d int64) {
	s.bytes += d
	s.budget.used.Add(d)
}

// clampSize fits a charge into stateEntry.size; no stored value comes near 2 GiB.
func clampSize(n int64) int32 { return int32(min(n, math.MaxInt32)) }

// Get implements State.
func (s *PebbleState[V]) Get(key string) (V, bool) {
	e := s.entry(key, true)
	return e.v, e.ok
}

// Put implements State.
func (s *PebbleState[V]) Put(key string, v V) {
	e := s.entry(key, false)
	if !e.ok && s.n >= 0 {
		s.n++
	}
	e.v, e.ok = v, true
	s.markDirty(e)
}

// Delete implements State.
func (s *PebbleState[V]) Delete(key string) {
	e := s.entry(key, false)
	if e.ok && s.n >= 0 {
		s.n--
	}
	var zero V
	e.v, e.ok = zero, false
	s.markDirty(e)
}

// Len implements State. The first call counts the keys (stored ones merged with unflushed
// changes); Put and Delete keep the count from then on.
func (s *PebbleState[V]) Len() int {
	if s.n < 0 {
		n := 0
		s.Ascend(func(string, V) bool { n++; return true })
		if s.err != nil {
			return 0 // the read failed; Err reports it
		}
		s.n = n
	}
	return s.n
}

func (s *PebbleState[V]) markDirty(e *stateEntry[V]) {
	if e.dirty {
		return
	}
	if e.pos >= 0 {
		s.removeClean(e)
	}
	e.dirty = true
	s.dirty[e.key] = e
}

func (s *PebbleState[V]) pushClean(e *stateEntry[V]) {
	e.pos = len(s.ring)
	s.ring = append(s.ring, e)
}

// removeClean takes e off the ring, moving the last entry into its slot.
func (s *PebbleState[V]) removeClean(e *stateEntry[V]) {
	last := s.ring[len(s.ring)-1]
	s.ring[e.pos], last.pos = last, e.pos
	s.ring[len(s.ring)-1] = nil
	s.ring = s.ring[:len(s.ring)-1]
	e.pos = -1
}

// makeRoom evicts clean entries before an entry of n bytes is cached (CacheBudget's B1, and
// the CacheEntries cap).
func (s *PebbleState[V]) makeRoom(n int64) {
	for len(s.ring) > 0 && ((s.maxEntries > 0 && len(s.ring) >= s.maxEntries) ||
		(s.budget.over(n) && s.bytes > s.budget.share())) {
		s.sweep()
	}
}

// trim evicts clean entries after a flush (CacheBudget's B2, and the CacheEntries cap); held is
// what the state was charged before the flush.
func (s *PebbleState[V]) trim(held int64) {
	floor := min(s.budget.share(), held)
	for len(s.ring) > 0 && ((s.maxEntries > 0 && len(s.ring) > s.maxEntries) ||
		(s.budget.over(0) && s.bytes > floor)) {
		s.sweep()
	}
}

// sweep moves the clock hand one slot: an entry used since the hand last passed loses its mark
// and is spared, any other is evicted. Callers loop until enough is evicted; a full turn
// clears every mark, so they end.
func (s *PebbleState[V]) sweep() {
	if s.hand >= len(s.ring) {
		s.hand = 0
	}
	e := s.ring[s.hand]
	if e.ref {
		e.ref = false
		s.hand++
		return
	}
	s.removeClean(e) // the last entry moves into the hand's slot: it is looked at next
	delete(s.cache, e.key)
	s.charge(-int64(e.size))
}

// Ascend implements State: it merges the cached entries (dirty ones included, deletions
// hiding stored keys) with the keys stored in Pebble, in key order. Entries read from Pebble
// are decoded for f but not cached, so a walk does not flush the cache. f must not change the
// state.
func (s *PebbleState[V]) Ascend(f func(key string, v V) bool) { s.ascend("", nil, s.cache, f) }

// AscendRange is Ascend over the keys in [lower, upper), for walks over a small part of a large
// state (the watermark indexes): it reads only that range of the store and merges only the
// keys changed since the last flush, the only cached entries that can differ from the store,
// so it costs what it visits plus the epoch's changes. Entries come decoded from the store
// unless dirty (not the cached objects: f must not change them, or the state).
func (s *PebbleState[V]) AscendRange(lower, upper string, f func(key string, v V) bool) {
	s.ascend(lower, &upper, s.dirty, f)
}

// ascend merges the entries of cached in [lower, upper) (upper nil: no bound) with the store's.
func (s *PebbleState[V]) ascend(lower string, upper *string, cached map[string]*stateEntry[V], f func(key string, v V) bool) {
	// Clean known-absent entries are skipped: the store does not hold their keys either (a
	// deletion is clean only once flushed), and keeping them out matters when many keys were
	// deleted, such as the entries a watermark freed.
	ents := make([]*stateEntry[V], 0)
	for _, e := range cached {
		if (e.ok || e.dirty) && e.key >= lower && (upper == nil || e.key < *upper) {
			ents = append(ents, e)
		}
	}
	sort.Slice(ents, func(i, j int) bool { return ents[i].key < ents[j].key })
	lb, ub := s.prefix, s.upper
	if lower != "" {
		lb = append(append([]byte(nil), s.prefix...), lower...)
	}
	if upper != nil {
		ub = append(append([]byte(nil), s.prefix...), *upper...)
	}
	it, err := s.r.NewIter(&pebble.IterOptions{LowerBound: lb, UpperBound: ub})
	if err != nil {
		s.setErr(fmt.Errorf("stream: walk state: %w", err))
		return
	}
	defer func() {
		if err := errors.Join(it.Error(), it.Close()); err != nil {
			s.setErr(fmt.Errorf("stream: walk state: %w", err))
		}
	}()
	valid := it.First()
	for ci := 0; ; {
		var sk string // the stored key at the iterator, when valid
		if valid {
			sk = string(it.Key()[len(s.prefix):])
		}
		switch {
		case ci < len(ents) && (!valid || ents[ci].key <= sk):
			e := ents[ci]
			ci++
			if valid && e.key == sk {
				valid = it.Next()
			}
			if e.ok && !f(e.key, e.v) {
				return
			}
		case valid:
			v, err := s.codec.Decode(it.Value())
			if err != nil {
				s.setErr(fmt.Errorf("stream: state key %x: %w", sk, err))
				return
			}
			valid = it.Next()
			if !f(sk, v) {
				return
			}
		default:
			return
		}
	}
}

// Dirty implements State: it hands over the keys changed since the last Dirty or Flush, in
// key order, and marks them clean (keeping their last known size: only Flush encodes them).
// It writes nothing to Pebble: a PebbleState is checkpointed with Flush.
func (s *PebbleState[V]) Dirty(f func(key string, v V, ok bool)) {
	held := s.bytes
	s.clean(func(e *stateEntry[V]) { f(e.key, e.v, e.ok) })
	s.trim(held)
}

// clean calls f on the dirty entries in key order and puts them back on the ring.
func (s *PebbleState[V]) clean(f func(e *stateEntry[V])) {
	ents := make([]*stateEntry[V], 0, len(s.dirty))
	for _, e := range s.dirty {
		ents = append(ents, e)
	}
	sort.Slice(ents, func(i, j int) bool { return ents[i].key < ents[j].key })
	for _, e := range ents {
		f(e)
		e.dirty, e.ref = false, false
		s.pushClean(e)
	}
	clear(s.dirty)
}

// Flush writes every key changed since the last flush into b, in key order (a Set of the
// encoded value, or a Delete), and marks them clean. The caller commits b together with the
// applied log index: that batch is the checkpoint, and a PebbleState opened later over the
// committed store reads back exactly the state as of this call. It returns the state's sticky
// error, if any, without writing.
func (s *PebbleState[V]) Flush(b *pebble.Batch) error {
	if s.err != nil {
		return s.err
	}
	var err error
	held, grown := s.bytes, int64(0)
	s.clean(func(e *stateEntry[V]) {
		if err != nil {
			return
		}
		k := s.fullKey(e.key)
		n := 0
		if e.ok {
			s.vbuf = s.codec.Append(s.vbuf[:0], e.v)
			n = len(s.vbuf)
			err = b.Set(k, s.vbuf, nil /* opts */)
		} else {
			err = b.Delete(k, nil /* opts */)
		}
		// The encoding is at hand: charge the entry what it now holds.
		size := clampSize(entrySize(len(e.key), n))
		grown += int64(size) - int64(e.size)
		e.size = size
	})
	s.charge(grown)
	s.trim(held)
	if err != nil {
		s.setErr(fmt.Errorf("stream: flush state: %w", err))
	}
	return s.err
}
