package storage

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/eddydb/eddy/sql/pgerror"
	"github.com/eddydb/eddy/sql/types"
)

func spCreate(name string) *Command {
	return &Command{Time: 1_700_000_000_000_000, Savepoint: &SavepointCmd{Create: &CreateSavepoint{Name: name, Comment: "c-" + name, EddyVersion: "test"}}}
}

func spRollback(name string) *Command {
	return &Command{Savepoint: &SavepointCmd{Rollback: &RollbackSavepoint{Name: name}}}
}

func spRelease(name string) *Command {
	return &Command{Savepoint: &SavepointCmd{Release: &ReleaseSavepoint{Name: name}}}
}

func ints(vals ...int64) [][]any {
	out := make([][]any, len(vals))
	for i, v := range vals {
		out[i] = []any{v, "x"}
	}
	return out
}

// TestSavepointRollbackRelease takes savepoints between writes and DDL, rolls back to them
// (the rows, the catalog and later savepoints are as they should be), releases one, and checks
// every step survives a reopen.
func TestSavepointRollbackRelease(t *testing.T) {
	db := newTestDB(t)
	tb := db.createTable("t", []int{0}, colSpec{"k", types.Int8T}, colSpec{"v", types.TextT})
	db.mustApply(write(tb, nil, ints(1, 2, 3)))
	res := db.mustApply(spCreate("s1"))
	s1Index := db.idx
	db.mustApply(write(tb, ints(2), ints(4)))
	db.mustApply(spCreate("s2"))
	u := db.createTable("u", nil, colSpec{"x", types.Int8T})
	db.mustApply(write(tb, nil, ints(5)))
	catBefore := db.s.Catalog().Version

	// Duplicate names and bad names are refused; the state does not change.
	_, err := db.apply(spCreate("s1"))
	wantCode(t, err, pgerror.DuplicateObject)
	_, err = db.apply(spCreate("../x"))
	wantCode(t, err, pgerror.InvalidSavepointSpecification)
	_, err = db.apply(spRollback("nope"))
	wantCode(t, err, pgerror.InvalidSavepointSpecification)
	_, err = db.apply(spRelease("nope"))
	wantCode(t, err, pgerror.InvalidSavepointSpecification)

	sps, err := db.s.Savepoints()
	if err != nil || len(sps) != 2 || sps[0].Name != "s1" || sps[0].Index != s1Index || sps[0].Comment != "c-s1" ||
		sps[0].Format != SavepointFormatVersion || sps[0].CatalogVersion != res.CatalogVersion || sps[1].Name != "s2" {
		t.Fatalf("savepoints %+v, %v", sps, err)
	}
	usage, err := db.s.SavepointUsage("s1")
	if err != nil || usage.Missing || usage.Bytes == 0 {
		t.Fatalf("usage %+v %v", usage, err)
	}

	// Back to s1: t holds 1, 2, 3 again; u is gone; both savepoints are still there.
	res = db.mustApply(spRollback("s1"))
	if res.CatalogVersion <= catBefore || db.s.Catalog().Version != res.CatalogVersion {
		t.Fatalf("catalog version after rollback %d (was %d)", res.CatalogVersion, catBefore)
	}
	if db.s.AppliedIndex() != db.idx {
		t.Fatalf("applied %d, want %d", db.s.AppliedIndex(), db.idx)
	}
	if got := fmtRows(db.rows(tb)); got != fmtRows(ints(1, 2, 3)) {
		t.Fatalf("rows after rollback to s1:\n%s", got)
	}
	if db.s.Catalog().TableByID(u.ID) != nil {
		t.Fatal("table u survived the rollback to a savepoint taken before it")
	}
	if sps, _ := db.s.Savepoints(); len(sps) != 2 {
		t.Fatalf("savepoints after rollback: %+v", sps)
	}
	// Object IDs never go back: a new table does not take u's ID.
	v := db.createTable("v", nil, colSpec{"x", types.Int8T})
	if v.ID <= u.ID {
		t.Fatalf("new table got ID %d, not above the rolled-back one's %d", v.ID, u.ID)
	}

	// Forward again to s2, then reopen: the state is s2's.
	db.mustApply(spRollback("s2"))
	db.reopen()
	if got := fmtRows(db.rows(tb)); got != fmtRows(ints(1, 3, 4)) {
		t.Fatalf("rows after rollback to s2 and reopen:\n%s", got)
	}
	if db.s.Catalog().Table(PublicSchemaID, "v") != nil {
		t.Fatal("table v survived the rollback to s2")
	}

	// Release s1: its files go, s2 stays, and it can be taken again.
	db.mustApply(spRelease("s1"))
	if _, err := os.Stat(filepath.Join(db.s.SavepointsDir(), "s1")); !os.IsNotExist(err) {
		t.Fatalf("released savepoint's files: %v", err)
	}
	db.mustApply(write(tb, nil, ints(9)))
	db.mustApply(spCreate("s1"))
	db.mustApply(write(tb, ints(9), nil))
	db.mustApply(spRollback("s1"))
	if got := fmtRows(db.rows(tb)); got != fmtRows(ints(1, 3, 4, 9)) {
		t.Fatalf("rows after rollback to the new s1:\n%s", got)
	}
}

// TestSavepointFilesWithoutEntryAreCollected checks that files a savepoint command left
// without committing (a crash between the two) are removed at open, and a replay of the
// command writes them again.
func TestSavepointFilesWithoutEntryAreCollected(t *testing.T) {
	db := newTestDB(t)
	tb := db.createTable("t", []int{0}, colSpec{"k", types.Int8T}, colSpec{"v", types.TextT})
	db.mustApply(write(tb, nil, ints(1)))
	stray := filepath.Join(db.s.SavepointsDir(), "stray")
	if err := os.MkdirAll(filepath.Join(stray, "state"), 0o755); err != nil {
		t.Fatal(err)
	}
	db.reopen()
	if _, err := os.Stat(stray); !os.IsNotExist(err) {
		t.Fatalf("stray savepoint files still there: %v", err)
	}
	// A replayed SAVEPOINT over files of an earlier attempt replaces them.
	if err := os.MkdirAll(filepath.Join(db.s.SavepointsDir(), "again", "state"), 0o755); err != nil {
		t.Fatal(err)
	}
	db.mustApply(spCreate("again"))
	db.mustApply(write(tb, nil, ints(2)))
	db.mustApply(spRollback("again"))
	if got := fmtRows(db.rows(tb)); got != fmtRows(ints(1)) {
		t.Fatalf("rows:\n%s", got)
	}
}

// TestCheckpointCarriesSavepoints restores a checkpoint in another store (a replica installing
// a snapshot): the savepoints come with it, and rolling back to one there gives its rows.
func TestCheckpointCarriesSavepoints(t *testing.T) {
	db := newTestDB(t)
	tb := db.createTable("t", []int{0}, colSpec{"k", types.Int8T}, colSpec{"v", types.TextT})
	db.mustApply(write(tb, nil, ints(1, 2)))
	db.mustApply(spCreate("s1"))
	db.mustApply(write(tb, nil, ints(3)))
	db.mustApply(spCreate("s2"))
	db.mustApply(spRelease("s2"))
	db.mustApply(write(tb, nil, ints(4)))
	ckpt := filepath.Join(t.TempDir(), "ckpt")
	if err := db.s.Checkpoint(ckpt); err != nil {
		t.Fatal(err)
	}

	other := newTestDB(t)
	if err := other.s.RestoreFrom(ckpt); err != nil {
		t.Fatal(err)
	}
	other.idx = other.s.AppliedIndex()
	sps, err := other.s.Savepoints()
	if err != nil || len(sps) != 1 || sps[0].Name != "s1" {
		t.Fatalf("savepoints on the restored replica: %+v, %v", sps, err)
	}
	if u, err := other.s.SavepointUsage("s1"); err != nil || u.Missing || u.Bytes == 0 {
		t.Fatalf("s1's files on the restored replica: %+v, %v", u, err)
	}
	if got := fmtRows(other.rows(tb)); got != fmtRows(ints(1, 2, 3, 4)) {
		t.Fatalf("restored rows:\n%s", got)
	}
	other.mustApply(spRollback("s1"))
	if got := fmtRows(other.rows(tb)); got != fmtRows(ints(1, 2)) {
		t.Fatalf("rows after rolling back to s1 on the restored replica:\n%s", got)
	}
	// The source store's own savepoint still works: the checkpoint took links, not its files.
	db.mustApply(spRollback("s1"))
	if got := fmtRows(db.rows(tb)); got != fmtRows(ints(1, 2)) {
		t.Fatalf("rows after rolling back to s1 on the source:\n%s", got)
	}
}

// TestSavepointArchive exports a savepoint, imports it into another store and rolls back to
// it there; a damaged, truncated or newer archive is refused.
func TestSavepointArchive(t *testing.T) {
	db := newTestDB(t)
	tb := db.createTable("t", []int{0}, colSpec{"k", types.Int8T}, colSpec{"v", types.TextT})
	db.mustApply(write(tb, nil, ints(1, 2, 3)))
	db.mustApply(spCreate("s1"))
	db.mustApply(write(tb, nil, ints(4)))
	var buf bytes.Buffer
	if err := db.s.WriteSavepointArchive(&buf, "s1"); err != nil {
		t.Fatal(err)
	}
	archive := buf.Bytes()

	other := newTestDB(t)
	other.createTable("unrelated", nil, colSpec{"x", types.Int8T})
	m, err := other.s.StageSavepointArchive(bytes.NewReader(archive), "imp1")
	if err != nil {
		t.Fatal(err)
	}
	if m.Savepoint.Name != "s1" || m.ArchiveFormat != SavepointArchiveFormat || len(m.Files) == 0 || len(m.Catalog) == 0 {
		t.Fatalf("manifest %+v", m)
	}
	other.mustApply(&Command{Savepoint: &SavepointCmd{Create: &CreateSavepoint{Name: "moved", Import: "imp1", Origin: &m.Savepoint}}})
	sps, _ := other.s.Savepoints()
	if len(sps) != 1 || sps[0].Name != "moved" || sps[0].ImportedFrom == "" {
		t.Fatalf("savepoints after import: %+v", sps)
	}
	other.mustApply(spRollback("moved"))
	tb2 := other.s.Catalog().Table(PublicSchemaID, "t")
	if tb2 == nil || other.s.Catalog().Table(PublicSchemaID, "unrelated") != nil {
		t.Fatal("the imported state's catalog is not the savepoint's")
	}
	if got := fmtRows(other.rows(tb2)); got != fmtRows(ints(1, 2, 3)) {
		t.Fatalf("rows after rolling back to the imported savepoint:\n%s", got)
	}
	// Export of the imported savepoint works too (a second hop).
	buf.Reset()
	if err := other.s.WriteSavepointArchive(&buf, "moved"); err != nil {
		t.Fatal(err)
	}

	refused := func(name string, b []byte, want string) {
		t.Helper()
		_, err := other.s.StageSavepointArchive(bytes.NewReader(b), "bad")
		if err == nil || !errors.Is(err, ErrArchive) || !strings.Contains(err.Error(), want) {
			t.Fatalf("%s archive: %v, want an error saying %q", name, err, want)
		}
		if _, err := os.Stat(other.s.stagedDir("bad")); !os.IsNotExist(err) {
			t.Fatalf("%s archive left staged files: %v", name, err)
		}
	}
	damaged := bytes.Clone(archive)
	// A byte inside the first state file's data (its tar header is 512 bytes).
	damaged[bytes.Index(damaged, []byte("state/"))+512+20] ^= 0xff
	refused("damaged", damaged, "damaged")
	refused("truncated", archive[:len(archive)*2/3], "")
	refused("not an archive", []byte("hello"), "not an eddy savepoint archive")
	newer := bytes.Replace(archive, []byte(`"archive_format": 1`), []byte(`"archive_format": 9`), 1)
	refused("newer", newer, "archive format 9 is newer than this eddy reads")
	newerSP := bytes.Replace(archive, []byte(`"format_version": 1`), []byte(`"format_version": 7`), 1)
	refused("newer savepoint", newerSP, "savepoint format 7")
}
