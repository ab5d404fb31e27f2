package storage

import (
	"testing"

	"github.com/eddydb/eddy/sql/types"
)

// scanRange returns the rows ScanRange yields, all columns, rendered like fmtRows.
func scanRange(t *testing.T, r Reader, tb *TableDesc, lo, hi []any, loInc, hiInc bool) string {
	t.Helper()
	cols := make([]int, len(tb.Columns))
	for i := range cols {
		cols[i] = i
	}
	it, err := r.ScanRange(tb, cols, lo, hi, loInc, hiInc)
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	var out [][]any
	for {
		rc, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		if rc == nil {
			return fmtRows(out)
		}
		for i := 0; i < int(rc.NumRows()); i++ {
			row := make([]any, len(cols))
			for c := range cols {
				row[c] = types.DatumAt(rc.Column(c), i, tb.Columns[c].Type)
			}
			out = append(out, row)
		}
		rc.Release()
	}
}

func TestScanRange(t *testing.T) {
	db := newTestDB(t)
	// Key (a, b): a leads, b second; a table around it checks the span stays inside the table.
	db.createTable("before", []int{0}, colSpec{"id", types.Int8T})
	tb := db.createTable("t", []int{0, 1}, colSpec{"a", types.Int4T}, colSpec{"b", types.TextT}, colSpec{"v", types.Int8T})
	after := db.createTable("after", []int{0}, colSpec{"id", types.Int8T})
	db.mustApply(write(after, nil, [][]any{{int64(1)}}))
	var rows [][]any
	for a := int64(-2); a <= 3; a++ {
		for _, b := range []string{"", "x", "y"} {
			rows = append(rows, []any{a, b, a*10 + int64(len(b))})
		}
	}
	db.mustApply(write(tb, nil, rows))
	r := db.s.NewReader()
	defer r.Close()
	for _, c := range []struct {
		name         string
		lo, hi       []any
		loInc, hiInc bool
		want         string
	}{
		{"point", []any{int64(1), "x"}, []any{int64(1), "x"}, true, true, "(1,x,11)\n"},
		{"point missing", []any{int64(1), "z"}, []any{int64(1), "z"}, true, true, ""},
		{"prefix", []any{int64(-1)}, []any{int64(-1)}, true, true, "(-1,,-10)\n(-1,x,-9)\n(-1,y,-9)\n"},
		{"open below", nil, []any{int64(-2)}, true, true, "(-2,,-20)\n(-2,x,-19)\n(-2,y,-19)\n"},
		{"exclusive", []any{int64(1)}, []any{int64(3)}, false, false, "(2,,20)\n(2,x,21)\n(2,y,21)\n"},
		{"open above", []any{int64(3)}, nil, true, true, "(3,,30)\n(3,x,31)\n(3,y,31)\n"},
		{"prefix then range", []any{int64(0), ""}, []any{int64(0), "x"}, false, true, "(0,x,1)\n"},
		{"empty", []any{int64(2)}, []any{int64(1)}, true, true, ""},
		{"null bound", []any{nil}, nil, true, true, ""},
	} {
		if got := scanRange(t, r, tb, c.lo, c.hi, c.loInc, c.hiInc); got != c.want {
			t.Errorf("%s: got\n%swant\n%s", c.name, got, c.want)
		}
	}
	// A transaction's staged rows inside and outside the span.
	tx := db.s.BeginTxn()
	if err := tx.Insert(tb, rec(tb, []any{int64(1), "w", int64(99)}, []any{int64(5), "a", int64(5)})); err != nil {
		t.Fatal(err)
	}
	if err := tx.Delete(tb, rec(tb, []any{int64(1), "", int64(10)})); err != nil {
		t.Fatal(err)
	}
	tr := tx.Reader()
	defer tr.Close()
	if got, want := scanRange(t, tr, tb, []any{int64(1)}, []any{int64(1)}, true, true), "(1,w,99)\n(1,x,11)\n(1,y,11)\n"; got != want {
		t.Errorf("txn: got\n%swant\n%s", got, want)
	}
}
