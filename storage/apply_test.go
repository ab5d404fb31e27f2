package storage

import (
	"reflect"
	"testing"

	"github.com/cockroachdb/apd/v3"
	"github.com/eddydb/eddy/sql/pgerror"
	"github.com/eddydb/eddy/sql/types"
)

func ddl(db *testDB, d *DDL) *Command {
	d.ExpectCatalogVersion = db.s.Catalog().Version
	return &Command{DDL: d}
}

func TestFreshCatalog(t *testing.T) {
	db := newTestDB(t)
	c := db.s.Catalog()
	for _, n := range []string{"pg_catalog", "public", "information_schema", "eddy_catalog"} {
		if c.Schema(n) == nil {
			t.Fatalf("missing schema %s", n)
		}
	}
	if c.NextID != FirstUserID || db.s.AppliedIndex() != 0 {
		t.Fatalf("NextID %d applied %d", c.NextID, db.s.AppliedIndex())
	}
}

func TestCreateTableAssignsIDs(t *testing.T) {
	db := newTestDB(t)
	tb := db.createTable("t", nil, colSpec{"a", types.TextT}, colSpec{"b", types.Int4T})
	if tb.ID != FirstUserID || tb.Version != 1 || len(tb.Columns) != 3 || !tb.HasHiddenKey() {
		t.Fatalf("desc %+v", tb)
	}
	if c := tb.Columns[2]; c.Name != RowIDColumnName || c.ID != 3 || tb.NextColumnID != 4 {
		t.Fatalf("row id column %+v", c)
	}
	k := db.createTable("k", []int{1}, colSpec{"a", types.TextT}, colSpec{"id", types.Int8T})
	if k.ID != FirstUserID+1 || k.HasHiddenKey() || !k.Columns[1].NotNull {
		t.Fatalf("desc %+v", k)
	}
}

func TestDDLValidation(t *testing.T) {
	db := newTestDB(t)
	db.createTable("t", []int{0}, colSpec{"id", types.Int8T})
	desc := &TableDesc{SchemaID: PublicSchemaID, Name: "t", Columns: []*ColumnDesc{{Name: "x", Type: types.Int8T}}}
	_, err := db.apply(ddl(db, &DDL{CreateTable: &CreateTable{Desc: desc}}))
	if pe := wantCode(t, err, pgerror.DuplicateTable); pe.Message != `relation "t" already exists` {
		t.Fatalf("message %q", pe.Message)
	}
	if res := db.mustApply(ddl(db, &DDL{CreateTable: &CreateTable{Desc: desc, IfNotExists: true}})); res.ID != FirstUserID {
		t.Fatalf("IF NOT EXISTS id %d", res.ID)
	}
	_, err = db.apply(ddl(db, &DDL{CreateSchema: &CreateSchema{Name: "public"}}))
	wantCode(t, err, pgerror.DuplicateSchema)

	// A stale catalog version is a serialization failure.
	v := db.s.Catalog().Version
	db.mustApply(ddl(db, &DDL{CreateSchema: &CreateSchema{Name: "s"}}))
	_, err = db.apply(&Command{DDL: &DDL{ExpectCatalogVersion: v, CreateSchema: &CreateSchema{Name: "s2"}}})
	wantCode(t, err, pgerror.SerializationFailure)

	s := db.s.Catalog().Schema("s")
	inS := &TableDesc{SchemaID: s.ID, Name: "t", Columns: []*ColumnDesc{{Name: "x", Type: types.Int8T}}}
	res := db.mustApply(ddl(db, &DDL{CreateTable: &CreateTable{Desc: inS}}))
	st := db.s.Catalog().TableByID(res.ID)
	db.mustApply(write(st, nil, [][]any{{int64(1), int64(10)}}))
	_, err = db.apply(ddl(db, &DDL{DropSchema: &DropSchema{ID: s.ID}}))
	wantCode(t, err, pgerror.DependentObjectsStillExist)
	db.mustApply(ddl(db, &DDL{DropSchema: &DropSchema{ID: s.ID, Cascade: true}}))
	if c := db.s.Catalog(); c.Schema("s") != nil || c.TableByID(st.ID) != nil {
		t.Fatal("cascade left objects")
	}
	_, err = db.apply(ddl(db, &DDL{DropTable: &DropTable{ID: st.ID}}))
	wantCode(t, err, pgerror.UndefinedTable)
	_, err = db.apply(ddl(db, &DDL{DropSchema: &DropSchema{ID: s.ID}}))
	wantCode(t, err, pgerror.InvalidSchemaName)
}

func TestWriteValidation(t *testing.T) {
	db := newTestDB(t)
	tb := db.createTable("t", []int{0}, colSpec{"id", types.Int8T}, colSpec{"v", types.TextT})
	res := db.mustApply(write(tb, nil, [][]any{{int64(1), "a"}, {int64(2), "b"}}))
	if res.RowsAffected != 2 {
		t.Fatalf("rows affected %d", res.RowsAffected)
	}

	// Duplicate key, against the table and within one command.
	_, err := db.apply(write(tb, nil, [][]any{{int64(1), "x"}}))
	pe := wantCode(t, err, pgerror.UniqueViolation)
	if pe.Message != `duplicate key value violates unique constraint "t_pkey"` || pe.Detail != "Key (id)=(1) already exists." {
		t.Fatalf("got %q / %q", pe.Message, pe.Detail)
	}
	_, err = db.apply(write(tb, nil, [][]any{{int64(3), "x"}, {int64(3), "y"}}))
	wantCode(t, err, pgerror.UniqueViolation)

	// Delete + insert of the same key in one command is an update.
	db.mustApply(write(tb, [][]any{{int64(1), "a"}}, [][]any{{int64(1), "a2"}}))

	// A stale old row (someone updated it first).
	_, err = db.apply(write(tb, [][]any{{int64(1), "a"}}, nil))
	pe = wantCode(t, err, pgerror.SerializationFailure)
	if pe.Message != "could not serialize access due to concurrent update" {
		t.Fatalf("message %q", pe.Message)
	}
	// A deleted row.
	_, err = db.apply(write(tb, [][]any{{int64(9), "z"}}, nil))
	wantCode(t, err, pgerror.SerializationFailure)

	// A stale table version.
	stale := *tb
	stale.Version = 0
	_, err = db.apply(write(&stale, nil, [][]any{{int64(7), "q"}}))
	wantCode(t, err, pgerror.SerializationFailure)

	if got := fmtRows(db.rows(tb)); got != "(1,a2)\n(2,b)\n" {
		t.Fatalf("rows:\n%s", got)
	}
}

func TestRejectedWriteIsAtomic(t *testing.T) {
	db := newTestDB(t)
	a := db.createTable("a", []int{0}, colSpec{"id", types.Int8T})
	b := db.createTable("b", []int{0}, colSpec{"id", types.Int8T})
	db.mustApply(write(b, nil, [][]any{{int64(1)}}))
	before := db.s.AppliedIndex()
	cmd := &Command{Write: &Write{Tables: []TableWrite{
		{TableID: a.ID, TableVersion: a.Version, Inserts: rec(a, []any{int64(1)}, []any{int64(2)})},
		{TableID: b.ID, TableVersion: b.Version, Inserts: rec(b, []any{int64(1)})}, // duplicate
	}}}
	_, err := db.apply(cmd)
	wantCode(t, err, pgerror.UniqueViolation)
	if len(db.rows(a)) != 0 {
		t.Fatal("rejected command left rows in a")
	}
	if db.s.AppliedIndex() != before+1 {
		t.Fatal("rejected command did not advance the applied index")
	}
	db.reopen()
	if len(db.rows(a)) != 0 || db.s.AppliedIndex() != before+1 {
		t.Fatal("after reopen")
	}
}

func TestReplayIsIdempotent(t *testing.T) {
	db := newTestDB(t)
	var cmds []*Command
	tb := db.createTable("t", nil, colSpec{"v", types.NumericT})
	cmds = append(cmds, nil) // index 1 was the CREATE TABLE
	for i := range 20 {
		res := db.mustApply(&Command{ReserveIDs: &ReserveIDs{Count: 1}})
		cmds = append(cmds, &Command{ReserveIDs: &ReserveIDs{Count: 1}})
		c := write(tb, nil, [][]any{{apd.New(int64(i), -1), res.First}})
		db.mustApply(c)
		cmds = append(cmds, c)
	}
	want := fmtRows(db.rows(tb))
	applied := db.s.AppliedIndex()
	db.reopen()
	for i, c := range cmds {
		if c == nil {
			continue
		}
		res, err := db.s.Apply(uint64(i+1), c)
		if err != nil || !res.Skipped {
			t.Fatalf("replay of %d: %v %+v", i+1, err, res)
		}
	}
	if got := fmtRows(db.rows(tb)); got != want || db.s.AppliedIndex() != applied {
		t.Fatalf("replay changed state:\n%s\nwant\n%s", got, want)
	}
	// The row-id counter survived the reopen.
	if res := db.mustApply(&Command{ReserveIDs: &ReserveIDs{Count: 5}}); res.First != 21 {
		t.Fatalf("first id after reopen %d", res.First)
	}
}

func TestCatalogPersistsAcrossReopen(t *testing.T) {
	db := newTestDB(t)
	tb := db.createTable("t", []int{0}, colSpec{"id", types.Int8T}, colSpec{"n", types.T{Family: types.Numeric, Width: 10, Scale: 2}})
	db.mustApply(write(tb, nil, [][]any{{int64(1), apd.New(150, -2)}}))
	// ALTER: add a column with a fast default, drop n, rename the table.
	alt := *tb
	alt.Name = "t2"
	alt.Columns = []*ColumnDesc{tb.Columns[0], {Name: "d", Type: types.DateT, Missing: int32(100)}}
	db.mustApply(ddl(db, &DDL{AlterTable: &AlterTable{Desc: &alt}}))
	want := db.s.Catalog()
	db.reopen()
	got := db.s.Catalog()
	if fmtCatalog(got) != fmtCatalog(want) {
		t.Fatalf("catalog after reopen:\n%s\nwant\n%s", fmtCatalog(got), fmtCatalog(want))
	}
	t2 := got.TableByID(tb.ID)
	if t2.Version != 2 || t2.Columns[1].ID != 3 || t2.Columns[1].Missing != int32(100) {
		t.Fatalf("altered %+v %+v", t2, t2.Columns[1])
	}
	if rows := fmtRows(db.rows(t2)); rows != "(1,100)\n" {
		t.Fatalf("rows %s", rows)
	}
	// A write planned against the old version is rejected.
	_, err := db.apply(write(tb, nil, [][]any{{int64(2), apd.New(1, 0)}}))
	wantCode(t, err, pgerror.SerializationFailure)
}

func fmtCatalog(c *Catalog) string {
	s, _ := encodeCatalog(c)
	return string(s)
}

func TestTruncateAndDrop(t *testing.T) {
	db := newTestDB(t)
	a := db.createTable("a", []int{0}, colSpec{"id", types.Int8T})
	b := db.createTable("b", []int{0}, colSpec{"id", types.Int8T})
	db.mustApply(write(a, nil, [][]any{{int64(1)}, {int64(2)}}))
	db.mustApply(write(b, nil, [][]any{{int64(1)}}))
	db.mustApply(ddl(db, &DDL{TruncateTable: &TruncateTable{ID: a.ID}}))
	if len(db.rows(a)) != 0 || len(db.rows(b)) != 1 {
		t.Fatal("truncate touched the wrong rows")
	}
	db.mustApply(write(a, nil, [][]any{{int64(1)}}))
	db.mustApply(ddl(db, &DDL{DropTable: &DropTable{ID: a.ID}}))
	if db.s.Catalog().TableByID(a.ID) != nil || len(db.rows(b)) != 1 {
		t.Fatal("drop")
	}
}

// TestSystemSettings: ALTER SYSTEM values are kept sorted in the catalog, replaced, reset, and
// survive a reopen.
func TestSystemSettings(t *testing.T) {
	db := newTestDB(t)
	set := func(name, value string, reset bool) {
		db.mustApply(ddl(db, &DDL{SetSystem: &SetSystem{Name: name, Value: value, Reset: reset}}))
	}
	set("zeta", "1", false)
	set("checkpoint_interval", "5s", false)
	set("checkpoint_interval", "2min", false)
	db.reopen()
	got := db.s.Catalog().Settings
	want := []SystemSetting{{"checkpoint_interval", "2min"}, {"zeta", "1"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("settings after reopen: %+v, want %+v", got, want)
	}
	set("checkpoint_interval", "", true)
	if v, ok := db.s.Catalog().Setting("checkpoint_interval"); ok {
		t.Fatalf("checkpoint_interval still %q after reset", v)
	}
	if v, _ := db.s.Catalog().Setting("zeta"); v != "1" {
		t.Fatalf("reset of one setting touched another: zeta = %q", v)
	}
}

func TestNotNullAndBadShapes(t *testing.T) {
	db := newTestDB(t)
	tb := db.createTable("t", []int{0}, colSpec{"id", types.Int8T}, colSpec{"v", types.TextT})
	_, err := db.apply(write(tb, nil, [][]any{{nil, "x"}}))
	pe := wantCode(t, err, pgerror.NotNullViolation)
	if pe.Message != `null value in column "id" of relation "t" violates not-null constraint` {
		t.Fatalf("message %q", pe.Message)
	}
	// A record of the wrong shape is a deterministic internal rejection, not a crash.
	other := &TableDesc{ID: tb.ID, Version: tb.Version, Columns: []*ColumnDesc{{Name: "id", Type: types.TextT}}, PrimaryKey: []int{0}}
	_, err = db.apply(write(other, nil, [][]any{{"x"}}))
	wantCode(t, err, pgerror.Internal)
	_, err = db.apply(&Command{})
	wantCode(t, err, pgerror.Internal)
	tx := db.s.BeginTxn()
	wantCode(t, tx.InsertRows(tb, [][]any{{nil, "x"}}), pgerror.NotNullViolation)
}

// TestLargeWriteValidation exercises the iterator-based reads of big commands.
func TestLargeWriteValidation(t *testing.T) {
	db := newTestDB(t)
	tb := db.createTable("t", []int{0}, colSpec{"id", types.Int8T}, colSpec{"v", types.TextT})
	var rows [][]any
	for i := range 100 {
		rows = append(rows, []any{int64(i * 2), "a"})
	}
	db.mustApply(write(tb, nil, rows))
	// Delete the first 40, re-insert 20 of them changed plus 20 new odd keys.
	var dels, ins [][]any
	for i := range 40 {
		dels = append(dels, []any{int64(i * 2), "a"})
	}
	for i := range 20 {
		ins = append(ins, []any{int64(i * 2), "b"}, []any{int64(i*2 + 1), "c"})
	}
	if res := db.mustApply(write(tb, dels, ins)); res.RowsAffected != 80 {
		t.Fatalf("rows affected %d", res.RowsAffected)
	}
	if n := len(db.rows(tb)); n != 100 {
		t.Fatalf("%d rows", n)
	}
	// Now a big insert with one existing key among fresh ones.
	ins = nil
	for i := range 30 {
		ins = append(ins, []any{int64(1000 + i), "x"})
	}
	ins = append(ins, []any{int64(198), "dup"})
	_, err := db.apply(write(tb, nil, ins))
	if pe := wantCode(t, err, pgerror.UniqueViolation); pe.Detail != "Key (id)=(198) already exists." {
		t.Fatalf("detail %q", pe.Detail)
	}
	// A big delete with one stale row.
	dels = nil
	for i := 50; i < 90; i++ {
		dels = append(dels, []any{int64(i * 2), "a"})
	}
	dels[10][1] = "stale"
	_, err = db.apply(write(tb, dels, nil))
	wantCode(t, err, pgerror.SerializationFailure)
	// Two table writes to the same table in one command see each other.
	cur := db.s.Catalog().TableByID(tb.ID)
	var big [][]any
	for i := range 20 {
		big = append(big, []any{int64(5000 + i), "y"})
	}
	first := write(cur, nil, big).Write.Tables[0]
	second := write(cur, [][]any{{int64(5000), "y"}}, [][]any{{int64(5000), "z"}}).Write.Tables[0]
	db.mustApply(&Command{Write: &Write{Tables: []TableWrite{first, second}}})
	if n := len(db.rows(tb)); n != 120 {
		t.Fatalf("%d rows", n)
	}
}

func TestUniqueViolationDetail(t *testing.T) {
	db := newTestDB(t)
	tb := db.createTable("t", []int{0, 1}, colSpec{"d", types.DateT}, colSpec{"ts", types.TimestampT}, colSpec{"n", types.NumericT})
	row := []any{int32(19723), int64(1704067200123456), apd.New(15, -1)}
	db.mustApply(write(tb, nil, [][]any{row}))
	_, err := db.apply(write(tb, nil, [][]any{row}))
	pe := wantCode(t, err, pgerror.UniqueViolation)
	if want := "Key (d, ts)=(2024-01-01, 2024-01-01 00:00:00.123456) already exists."; pe.Detail != want {
		t.Fatalf("detail %q, want %q", pe.Detail, want)
	}
}

func TestPoisonCommandIsRejected(t *testing.T) {
	db := newTestDB(t)
	tb := db.createTable("t", []int{0}, colSpec{"id", types.Int8T}, colSpec{"n", types.NumericT})
	// A numeric column holding text that is no number: DatumAt panics on it.
	bad := &TableDesc{ID: tb.ID, Version: tb.Version, PrimaryKey: tb.PrimaryKey, Columns: []*ColumnDesc{
		tb.Columns[0], {ID: 2, Name: "n", Type: types.TextT}}}
	r := rec(bad, []any{int64(1), "not a number"})
	_, err := db.apply(&Command{Write: &Write{Tables: []TableWrite{{TableID: tb.ID, TableVersion: tb.Version, Inserts: r}}}})
	wantCode(t, err, pgerror.Internal)
	if len(db.rows(tb)) != 0 {
		t.Fatal("poison command left rows")
	}
	db.mustApply(write(tb, nil, [][]any{{int64(1), apd.New(1, 0)}}))
}
