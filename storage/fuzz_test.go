package storage

import (
	"testing"

	"github.com/eddydb/eddy/sql/types"
)

// FuzzDecodeCommand checks that no log entry, however corrupt, panics a replica's decoder.
func FuzzDecodeCommand(f *testing.F) {
	desc := &TableDesc{ID: 1, Name: "t", PrimaryKey: []int{0}, Columns: []*ColumnDesc{
		{ID: 1, Name: "id", Type: types.Int8T}, {ID: 2, Name: "v", Type: types.TextT}}}
	for _, c := range []*Command{
		write(desc, [][]any{{int64(1), "a"}}, [][]any{{int64(2), nil}}),
		{ReserveIDs: &ReserveIDs{Count: 3}},
		{DDL: &DDL{CreateSchema: &CreateSchema{Name: "s"}}},
	} {
		b, err := EncodeCommand(c)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > 1<<16 {
			return
		}
		c, err := DecodeCommand(b)
		if err == nil {
			c.Release()
		}
	})
}

// TestReadersDuringApply runs readers against a store that keeps altering and writing a
// table: each reader's rows must decode under its own catalog (keeps S5).
func TestReadersDuringApply(t *testing.T) {
	db := newTestDB(t)
	tb := db.createTable("t", []int{0}, colSpec{"id", types.Int8T})
	done := make(chan struct{})
	errs := make(chan error, 1)
	go func() {
		defer close(errs)
		for {
			select {
			case <-done:
				return
			default:
			}
			r := db.s.NewReader()
			cur := r.Catalog().TableByID(tb.ID)
			cols := make([]int, len(cur.Columns))
			for i := range cols {
				cols[i] = i
			}
			it, err := r.Scan(cur, cols)
			if err == nil {
				for {
					rec, err2 := it.Next()
					if err2 != nil || rec == nil {
						err = err2
						break
					}
					if int(rec.NumCols()) != len(cols) {
						t.Errorf("record of %d columns, catalog has %d", rec.NumCols(), len(cols))
					}
					rec.Release()
				}
				it.Close()
			}
			r.Close()
			if err != nil {
				errs <- err
				return
			}
		}
	}()
	for i := range 30 {
		cur := db.s.Catalog().TableByID(tb.ID)
		alt := *cur
		alt.Columns = append(append([]*ColumnDesc(nil), cur.Columns...), &ColumnDesc{Name: "c" + string(rune('a'+i)), Type: types.Int8T, Missing: int64(i)})
		db.mustApply(ddl(db, &DDL{AlterTable: &AlterTable{Desc: &alt}}))
		cur = db.s.Catalog().TableByID(tb.ID)
		row := make([]any, len(cur.Columns))
		row[0] = int64(i)
		db.mustApply(write(cur, nil, [][]any{row}))
	}
	close(done)
	if err := <-errs; err != nil {
		t.Fatal(err)
	}
}
