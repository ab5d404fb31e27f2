package storage

import (
	"testing"

	"github.com/eddydb/eddy/sql/pgerror"
	"github.com/eddydb/eddy/sql/types"
)

func txnRows(t *testing.T, tx *Txn, tb *TableDesc) string {
	t.Helper()
	r := tx.Reader()
	defer r.Close()
	return fmtRows(scanAll(t, r, tb))
}

func commitTxn(t *testing.T, db *testDB, tx *Txn) *Write {
	t.Helper()
	w, err := tx.Command()
	if err != nil {
		t.Fatal(err)
	}
	if w != nil {
		db.mustApply(&Command{Write: w})
	}
	return w
}

func TestTxnReadYourWritesAndNetEffect(t *testing.T) {
	db := newTestDB(t)
	tb := db.createTable("t", []int{0}, colSpec{"id", types.Int8T}, colSpec{"v", types.TextT})
	db.mustApply(write(tb, nil, [][]any{{int64(1), "a"}, {int64(2), "b"}, {int64(3), "c"}}))

	tx := db.s.BeginTxn()
	if !tx.Empty() {
		t.Fatal("new txn not empty")
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(tx.Insert(tb, rec(tb, []any{int64(4), "d"}, []any{int64(0), "z"})))
	must(tx.Delete(tb, rec(tb, []any{int64(2), "b"})))
	must(tx.Update(tb, rec(tb, []any{int64(3), "c"}), rec(tb, []any{int64(3), "c2"})))
	// Insert then delete within the txn: no trace.
	must(tx.Insert(tb, rec(tb, []any{int64(9), "tmp"})))
	must(tx.Delete(tb, rec(tb, []any{int64(9), "tmp"})))
	// Update then update back: no trace.
	must(tx.Update(tb, rec(tb, []any{int64(1), "a"}), rec(tb, []any{int64(1), "x"})))
	must(tx.Update(tb, rec(tb, []any{int64(1), "x"}), rec(tb, []any{int64(1), "a"})))

	if got := txnRows(t, tx, tb); got != "(0,z)\n(1,a)\n(3,c2)\n(4,d)\n" {
		t.Fatalf("txn view:\n%s", got)
	}
	r := tx.Reader()
	if row, ok, err := r.Get(tb, []any{int64(2)}); err != nil || ok {
		t.Fatalf("deleted row visible: %v %v", row, err)
	}
	if row, ok, _ := r.Get(tb, []any{int64(4)}); !ok || row[1] != "d" {
		t.Fatalf("inserted row: %v", row)
	}
	r.Close()
	// Others do not see it.
	if got := fmtRows(db.rows(tb)); got != "(1,a)\n(2,b)\n(3,c)\n" {
		t.Fatalf("outside view:\n%s", got)
	}

	w, err := tx.Command()
	if err != nil {
		t.Fatal(err)
	}
	tw := w.Tables[0]
	if got := fmtRows(recRows(tb, tw.Deletes)); got != "(2,b)\n(3,c)\n" {
		t.Fatalf("deletes:\n%s", got)
	}
	if got := fmtRows(recRows(tb, tw.Inserts)); got != "(0,z)\n(3,c2)\n(4,d)\n" {
		t.Fatalf("inserts:\n%s", got)
	}
	db.mustApply(&Command{Write: w})
	if got := fmtRows(db.rows(tb)); got != "(0,z)\n(1,a)\n(3,c2)\n(4,d)\n" {
		t.Fatalf("after commit:\n%s", got)
	}
}

func TestTxnDuplicateKeys(t *testing.T) {
	db := newTestDB(t)
	tb := db.createTable("t", []int{0}, colSpec{"id", types.Int8T}, colSpec{"v", types.TextT})
	db.mustApply(write(tb, nil, [][]any{{int64(1), "a"}}))
	tx := db.s.BeginTxn()
	wantCode(t, tx.Insert(tb, rec(tb, []any{int64(1), "x"})), pgerror.UniqueViolation)
	wantCode(t, tx.Insert(tb, rec(tb, []any{int64(5), "x"}, []any{int64(5), "y"})), pgerror.UniqueViolation)
	if !tx.Empty() {
		t.Fatal("failed insert left staged rows")
	}
	if err := tx.Insert(tb, rec(tb, []any{int64(5), "x"})); err != nil {
		t.Fatal(err)
	}
	wantCode(t, tx.Insert(tb, rec(tb, []any{int64(5), "y"})), pgerror.UniqueViolation)
	// Delete then re-insert the same key is fine; keys may be permuted by one update.
	if err := tx.Delete(tb, rec(tb, []any{int64(1), "a"})); err != nil {
		t.Fatal(err)
	}
	if err := tx.Insert(tb, rec(tb, []any{int64(1), "b"})); err != nil {
		t.Fatal(err)
	}
	if err := tx.Update(tb, rec(tb, []any{int64(1), "b"}, []any{int64(5), "x"}),
		rec(tb, []any{int64(5), "b"}, []any{int64(1), "x"})); err != nil {
		t.Fatal(err)
	}
	commitTxn(t, db, tx)
	if got := fmtRows(db.rows(tb)); got != "(1,x)\n(5,b)\n" {
		t.Fatalf("rows:\n%s", got)
	}
}

func TestTxnSavepoint(t *testing.T) {
	db := newTestDB(t)
	tb := db.createTable("t", []int{0}, colSpec{"id", types.Int8T}, colSpec{"v", types.TextT})
	db.mustApply(write(tb, nil, [][]any{{int64(1), "a"}}))
	tx := db.s.BeginTxn()
	if err := tx.Insert(tb, rec(tb, []any{int64(2), "b"})); err != nil {
		t.Fatal(err)
	}
	sp := tx.Savepoint()
	if err := tx.Delete(tb, rec(tb, []any{int64(1), "a"})); err != nil {
		t.Fatal(err)
	}
	if err := tx.Update(tb, rec(tb, []any{int64(2), "b"}), rec(tb, []any{int64(2), "b2"})); err != nil {
		t.Fatal(err)
	}
	if got := txnRows(t, tx, tb); got != "(2,b2)\n" {
		t.Fatalf("before rollback:\n%s", got)
	}
	tx.RollbackTo(sp)
	if got := txnRows(t, tx, tb); got != "(1,a)\n(2,b)\n" {
		t.Fatalf("after rollback:\n%s", got)
	}
	commitTxn(t, db, tx)
	if got := fmtRows(db.rows(tb)); got != "(1,a)\n(2,b)\n" {
		t.Fatalf("committed:\n%s", got)
	}
	tx.RollbackTo(0)
	if !tx.Empty() {
		t.Fatal("rollback to 0")
	}
	if w, _ := tx.Command(); w != nil {
		t.Fatal("empty txn produced a command")
	}
}

func TestTxnConflictDetectedAtApply(t *testing.T) {
	db := newTestDB(t)
	tb := db.createTable("t", []int{0}, colSpec{"id", types.Int8T}, colSpec{"v", types.TextT})
	db.mustApply(write(tb, nil, [][]any{{int64(1), "a"}}))
	tx := db.s.BeginTxn()
	if err := tx.Update(tb, rec(tb, []any{int64(1), "a"}), rec(tb, []any{int64(1), "mine"})); err != nil {
		t.Fatal(err)
	}
	db.mustApply(write(tb, [][]any{{int64(1), "a"}}, [][]any{{int64(1), "theirs"}}))
	w, _ := tx.Command()
	_, err := db.apply(&Command{Write: w})
	wantCode(t, err, pgerror.SerializationFailure)
}

func TestScanBatchesAndProjection(t *testing.T) {
	db := newTestDB(t)
	db.s.SetScanBatchRows(7)
	tb := db.createTable("t", nil, colSpec{"a", types.TextT}, colSpec{"b", types.Float8T})
	var rows [][]any
	for i := range 50 {
		rows = append(rows, []any{string(rune('a' + i%26)), float64(i), int64(100 - i)})
	}
	db.mustApply(write(tb, nil, rows))
	r := db.s.NewReader()
	defer r.Close()
	it, err := r.Scan(tb, []int{2, 1})
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	n, prev := 0, int64(-1)
	for {
		rc, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		if rc == nil {
			break
		}
		if rc.NumRows() > 7 || rc.NumCols() != 2 {
			t.Fatalf("batch of %d rows, %d cols", rc.NumRows(), rc.NumCols())
		}
		for i := 0; i < int(rc.NumRows()); i++ {
			id := types.DatumAt(rc.Column(0), i, types.Int8T).(int64)
			if id <= prev || types.DatumAt(rc.Column(1), i, types.Float8T).(float64) != float64(100-id) {
				t.Fatalf("row %d out of order or wrong", id)
			}
			prev = id
			n++
		}
		rc.Release()
	}
	if n != 50 {
		t.Fatalf("%d rows", n)
	}
}

func TestCheckpointRestore(t *testing.T) {
	src := newTestDB(t)
	tb := src.createTable("t", []int{0}, colSpec{"id", types.Int8T})
	src.mustApply(write(tb, nil, [][]any{{int64(1)}, {int64(2)}}))
	ck := t.TempDir() + "/ck"
	if err := src.s.Checkpoint(ck); err != nil {
		t.Fatal(err)
	}
	src.mustApply(write(tb, nil, [][]any{{int64(3)}}))

	dst := newTestDB(t)
	dst.createTable("other", []int{0}, colSpec{"id", types.Int8T})
	old := dst.s.NewReader() // a reader of the old state outlives the restore
	if err := dst.s.RestoreFrom(ck); err != nil {
		t.Fatal(err)
	}
	if got := fmtRows(scanAll(t, old, old.Catalog().Tables[0])); got != "" {
		t.Fatalf("old reader sees %q", got)
	}
	old.Close()
	if dst.s.AppliedIndex() != 2 || dst.s.Catalog().Table(PublicSchemaID, "other") != nil {
		t.Fatalf("restored applied %d", dst.s.AppliedIndex())
	}
	if got := fmtRows(dst.rows(tb)); got != "(1)\n(2)\n" {
		t.Fatalf("restored rows %q", got)
	}
	dst.idx = dst.s.AppliedIndex()
	dst.reopen()
	if got := fmtRows(dst.rows(tb)); got != "(1)\n(2)\n" || dst.s.AppliedIndex() != 2 {
		t.Fatalf("after reopen rows %q", got)
	}
}

func TestTxnLargeInsertDuplicate(t *testing.T) {
	db := newTestDB(t)
	tb := db.createTable("t", []int{0}, colSpec{"id", types.Int8T}, colSpec{"v", types.TextT})
	db.mustApply(write(tb, nil, [][]any{{int64(37), "a"}}))
	tx := db.s.BeginTxn()
	var rows [][]any
	for i := range 50 {
		rows = append(rows, []any{int64(i), "x"})
	}
	wantCode(t, tx.InsertRows(tb, rows), pgerror.UniqueViolation)
	if !tx.Empty() {
		t.Fatal("failed insert left staged rows")
	}
	if err := tx.InsertRows(tb, rows[:37]); err != nil {
		t.Fatal(err)
	}
	r := tx.Reader()
	defer r.Close()
	if got := len(scanAll(t, r, tb)); got != 38 {
		t.Fatalf("%d rows in txn view", got)
	}
}
