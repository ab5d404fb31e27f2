package stream

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/cockroachdb/pebble"
	"github.com/cockroachdb/pebble/vfs"
)

func openMemPebble(t testing.TB) *pebble.DB {
	t.Helper()
	db, err := pebble.Open("", &pebble.Options{FS: vfs.NewMem()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func openState[V any](t testing.TB, db *pebble.DB, prefix []byte, c Codec[V], cache int) *PebbleState[V] {
	t.Helper()
	s, err := NewPebbleState(db, prefix, c, PebbleStateOptions{CacheEntries: cache})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// flushCommit flushes s into a batch, commits it and returns the batch's keys and operations
// in order ("set k" / "del k").
func flushCommit[V any](t testing.TB, db *pebble.DB, s *PebbleState[V]) []string {
	t.Helper()
	b := db.NewBatch()
	if err := s.Flush(b); err != nil {
		t.Fatal(err)
	}
	var ops []string
	r := b.Reader()
	for {
		kind, k, _, ok, err := r.Next()
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			break
		}
		op := "set"
		if kind == pebble.InternalKeyKindDelete {
			op = "del"
		}
		ops = append(ops, op+" "+string(k[len(s.prefix):]))
	}
	if err := b.Commit(pebble.NoSync); err != nil {
		t.Fatal(err)
	}
	return ops
}

// dump lists a state's entries in Ascend order, values encoded with c; stop > 0 ends the walk
// after that many entries.
func dump[V any](s State[V], c Codec[V], stop int) string {
	var sb strings.Builder
	i := 0
	s.Ascend(func(k string, v V) bool {
		fmt.Fprintf(&sb, "%s=%x ", k, c.Append(nil, v))
		i++
		return stop <= 0 || i < stop
	})
	return sb.String()
}

func testKey(i int) string { return fmt.Sprintf("k%03d", i) }

// TestPebbleStateModel runs random Put/Delete/Get/in-place update/Ascend/Flush/reopen steps on
// a PebbleState with a small cache and on a MemState, and requires them to agree at every step.
// A reopen without a flush drops the epoch's changes: the model goes back to the last flush.
func TestPebbleStateModel(t *testing.T) {
	for seed := uint64(1); seed <= 30; seed++ {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 7))
			cache := []int{1, 3, 16, 1000}[rng.IntN(4)]
			keys := 20 + rng.IntN(300)
			db := openMemPebble(t)
			prefix := StatePrefix(1, uint32(seed), 0)
			// A neighbour state under the next prefix must never show through.
			nb := openState[*drow](t, db, StatePrefix(1, uint32(seed), 1), distinctCodec{}, 4)
			nb.Put("k000", &drow{row: []any{"neighbour"}, n: 1})
			flushCommit(t, db, nb)

			c := distinctCodec{}
			ps := openState[*drow](t, db, prefix, c, cache)
			model := NewMemState[*drow]()
			committed := map[string]*drow{}
			for step := 0; step < 2000; step++ {
				k := testKey(rng.IntN(keys))
				fail := func(format string, args ...any) {
					t.Helper()
					t.Fatalf("seed=%d step=%d cache=%d: %s", seed, step, cache, fmt.Sprintf(format, args...))
				}
				switch op := rng.IntN(100); {
				case op < 35:
					n := rng.Int64N(5) + 1
					ps.Put(k, &drow{row: []any{k, n}, n: n})
					model.Put(k, &drow{row: []any{k, n}, n: n})
				case op < 50:
					ps.Delete(k)
					model.Delete(k)
				case op < 65: // change in place, then Put, as operators do
					pv, pok := ps.Get(k)
					mv, mok := model.Get(k)
					if pok != mok {
						fail("get %s: ok %v, model %v", k, pok, mok)
					}
					if pok {
						pv.n++
						mv.n++
						ps.Put(k, pv)
						model.Put(k, mv)
					}
				case op < 85:
					pv, pok := ps.Get(k)
					mv, mok := model.Get(k)
					if pok != mok || pok && !bytes.Equal(c.Append(nil, pv), c.Append(nil, mv)) {
						fail("get %s: %v %v, model %v %v", k, pv, pok, mv, mok)
					}
				case op < 92:
					stop := rng.IntN(10)
					if got, want := dump[*drow](ps, c, stop), dump[*drow](model, c, stop); got != want {
						fail("ascend (stop %d):\n got %s\nwant %s", stop, got, want)
					}
				case op < 97:
					var want []string
					model.Dirty(func(k string, _ *drow, ok bool) {
						want = append(want, map[bool]string{true: "set ", false: "del "}[ok]+k)
						if v, _ := model.Get(k); ok {
							committed[k] = &drow{row: v.row, n: v.n}
						} else {
							delete(committed, k)
						}
					})
					if got := flushCommit(t, db, ps); strings.Join(got, ",") != strings.Join(want, ",") {
						fail("flush:\n got %v\nwant %v", got, want)
					}
				default: // crash: reopen over the store, losing the unflushed epoch
					ps = openState[*drow](t, db, prefix, c, cache)
					model = NewMemState[*drow]()
					for k, v := range committed {
						model.Put(k, &drow{row: v.row, n: v.n})
					}
					model.Dirty(func(string, *drow, bool) {})
				}
				if ps.Len() != model.Len() {
					fail("len %d, model %d", ps.Len(), model.Len())
				}
				if len(ps.ring) > cache {
					fail("%d clean entries cached, limit %d", len(ps.ring), cache)
				}
			}
			if got, want := dump[*drow](ps, c, 0), dump[*drow](model, c, 0); got != want {
				t.Fatalf("final ascend:\n got %s\nwant %s", got, want)
			}
			if err := ps.Err(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestPebbleStateAscendMixed walks a state whose keys are partly only in Pebble, partly cached
// clean, changed or added in the cache only, and deleted in the cache only.
func TestPebbleStateAscendMixed(t *testing.T) {
	db := openMemPebble(t)
	c := distinctCodec{}
	s := openState[*drow](t, db, StatePrefix(7, 3, 0), c, 4)
	for i := 0; i < 40; i += 2 {
		s.Put(testKey(i), &drow{n: int64(i)})
	}
	flushCommit(t, db, s)
	s = openState[*drow](t, db, StatePrefix(7, 3, 0), c, 4)
	s.Get(testKey(10))                 // cached clean
	s.Get(testKey(11))                 // cached absent
	s.Put(testKey(12), &drow{n: 1012}) // changed
	s.Put(testKey(13), &drow{n: 1013}) // added
	s.Delete(testKey(14))              // deleted
	s.Delete(testKey(15))              // deleting an absent key
	s.Put(testKey(99), &drow{n: 1099}) // added past the stored keys
	s.Put("", &drow{n: -1})            // the empty key (a global aggregate's)
	var got []string
	s.Ascend(func(k string, v *drow) bool {
		got = append(got, fmt.Sprintf("%s:%d", k, v.n))
		return true
	})
	var want []string
	want = append(want, ":-1")
	for i := 0; i < 40; i++ {
		switch {
		case i == 12 || i == 13:
			want = append(want, fmt.Sprintf("%s:%d", testKey(i), 1000+i))
		case i%2 == 0 && i != 14:
			want = append(want, fmt.Sprintf("%s:%d", testKey(i), i))
		}
	}
	want = append(want, testKey(99)+":1099")
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("ascend:\n got %v\nwant %v", got, want)
	}
	if s.Len() != len(want) {
		t.Fatalf("len %d, want %d", s.Len(), len(want))
	}
	ops := flushCommit(t, db, s)
	if want := "set ,set k012,set k013,del k014,del k015,set k099"; strings.Join(ops, ",") != want {
		t.Fatalf("flush %v, want %s", ops, want)
	}
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
}

// TestPebbleStateLargerThanCache keeps 20,000 keys behind a 64-entry cache: after a flush the
// cache is back under its bound, and every key reads back, through reopen too.
func TestPebbleStateLargerThanCache(t *testing.T) {
	const n, cache = 20000, 64
	db := openMemPebble(t)
	c := distinctCodec{}
	s := openState[*drow](t, db, StatePrefix(1, 1, 0), c, cache)
	for i := range n {
		s.Put(fmt.Sprintf("%06d", i), &drow{row: []any{int64(i)}, n: 1})
	}
	if len(s.dirty) != n {
		t.Fatalf("%d dirty entries, want %d (dirty entries are never evicted)", len(s.dirty), n)
	}
	flushCommit(t, db, s)
	if len(s.cache) > cache {
		t.Fatalf("%d entries cached after flush, limit %d", len(s.cache), cache)
	}
	for _, s := range []*PebbleState[*drow]{s, openState[*drow](t, db, StatePrefix(1, 1, 0), c, cache)} {
		if s.Len() != n {
			t.Fatalf("len %d, want %d", s.Len(), n)
		}
		for i := n - 1; i >= 0; i -= 7 {
			v, ok := s.Get(fmt.Sprintf("%06d", i))
			if !ok || v.row[0] != int64(i) {
				t.Fatalf("key %d: %v %v", i, v, ok)
			}
		}
		i := 0
		s.Ascend(func(k string, v *drow) bool {
			if k != fmt.Sprintf("%06d", i) || v.row[0] != int64(i) {
				t.Fatalf("ascend: %q=%v at %d", k, v.row, i)
			}
			i++
			return true
		})
		if i != n || len(s.cache) > cache {
			t.Fatalf("ascend visited %d, %d cached", i, len(s.cache))
		}
	}
}

// TestPebbleStateFlushDeterministic applies one sequence of changes to states with different
// cache sizes (so different keys are cached or evicted): every epoch's batch must be the same
// bytes (keeps S2: replicas write the same checkpoint whatever their memory).
func TestPebbleStateFlushDeterministic(t *testing.T) {
	caches := []int{1, 10, 100000}
	dbs := make([]*pebble.DB, len(caches))
	states := make([]*PebbleState[*drow], len(caches))
	for i, c := range caches {
		dbs[i] = openMemPebble(t)
		states[i] = openState[*drow](t, dbs[i], StatePrefix(2, 5, 1), distinctCodec{}, c)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for epoch := range 20 {
		type op struct {
			k   string
			n   int64
			del bool
		}
		var ops []op
		for range 300 {
			ops = append(ops, op{testKey(rng.IntN(500)), rng.Int64N(9), rng.IntN(4) == 0})
		}
		var reprs [][]byte
		for i, s := range states {
			for _, o := range ops {
				if o.del {
					s.Delete(o.k)
				} else if v, ok := s.Get(o.k); ok {
					v.n += o.n
					s.Put(o.k, v)
				} else {
					s.Put(o.k, &drow{row: []any{o.k}, n: o.n})
				}
			}
			b := dbs[i].NewBatch()
			if err := s.Flush(b); err != nil {
				t.Fatal(err)
			}
			reprs = append(reprs, append([]byte(nil), b.Repr()[12:]...)) // past the header (seqnum, count)
			if err := b.Commit(pebble.NoSync); err != nil {
				t.Fatal(err)
			}
		}
		for i := range reprs[1:] {
			if !bytes.Equal(reprs[0], reprs[i+1]) {
				t.Fatalf("epoch %d: cache %d and cache %d flush different batches", epoch, caches[0], caches[i+1])
			}
		}
	}
}

func TestStatePrefix(t *testing.T) {
	a, b := StatePrefix(1, 2, 0), StatePrefix(1, 2, 1)
	if len(a) != 10 || a[0] != 's' || bytes.HasPrefix(b, a) || bytes.Compare(a, b) >= 0 {
		t.Fatalf("prefixes %x %x", a, b)
	}
	if got := PrefixEnd([]byte{'s', 0xff, 0xff}); !bytes.Equal(got, []byte{'t'}) {
		t.Fatalf("prefixEnd: %x", got)
	}
}
