package storage

import (
	"errors"
	"fmt"
	"reflect"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/cockroachdb/apd/v3"
	"github.com/eddydb/eddy/sql/pgerror"
	"github.com/eddydb/eddy/sql/types"
)

// testDB wraps a store with a log index counter.
type testDB struct {
	t   *testing.T
	s   *Store
	dir string
	idx uint64
}

func newTestDB(t *testing.T) *testDB {
	t.Helper()
	dir := t.TempDir()
	s, err := Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	db := &testDB{t: t, s: s, dir: dir, idx: s.AppliedIndex()}
	t.Cleanup(func() {
		if err := db.s.Close(); err != nil {
			t.Errorf("close store: %v", err)
		}
	})
	return db
}

func (db *testDB) reopen() {
	db.t.Helper()
	if err := db.s.Close(); err != nil {
		db.t.Fatal(err)
	}
	s, err := Open(db.dir, nil)
	if err != nil {
		db.t.Fatal(err)
	}
	db.s = s
}

// apply applies cmd at the next index and returns the result and the rejection.
func (db *testDB) apply(cmd *Command) (*ApplyResult, error) {
	db.t.Helper()
	db.idx++
	res, err := db.s.Apply(db.idx, cmd)
	if err != nil && pgerror.As(err) == nil {
		db.t.Fatalf("infrastructure error: %v", err)
	}
	return res, err
}

func (db *testDB) mustApply(cmd *Command) *ApplyResult {
	db.t.Helper()
	res, err := db.apply(cmd)
	if err != nil {
		db.t.Fatalf("apply: %v", err)
	}
	return res
}

type colSpec struct {
	name string
	typ  types.T
}

// createTable creates public.name with the columns; pk lists key ordinals (nil: hidden row id).
func (db *testDB) createTable(name string, pk []int, cols ...colSpec) *TableDesc {
	db.t.Helper()
	desc := &TableDesc{SchemaID: PublicSchemaID, Name: name, PrimaryKey: pk}
	for _, c := range cols {
		desc.Columns = append(desc.Columns, &ColumnDesc{Name: c.name, Type: c.typ})
	}
	res := db.mustApply(&Command{DDL: &DDL{ExpectCatalogVersion: db.s.Catalog().Version,
		CreateTable: &CreateTable{Desc: desc}}})
	return db.s.Catalog().TableByID(res.ID)
}

// rec builds a record of every column of t from datum rows.
func rec(t *TableDesc, rows ...[]any) arrow.Record {
	names := make([]string, len(t.Columns))
	ts := make([]types.T, len(t.Columns))
	bs := make([]array.Builder, len(t.Columns))
	for i, c := range t.Columns {
		names[i], ts[i] = c.Name, c.Type
		bs[i] = types.NewBuilder(memory.DefaultAllocator, c.Type)
		defer bs[i].Release()
	}
	for _, r := range rows {
		for i := range t.Columns {
			types.AppendDatum(bs[i], ts[i], r[i])
		}
	}
	arrs := make([]arrow.Array, len(bs))
	for i, b := range bs {
		arrs[i] = b.NewArray()
		defer arrs[i].Release()
	}
	return array.NewRecord(types.Schema(names, ts), arrs, int64(len(rows)))
}

// write builds a one-table Write command.
func write(t *TableDesc, dels, ins [][]any) *Command {
	tw := TableWrite{TableID: t.ID, TableVersion: t.Version}
	if len(dels) > 0 {
		tw.Deletes = rec(t, dels...)
	}
	if len(ins) > 0 {
		tw.Inserts = rec(t, ins...)
	}
	return &Command{Write: &Write{Tables: []TableWrite{tw}}}
}

// scanAll returns every row of t (all columns) through r, as comparable strings.
func scanAll(tb testing.TB, r Reader, t *TableDesc) [][]any {
	tb.Helper()
	cols := make([]int, len(t.Columns))
	for i := range cols {
		cols[i] = i
	}
	it, err := r.Scan(t, cols)
	if err != nil {
		tb.Fatal(err)
	}
	defer it.Close()
	var out [][]any
	for {
		rc, err := it.Next()
		if err != nil {
			tb.Fatal(err)
		}
		if rc == nil {
			return out
		}
		for i := 0; i < int(rc.NumRows()); i++ {
			row := make([]any, len(cols))
			for c := range cols {
				row[c] = types.DatumAt(rc.Column(c), i, t.Columns[c].Type)
			}
			out = append(out, row)
		}
		rc.Release()
	}
}

func (db *testDB) rows(t *TableDesc) [][]any {
	db.t.Helper()
	r := db.s.NewReader()
	defer r.Close()
	return scanAll(db.t, r, t)
}

// fmtRows renders rows for comparison (numerics by value text).
func fmtRows(rows [][]any) string {
	s := ""
	for _, r := range rows {
		s += fmtRow(r) + "\n"
	}
	return s
}

func fmtRow(r []any) string {
	s := "("
	for i, v := range r {
		if i > 0 {
			s += ","
		}
		switch v := v.(type) {
		case *apd.Decimal:
			s += v.String()
		case []byte:
			s += fmt.Sprintf("%q", v)
		default:
			s += fmt.Sprintf("%v", v)
		}
	}
	return s + ")"
}

func wantCode(t *testing.T, err error, code pgerror.Code) *pgerror.Error {
	t.Helper()
	pe := pgerror.As(err)
	if pe == nil || pe.Code != code {
		t.Fatalf("got %v, want SQLSTATE %s", err, code)
	}
	return pe
}

func rowsEqual(a, b [][]any) bool { return reflect.DeepEqual(fmtRows(a), fmtRows(b)) }

var _ = errors.New
