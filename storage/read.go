package storage

import (
	"errors"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/cockroachdb/pebble"
	"github.com/eddydb/eddy/sql/types"
)

// snapshotReader is a Reader over one Pebble snapshot and the catalog of the same moment,
// optionally overlaid with a transaction's staged writes.
type snapshotReader struct {
	ref       *dbRef
	snap      *pebble.Snapshot
	cat       *Catalog
	batchRows int
	txn       *Txn // nil for a plain reader
	closed    bool
}

// NewReader returns a consistent read view at the latest applied index (keeps S5). The
// caller must Close it (and must do so before closing the store).
func (s *Store) NewReader() Reader {
	r, err := s.newSnapshotReader()
	if err != nil {
		return errReader{err}
	}
	return r
}

func (s *Store) newSnapshotReader() (*snapshotReader, error) {
	ref, snap, cat, err := s.acquire()
	if err != nil {
		return nil, err
	}
	return &snapshotReader{ref: ref, snap: snap, cat: cat, batchRows: int(s.batchRows.Load())}, nil
}

func (r *snapshotReader) Catalog() *Catalog { return r.cat }

func (r *snapshotReader) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	err := r.snap.Close()
	r.ref.readers.Done()
	if err != nil {
		return fmt.Errorf("storage: close snapshot: %w", err)
	}
	return nil
}

// Get returns the row of t whose key is key; staged writes of a transaction win.
func (r *snapshotReader) Get(t *TableDesc, key []any) ([]any, bool, error) {
	k, err := encodeKeyDatums(t, key)
	if err != nil {
		return nil, false, err
	}
	var value []byte
	if st := r.txn.staged(t.ID, string(k)); st != nil {
		if !st.exists {
			return nil, false, nil
		}
		value = st.value
	} else {
		v, closer, err := r.snap.Get(k)
		if errors.Is(err, pebble.ErrNotFound) {
			return nil, false, nil
		}
		if err != nil {
			return nil, false, fmt.Errorf("storage: get: %w", err)
		}
		value = append([]byte(nil), v...)
		closer.Close()
	}
	row := make([]any, len(t.Columns))
	if err := newRowCodec(t).decodeRow(k, value, row); err != nil {
		return nil, false, err
	}
	return row, true, nil
}

// Scan returns the rows of t in key order, in records of at most batchRows rows.
func (r *snapshotReader) Scan(t *TableDesc, cols []int) (RecordIterator, error) {
	start, end := tableKeySpan(t.ID)
	return r.scanSpan(t, cols, start, end)
}

// ScanRange returns the rows of t whose keys lie between the bounds, in key order. The bounds
// become the Pebble iterator's bounds, so only the span is read.
func (r *snapshotReader) ScanRange(t *TableDesc, cols []int, lo, hi []any, loInclusive, hiInclusive bool) (RecordIterator, error) {
	start, end, ok, err := keyRangeSpan(t, lo, hi, loInclusive, hiInclusive)
	if err != nil {
		return nil, err
	}
	if !ok {
		start, end = nil, nil // empty: an iterator over nothing keeps one code path
	}
	return r.scanSpan(t, cols, start, end)
}

// scanSpan scans the row keys of t in [start, end); start == end == nil scans nothing.
func (r *snapshotReader) scanSpan(t *TableDesc, cols []int, start, end []byte) (RecordIterator, error) {
	for _, c := range cols {
		if c < 0 || c >= len(t.Columns) {
			return nil, fmt.Errorf("storage: scan of %q: column ordinal %d out of range", t.Name, c)
		}
	}
	empty := start == nil && end == nil
	if empty {
		start, end = tableKeyPrefix(t.ID), tableKeyPrefix(t.ID)
	}
	it, err := r.snap.NewIter(&pebble.IterOptions{LowerBound: start, UpperBound: end})
	if err != nil {
		return nil, fmt.Errorf("storage: open iterator: %w", err)
	}
	it.First()
	si := &scanIter{
		it:        it,
		codec:     newRowCodec(t),
		cols:      cols,
		batchRows: r.batchRows,
	}
	si.app = newRowAppender(si.codec, cols)
	si.view = t.Kind == KindMaterializedView
	if r.txn != nil && !empty {
		for _, st := range r.txn.sortedStaged(t.ID) {
			if st.key >= string(start) && st.key < string(end) {
				si.staged = append(si.staged, st)
			}
		}
	}
	names := make([]string, len(cols))
	ts := make([]types.T, len(cols))
	for i, c := range cols {
		names[i], ts[i] = t.Columns[c].Name, t.Columns[c].Type
	}
	si.schema = types.Schema(names, ts)
	return si, nil
}

// scanIter merges a Pebble iterator with a transaction's staged rows (sorted by key) and
// decodes the result into records.
type scanIter struct {
	it        *pebble.Iterator
	staged    []stagedKV
	codec     *rowCodec
	cols      []int
	schema    *arrow.Schema
	batchRows int
	app       *rowAppender
	view      bool // rows are a materialized view's: key = prefix + row, value = count
	done      bool
	advance   bool // the iterator's current entry has been returned
}

// stagedKV is one staged key of a transaction in a scan: exists false hides the stored row.
type stagedKV struct {
	key    string
	exists bool
	value  []byte
}

// next returns the next visible key and value, or ok false at the end. They stay valid
// until the following call (the Pebble iterator moves only then).
func (si *scanIter) next() (key, value []byte, ok bool) {
	if si.advance {
		si.it.Next()
		si.advance = false
	}
	for {
		itValid := si.it.Valid()
		switch {
		case len(si.staged) > 0 && (!itValid || si.staged[0].key <= string(si.it.Key())):
			st := si.staged[0]
			si.staged = si.staged[1:]
			if itValid && st.key == string(si.it.Key()) {
				si.it.Next()
			}
			if !st.exists {
				continue
			}
			return []byte(st.key), st.value, true
		case itValid:
			si.advance = true
			return si.it.Key(), si.it.Value(), true
		default:
			return nil, nil, false
		}
	}
}

func (si *scanIter) Next() (arrow.Record, error) {
	if si.done {
		return nil, nil
	}
	bs := make([]array.Builder, len(si.cols))
	for i, c := range si.cols {
		bs[i] = types.NewBuilder(memory.DefaultAllocator, si.codec.t.Columns[c].Type)
	}
	defer func() {
		for _, b := range bs {
			b.Release()
		}
	}()
	si.app.bs = bs
	n := 0
	for n < si.batchRows {
		k, v, ok := si.next()
		if !ok {
			si.done = true
			break
		}
		if si.view {
			cnt, ok := viewCount(v)
			if !ok || len(k) < 5 {
				return nil, fmt.Errorf("storage: scan of %q: corrupt view row", si.codec.t.Name)
			}
			for range cnt {
				if err := si.app.append(k, k[5:]); err != nil {
					return nil, fmt.Errorf("storage: scan of %q: %w", si.codec.t.Name, err)
				}
			}
			n += int(max(cnt, 0))
			continue
		}
		if err := si.app.append(k, v); err != nil {
			return nil, fmt.Errorf("storage: scan of %q: %w", si.codec.t.Name, err)
		}
		n++
	}
	if err := si.it.Error(); err != nil {
		return nil, fmt.Errorf("storage: scan of %q: %w", si.codec.t.Name, err)
	}
	if n == 0 {
		return nil, nil
	}
	arrs := make([]arrow.Array, len(bs))
	for i, b := range bs {
		arrs[i] = b.NewArray()
	}
	rec := array.NewRecord(si.schema, arrs, int64(n))
	for _, a := range arrs {
		a.Release()
	}
	return rec, nil
}

func (si *scanIter) Close() error {
	if si.it == nil {
		return nil
	}
	err := si.it.Close()
	si.it = nil
	if err != nil {
		return fmt.Errorf("storage: close iterator: %w", err)
	}
	return nil
}

// errReader is the Reader of a closed store: every call fails.
type errReader struct{ err error }

func (r errReader) Catalog() *Catalog { return nil }
func (r errReader) Scan(*TableDesc, []int) (RecordIterator, error) {
	return nil, r.err
}
func (r errReader) ScanRange(*TableDesc, []int, []any, []any, bool, bool) (RecordIterator, error) {
	return nil, r.err
}
func (r errReader) Get(*TableDesc, []any) ([]any, bool, error) { return nil, false, r.err }
func (r errReader) Close() error                               { return nil }

// SavepointState opens savepoint name's state read-only with its catalog (Derivation.Savepoint; the planner's EXPLAIN).
func (s *Store) SavepointState(name string) (pebble.Reader, *Catalog, func(), error) {
	r, err := s.SavepointReader(name)
	if err != nil {
		return nil, nil, nil, err
	}
	sr := r.(*snapshotReader)
	return sr.snap, sr.cat, func() { _ = sr.Close() }, nil
}
