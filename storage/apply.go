package storage

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/cockroachdb/apd/v3"
	"github.com/cockroachdb/pebble"
	"github.com/eddydb/eddy/sql/pgerror"
	"github.com/eddydb/eddy/sql/types"
)

// ApplyResult is what applying one command produced.
type ApplyResult struct {
	// Skipped is true when the index had already been applied (replay after a restart).
	Skipped bool
	// RowsAffected counts deleted plus inserted rows of a Write (an update counts twice:
	// callers that know they updated count rows themselves).
	RowsAffected int64
	// First is the first row id handed out by ReserveIDs.
	First int64
	// ID is the ID assigned to the object a CREATE made.
	ID uint32
	// CatalogVersion is the catalog version after the command.
	CatalogVersion uint64
}

// Apply applies the command at log index index (keeps S2, S3, S4). It returns a *pgerror.Error
// when the command is rejected deterministically (every replica rejects it the same way; the
// index still advances); any other error is an infrastructure failure and is fatal to the
// replica. Apply must be called from one goroutine.
func (s *Store) Apply(index uint64, cmd *Command) (*ApplyResult, error) {
	if index <= s.applied.Load() {
		return &ApplyResult{Skipped: true, CatalogVersion: s.catalog.Load().Version}, nil
	}
	if cmd.Savepoint != nil {
		s.spMu.Lock()
		defer s.spMu.Unlock()
	}
	db, err := s.currentDB()
	if err != nil {
		return nil, err
	}
	cat := s.catalog.Load()
	batch := db.NewBatch()
	defer func() { batch.Close() }()

	res := &ApplyResult{CatalogVersion: cat.Version}
	s.derived, s.afterCommit, s.rollback = false, nil, nil
	newCat, nextRowID, rej := s.evaluate(index, db, batch, cat, cmd, res)
	if rej == nil && s.rollback != nil {
		sp := *s.rollback
		s.rollback = nil
		start := time.Now()
		res, err := s.restoreSavepoint(index, sp)
		s.lastRollback.Store(int64(time.Since(start)))
		return res, err
	}
	if s.derived && rej != nil {
		if err := s.resetDeriver(); err != nil {
			return nil, err
		}
	}
	if rej != nil && pgerror.As(rej) == nil {
		return nil, fmt.Errorf("storage: apply index %d: %w", index, rej)
	}
	if rej != nil {
		// Rejected: nothing of the command is written, only the index advances (keeps S2).
		s.afterCommit = nil
		batch.Close()
		batch = db.NewBatch()
		newCat, nextRowID = nil, s.nextRowID
		*res = ApplyResult{CatalogVersion: cat.Version}
	}
	var ib [8]byte
	binary.BigEndian.PutUint64(ib[:], index)
	if err := batch.Set(metaAppliedKey, ib[:], nil); err != nil {
		return nil, fmt.Errorf("storage: stage applied index: %w", err)
	}
	if nextRowID != s.nextRowID {
		binary.BigEndian.PutUint64(ib[:], uint64(nextRowID))
		if err := batch.Set(metaRowIDKey, ib[:], nil); err != nil {
			return nil, fmt.Errorf("storage: stage row id: %w", err)
		}
	}
	if newCat != nil {
		b, err := encodeCatalog(newCat)
		if err != nil {
			return nil, err
		}
		if err := batch.Set(metaCatalogKey, b, nil); err != nil {
			return nil, fmt.Errorf("storage: stage catalog: %w", err)
		}
		res.CatalogVersion = newCat.Version
	}

	// The Raft log is the durable record, so the commit need not sync: after a crash the
	// store replays from the applied index it did persist.
	s.mu.Lock()
	err = batch.Commit(pebble.NoSync)
	if err == nil {
		s.applied.Store(index)
		s.nextRowID = nextRowID
		if newCat != nil {
			s.catalog.Store(newCat)
		}
	}
	s.mu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("storage: commit index %d: %w", index, err)
	}
	if f := s.afterCommit; f != nil {
		s.afterCommit = nil
		f()
	}
	return res, rej
}

// evaluate validates cmd and stages its effects into batch. A panic while doing so (a
// malformed value the checks missed) would hit every replica alike and crash them all again
// on every replay, so it becomes a deterministic rejection instead (XX000).
func (s *Store) evaluate(index uint64, db *pebble.DB, batch *pebble.Batch, cat *Catalog, cmd *Command, res *ApplyResult) (
	newCat *Catalog, nextRowID int64, rej error) {
	nextRowID = s.nextRowID
	var view *cmdView
	defer func() {
		if view != nil {
			if err := view.close(); err != nil && rej == nil {
				rej = err
			}
		}
		if r := recover(); r != nil {
			s.log.Error("storage: command panicked; rejecting it", "panic", r)
			newCat, rej = nil, pgerror.Newf(pgerror.Internal, "command could not be applied: %v", r)
		}
	}()
	var writes []TableWrite
	var truncated []uint32
	switch {
	case cmd.DDL != nil:
		newCat, rej = applyDDL(batch, cat, cmd.DDL, res)
		if t := cmd.DDL.TruncateTable; t != nil {
			truncated = append(truncated, t.ID)
		}
	case cmd.Write != nil:
		view = &cmdView{db: db, own: make(map[string]ownEntry)}
		rej = applyWrite(batch, view, cat, cmd.Write, res)
		writes = cmd.Write.Tables
	case cmd.ReserveIDs != nil:
		if n := cmd.ReserveIDs.Count; n < 0 || nextRowID > (1<<63-1)-n {
			rej = pgerror.Newf(pgerror.ProgramLimitExceeded, "cannot reserve %d row ids", n)
		} else {
			res.First = nextRowID
			nextRowID += n
		}
	case cmd.Savepoint != nil:
		// Savepoints change no table or derived state.
		return nil, nextRowID, s.stageSavepoint(index, db, batch, cmd)
	case cmd.Stream != nil:
		if s.deriver == nil {
			rej = pgerror.New(pgerror.FeatureNotSupported, "streaming commands need a deriver")
			break
		}
		if in := cmd.Stream.Ingest; in != nil {
			if t := cat.TableByID(in.Source); t != nil {
				if paused, why := cat.IngestPaused(t); paused {
					rej = pgerror.New(pgerror.ObjectNotInPrerequisiteState, "ingestion is paused: "+why)
					break
				}
			}
		}
		var w *Write
		if w, rej = s.deriver.Expand(db, cat, cmd.Stream); rej == nil && w != nil {
			defer (&Command{Write: w}).Release()
			view = &cmdView{db: db, own: make(map[string]ownEntry)}
			rej = applyWrite(batch, view, cat, w, res)
			writes = w.Tables
		}
	default:
		rej = pgerror.New(pgerror.Internal, "empty command")
	}
	if rej == nil && s.deriver != nil {
		nc := cat
		if newCat != nil {
			nc = newCat
		}
		s.derived = true
		rej = s.deriver.Derive(&Derivation{Index: index, Cmd: cmd, DB: db, Batch: batch, Old: cat, New: nc,
			Writes: writes, Truncated: truncated, Savepoint: s.SavepointState})
	}
	return newCat, nextRowID, rej
}

// errSerialization is the rejection of a write whose premises no longer hold.
func errSerialization(msg string) *pgerror.Error {
	return pgerror.New(pgerror.SerializationFailure, msg)
}

// checkRecord verifies that rec holds exactly the columns of t with the right Arrow types; a
// mismatch is a bug of the proposer, rejected deterministically rather than crashing replicas.
func checkRecord(t *TableDesc, rec arrow.Record) error {
	if int(rec.NumCols()) != len(t.Columns) {
		return pgerror.Newf(pgerror.Internal, "write to %q has %d columns, table has %d",
			t.Name, rec.NumCols(), len(t.Columns))
	}
	for i, c := range t.Columns {
		if !arrow.TypeEqual(rec.Column(i).DataType(), c.Type.ArrowType()) {
			return pgerror.Newf(pgerror.Internal, "write to %q: column %q is %s, want %s",
				t.Name, c.Name, rec.Column(i).DataType(), c.Type.ArrowType())
		}
	}
	return nil
}

// checkNotNull rejects NULLs in NOT NULL columns (primary-key columns are always NOT NULL).
// The planner checks first; this keeps a bad proposal from reaching the key encoder.
func checkNotNull(t *TableDesc, rec arrow.Record) error {
	for i, c := range t.Columns {
		if !c.NotNull || rec.Column(i).NullN() == 0 {
			continue
		}
		return pgerror.Newf(pgerror.NotNullViolation,
			"null value in column %q of relation %q violates not-null constraint", c.Name, t.Name)
	}
	for _, ord := range t.PrimaryKey {
		if rec.Column(ord).NullN() > 0 {
			return pgerror.Newf(pgerror.NotNullViolation,
				"null value in column %q of relation %q violates not-null constraint", t.Columns[ord].Name, t.Name)
		}
	}
	return nil
}

// applyWrite validates and stages every table write into batch. Reads go through view, so
// later parts of the command see earlier parts.
func applyWrite(batch *pebble.Batch, view *cmdView, cat *Catalog, w *Write, res *ApplyResult) error {
	var key, val []byte
	for _, tw := range w.Tables {
		t := cat.TableByID(tw.TableID)
		if t == nil {
			return pgerror.Newf(pgerror.UndefinedTable, "relation with OID %d does not exist", tw.TableID)
		}
		if tw.TableVersion != t.Version {
			return errSerialization(fmt.Sprintf("could not serialize access: relation %q was altered concurrently", t.Name))
		}
		codec := newRowCodec(t)
		var rows int64
		for _, r := range []arrow.Record{tw.Deletes, tw.Inserts} {
			if r != nil {
				rows += r.NumRows()
			}
		}
		view.point = rows < pointReadRows
		if rec := tw.Deletes; rec != nil {
			if err := checkRecord(t, rec); err != nil {
				return err
			}
			for _, ord := range t.PrimaryKey {
				if rec.Column(ord).NullN() > 0 {
					return errSerialization("could not serialize access due to concurrent update")
				}
			}
			for i := 0; i < int(rec.NumRows()); i++ {
				var err error
				if key, err = encodeKeyRow(key, t, rec, i); err != nil {
					return pgerror.Wrap(err, pgerror.Internal, err.Error())
				}
				val = codec.encodeValueRow(val, rec, i)
				got, found, err := view.get(t.ID, key)
				if err != nil {
					return err
				}
				same := found && storedRowEquals(codec, key, got, val)
				if !same {
					return errSerialization("could not serialize access due to concurrent update")
				}
				if err := batch.Delete(key, nil); err != nil {
					return fmt.Errorf("stage delete: %w", err)
				}
				view.own[string(key)] = ownEntry{}
				res.RowsAffected++
			}
		}
		if rec := tw.Inserts; rec != nil {
			if err := checkRecord(t, rec); err != nil {
				return err
			}
			if err := checkNotNull(t, rec); err != nil {
				return err
			}
			for i := 0; i < int(rec.NumRows()); i++ {
				var err error
				if key, err = encodeKeyRow(key, t, rec, i); err != nil {
					return pgerror.Wrap(err, pgerror.Internal, err.Error())
				}
				_, exists, err := view.get(t.ID, key)
				if err != nil {
					return err
				}
				if exists {
					if tw.RetryOnConflict {
						return errSerialization("could not serialize access due to a concurrent insert of the same key")
					}
					return uniqueViolation(t, rowFromRecord(t, rec, i))
				}
				val = codec.encodeValueRow(val, rec, i)
				if err := batch.Set(key, val, nil); err != nil {
					return fmt.Errorf("stage insert: %w", err)
				}
				view.own[string(key)] = ownEntry{exists: true, value: append([]byte(nil), val...)}
				res.RowsAffected++
			}
		}
	}
	return nil
}

// cmdView answers "what is stored at this key" while a command is applied: the command's own
// writes so far over the store as it was before the command. Reads of the store go through
// one iterator per table, reused across keys (ascending seeks are cheap in Pebble), which
// is several times faster than a Get per key on an indexed batch.
type cmdView struct {
	db      *pebble.DB
	own     map[string]ownEntry
	it      *pebble.Iterator
	itTable uint32
	// point makes get use a Get per key: cheaper than opening an iterator for a few rows.
	point bool
}

// pointReadRows is the size of a table write below which get reads with Get.
const pointReadRows = 16

type ownEntry struct {
	exists bool
	value  []byte
}

// get returns the value at key (valid until the next call) and whether it exists.
func (v *cmdView) get(tableID uint32, key []byte) ([]byte, bool, error) {
	if e, ok := v.own[string(key)]; ok {
		return e.value, e.exists, nil
	}
	if v.point {
		val, closer, err := v.db.Get(key)
		if errors.Is(err, pebble.ErrNotFound) {
			return nil, false, nil
		}
		if err != nil {
			return nil, false, fmt.Errorf("read key: %w", err)
		}
		val = append([]byte(nil), val...)
		closer.Close()
		return val, true, nil
	}
	if v.it == nil || v.itTable != tableID {
		if err := v.close(); err != nil {
			return nil, false, err
		}
		start, end := tableKeySpan(tableID)
		it, err := v.db.NewIter(&pebble.IterOptions{LowerBound: start, UpperBound: end})
		if err != nil {
			return nil, false, fmt.Errorf("open iterator: %w", err)
		}
		v.it, v.itTable = it, tableID
	}
	if v.it.SeekGE(key) && bytes.Equal(v.it.Key(), key) {
		return v.it.Value(), true, nil
	}
	if err := v.it.Error(); err != nil {
		return nil, false, fmt.Errorf("read key: %w", err)
	}
	return nil, false, nil
}

func (v *cmdView) close() error {
	if v.it == nil {
		return nil
	}
	err := v.it.Close()
	v.it = nil
	if err != nil {
		return fmt.Errorf("close iterator: %w", err)
	}
	return nil
}

// storedRowEquals reports whether the stored row (key, got) equals the row whose value
// encoding under codec's table version is want. Rows written under an older table version
// are re-encoded under the current one before comparing.
func storedRowEquals(codec *rowCodec, key, got, want []byte) bool {
	if bytes.Equal(got, want) {
		return true
	}
	row := make([]any, len(codec.t.Columns))
	if err := codec.decodeRow(key, got, row); err != nil {
		return false
	}
	return bytes.Equal(codec.encodeValueDatums(nil, row), want)
}

// uniqueViolation is PostgreSQL's error for a duplicate primary key.
func uniqueViolation(t *TableDesc, row []any) *pgerror.Error {
	names := make([]string, len(t.PrimaryKey))
	vals := make([]string, len(t.PrimaryKey))
	for i, ord := range t.PrimaryKey {
		names[i] = t.Columns[ord].Name
		vals[i] = formatKeyDatum(t.Columns[ord].Type, row[ord])
	}
	return pgerror.Newf(pgerror.UniqueViolation, "duplicate key value violates unique constraint %q", t.Name+"_pkey").
		WithDetail(fmt.Sprintf("Key (%s)=(%s) already exists.", strings.Join(names, ", "), strings.Join(vals, ", ")))
}

// formatKeyDatum renders a key datum as PostgreSQL's text output does (in UTC), for the
// detail of a unique violation.
func formatKeyDatum(t types.T, v any) string {
	const day = 86_400_000_000
	switch t.Family {
	case types.Date:
		return time.Unix(int64(v.(int32))*86400, 0).UTC().Format("2006-01-02")
	case types.Time:
		return time.UnixMicro(v.(int64) % day).UTC().Format("15:04:05.999999")
	case types.Timestamp:
		return time.UnixMicro(v.(int64)).UTC().Format("2006-01-02 15:04:05.999999")
	case types.TimestampTZ:
		return time.UnixMicro(v.(int64)).UTC().Format("2006-01-02 15:04:05.999999") + "+00"
	}
	switch v := v.(type) {
	case nil:
		return "null"
	case bool:
		if v {
			return "t"
		}
		return "f"
	case int64:
		return strconv.FormatInt(v, 10)
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64)
	case string:
		return v
	case []byte:
		return fmt.Sprintf("\\x%x", v)
	case *apd.Decimal:
		return v.Text('f')
	case types.IntervalValue:
		return fmt.Sprintf("%d mons %d days %d us", v.Months, v.Days, v.Micros)
	}
	return fmt.Sprint(v)
}
