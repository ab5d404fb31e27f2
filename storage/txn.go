package storage

import (
	"fmt"
	"slices"
	"sort"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/eddydb/eddy/sql/pgerror"
	"github.com/eddydb/eddy/sql/types"
)

// Txn stages the writes of one SQL transaction (READ COMMITTED, PostgreSQL's default) until
// they are proposed as one Write command (Command). Each statement reads through a fresh
// Reader, which sees the latest applied state overlaid with the transaction's own writes.
//
// For every key it touches, a Txn remembers the row as it was when first touched (the
// "original") and the row now; Command emits the net difference. Staging methods are atomic:
// on error nothing of the call remains staged. A Txn is used by one goroutine.
type Txn struct {
	s      *Store
	tables map[uint32]*txnTable
	// undo records, per staging step, the state a key had before it; Savepoint is its length.
	undo []undoEntry
	// retryOnConflict holds the tables INSERT ... ON CONFLICT wrote (TableWrite.RetryOnConflict).
	retryOnConflict map[uint32]bool
}

type txnTable struct {
	desc *TableDesc // the descriptor of the last staging call
	rows map[string]*stagedRow
}

// stagedRow is one key's original (snapshot) state and current state. Values are row values
// (rowcodec.go) keyed by column ID, so they stay readable across ALTER TABLE.
type stagedRow struct {
	origExists bool
	origValue  []byte
	exists     bool
	value      []byte
}

type undoEntry struct {
	tableID uint32
	key     string
	prev    *stagedRow // nil: the key was not staged
}

// BeginTxn starts a transaction.
func (s *Store) BeginTxn() *Txn {
	return &Txn{s: s, tables: make(map[uint32]*txnTable)}
}

// RetryOnConflict marks t as written by INSERT ... ON CONFLICT: if a concurrent write took a key
// this transaction inserts into t, the commit fails with 40001 (and is retried) rather than 23505.
func (tx *Txn) RetryOnConflict(t *TableDesc) {
	if tx.retryOnConflict == nil {
		tx.retryOnConflict = map[uint32]bool{}
	}
	tx.retryOnConflict[t.ID] = true
}

// Empty reports whether the transaction has staged anything.
func (tx *Txn) Empty() bool { return len(tx.undo) == 0 }

// Savepoint returns a marker for RollbackTo.
func (tx *Txn) Savepoint() int { return len(tx.undo) }

// RollbackTo discards every write staged after Savepoint returned sp.
func (tx *Txn) RollbackTo(sp int) {
	for len(tx.undo) > sp {
		u := tx.undo[len(tx.undo)-1]
		tx.undo = tx.undo[:len(tx.undo)-1]
		tt := tx.tables[u.tableID]
		if u.prev == nil {
			delete(tt.rows, u.key)
		} else {
			tt.rows[u.key] = u.prev
		}
	}
}

// Reader returns a view of the latest applied state merged with the staged writes, for one
// statement. The caller closes it; it must not outlive further staging calls.
func (tx *Txn) Reader() Reader {
	r, err := tx.s.newSnapshotReader()
	if err != nil {
		return errReader{err}
	}
	r.txn = tx
	return r
}

// staged returns the staged state of key in the table, or nil (tx may be nil).
func (tx *Txn) staged(tableID uint32, key string) *stagedRow {
	if tx == nil {
		return nil
	}
	if tt := tx.tables[tableID]; tt != nil {
		return tt.rows[key]
	}
	return nil
}

// sortedStaged returns the staged keys of a table in key order, for a merged scan.
func (tx *Txn) sortedStaged(tableID uint32) []stagedKV {
	tt := tx.tables[tableID]
	if tt == nil {
		return nil
	}
	out := make([]stagedKV, 0, len(tt.rows))
	for k, st := range tt.rows {
		out = append(out, stagedKV{key: k, exists: st.exists, value: st.value})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].key < out[j].key })
	return out
}

// set records the new state of a key, remembering the previous one for RollbackTo.
func (tx *Txn) set(t *TableDesc, key string, next *stagedRow) {
	tt := tx.tables[t.ID]
	if tt == nil {
		tt = &txnTable{rows: make(map[string]*stagedRow)}
		tx.tables[t.ID] = tt
	}
	tt.desc = t
	tx.undo = append(tx.undo, undoEntry{tableID: t.ID, key: key, prev: tt.rows[key]})
	tt.rows[key] = next
}

// Insert stages full new rows of t (every column, in Columns order). A key that already
// exists in the transaction's view, or twice in rows, fails with 23505 and stages nothing.
func (tx *Txn) Insert(t *TableDesc, rows arrow.Record) error {
	sp := tx.Savepoint()
	if err := tx.insert(t, rows); err != nil {
		tx.RollbackTo(sp)
		return err
	}
	return nil
}

// Delete stages the deletion of rows of t; oldRows are the full rows as the statement read them.
func (tx *Txn) Delete(t *TableDesc, oldRows arrow.Record) error {
	sp := tx.Savepoint()
	if err := tx.delete(t, oldRows); err != nil {
		tx.RollbackTo(sp)
		return err
	}
	return nil
}

// Update stages replacing oldRows by newRows (row i by row i; keys may change). All deletes
// happen before the inserts, so keys may be permuted (UPDATE t SET id = id + 1 succeeds).
func (tx *Txn) Update(t *TableDesc, oldRows, newRows arrow.Record) error {
	if oldRows.NumRows() != newRows.NumRows() {
		return fmt.Errorf("storage: update of %q with %d old and %d new rows", t.Name, oldRows.NumRows(), newRows.NumRows())
	}
	sp := tx.Savepoint()
	err := tx.delete(t, oldRows)
	if err == nil {
		err = tx.insert(t, newRows)
	}
	if err != nil {
		tx.RollbackTo(sp)
	}
	return err
}

func (tx *Txn) insert(t *TableDesc, rows arrow.Record) error {
	if err := checkRecord(t, rows); err != nil {
		return err
	}
	if err := checkNotNull(t, rows); err != nil {
		return err
	}
	ref, err := tx.s.acquireDB()
	if err != nil {
		return err
	}
	defer ref.readers.Done()
	db := ref.db
	codec := newRowCodec(t)
	// Existence checks read the latest applied state (not a statement snapshot): a key
	// committed by someone else since is a duplicate now, as in PostgreSQL.
	view := &cmdView{db: db, point: rows.NumRows() < pointReadRows}
	defer view.close()
	var kb []byte
	for i := 0; i < int(rows.NumRows()); i++ {
		if kb, err = encodeKeyRow(kb, t, rows, i); err != nil {
			return err
		}
		key := string(kb)
		next := &stagedRow{exists: true, value: codec.encodeValueRow(nil, rows, i)}
		if st := tx.staged(t.ID, key); st != nil {
			if st.exists {
				return uniqueViolation(t, rowFromRecord(t, rows, i))
			}
			next.origExists, next.origValue = st.origExists, st.origValue
		} else {
			_, exists, err := view.get(t.ID, kb)
			if err != nil {
				return fmt.Errorf("storage: %w", err)
			}
			if exists {
				return uniqueViolation(t, rowFromRecord(t, rows, i))
			}
		}
		tx.set(t, key, next)
	}
	return nil
}

func (tx *Txn) delete(t *TableDesc, rows arrow.Record) error {
	if err := checkRecord(t, rows); err != nil {
		return err
	}
	if err := checkNotNull(t, rows); err != nil {
		return err
	}
	codec := newRowCodec(t)
	var kb []byte
	var err error
	for i := 0; i < int(rows.NumRows()); i++ {
		if kb, err = encodeKeyRow(kb, t, rows, i); err != nil {
			return err
		}
		key := string(kb)
		next := &stagedRow{}
		if st := tx.staged(t.ID, key); st != nil {
			if !st.exists {
				continue // already deleted in this transaction
			}
			next.origExists, next.origValue = st.origExists, st.origValue
		} else {
			// First touch: the caller's old row is the original, read from its snapshot; the
			// FSM checks it still matches when the transaction commits.
			next.origExists, next.origValue = true, codec.encodeValueRow(nil, rows, i)
		}
		tx.set(t, key, next)
	}
	return nil
}

// InsertRows, DeleteRows and UpdateRows are Insert, Delete and Update for rows given as
// datums (one per column of t, in Columns order, per the types package's conventions).
func (tx *Txn) InsertRows(t *TableDesc, rows [][]any) error {
	rec := RecordFromRows(t, rows)
	defer rec.Release()
	return tx.Insert(t, rec)
}

// DeleteRows: see InsertRows.
func (tx *Txn) DeleteRows(t *TableDesc, oldRows [][]any) error {
	rec := RecordFromRows(t, oldRows)
	defer rec.Release()
	return tx.Delete(t, rec)
}

// UpdateRows: see InsertRows.
func (tx *Txn) UpdateRows(t *TableDesc, oldRows, newRows [][]any) error {
	o, n := RecordFromRows(t, oldRows), RecordFromRows(t, newRows)
	defer o.Release()
	defer n.Release()
	return tx.Update(t, o, n)
}

// RecordFromRows builds a record of every column of t (the shape Write and Txn expect) from
// datum rows. The caller releases it.
func RecordFromRows(t *TableDesc, rows [][]any) arrow.Record {
	bs := make([]array.Builder, len(t.Columns))
	names := make([]string, len(t.Columns))
	ts := make([]types.T, len(t.Columns))
	for i, c := range t.Columns {
		bs[i] = types.NewBuilder(memory.DefaultAllocator, c.Type)
		names[i], ts[i] = c.Name, c.Type
	}
	for _, r := range rows {
		for i, b := range bs {
			types.AppendDatum(b, ts[i], r[i])
		}
	}
	return finishRecord(types.Schema(names, ts), bs, len(rows))
}

// finishRecord turns builders into a record and releases them.
func finishRecord(schema *arrow.Schema, bs []array.Builder, n int) arrow.Record {
	arrs := make([]arrow.Array, len(bs))
	for i, b := range bs {
		arrs[i] = b.NewArray()
		b.Release()
	}
	rec := array.NewRecord(schema, arrs, int64(n))
	for _, a := range arrs {
		a.Release()
	}
	return rec
}

// Command returns the net effect of the transaction as a Write (nil when there is none):
// per table in ID order and per key in key order, the original row as a delete when it
// existed and changed or went away, and the final row as an insert when it exists and changed.
// The caller releases the records (Command.Release or per TableWrite).
func (tx *Txn) Command() (*Write, error) {
	ids := make([]uint32, 0, len(tx.tables))
	for id := range tx.tables {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	w := &Write{}
	for _, id := range ids {
		tt := tx.tables[id]
		keys := make([]string, 0, len(tt.rows))
		for k := range tt.rows {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		codec := newRowCodec(tt.desc)
		var dels, ins [][]byte // pairs of key, value
		for _, k := range keys {
			st := tt.rows[k]
			if st.origExists == st.exists && (!st.exists || string(st.origValue) == string(st.value)) {
				continue
			}
			if st.origExists {
				dels = append(dels, []byte(k), st.origValue)
			}
			if st.exists {
				ins = append(ins, []byte(k), st.value)
			}
		}
		if len(dels) == 0 && len(ins) == 0 {
			continue
		}
		tw := TableWrite{TableID: id, TableVersion: tt.desc.Version, RetryOnConflict: tx.retryOnConflict[id]}
		var err error
		if len(dels) > 0 {
			if tw.Deletes, err = buildRecord(codec, dels); err != nil {
				(&Command{Write: w}).Release()
				return nil, err
			}
		}
		if len(ins) > 0 {
			if tw.Inserts, err = buildRecord(codec, ins); err != nil {
				if tw.Deletes != nil {
					tw.Deletes.Release()
				}
				(&Command{Write: w}).Release()
				return nil, err
			}
		}
		w.Tables = append(w.Tables, tw)
	}
	if len(w.Tables) == 0 {
		return nil, nil
	}
	return w, nil
}

// buildRecord decodes (key, value) pairs into a record of every column of codec's table.
func buildRecord(codec *rowCodec, kvs [][]byte) (arrow.Record, error) {
	t := codec.t
	bs := make([]array.Builder, len(t.Columns))
	names := make([]string, len(t.Columns))
	ts := make([]types.T, len(t.Columns))
	for i, c := range t.Columns {
		bs[i] = types.NewBuilder(memory.DefaultAllocator, c.Type)
		names[i], ts[i] = c.Name, c.Type
	}
	defer func() {
		for _, b := range bs {
			b.Release()
		}
	}()
	row := make([]any, len(t.Columns))
	for i := 0; i < len(kvs); i += 2 {
		if err := codec.decodeRow(kvs[i], kvs[i+1], row); err != nil {
			return nil, pgerror.Wrap(err, pgerror.Internal, "decode staged row")
		}
		for c, b := range bs {
			types.AppendDatum(b, t.Columns[c].Type, row[c])
		}
	}
	arrs := make([]arrow.Array, len(bs))
	for i, b := range bs {
		arrs[i] = b.NewArray()
	}
	rec := array.NewRecord(types.Schema(names, ts), arrs, int64(len(kvs)/2))
	for _, a := range arrs {
		a.Release()
	}
	return rec, nil
}
