package stream

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/cockroachdb/pebble"
)

func openBudgeted(t testing.TB, db *pebble.DB, prefix []byte, b *CacheBudget) *PebbleState[*drow] {
	t.Helper()
	s, err := NewPebbleState[*drow](db, prefix, distinctCodec{}, PebbleStateOptions{Budget: b})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// checkCharge requires s to be charged exactly the sizes of its cached entries, and each
// clean entry the size of its key and encoding.
func checkCharge[V any](t *testing.T, s *PebbleState[V]) {
	t.Helper()
	var sum int64
	for k, e := range s.cache {
		sum += int64(e.size)
		n := 0
		if e.ok {
			n = len(s.codec.Append(nil, e.v))
		}
		if !e.dirty && int64(e.size) != entrySize(len(k), n) {
			t.Fatalf("clean entry %q charged %d, its key and encoding make %d", k, e.size, entrySize(len(k), n))
		}
	}
	if sum != s.bytes {
		t.Fatalf("state charged %d, its entries add up to %d", s.bytes, sum)
	}
}

// flushAll flushes states into one batch, in the order given, and commits it.
func flushAll(t *testing.T, db *pebble.DB, states []*PebbleState[*drow], order []int) {
	t.Helper()
	b := db.NewBatch()
	for _, i := range order {
		if err := states[i].Flush(b); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Commit(pebble.NoSync); err != nil {
		t.Fatal(err)
	}
}

// TestCacheBudgetShared runs random reads, writes and deletes on five states sharing one
// budget, their values of different widths (0 to 1,000 bytes) and together many times larger
// than the budget, and flushes all of them at the end of every epoch, in a random order. Every
// read must agree with a map; after each epoch the states must be within the budget
// (CacheBudget's B2) and charged exactly what their entries hold. Now and then the states are
// released and reopened, which must give the budget back.
func TestCacheBudgetShared(t *testing.T) {
	widths := []int{0, 10, 100, 400, 1000}
	for seed := uint64(1); seed <= 12; seed++ {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 11))
			db := openMemPebble(t)
			budget := NewCacheBudget(int64(2_000 + rng.IntN(40_000)))
			open := func() []*PebbleState[*drow] {
				states := make([]*PebbleState[*drow], len(widths))
				for i := range states {
					states[i] = openBudgeted(t, db, StatePrefix(1, 1, uint8(i)), budget)
				}
				return states
			}
			states := open()
			models := make([]map[string]*drow, len(widths))
			for i := range models {
				models[i] = map[string]*drow{}
			}
			for epoch := range 40 {
				for range 20 + rng.IntN(200) {
					i := rng.IntN(len(states))
					s, m := states[i], models[i]
					k := fmt.Sprintf("k%04d", rng.IntN(300))
					switch op := rng.IntN(10); {
					case op < 4:
						v, ok := s.Get(k)
						if w, wok := m[k]; ok != wok || ok && (v.n != w.n || v.row[1] != w.row[1]) {
							t.Fatalf("epoch %d: state %d get %s: %v %v, want %v %v", epoch, i, k, v, ok, w, wok)
						}
					case op < 6: // change in place, then Put, as operators do
						if v, ok := s.Get(k); ok {
							v.n++
							s.Put(k, v)
							m[k] = &drow{row: v.row, n: v.n}
						}
					case op < 9:
						v := &drow{row: []any{k, strings.Repeat("x", rng.IntN(widths[i]+1))}, n: rng.Int64N(9) + 1}
						s.Put(k, v)
						m[k] = &drow{row: v.row, n: v.n}
					default:
						s.Delete(k)
						delete(m, k)
					}
				}
				flushAll(t, db, states, rng.Perm(len(states)))
				var sum int64
				for _, s := range states {
					checkCharge(t, s)
					sum += s.bytes
				}
				if used := budget.Used(); used != sum || used > budget.Limit() {
					t.Fatalf("epoch %d: budget used %d (states charged %d), limit %d", epoch, used, sum, budget.Limit())
				}
				if rng.IntN(8) == 0 { // a restart: the old states give their memory back
					for _, s := range states {
						s.Release()
					}
					if used := budget.Used(); used != 0 {
						t.Fatalf("epoch %d: %d bytes still used after every state was released", epoch, used)
					}
					states = open()
				}
			}
			// The run must have needed eviction: what is stored is many times the budget.
			var stored int64
			for i, s := range states {
				for k, v := range models[i] {
					stored += entrySize(len(k), len(s.codec.Append(nil, v)))
				}
			}
			if stored < 5*budget.Limit() {
				t.Fatalf("state of %d bytes for a budget of %d: the test evicts too little", stored, budget.Limit())
			}
		})
	}
}

// TestCacheBudgetLargerThanCache keeps 20,000 keys (over 300 times the budget) behind an 8 KiB
// budget it shares with a second state: every key reads back, in any order and after a
// reopen, and the budget holds after each flush.
func TestCacheBudgetLargerThanCache(t *testing.T) {
	const n = 20000
	db := openMemPebble(t)
	budget := NewCacheBudget(8 << 10)
	val := func(i int) *drow { return &drow{row: []any{int64(i), fmt.Sprintf("value %d", i*i)}, n: int64(i%7 + 1)} }
	big := openBudgeted(t, db, StatePrefix(1, 1, 0), budget)
	other := openBudgeted(t, db, StatePrefix(1, 2, 0), budget)
	var stored int64
	for i := range n {
		k := fmt.Sprintf("%06d", i)
		big.Put(k, val(i))
		stored += entrySize(len(k), len(distinctCodec{}.Append(nil, val(i))))
		other.Put(k[:2], val(i))
	}
	if stored < 300*budget.Limit() {
		t.Fatalf("state of %d bytes is not 300 times the budget of %d", stored, budget.Limit())
	}
	states := []*PebbleState[*drow]{big, other}
	flushAll(t, db, states, []int{0, 1})
	if used := budget.Used(); used > budget.Limit() {
		t.Fatalf("%d bytes cached after the flush, budget %d", used, budget.Limit())
	}
	rng := rand.New(rand.NewPCG(5, 5))
	for round := range 2 {
		for range 3 * n {
			i := rng.IntN(n)
			v, ok := big.Get(fmt.Sprintf("%06d", i))
			if w := val(i); !ok || v.n != w.n || v.row[0] != w.row[0] || v.row[1] != w.row[1] {
				t.Fatalf("round %d key %d: %v %v, want %v", round, i, v, ok, w)
			}
			if i%10 == 0 { // the other state stays busy, and so holds on to its share
				other.Get(fmt.Sprintf("%02d", i%100))
			}
		}
		flushAll(t, db, states, []int{1, 0})
		if used := budget.Used(); used > budget.Limit() || len(big.cache) > int(budget.Limit()/StateEntryOverhead) {
			t.Fatalf("round %d: %d bytes in %d entries cached after the flush, budget %d", round, used, len(big.cache), budget.Limit())
		}
		checkCharge(t, big)
		big.Release()
		big = openBudgeted(t, db, StatePrefix(1, 1, 0), budget)
		states[0] = big
	}
	if err := big.Err(); err != nil {
		t.Fatal(err)
	}
}

// TestCacheBudgetUsedFalls follows Used through the ways memory is given back: a flushed
// delete frees its value's bytes, an idle state above its share shrinks to its share at its
// next flush once a busy state needs the memory (CacheBudget's B1 and B2), and Release frees
// the rest.
func TestCacheBudgetUsedFalls(t *testing.T) {
	db := openMemPebble(t)
	const keys = 1000
	key := func(i int) string { return fmt.Sprintf("key%05d", i) }
	val := &drow{row: []any{"a value of some thirty bytes."}, n: 1}
	size := entrySize(len(key(0)), len(distinctCodec{}.Append(nil, val)))

	budget := NewCacheBudget(1 << 30)
	a := openBudgeted(t, db, StatePrefix(1, 1, 0), budget)
	for i := range 100 {
		a.Put(key(i), val)
	}
	flushCommit(t, db, a)
	if got := budget.Used(); got != 100*size {
		t.Fatalf("100 flushed entries charged %d, want %d", got, 100*size)
	}
	for i := range 50 {
		a.Delete(key(i))
	}
	flushCommit(t, db, a)
	if got, want := budget.Used(), 50*size+50*entrySize(len(key(0)), 0); got != want {
		t.Fatalf("after deleting half: charged %d, want %d (deleted keys keep only key and overhead)", got, want)
	}
	a.Release()
	if got := budget.Used(); got != 0 {
		t.Fatalf("released state still charged %d", got)
	}

	// Two states over stored keys, with room for 40 entries: 20 each is the fair share.
	for _, part := range []uint8{0, 1} {
		s := openBudgeted(t, db, StatePrefix(2, 1, part), budget)
		for i := range keys {
			s.Put(key(i), val)
		}
		flushCommit(t, db, s)
		s.Release()
	}
	budget = NewCacheBudget(40 * size)
	idle := openBudgeted(t, db, StatePrefix(2, 1, 0), budget)
	busy := openBudgeted(t, db, StatePrefix(2, 1, 1), budget)
	for i := range keys {
		idle.Get(key(i))
	}
	flushCommit(t, db, idle)
	if got := idle.bytes; got < 39*size { // alone, it may fill the budget
		t.Fatalf("a lone state holds %d bytes of a budget of %d", got, budget.Limit())
	}
	for i := range keys {
		busy.Get(key(i))
	}
	before := budget.Used()
	if before <= budget.Limit() {
		t.Fatalf("the busy state below its share took no room: %d of %d", before, budget.Limit())
	}
	flushCommit(t, db, idle) // nothing dirty: it only gives memory back
	if got := budget.Used(); got >= before || idle.bytes > 20*size {
		t.Fatalf("after the idle state's flush: used %d (before %d), idle holds %d, share %d",
			got, before, idle.bytes, 20*size)
	}
	flushCommit(t, db, busy) // both flushed: within the budget again
	if busy.bytes < 19*size || budget.Used() > budget.Limit() {
		t.Fatalf("the busy state holds %d, below its share %d; used %d", busy.bytes, 20*size, budget.Used())
	}
	idle.Release()
	busy.Release()
	if got := budget.Used(); got != 0 {
		t.Fatalf("released states still charged %d", got)
	}
}
