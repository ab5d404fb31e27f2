package executor

import (
	"context"
	"reflect"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/eddydb/eddy/sql/pgerror"
	"github.com/eddydb/eddy/sql/types"
	"github.com/eddydb/eddy/storage"
)

// dmlBase holds what INSERT, UPDATE and DELETE share: the target, the rows-affected count and
// the RETURNING rows, produced eagerly on the first Next so the count is right even when the
// caller reads no rows.
type dmlBase struct {
	ec       *ExecContext
	t        *storage.TableDesc
	ts       []types.T // the table's column types
	affected int64
	out      []arrow.Record
	started  bool
	// written holds the keys this statement wrote, for ON CONFLICT's "affect a row a second
	// time" check and for duplicate keys inside one statement.
	written map[string]bool
	// inClosed is set once input has closed the input operator.
	inClosed bool
}

func (d *dmlBase) rowsAffected() int64 { return d.affected }

func (d *dmlBase) setup(tableID uint32) error {
	d.t = d.ec.Reader.Catalog().TableByID(tableID)
	if d.t == nil {
		return pgerror.Newf(pgerror.UndefinedTable, "relation with OID %d does not exist", tableID)
	}
	if v := reflect.ValueOf(d.ec.Txn); d.ec.Txn == nil || v.Kind() == reflect.Pointer && v.IsNil() {
		return pgerror.New(pgerror.ReadOnlySQLTransaction, "cannot execute a write in a read-only transaction")
	}
	d.ts = make([]types.T, len(d.t.Columns))
	for i, c := range d.t.Columns {
		d.ts[i] = c.Type
	}
	d.written = map[string]bool{}
	return nil
}

// input reads the whole input before anything is written: the statement must not see its own
// writes (and a storage reader must not be iterated across staging calls).
func (d *dmlBase) input(ctx context.Context, in operator) ([]arrow.Record, error) {
	recs, err := drain(ctx, in)
	if err != nil {
		return nil, err
	}
	in.Close()
	d.inClosed = true
	return recs, nil
}

func (d *dmlBase) next() arrow.Record {
	if len(d.out) == 0 {
		return nil
	}
	r := d.out[0]
	d.out = d.out[1:]
	return r
}

func (d *dmlBase) close() {
	releaseRecs(d.out)
	d.out = nil
}

// returning evaluates RETURNING over full rows and queues the result.
func (d *dmlBase) returning(ctx context.Context, exprs []Expr, outTypes []types.T, rows arrow.Record) error {
	if len(exprs) == 0 || rows.NumRows() == 0 {
		return nil
	}
	r, err := d.ec.project(ctx, rows, exprs, outTypes)
	if err != nil {
		return err
	}
	d.out = append(d.out, r)
	return nil
}

// checkNotNull raises 23502 for a NULL in a NOT NULL column of full rows.
func (d *dmlBase) checkNotNull(rows arrow.Record) error {
	for c, col := range d.t.Columns {
		if !col.NotNull {
			continue
		}
		a := rows.Column(c)
		if a.NullN() == 0 {
			continue
		}
		for i := 0; i < a.Len(); i++ {
			if a.IsNull(i) {
				return pgerror.Newf(pgerror.NotNullViolation,
					"null value in column \"%s\" of relation \"%s\" violates not-null constraint", col.Name, d.t.Name).
					WithDetail("Failing row contains " + d.rowText(rows, i) + ".")
			}
		}
	}
	return nil
}

// rowText formats row i as PostgreSQL's "(1, null, abc)".
func (d *dmlBase) rowText(rows arrow.Record, i int) string {
	var parts []string
	for c, col := range d.t.Columns {
		if col.Hidden {
			continue
		}
		v := types.DatumAt(rows.Column(c), i, col.Type)
		if v == nil {
			parts = append(parts, "null")
		} else {
			parts = append(parts, d.ec.formatDatum(v, col.Type))
		}
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// key returns the primary key datums of row i and their encoding.
func (d *dmlBase) key(rows arrow.Record, i int) ([]any, string) {
	vals := make([]any, len(d.t.PrimaryKey))
	var buf []byte
	for k, c := range d.t.PrimaryKey {
		vals[k] = types.DatumAt(rows.Column(c), i, d.ts[c])
		buf = appendKey(buf, vals[k])
	}
	return vals, string(buf)
}

func (d *dmlBase) duplicateKey(rows arrow.Record, i int) error {
	names := make([]string, len(d.t.PrimaryKey))
	vals := make([]string, len(d.t.PrimaryKey))
	for k, c := range d.t.PrimaryKey {
		names[k] = d.t.Columns[c].Name
		vals[k] = d.ec.formatDatum(types.DatumAt(rows.Column(c), i, d.ts[c]), d.ts[c])
	}
	return pgerror.Newf(pgerror.UniqueViolation, "duplicate key value violates unique constraint \"%s_pkey\"", d.t.Name).
		WithDetail("Key (" + strings.Join(names, ", ") + ")=(" + strings.Join(vals, ", ") + ") already exists.")
}

type insertOp struct {
	dmlBase
	n  *Insert
	in operator
}

func (o *insertOp) Next(ctx context.Context) (arrow.Record, error) {
	if !o.started {
		o.started = true
		if err := o.setup(o.n.TableID); err != nil {
			return nil, err
		}
		recs, err := o.input(ctx, o.in)
		if err != nil {
			return nil, err
		}
		for i, r := range recs {
			recs[i] = nil
			if err := o.insert(ctx, retype(r, o.ts)); err != nil {
				releaseRecs(recs[i+1:])
				return nil, err
			}
		}
	}
	return o.next(), nil
}

func (o *insertOp) insert(ctx context.Context, rows arrow.Record) error {
	defer rows.Release()
	if err := o.checkNotNull(rows); err != nil {
		return err
	}
	n := int(rows.NumRows())
	// Rows are applied in input order, in runs of plain inserts and runs of conflicting rows, so
	// RETURNING lists them as PostgreSQL does.
	var run []int
	var existing [][]any
	upserting := false
	flush := func() error {
		if len(run) == 0 {
			return nil
		}
		var err error
		if upserting {
			err = o.upsert(ctx, rows, existing, run)
		} else {
			err = o.insertRows(ctx, rows, run)
		}
		run, existing = run[:0], existing[:0]
		return err
	}
	checkKeys := !o.t.HasHiddenKey()
	for i := 0; i < n; i++ {
		conflict := false
		var old []any
		if checkKeys {
			kv, k := o.key(rows, i)
			if o.written[k] {
				if o.n.OnConflict == nil {
					return o.duplicateKey(rows, i)
				}
				if o.n.OnConflict.DoNothing {
					continue
				}
				return pgerror.New(pgerror.CardinalityViolation, "ON CONFLICT DO UPDATE command cannot affect row a second time").
					WithHint("Ensure that no rows proposed for insertion within the same command have duplicate constrained values.")
			}
			var found bool
			var err error
			if old, found, err = o.ec.Reader.Get(o.t, kv); err != nil {
				return err
			}
			o.written[k] = true
			if found {
				switch {
				case o.n.OnConflict == nil:
					return o.duplicateKey(rows, i)
				case o.n.OnConflict.DoNothing:
					continue
				}
				conflict = true
			}
		}
		if conflict != upserting {
			if err := flush(); err != nil {
				return err
			}
			upserting = conflict
		}
		run = append(run, i)
		if conflict {
			existing = append(existing, old)
		}
	}
	return flush()
}

// insertRows inserts rows idx of rows.
func (o *insertOp) insertRows(ctx context.Context, rows arrow.Record, idx []int) error {
	ins := rows
	if len(idx) < int(rows.NumRows()) {
		ins = takeRecord(o.ec.Mem, rows, idx)
		defer ins.Release()
	}
	if o.n.OnConflict != nil {
		o.ec.Txn.RetryOnConflict(o.t)
	}
	if err := o.ec.Txn.Insert(o.t, ins); err != nil {
		return err
	}
	o.affected += int64(len(idx))
	return o.returning(ctx, o.n.Returning, o.n.Types, ins)
}

// upsert applies ON CONFLICT DO UPDATE to the proposed rows idx whose keys exist as existing.
func (o *insertOp) upsert(ctx context.Context, rows arrow.Record, existing [][]any, idx []int) error {
	oc := o.n.OnConflict
	// Build [existing columns..., excluded columns...] for the SET and WHERE expressions.
	oldCols := make([]arrow.Array, len(o.ts))
	for c, t := range o.ts {
		vs := make([]any, len(existing))
		for i, row := range existing {
			vs[i] = row[c]
		}
		oldCols[c] = datumsToArray(o.ec.Mem, t, vs)
	}
	old := newRecord(o.ts, oldCols, len(existing))
	defer old.Release()
	excl := takeRecord(o.ec.Mem, rows, idx)
	defer excl.Release()
	both := concatColumns(append(append([]types.T(nil), o.ts...), o.ts...), old, excl)
	defer both.Release()
	sel := make([]int, len(existing))
	for i := range sel {
		sel[i] = i
	}
	if oc.Where != nil {
		m, err := o.ec.filterIndex(ctx, both, oc.Where)
		if err != nil {
			return err
		}
		sel = m
	}
	if len(sel) == 0 {
		return nil
	}
	oldSel := takeRecord(o.ec.Mem, old, sel)
	defer oldSel.Release()
	bothSel := takeRecord(o.ec.Mem, both, sel)
	defer bothSel.Release()
	newRows, err := o.ec.applySet(ctx, oldSel, bothSel, oc.SetCols, oc.Set, o.ts)
	if err != nil {
		return err
	}
	defer newRows.Release()
	if err := o.checkNotNull(newRows); err != nil {
		return err
	}
	if err := o.ec.Txn.Update(o.t, oldSel, newRows); err != nil {
		return err
	}
	o.affected += newRows.NumRows()
	return o.returning(ctx, o.n.Returning, o.n.Types, newRows)
}

// concatColumns puts the columns of a and b side by side (same row counts).
func concatColumns(ts []types.T, a, b arrow.Record) arrow.Record {
	cols := make([]arrow.Array, 0, len(ts))
	for _, r := range []arrow.Record{a, b} {
		for _, c := range r.Columns() {
			c.Retain()
			cols = append(cols, c)
		}
	}
	return newRecord(ts, cols, int(a.NumRows()))
}

// filterIndex returns the rows of r for which pred is true.
func (ec *ExecContext) filterIndex(ctx context.Context, r arrow.Record, pred Expr) ([]int, error) {
	m, err := ec.eval(ctx, pred, r)
	if err != nil {
		return nil, err
	}
	defer m.Release()
	var idx []int
	for i := 0; i < m.Len(); i++ {
		if v, isNull := boolAt(m, i); v && !isNull {
			idx = append(idx, i)
		}
	}
	return idx, nil
}

// applySet builds new full rows: old's columns with setCols replaced by exprs over src.
func (ec *ExecContext) applySet(ctx context.Context, old, src arrow.Record, setCols []int, exprs []Expr, ts []types.T) (arrow.Record, error) {
	cols := make([]arrow.Array, len(ts))
	for c := range ts {
		cols[c] = old.Column(c)
		cols[c].Retain()
	}
	for k, c := range setCols {
		a, err := ec.eval(ctx, exprs[k], src)
		if err != nil {
			releaseAll(cols)
			return nil, err
		}
		cols[c].Release()
		cols[c] = a
	}
	return newRecord(ts, cols, int(old.NumRows())), nil
}

func (o *insertOp) Close() {
	if !o.inClosed {
		o.in.Close()
	}
	o.close()
}

type updateOp struct {
	dmlBase
	n  *Update
	in operator
}

func (o *updateOp) Next(ctx context.Context) (arrow.Record, error) {
	if !o.started {
		o.started = true
		if err := o.setup(o.n.TableID); err != nil {
			return nil, err
		}
		seen := map[string]bool{}
		recs, err := o.input(ctx, o.in)
		if err != nil {
			return nil, err
		}
		defer releaseRecs(recs)
		for _, r := range recs {
			if err := o.update(ctx, r, seen); err != nil {
				return nil, err
			}
		}
	}
	return o.next(), nil
}

// oldRows returns the target table's columns of input r, keeping the first occurrence of each
// key (an UPDATE ... FROM joining a row twice updates it once, as PostgreSQL does).
func (d *dmlBase) oldRows(r arrow.Record, seen map[string]bool) (arrow.Record, []int) {
	var idx []int
	for i := 0; i < int(r.NumRows()); i++ {
		_, k := d.key(r, i)
		if !seen[k] {
			seen[k] = true
			idx = append(idx, i)
		}
	}
	cols := make([]arrow.Array, len(d.ts))
	for c := range d.ts {
		cols[c] = takeArray(d.ec.Mem, r.Column(c), idx)
	}
	return newRecord(d.ts, cols, len(idx)), idx
}

func (o *updateOp) update(ctx context.Context, r arrow.Record, seen map[string]bool) error {
	old, idx := o.oldRows(r, seen)
	defer old.Release()
	if len(idx) == 0 {
		return nil
	}
	src := takeRecord(o.ec.Mem, r, idx)
	defer src.Release()
	newRows, err := o.ec.applySet(ctx, old, src, o.n.SetCols, o.n.Set, o.ts)
	if err != nil {
		return err
	}
	defer newRows.Release()
	if err := o.checkNotNull(newRows); err != nil {
		return err
	}
	// A changed primary key must not collide with another row.
	if !o.t.HasHiddenKey() {
		for i := 0; i < int(newRows.NumRows()); i++ {
			nk, k := o.key(newRows, i)
			_, ok := o.key(old, i)
			if k == ok {
				continue
			}
			if o.written[k] {
				return o.duplicateKey(newRows, i)
			}
			if _, found, err := o.ec.Reader.Get(o.t, nk); err != nil {
				return err
			} else if found && !seen[k] {
				return o.duplicateKey(newRows, i)
			}
			o.written[k] = true
		}
	}
	if err := o.ec.Txn.Update(o.t, old, newRows); err != nil {
		return err
	}
	o.affected += newRows.NumRows()
	return o.returning(ctx, o.n.Returning, o.n.Types, newRows)
}

func (o *updateOp) Close() {
	if !o.inClosed {
		o.in.Close()
	}
	o.close()
}

type deleteOp struct {
	dmlBase
	n  *Delete
	in operator
}

func (o *deleteOp) Next(ctx context.Context) (arrow.Record, error) {
	if !o.started {
		o.started = true
		if err := o.setup(o.n.TableID); err != nil {
			return nil, err
		}
		seen := map[string]bool{}
		recs, err := o.input(ctx, o.in)
		if err != nil {
			return nil, err
		}
		for i, r := range recs {
			recs[i] = nil
			old, _ := o.oldRows(r, seen)
			r.Release()
			if old.NumRows() > 0 {
				err := o.ec.Txn.Delete(o.t, old)
				if err == nil {
					o.affected += old.NumRows()
					err = o.returning(ctx, o.n.Returning, o.n.Types, old)
				}
				if err != nil {
					old.Release()
					releaseRecs(recs[i+1:])
					return nil, err
				}
			}
			old.Release()
		}
	}
	return o.next(), nil
}

func (o *deleteOp) Close() {
	if !o.inClosed {
		o.in.Close()
	}
	o.close()
}
