package storage

import (
	"reflect"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/eddydb/eddy/sql/pgerror"
	"github.com/eddydb/eddy/sql/types"
)

func TestCommandRoundTrip(t *testing.T) {
	desc := &TableDesc{ID: 20000, SchemaID: PublicSchemaID, Name: "t", Version: 3, PrimaryKey: []int{0},
		NextColumnID: 4, Columns: []*ColumnDesc{
			{ID: 1, Name: "id", Type: types.Int8T, NotNull: true},
			{ID: 2, Name: "s", Type: types.T{Family: types.Varchar, Width: 10}, Default: "'x'"},
			{ID: 3, Name: "d", Type: types.DateT, Missing: int32(7)},
		}}
	cmds := []*Command{
		{Time: 1700000000000000, DDL: &DDL{ExpectCatalogVersion: 5, CreateSchema: &CreateSchema{Name: "s", IfNotExists: true}}},
		{Time: -1, DDL: &DDL{DropSchema: &DropSchema{ID: 16400, Cascade: true}}},
		{DDL: &DDL{ExpectCatalogVersion: 1, CreateTable: &CreateTable{Desc: desc, IfNotExists: true}}},
		{DDL: &DDL{AlterTable: &AlterTable{Desc: desc}}},
		{DDL: &DDL{DropTable: &DropTable{ID: 1}}},
		{DDL: &DDL{TruncateTable: &TruncateTable{ID: 2}}},
		{DDL: &DDL{SetSystem: &SetSystem{Name: "checkpoint_interval", Value: "5s"}}},
		{DDL: &DDL{SetSystem: &SetSystem{Name: "checkpoint_interval", Reset: true}}},
		{Time: 42, ReserveIDs: &ReserveIDs{Count: 1000}},
		write(desc, [][]any{{int64(1), "a", nil}}, [][]any{{int64(1), "b", int32(3)}, {int64(2), nil, int32(-3)}}),
		write(desc, nil, [][]any{{int64(5), "x", nil}}),
		retryOnConflict(write(desc, nil, [][]any{{int64(6), "y", nil}})),
	}
	for i, c := range cmds {
		b, err := EncodeCommand(c)
		if err != nil {
			t.Fatalf("cmd %d: %v", i, err)
		}
		got, err := DecodeCommand(b)
		if err != nil {
			t.Fatalf("cmd %d: %v", i, err)
		}
		if c.Write != nil {
			if len(got.Write.Tables) != len(c.Write.Tables) {
				t.Fatalf("cmd %d: %d tables", i, len(got.Write.Tables))
			}
			for j, tw := range c.Write.Tables {
				gw := got.Write.Tables[j]
				if gw.TableID != tw.TableID || gw.TableVersion != tw.TableVersion || gw.RetryOnConflict != tw.RetryOnConflict {
					t.Fatalf("cmd %d: header %+v", i, gw)
				}
				if (tw.Deletes == nil) != (gw.Deletes == nil) || (tw.Inserts == nil) != (gw.Inserts == nil) {
					t.Fatalf("cmd %d: nil mismatch", i)
				}
				if tw.Inserts != nil && fmtRows(recRows(desc, gw.Inserts)) != fmtRows(recRows(desc, tw.Inserts)) {
					t.Fatalf("cmd %d: inserts differ", i)
				}
				if tw.Deletes != nil && fmtRows(recRows(desc, gw.Deletes)) != fmtRows(recRows(desc, tw.Deletes)) {
					t.Fatalf("cmd %d: deletes differ", i)
				}
			}
			got.Release()
			c.Release()
			continue
		}
		if !reflect.DeepEqual(got, c) {
			t.Fatalf("cmd %d: got %+v want %+v", i, got, c)
		}
	}
	if _, err := DecodeCommand([]byte{99}); err == nil {
		t.Fatal("unknown version accepted")
	}
	if _, err := DecodeCommand(nil); err == nil {
		t.Fatal("empty accepted")
	}
}

func recRows(t *TableDesc, r arrow.Record) [][]any {
	var out [][]any
	for i := 0; i < int(r.NumRows()); i++ {
		out = append(out, rowFromRecord(t, r, i))
	}
	return out
}

func retryOnConflict(c *Command) *Command {
	c.Write.Tables[0].RetryOnConflict = true
	return c
}

// TestUpsertRaceRetries: an INSERT ... ON CONFLICT whose key a concurrent write took between the
// statement's read and its commit fails with 40001 (the session runs it again and takes the ON
// CONFLICT branch); a plain INSERT in the same situation gets PostgreSQL's 23505.
func TestUpsertRaceRetries(t *testing.T) {
	db := newTestDB(t)
	tb := db.createTable("t", []int{0}, colSpec{"id", types.Int8T}, colSpec{"v", types.Int8T})
	plain := db.s.BeginTxn()
	upsert := db.s.BeginTxn()
	for _, tx := range []*Txn{plain, upsert} {
		if err := tx.InsertRows(tb, [][]any{{int64(1), int64(10)}}); err != nil {
			t.Fatal(err)
		}
	}
	upsert.RetryOnConflict(tb)
	db.mustApply(write(tb, nil, [][]any{{int64(1), int64(99)}})) // the concurrent writer wins
	for _, c := range []struct {
		tx   *Txn
		code pgerror.Code
	}{{plain, pgerror.UniqueViolation}, {upsert, pgerror.SerializationFailure}} {
		w, err := c.tx.Command()
		if err != nil {
			t.Fatal(err)
		}
		_, err = db.apply(&Command{Write: w})
		if pe := pgerror.As(err); pe == nil || pe.Code != c.code {
			t.Fatalf("commit: %v, want SQLSTATE %s", err, c.code)
		}
	}
}
