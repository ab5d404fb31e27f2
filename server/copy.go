package server

import (
	"context"
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/eddydb/eddy/server/pgwire"
	"github.com/eddydb/eddy/sql"
	"github.com/eddydb/eddy/sql/pgerror"
	"github.com/eddydb/eddy/sql/types"
	"github.com/eddydb/eddy/storage"
)

// copyOptions validates COPY's options and fills in the format's defaults.
func copyOptions(o sql.CopyOptions) (pgwire.CopyOptions, error) {
	out := pgwire.CopyOptions{Format: strings.ToLower(o.Format), Delimiter: o.Delimiter, Header: o.Header, Quote: o.Quote, Escape: o.Escape}
	if out.Format == "" {
		out.Format = "text"
	}
	switch out.Format {
	case "text":
		if out.Delimiter == "" {
			out.Delimiter = "\t"
		}
		out.Null = `\N`
		if out.Header {
			return out, pgerror.New(pgerror.FeatureNotSupported, "cannot specify HEADER in TEXT mode")
		}
	case "csv":
		if out.Delimiter == "" {
			out.Delimiter = ","
		}
		if out.Quote == "" {
			out.Quote = `"`
		}
		if out.Escape == "" {
			out.Escape = out.Quote
		}
	case "binary":
		// pgwire encodes and decodes PostgreSQL's binary COPY format (pgx's CopyFrom uses it).
	default:
		return out, pgerror.Newf(pgerror.InvalidParameterValue, "COPY format %q not recognized", o.Format)
	}
	if o.Null != nil {
		out.Null = *o.Null
	}
	if out.Format != "binary" && len(out.Delimiter) != 1 {
		return out, pgerror.New(pgerror.FeatureNotSupported, "COPY delimiter must be a single one-byte character")
	}
	return out, nil
}

// copyToQuery turns COPY t [(cols)] TO / COPY (query) TO into the query it reads.
func copyToQuery(n *sql.CopyStmt) sql.Statement {
	if n.Query != nil {
		return &sql.SelectStmt{Query: n.Query}
	}
	sel := &sql.SelectClause{From: []sql.TableExpr{&sql.TableRef{Name: n.Table}}}
	if len(n.Columns) == 0 {
		sel.Items = []*sql.SelectItem{{Star: true}}
	}
	for _, c := range n.Columns {
		sel.Items = append(sel.Items, &sql.SelectItem{Expr: &sql.ColumnRef{Parts: []string{c}}})
	}
	return &sql.SelectStmt{Query: &sql.Query{Body: sel}}
}

// copyOut adapts a query result to pgwire.CopyOut.
type copyOut struct {
	*rowsResult
	opts pgwire.CopyOptions
}

func newCopyOut(r *rowsResult, o sql.CopyOptions) (pgwire.Result, error) {
	opts, err := copyOptions(o)
	if err != nil {
		r.Close()
		return nil, err
	}
	inner := r.tag
	r.tag = func() string { return "COPY" + strings.TrimPrefix(inner(), "SELECT") }
	return &copyOut{rowsResult: r, opts: opts}, nil
}

func (c *copyOut) CopyOptions() pgwire.CopyOptions { return c.opts }

// copyIn receives COPY ... FROM STDIN rows and stages them as inserts. Outside a transaction
// block the whole COPY commits as one command at the end, so it is all-or-nothing as in
// PostgreSQL.
type copyIn struct {
	*rowsResult
	s        *Session
	opts     pgwire.CopyOptions
	table    *storage.TableDesc
	colOrd   []int // ordinals of the COPY columns in the table
	txn      *storage.Txn
	own      bool // the COPY owns txn (autocommit)
	mark     int  // the txn savepoint the COPY started at
	defaults []columnFill
	n        int64
}

// columnFill says how a column absent from the COPY column list is filled.
type columnFill struct {
	rowID bool // a fresh id per row (hidden key, serial)
	value any  // otherwise this datum (the default, evaluated once)
}

func (s *Session) copyFrom(ctx context.Context, n *sql.CopyStmt) (pgwire.Result, error) {
	opts, err := copyOptions(n.Options)
	if err != nil {
		return nil, err
	}
	cat := s.e.store.Catalog()
	td, err := resolveTable(cat, n.Table, s.settings.searchPath())
	if err != nil {
		return nil, err
	}
	if td.Kind != storage.KindTable {
		return nil, pgerror.Newf(pgerror.WrongObjectType, "cannot copy to %s \"%s\"", td.Kind, td.Name)
	}
	ci := &copyIn{s: s, opts: opts, table: td}
	if len(n.Columns) == 0 {
		for i, c := range td.Columns {
			if !c.Hidden {
				ci.colOrd = append(ci.colOrd, i)
			}
		}
	}
	for _, name := range n.Columns {
		i := td.Column(name)
		if i < 0 || td.Columns[i].Hidden {
			return nil, pgerror.Newf(pgerror.UndefinedColumn, "column %q of relation %q does not exist", name, td.Name)
		}
		ci.colOrd = append(ci.colOrd, i)
	}
	ci.defaults = make([]columnFill, len(td.Columns))
	given := make([]bool, len(td.Columns))
	for _, o := range ci.colOrd {
		given[o] = true
	}
	for i, c := range td.Columns {
		if given[i] {
			continue
		}
		switch {
		case c.Hidden || isRowIDDefault(c.Default):
			ci.defaults[i].rowID = true
		case c.Default != "":
			v, err := s.evalConstant(ctx, c.Default, c.Type)
			if err != nil {
				return nil, fmt.Errorf("default of column %q: %w", c.Name, err)
			}
			ci.defaults[i].value = v
		}
	}
	cols := make([]pgwire.Column, len(ci.colOrd))
	for i, o := range ci.colOrd {
		cols[i] = pgwire.Column{Name: td.Columns[o].Name, Type: td.Columns[o].Type}
	}
	if s.tx != nil {
		ci.txn = s.tx.txn
	} else {
		ci.txn, ci.own = s.e.store.BeginTxn(), true
	}
	ci.mark = ci.txn.Savepoint()
	ci.rowsResult = &rowsResult{s: s, cols: cols, tag: func() string { return fmt.Sprintf("COPY %d", ci.n) }}
	return ci, nil
}

func isRowIDDefault(def string) bool { return strings.HasPrefix(def, "unique_rowid(") }

func (c *copyIn) CopyOptions() pgwire.CopyOptions { return c.opts }

// Append builds full table rows from the COPY columns plus defaults and stages them.
func (c *copyIn) Append(ctx context.Context, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	td := c.table
	names := make([]string, len(td.Columns))
	ts := make([]types.T, len(td.Columns))
	for i, col := range td.Columns {
		names[i], ts[i] = col.Name, col.Type
	}
	b := array.NewRecordBuilder(memory.DefaultAllocator, types.Schema(names, ts))
	defer b.Release()
	src := make([]int, len(td.Columns)) // table ordinal -> index in the COPY row, or -1
	for i := range src {
		src[i] = -1
	}
	for j, o := range c.colOrd {
		src[o] = j
	}
	for i, col := range td.Columns {
		fb := b.Field(i)
		switch {
		case src[i] >= 0:
			for r, row := range rows {
				v := row[src[i]]
				if v == nil && col.NotNull {
					return notNullError(td, col, c.n+int64(r)+1)
				}
				types.AppendDatum(fb, col.Type, v)
			}
		case c.defaults[i].rowID:
			first, err := c.s.e.ids.reserve(ctx, int64(len(rows)))
			if err != nil {
				return err
			}
			for r := range rows {
				types.AppendDatum(fb, col.Type, first+int64(r))
			}
		default:
			v := c.defaults[i].value
			if v == nil && col.NotNull {
				return notNullError(td, col, c.n+1)
			}
			for range rows {
				types.AppendDatum(fb, col.Type, v)
			}
		}
	}
	rec := b.NewRecord()
	defer rec.Release()
	if err := c.txn.Insert(td, rec); err != nil {
		return err
	}
	c.n += int64(len(rows))
	return nil
}

func notNullError(td *storage.TableDesc, col *storage.ColumnDesc, line int64) error {
	return pgerror.Newf(pgerror.NotNullViolation, "null value in column %q of relation %q violates not-null constraint", col.Name, td.Name).
		WithDetail(fmt.Sprintf("COPY %s, line %d", td.Name, line))
}

// Finish commits the COPY (when it owns its transaction) and returns the tag.
func (c *copyIn) Finish(ctx context.Context) (string, error) {
	if c.own {
		if err := c.s.e.commitTxn(ctx, c.txn); err != nil {
			return "", err
		}
	}
	return fmt.Sprintf("COPY %d", c.n), nil
}

// Abort drops what the COPY staged; inside a transaction block the block fails.
func (c *copyIn) Abort() {
	c.txn.RollbackTo(c.mark)
	if !c.own {
		c.s.markFailed()
	}
}
