package storage

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"io"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/cespare/xxhash/v2"
	"github.com/cockroachdb/pebble"
	"github.com/eddydb/eddy/sql/pgerror"
)

// A Deriver maintains what is derived from base data — materialized views, source offsets and
// operator state — inside the apply path, so that a command's derived writes land in the same
// Pebble batch as the command's own writes and its log index (one atomic step; keeps S2).
// The store calls it from the apply goroutine only. Everything it does must be deterministic:
// a function of the command and the stored state.
type Deriver interface {
	// Expand returns the table rows a stream command writes (a connector-fed table's new rows),
	// or nil when it writes none. db is the state before the command.
	Expand(db pebble.Reader, cat *Catalog, cmd *StreamCmd) (*Write, error)
	// Derive stages the derived effects of the command described by d into d.Batch. A
	// *pgerror.Error rejects the whole command (nothing of it is written); any other error is
	// fatal to the replica.
	Derive(d *Derivation) error
	// Reset rebuilds all in-memory derived state from what db holds for catalog cat. The store
	// calls it when the deriver is installed, after a command whose Derive ran was not
	// committed, and after its contents were replaced (RestoreFrom).
	Reset(db pebble.Reader, cat *Catalog) error
}

// Derivation is one applied command as a Deriver sees it.
type Derivation struct {
	Index uint64
	Cmd   *Command
	// DB is the committed state before the command; Batch holds the command's staged writes.
	DB    pebble.Reader
	Batch *pebble.Batch
	// Old and New are the catalog before and after the command (the same for non-DDL).
	Old, New *Catalog
	// Writes are the row changes the command made: full old rows deleted, full new rows
	// inserted, per table (the command's own, or what Expand returned).
	Writes []TableWrite
	// Truncated lists tables whose rows the command deleted wholesale; their old rows are
	// still readable in DB.
	Truncated []uint32
	// Savepoint opens durable savepoint name's state read-only, with its catalog (a view
	// started FROM SAVEPOINT reads it); release closes it. 3B001 when there is none.
	Savepoint func(name string) (db pebble.Reader, cat *Catalog, release func(), err error)
}

// SetDeriver installs d and loads its state; call it before the first Apply.
func (s *Store) SetDeriver(d Deriver) error {
	s.deriver = d
	return s.resetDeriver()
}

// resetDeriver has the deriver rebuild its state from the committed store.
func (s *Store) resetDeriver() error {
	if s.deriver == nil {
		return nil
	}
	db, err := s.currentDB()
	if err != nil {
		return err
	}
	if err := s.deriver.Reset(db, s.catalog.Load()); err != nil {
		return fmt.Errorf("storage: reload derived state: %w", err)
	}
	return nil
}

// StreamCmd drives streaming work through the log. Exactly one field is set.
type StreamCmd struct {
	// Ingest delivers a deterministic source's rows [From, To): every replica regenerates them.
	Ingest *Ingest `json:",omitempty"`
	// Backfill processes the next chunk of a materialized view's initial load.
	Backfill *Backfill `json:",omitempty"`
}

// Ingest is "source Source, offsets [From, To)".
type Ingest struct {
	Source   uint32
	From, To int64
}

// Backfill asks for up to Rows more rows of view View's backfill.
type Backfill struct {
	View uint32
	Rows int64
}

// ---- materialized view rows ----

// A materialized view is a multiset of rows. Each distinct row is stored once, under the view's
// table prefix followed by the row's value encoding (exact: it tells 1.0 from 1.00, and NULL
// from every value), with its multiplicity as the value (uvarint).

// ViewRowCoder encodes view rows of one view, reusing its codec.
type ViewRowCoder struct {
	codec  *rowCodec
	prefix []byte
	buf    []byte
}

// NewViewRowCoder returns a coder for rows of t.
func NewViewRowCoder(t *TableDesc) *ViewRowCoder {
	return &ViewRowCoder{codec: newRowCodec(t), prefix: tableKeyPrefix(t.ID)}
}

// Key appends the storage key of row i of rec to b.
func (c *ViewRowCoder) Key(b []byte, rec arrow.Record, i int) []byte {
	c.buf = c.codec.encodeValueRow(c.buf, rec, i) // encodeValueRow reuses its argument from 0
	b = append(b, c.prefix...)
	return append(b, c.buf...)
}

// AddViewCount adds delta to the multiplicity stored under key (a ViewRowCoder key). It is a blind
// write — a Pebble merge operand that countMerger sums with what is stored — so maintaining a
// view never reads its rows; a row whose count sums to zero reads as absent and is dropped by
// compaction.
func AddViewCount(batch *pebble.Batch, key []byte, delta int64) error {
	if delta == 0 {
		return nil
	}
	if err := batch.Merge(key, binary.AppendVarint(nil, delta), nil); err != nil {
		return fmt.Errorf("storage: stage view row: %w", err)
	}
	return nil
}

// viewCount decodes a stored multiplicity; ok is false for a corrupt value.
func viewCount(v []byte) (int64, bool) {
	n, k := binary.Varint(v)
	return n, k > 0 && k == len(v)
}

// countMerger sums signed varint counts: the merge operator of view rows. Its name is recorded
// in the store's OPTIONS file and must never change.
var countMerger = &pebble.Merger{
	Name: "eddy.count.v1",
	Merge: func(key, value []byte) (pebble.ValueMerger, error) {
		m := &countMerge{}
		return m, m.add(value)
	},
}

type countMerge struct{ sum int64 }

func (m *countMerge) add(v []byte) error {
	n, ok := viewCount(v)
	if !ok {
		return fmt.Errorf("storage: corrupt view row count %x", v)
	}
	m.sum += n
	return nil
}

func (m *countMerge) MergeNewer(v []byte) error { return m.add(v) }
func (m *countMerge) MergeOlder(v []byte) error { return m.add(v) }

func (m *countMerge) Finish(bool) ([]byte, io.Closer, error) {
	return binary.AppendVarint(nil, m.sum), nil, nil
}

// DeletableFinish lets compaction drop a row whose count has come back to zero.
func (m *countMerge) DeletableFinish(includesBase bool) ([]byte, bool, io.Closer, error) {
	return binary.AppendVarint(nil, m.sum), includesBase && m.sum == 0, nil, nil
}

// ---- reading base rows for a backfill ----

// RowKeyer computes the storage keys of a relation's rows, for comparing a change against a
// backfill's position.
type RowKeyer struct {
	t    *TableDesc
	view *ViewRowCoder
}

// NewRowKeyer returns a keyer for rows of t (full rows, in t.Columns order).
func NewRowKeyer(t *TableDesc) *RowKeyer {
	k := &RowKeyer{t: t}
	if t.Kind == KindMaterializedView {
		k.view = NewViewRowCoder(t)
	}
	return k
}

// Key appends the key of row i of rec to b.
func (k *RowKeyer) Key(b []byte, rec arrow.Record, i int) ([]byte, error) {
	if k.view != nil {
		return k.view.Key(b, rec, i), nil
	}
	return encodeKeyRow(b, k.t, rec, i)
}

// ScanAfter reads up to limit rows of t (every column, t.Columns order) whose keys sort after
// after (nil: from the start), from r. A materialized view's row counts as many rows as its
// multiplicity. It returns the rows, the key of the last row read, and whether the relation
// has no rows beyond it. The record is nil when there are no rows.
func ScanAfter(r pebble.Reader, t *TableDesc, after []byte, limit int) (arrow.Record, []byte, bool, error) {
	start, end := tableKeySpan(t.ID)
	if after != nil {
		start = append(bytes.Clone(after), 0)
	}
	it, err := r.NewIter(&pebble.IterOptions{LowerBound: start, UpperBound: end})
	if err != nil {
		return nil, nil, false, fmt.Errorf("storage: open iterator: %w", err)
	}
	defer it.Close()
	rb := newRelationBuilder(t)
	defer rb.release()
	view := t.Kind == KindMaterializedView
	var last []byte
	n := 0
	valid := it.First()
	for ; valid && n < limit; valid = it.Next() {
		k, v := it.Key(), it.Value()
		if view {
			cnt, ok := viewCount(v)
			if !ok {
				return nil, nil, false, fmt.Errorf("storage: corrupt view row count in %q", t.Name)
			}
			for range cnt {
				if err := rb.add(k, k[5:], 1); err != nil {
					return nil, nil, false, fmt.Errorf("storage: backfill scan of %q: %w", t.Name, err)
				}
			}
			n += int(cnt)
		} else {
			if err := rb.add(k, v, 1); err != nil {
				return nil, nil, false, fmt.Errorf("storage: backfill scan of %q: %w", t.Name, err)
			}
			n++
		}
		last = append(last[:0], k...)
	}
	if err := it.Error(); err != nil {
		return nil, nil, false, fmt.Errorf("storage: backfill scan of %q: %w", t.Name, err)
	}
	if n == 0 {
		return nil, nil, true, nil
	}
	rec, _ := rb.finish()
	return rec, last, !valid, nil
}

// CountRows counts the rows of t in r (a view's rows with their multiplicity).
func CountRows(r pebble.Reader, t *TableDesc) (int64, error) {
	start, end := tableKeySpan(t.ID)
	it, err := r.NewIter(&pebble.IterOptions{LowerBound: start, UpperBound: end})
	if err != nil {
		return 0, fmt.Errorf("storage: open iterator: %w", err)
	}
	defer it.Close()
	var n int64
	for valid := it.First(); valid; valid = it.Next() {
		if t.Kind == KindMaterializedView {
			c, _ := viewCount(it.Value())
			n += max(c, 0)
		} else {
			n++
		}
	}
	return n, it.Error()
}

// UpsertRows turns rows of t (full rows, t.Columns order) into a write that replaces any stored
// row with the same primary key, as a connector-fed table with a primary key wants: a stored
// row with the key of an incoming one is deleted, and of several incoming rows with one key
// the last wins. r is the state before the write.
func UpsertRows(r pebble.Reader, t *TableDesc, rec arrow.Record) (deletes, inserts [][]any, err error) {
	if err := checkNotNull(t, rec); err != nil {
		return nil, nil, err
	}
	codec := newRowCodec(t)
	last := map[string]int{}
	keys := make([]string, rec.NumRows())
	var key []byte
	for i := range int(rec.NumRows()) {
		if key, err = encodeKeyRow(key[:0], t, rec, i); err != nil {
			return nil, nil, pgerror.Wrap(err, pgerror.NotNullViolation, err.Error())
		}
		keys[i] = string(key)
		last[keys[i]] = i
	}
	for i, k := range keys {
		if last[k] != i {
			continue // a later row of the chunk has the same key
		}
		v, closer, gerr := r.Get([]byte(k))
		switch {
		case gerr == nil:
			old := make([]any, len(t.Columns))
			derr := codec.decodeRow([]byte(k), v, old)
			closer.Close()
			if derr != nil {
				return nil, nil, fmt.Errorf("storage: decode row of %q: %w", t.Name, derr)
			}
			deletes = append(deletes, old)
		case gerr != pebble.ErrNotFound:
			return nil, nil, fmt.Errorf("storage: read row of %q: %w", t.Name, gerr)
		}
		inserts = append(inserts, rowFromRecord(t, rec, i))
	}
	return deletes, inserts, nil
}

// Fingerprint hashes every key and value the store holds (merged values, as reads see them),
// in key order: two replicas at the same applied index must have the same fingerprint.
func (s *Store) Fingerprint() (uint64, error) {
	ref, err := s.acquireDB()
	if err != nil {
		return 0, err
	}
	defer ref.readers.Done()
	it, err := ref.db.NewIter(nil)
	if err != nil {
		return 0, fmt.Errorf("storage: open iterator: %w", err)
	}
	defer it.Close()
	h := fnv.New64a()
	var n [binary.MaxVarintLen64]byte
	for valid := it.First(); valid; valid = it.Next() {
		h.Write(n[:binary.PutUvarint(n[:], uint64(len(it.Key())))])
		h.Write(it.Key())
		h.Write(n[:binary.PutUvarint(n[:], uint64(len(it.Value())))])
		h.Write(it.Value())
	}
	return h.Sum64(), it.Error()
}

// ---- view fingerprints ----

// A view's fingerprint is the wrapping sum, over its stored rows, of count × hash(row key):
// independent of the order rows arrived in, maintained with one merge operand per view and
// command, and equal on two replicas exactly when (barring hash collisions) their views hold
// the same multiset of rows. Replicas compare fingerprints at the same applied index to make a
// divergence visible (SHOW CLUSTER).

func viewFingerprintKey(id uint32) []byte {
	return binary.BigEndian.AppendUint32([]byte("mfp"), id)
}

// AddViewFingerprint adds delta (a sum of count × hash, wrapping) to view id's fingerprint.
func AddViewFingerprint(batch *pebble.Batch, id uint32, delta uint64) error {
	if delta == 0 {
		return nil
	}
	if err := batch.Merge(viewFingerprintKey(id), binary.AppendVarint(nil, int64(delta)), nil); err != nil {
		return fmt.Errorf("storage: stage view fingerprint: %w", err)
	}
	return nil
}

// ViewFingerprints returns every view's fingerprint and the applied index they belong to,
// read from one snapshot. A view with no rows may be missing (its fingerprint is 0).
func (s *Store) ViewFingerprints() (applied uint64, fps map[uint32]uint64, err error) {
	ref, err := s.acquireDB()
	if err != nil {
		return 0, nil, err
	}
	defer ref.readers.Done()
	snap := ref.db.NewSnapshot()
	defer snap.Close()
	if applied, err = getUint64(snap, metaAppliedKey); err != nil {
		return 0, nil, err
	}
	prefix := []byte("mfp")
	it, err := snap.NewIter(&pebble.IterOptions{LowerBound: prefix, UpperBound: []byte("mfq")})
	if err != nil {
		return 0, nil, fmt.Errorf("storage: read fingerprints: %w", err)
	}
	defer it.Close()
	fps = map[uint32]uint64{}
	for it.First(); it.Valid(); it.Next() {
		k := it.Key()
		n, ok := viewCount(it.Value())
		if len(k) != len(prefix)+4 || !ok {
			return 0, nil, fmt.Errorf("storage: corrupt fingerprint %x = %x: %w", k, it.Value(), ErrDamaged)
		}
		fps[binary.BigEndian.Uint32(k[len(prefix):])] = uint64(n)
	}
	return applied, fps, it.Error()
}

// RecomputeViewFingerprint computes view id's fingerprint from its stored rows, for checking the
// maintained one (ViewFingerprints) against the rows themselves.
func (s *Store) RecomputeViewFingerprint(id uint32) (uint64, error) {
	ref, err := s.acquireDB()
	if err != nil {
		return 0, err
	}
	defer ref.readers.Done()
	start, end := tableKeySpan(id)
	it, err := ref.db.NewIter(&pebble.IterOptions{LowerBound: start, UpperBound: end})
	if err != nil {
		return 0, fmt.Errorf("storage: open iterator: %w", err)
	}
	defer it.Close()
	var fp uint64
	for valid := it.First(); valid; valid = it.Next() {
		n, ok := viewCount(it.Value())
		if !ok {
			return 0, fmt.Errorf("storage: view %d row %x: count %x: %w", id, it.Key(), it.Value(), ErrDamaged)
		}
		fp += uint64(n) * xxhash.Sum64(it.Key())
	}
	return fp, it.Error()
}
