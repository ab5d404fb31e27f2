package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/eddydb/eddy/cmd/eddy/internal/pgref"
	"github.com/eddydb/eddy/cmd/eddy/internal/proc"
)

// The tests in this file check SAVEPOINT, ROLLBACK TO SAVEPOINT and RELEASE SAVEPOINT inside
// BEGIN ... COMMIT the way drivers use them: pgx's nested transactions and pgjdbc's autosave.
// Every scenario runs on eddy and on PostgreSQL 15, and the two transcripts (each statement's
// command tag or SQLSTATE, rows read inside the transaction, the table at the end) must match.

// spQuerier is what a scenario sends statements through: a pgx.Tx (nested or not) or a Conn.
type spQuerier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// spRun is one scenario on one server: it sends the statements and writes the transcript.
type spRun struct {
	ctx   context.Context
	conn  *pgx.Conn
	table string
	lines []string
}

// sql puts the scenario's table name in place of {t}.
func (r *spRun) sql(q string) string { return strings.ReplaceAll(q, "{t}", r.table) }

func (r *spRun) note(label string, outcome string) {
	r.lines = append(r.lines, label+" => "+outcome)
}

// spOutcome renders a statement's result: its command tag, or the error's SQLSTATE (or text,
// for errors pgx raises itself, such as ErrTxCommitRollback).
func spOutcome(tag pgconn.CommandTag, err error) string {
	var pe *pgconn.PgError
	switch {
	case errors.As(err, &pe):
		return "ERROR " + pe.Code
	case err != nil:
		return "ERROR " + err.Error()
	}
	return tag.String()
}

func spLabel(q string, args []any) string {
	if len(args) == 0 {
		return q
	}
	return fmt.Sprintf("%s %v", q, args)
}

// exec runs one statement (or, without arguments, one simple-protocol message) through q.
func (r *spRun) exec(q spQuerier, stmt string, args ...any) {
	if q == nil {
		r.note(spLabel(stmt, args), "no transaction to run in")
		return
	}
	tag, err := q.Exec(r.ctx, r.sql(stmt), args...)
	r.note(spLabel(stmt, args), spOutcome(tag, err))
}

// query records the rows a query returns, or its error.
func (r *spRun) query(q spQuerier, stmt string, args ...any) {
	if q == nil {
		r.note(spLabel(stmt, args), "no transaction to run in")
		return
	}
	rows, err := q.Query(r.ctx, r.sql(stmt), args...)
	if err != nil {
		r.note(spLabel(stmt, args), spOutcome(pgconn.CommandTag{}, err))
		return
	}
	var out []string
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			rows.Close()
			r.note(spLabel(stmt, args), "decode: "+err.Error())
			return
		}
		cols := make([]string, len(vals))
		for i, v := range vals {
			if v == nil {
				cols[i] = "NULL"
			} else {
				cols[i] = fmt.Sprint(v)
			}
		}
		out = append(out, strings.Join(cols, "|"))
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		r.note(spLabel(stmt, args), spOutcome(pgconn.CommandTag{}, err))
		return
	}
	r.note(spLabel(stmt, args), fmt.Sprintf("rows [%s] %s", strings.Join(out, " "), rows.CommandTag()))
}

// reported records the value of a setting the server last reported with ParameterStatus.
func (r *spRun) reported(name string) {
	r.note("reported "+name, r.conn.PgConn().ParameterStatus(name))
}

// begin starts a transaction on the connection.
func (r *spRun) begin() pgx.Tx {
	tx, err := r.conn.Begin(r.ctx)
	r.note("begin", spOutcome(pgconn.NewCommandTag("BEGIN"), err))
	return tx
}

// nested starts a pgx pseudo nested transaction (SAVEPOINT sp_N) inside tx.
func (r *spRun) nested(tx pgx.Tx) pgx.Tx {
	if tx == nil {
		r.note("nested begin", "no transaction to run in")
		return nil
	}
	sp, err := tx.Begin(r.ctx)
	r.note("nested begin", spOutcome(pgconn.NewCommandTag("SAVEPOINT"), err))
	return sp
}

// commit commits tx: COMMIT, or RELEASE SAVEPOINT for a nested transaction.
func (r *spRun) commit(tx pgx.Tx, label string) {
	if tx == nil {
		r.note(label, "no transaction to run in")
		return
	}
	r.note(label, spOutcome(pgconn.NewCommandTag("ok"), tx.Commit(r.ctx)))
}

// rollback rolls tx back: ROLLBACK, or ROLLBACK TO SAVEPOINT for a nested transaction.
func (r *spRun) rollback(tx pgx.Tx, label string) {
	if tx == nil {
		r.note(label, "no transaction to run in")
		return
	}
	r.note(label, spOutcome(pgconn.NewCommandTag("ok"), tx.Rollback(r.ctx)))
}

// spScenarios are the transaction scripts. Each table starts with the committed rows 100 and 200.
var spScenarios = []struct {
	name string
	run  func(r *spRun)
}{
	{"nested_rollback", func(r *spRun) {
		tx := r.begin()
		r.exec(tx, "INSERT INTO {t} VALUES ($1, $2)", 1, "one")
		sp := r.nested(tx)
		r.exec(sp, "INSERT INTO {t} VALUES ($1, $2)", 2, "two")
		r.query(sp, "SELECT id, v FROM {t} ORDER BY id")
		r.rollback(sp, "rollback sp_1")
		r.exec(tx, "INSERT INTO {t} VALUES ($1, $2)", 3, "three")
		outer := r.nested(tx)
		r.exec(outer, "INSERT INTO {t} VALUES ($1, $2)", 4, "four")
		inner := r.nested(outer)
		r.exec(inner, "INSERT INTO {t} VALUES ($1, $2)", 5, "five")
		r.commit(inner, "release sp_3")
		r.query(outer, "SELECT id, v FROM {t} ORDER BY id")
		r.rollback(outer, "rollback sp_2 (drops 4 and the released 5)")
		last := r.nested(tx)
		r.exec(last, "UPDATE {t} SET v = $1 WHERE id = $2", "changed", 100)
		r.exec(last, "DELETE FROM {t} WHERE id = $1", 200)
		r.commit(last, "release sp_4")
		r.query(tx, "SELECT id, v FROM {t} ORDER BY id")
		r.commit(tx, "commit")
	}},
	{"whole_rollback", func(r *spRun) {
		tx := r.begin()
		r.exec(tx, "INSERT INTO {t} VALUES ($1, $2)", 1, "one")
		sp := r.nested(tx)
		r.exec(sp, "INSERT INTO {t} VALUES ($1, $2)", 2, "two")
		r.commit(sp, "release sp_1")
		r.rollback(tx, "rollback")
	}},
	{"unique_violation_recovery", func(r *spRun) {
		tx := r.begin()
		r.exec(tx, "INSERT INTO {t} VALUES ($1, $2)", 1, "one")
		sp := r.nested(tx)
		r.exec(sp, "INSERT INTO {t} VALUES ($1, $2)", 2, "two")
		r.exec(sp, "INSERT INTO {t} VALUES ($1, $2)", 1, "dup")
		r.exec(sp, "INSERT INTO {t} VALUES ($1, $2)", 3, "after error")
		r.query(sp, "SELECT id, v FROM {t} ORDER BY id")
		r.exec(sp, "RELEASE SAVEPOINT sp_1")
		r.exec(sp, "SAVEPOINT other")
		r.rollback(sp, "rollback sp_1")
		r.query(tx, "SELECT id, v FROM {t} ORDER BY id")
		r.exec(tx, "INSERT INTO {t} VALUES ($1, $2)", 2, "two again")
		sp2 := r.nested(tx)
		r.exec(sp2, "INSERT INTO {t} VALUES ($1, $2)", 100, "dup of committed")
		r.rollback(sp2, "rollback sp_2")
		r.exec(tx, "INSERT INTO {t} VALUES ($1, $2)", 4, "four")
		r.commit(tx, "commit")
	}},
	{"division_by_zero", func(r *spRun) {
		tx := r.begin()
		r.exec(tx, "UPDATE {t} SET v = v || $1 WHERE id = $2", "!", 100)
		sp := r.nested(tx)
		r.exec(sp, "INSERT INTO {t} VALUES ($1, $2)", 1, "one")
		// Row 100 updates fine and row 200 divides by zero: nothing of the statement may stay.
		r.exec(sp, "UPDATE {t} SET v = (100 / (id - 200))::text")
		r.exec(sp, "INSERT INTO {t} VALUES ($1, $2)", 2, "two")
		r.query(sp, "SELECT 1")
		r.rollback(sp, "rollback sp_1")
		r.query(tx, "SELECT id, v FROM {t} ORDER BY id")
		sp2 := r.nested(tx)
		r.query(sp2, "SELECT id / (id - 100) FROM {t} ORDER BY id")
		r.rollback(sp2, "rollback sp_2")
		r.exec(tx, "INSERT INTO {t} VALUES ($1, $2)", 3, "three")
		r.commit(tx, "commit")
	}},
	{"outer_rollback_discards_inner", func(r *spRun) {
		tx := r.begin()
		r.exec(tx, "SAVEPOINT a")
		r.exec(tx, "INSERT INTO {t} VALUES ($1, $2)", 1, "one")
		r.exec(tx, "SAVEPOINT b")
		r.exec(tx, "INSERT INTO {t} VALUES ($1, $2)", 2, "two")
		r.exec(tx, "SAVEPOINT c")
		r.exec(tx, "INSERT INTO {t} VALUES ($1, $2)", 3, "three")
		r.exec(tx, "ROLLBACK TO SAVEPOINT a")
		r.query(tx, "SELECT id, v FROM {t} ORDER BY id")
		r.exec(tx, "ROLLBACK TO SAVEPOINT b")
		r.exec(tx, "INSERT INTO {t} VALUES ($1, $2)", 4, "four")
		r.exec(tx, "ROLLBACK TO SAVEPOINT c")
		r.exec(tx, "ROLLBACK TO SAVEPOINT a")
		r.exec(tx, "RELEASE SAVEPOINT c")
		r.exec(tx, "ROLLBACK TO SAVEPOINT a")
		r.exec(tx, "INSERT INTO {t} VALUES ($1, $2)", 5, "five")
		r.commit(tx, "commit")
	}},
	{"pgx_outer_rollback", func(r *spRun) {
		tx := r.begin()
		r.exec(tx, "INSERT INTO {t} VALUES ($1, $2)", 1, "one")
		outer := r.nested(tx)
		inner := r.nested(outer)
		r.exec(inner, "INSERT INTO {t} VALUES ($1, $2)", 2, "two")
		r.rollback(outer, "rollback sp_1")
		r.rollback(inner, "rollback sp_2 (gone with sp_1)")
		r.query(tx, "SELECT id, v FROM {t} ORDER BY id")
		r.commit(tx, "commit")
	}},
	{"release_then_rollback_to", func(r *spRun) {
		tx := r.begin()
		r.exec(tx, "SAVEPOINT a")
		r.exec(tx, "INSERT INTO {t} VALUES ($1, $2)", 1, "one")
		r.exec(tx, "SAVEPOINT b")
		r.exec(tx, "INSERT INTO {t} VALUES ($1, $2)", 2, "two")
		r.exec(tx, "RELEASE SAVEPOINT a")
		r.query(tx, "SELECT id, v FROM {t} ORDER BY id")
		r.exec(tx, "ROLLBACK TO SAVEPOINT b")
		r.exec(tx, "ROLLBACK TO SAVEPOINT a")
		r.commit(tx, "commit")
		tx = r.begin()
		r.exec(tx, "SAVEPOINT a")
		r.exec(tx, "INSERT INTO {t} VALUES ($1, $2)", 3, "three")
		r.exec(tx, "RELEASE SAVEPOINT a")
		r.exec(tx, "INSERT INTO {t} VALUES ($1, $2)", 4, "four")
		r.exec(tx, "RELEASE SAVEPOINT a")
		r.exec(tx, "INSERT INTO {t} VALUES ($1, $2)", 5, "five")
		r.commit(tx, "commit")
		tx = r.begin()
		r.exec(tx, "SAVEPOINT a")
		r.exec(tx, "INSERT INTO {t} VALUES ($1, $2)", 6, "six")
		r.exec(tx, "RELEASE SAVEPOINT a")
		r.exec(tx, "INSERT INTO {t} VALUES ($1, $2)", 7, "seven")
		r.commit(tx, "commit")
	}},
	{"same_name_shadowing", func(r *spRun) {
		tx := r.begin()
		r.exec(tx, "SAVEPOINT a")
		r.exec(tx, "INSERT INTO {t} VALUES ($1, $2)", 1, "one")
		r.exec(tx, "SAVEPOINT a")
		r.exec(tx, "INSERT INTO {t} VALUES ($1, $2)", 2, "two")
		r.exec(tx, "ROLLBACK TO SAVEPOINT a")
		r.query(tx, "SELECT id, v FROM {t} ORDER BY id")
		r.exec(tx, "INSERT INTO {t} VALUES ($1, $2)", 3, "three")
		r.exec(tx, "RELEASE SAVEPOINT a")
		r.query(tx, "SELECT id, v FROM {t} ORDER BY id")
		r.exec(tx, "ROLLBACK TO SAVEPOINT a")
		r.query(tx, "SELECT id, v FROM {t} ORDER BY id")
		r.exec(tx, "INSERT INTO {t} VALUES ($1, $2)", 4, "four")
		r.exec(tx, "RELEASE SAVEPOINT a")
		r.exec(tx, "ROLLBACK TO SAVEPOINT a")
		r.rollback(tx, "rollback")
		// Names fold to lower case unless quoted; SAVEPOINT is optional after ROLLBACK TO and RELEASE.
		tx = r.begin()
		r.exec(tx, "SAVEPOINT Mixed")
		r.exec(tx, "INSERT INTO {t} VALUES ($1, $2)", 5, "five")
		r.exec(tx, "ROLLBACK TO mixed")
		r.exec(tx, `SAVEPOINT "Quoted"`)
		r.exec(tx, "INSERT INTO {t} VALUES ($1, $2)", 6, "six")
		r.exec(tx, "ROLLBACK TRANSACTION TO SAVEPOINT quoted")
		r.exec(tx, `ROLLBACK WORK TO "Quoted"`)
		r.exec(tx, `RELEASE "Quoted"`)
		r.exec(tx, "RELEASE MIXED")
		r.exec(tx, "INSERT INTO {t} VALUES ($1, $2)", 7, "seven")
		r.commit(tx, "commit")
	}},
	{"rollback_to_twice", func(r *spRun) {
		tx := r.begin()
		r.exec(tx, "SAVEPOINT a")
		r.exec(tx, "INSERT INTO {t} VALUES ($1, $2)", 1, "one")
		r.exec(tx, "ROLLBACK TO SAVEPOINT a")
		r.exec(tx, "ROLLBACK TO SAVEPOINT a")
		r.exec(tx, "INSERT INTO {t} VALUES ($1, $2)", 1, "one again")
		r.exec(tx, "INSERT INTO {t} VALUES ($1, $2)", 1, "dup")
		r.exec(tx, "ROLLBACK TO SAVEPOINT a")
		r.exec(tx, "ROLLBACK TO SAVEPOINT a")
		r.query(tx, "SELECT id, v FROM {t} ORDER BY id")
		r.exec(tx, "INSERT INTO {t} VALUES ($1, $2)", 2, "two")
		r.exec(tx, "RELEASE SAVEPOINT a")
		r.commit(tx, "commit")
	}},
	{"restaged_keys", func(r *spRun) {
		tx := r.begin()
		r.exec(tx, "DELETE FROM {t} WHERE id = $1", 100)
		r.exec(tx, "SAVEPOINT a")
		r.exec(tx, "INSERT INTO {t} VALUES ($1, $2)", 100, "reinserted")
		r.exec(tx, "UPDATE {t} SET v = $1 WHERE id = $2", "updated", 200)
		r.exec(tx, "DELETE FROM {t} WHERE id = $1", 200)
		r.exec(tx, "INSERT INTO {t} VALUES ($1, $2)", 200, "back")
		r.query(tx, "SELECT id, v FROM {t} ORDER BY id")
		r.exec(tx, "ROLLBACK TO SAVEPOINT a")
		r.query(tx, "SELECT id, v FROM {t} ORDER BY id")
		r.exec(tx, "INSERT INTO {t} VALUES ($1, $2)", 100, "after rollback")
		r.exec(tx, "SAVEPOINT b")
		r.exec(tx, "INSERT INTO {t} VALUES ($1, $2)", 100, "dup")
		r.exec(tx, "ROLLBACK TO SAVEPOINT b")
		// Key changes that never collide: PostgreSQL checks uniqueness row by row, in an order
		// it does not promise, while eddy checks at the end of the statement.
		r.exec(tx, "UPDATE {t} SET id = id + 1000")
		r.exec(tx, "SAVEPOINT c")
		r.exec(tx, "UPDATE {t} SET id = id + 1, v = v || '+'")
		r.query(tx, "SELECT id, v FROM {t} ORDER BY id")
		r.exec(tx, "ROLLBACK TO SAVEPOINT c")
		r.exec(tx, "RELEASE SAVEPOINT a")
		r.commit(tx, "commit")
	}},
	{"error_in_savepoint_statement", func(r *spRun) {
		tx := r.begin()
		r.exec(tx, "INSERT INTO {t} VALUES ($1, $2)", 1, "one")
		r.exec(tx, "ROLLBACK TO SAVEPOINT nosuch")
		r.exec(tx, "INSERT INTO {t} VALUES ($1, $2)", 2, "two")
		r.exec(tx, "RELEASE SAVEPOINT nosuch")
		r.exec(tx, "SAVEPOINT x")
		r.exec(tx, "ROLLBACK TO SAVEPOINT x")
		r.commit(tx, "commit")
		tx = r.begin()
		r.exec(tx, "SAVEPOINT a")
		r.exec(tx, "INSERT INTO {t} VALUES ($1, $2)", 3, "three")
		r.exec(tx, "RELEASE SAVEPOINT nosuch")
		r.exec(tx, "ROLLBACK TO SAVEPOINT a")
		r.exec(tx, "INSERT INTO {t} VALUES ($1, $2)", 4, "four")
		r.commit(tx, "commit")
	}},
	// SET is transactional in PostgreSQL: ROLLBACK TO undoes what was set after the savepoint,
	// and an aborted block undoes every SET in it, reporting the old value to the client again.
	{"settings", func(r *spRun) {
		tx := r.begin()
		r.exec(tx, "SET application_name = 'in_tx'")
		sp := r.nested(tx)
		r.exec(sp, "SET application_name = 'in_sp'")
		r.exec(sp, "SET statement_timeout = '7s'")
		r.query(sp, "SHOW application_name")
		r.rollback(sp, "rollback sp_1")
		r.query(tx, "SHOW application_name")
		r.query(tx, "SHOW statement_timeout")
		r.reported("application_name")
		sp2 := r.nested(tx)
		r.exec(sp2, "RESET application_name")
		r.exec(sp2, "SET search_path = other, public")
		r.commit(sp2, "release sp_2")
		r.query(tx, "SHOW application_name")
		r.exec(tx, "SAVEPOINT a")
		r.exec(tx, "SET application_name = 'before error'")
		r.exec(tx, "SELECT 1/0")
		r.exec(tx, "ROLLBACK TO SAVEPOINT a")
		r.query(tx, "SHOW application_name")
		r.query(tx, "SHOW search_path")
		r.rollback(tx, "rollback")
		r.query(r.conn, "SHOW application_name")
		r.query(r.conn, "SHOW search_path")
		r.reported("application_name")
		tx = r.begin()
		r.exec(tx, "SAVEPOINT a")
		r.exec(tx, "SET application_name = 'kept'")
		r.exec(tx, "RELEASE SAVEPOINT a")
		r.commit(tx, "commit")
		r.query(r.conn, "SHOW application_name")
		tx = r.begin()
		r.exec(tx, "SET application_name = 'failed block'")
		r.exec(tx, "SELECT 1/0")
		r.commit(tx, "commit")
		r.query(r.conn, "SHOW application_name")
		r.reported("application_name")
		r.exec(r.conn, "SET application_name = 'implicit'; SELECT 1/0")
		r.query(r.conn, "SHOW application_name")
		r.reported("application_name")
	}},
	// psql-style use: several statements per simple-protocol message inside an explicit block.
	{"simple_query_messages", func(r *spRun) {
		c := r.conn
		r.exec(c, "BEGIN; INSERT INTO {t} VALUES (1, 'one'); SAVEPOINT a; INSERT INTO {t} VALUES (2, 'two')")
		r.exec(c, "INSERT INTO {t} VALUES (1, 'dup'); INSERT INTO {t} VALUES (3, 'skipped')")
		r.query(c, "SELECT id, v FROM {t} ORDER BY id")
		r.exec(c, "ROLLBACK TO SAVEPOINT a; INSERT INTO {t} VALUES (3, 'three'); SAVEPOINT b; INSERT INTO {t} VALUES (4, 'four'); ROLLBACK TO b; RELEASE a")
		r.query(c, "SELECT id, v FROM {t} ORDER BY id")
		r.exec(c, "SAVEPOINT c; DELETE FROM {t} WHERE id = 100; SELECT 1/0; INSERT INTO {t} VALUES (5, 'skipped')")
		r.exec(c, "ROLLBACK TO c; RELEASE c; INSERT INTO {t} VALUES (6, 'six'); COMMIT")
		r.exec(c, "BEGIN; SAVEPOINT d; INSERT INTO {t} VALUES (7, 'seven'); ROLLBACK TO d; COMMIT; INSERT INTO {t} VALUES (8, 'eight')")
	}},
}

// runSpScenario runs one scenario on a fresh table and returns its transcript, ending with the
// table's final contents.
func runSpScenario(t *testing.T, url string, mode pgx.QueryExecMode, table string, run func(*spRun)) []string {
	t.Helper()
	ctx := context.Background()
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		t.Fatalf("parse %s: %v", url, err)
	}
	cfg.DefaultQueryExecMode = mode
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatalf("connect to %s: %v", url, err)
	}
	defer conn.Close(ctx)
	for _, q := range []string{
		"DROP TABLE IF EXISTS " + table,
		"CREATE TABLE " + table + " (id bigint PRIMARY KEY, v text)",
		"INSERT INTO " + table + " VALUES (100, 'hundred'), (200, 'two hundred')",
	} {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatalf("set up %s on %s: %v", table, url, err)
		}
	}
	r := &spRun{ctx: ctx, conn: conn, table: table}
	run(r)
	// A scenario that left its block open (a difference, or a bug in it) must not hide the
	// table's contents: end the block first.
	if conn.PgConn().TxStatus() != 'I' {
		r.note("left open", "transaction status "+string(conn.PgConn().TxStatus()))
		if _, err := conn.Exec(ctx, "ROLLBACK"); err != nil {
			t.Fatalf("roll back the open block on %s: %v", url, err)
		}
	}
	r.query(conn, "SELECT id, v FROM {t} ORDER BY id")
	if _, err := conn.Exec(ctx, "DROP TABLE "+table); err != nil {
		t.Fatalf("drop %s on %s: %v", table, url, err)
	}
	return r.lines
}

// sameTranscript fails the test when eddy's transcript differs from PostgreSQL's, showing both
// line by line with the differing lines marked.
func sameTranscript(t *testing.T, want, got []string) {
	t.Helper()
	if slices.Equal(want, got) {
		return
	}
	var b strings.Builder
	for i := 0; i < max(len(want), len(got)); i++ {
		w, g := "(none)", "(none)"
		if i < len(want) {
			w = want[i]
		}
		if i < len(got) {
			g = got[i]
		}
		if w == g {
			fmt.Fprintf(&b, "    %s\n", w)
		} else {
			fmt.Fprintf(&b, "  ! postgres: %s\n  ! eddy:     %s\n", w, g)
		}
	}
	t.Errorf("eddy differs from PostgreSQL 15 (lines marked !):\n%s", b.String())
}

// TestTxSavepointPgx runs pgx transaction scripts with nested transactions and explicit
// savepoints on eddy and PostgreSQL 15, with pgx's default extended protocol (cached prepared
// statements) and with its simple protocol, and requires identical transcripts.
func TestTxSavepointPgx(t *testing.T) {
	pg := pgref.Start(t)
	srv := proc.Start(t)
	modes := []struct {
		name string
		mode pgx.QueryExecMode
	}{
		{"extended", pgx.QueryExecModeCacheStatement},
		{"simple", pgx.QueryExecModeSimpleProtocol},
	}
	for _, m := range modes {
		for _, sc := range spScenarios {
			t.Run(m.name+"/"+sc.name, func(t *testing.T) {
				table := "sp_tx_" + sc.name
				want := runSpScenario(t, pg.URL(), m.mode, table, sc.run)
				got := runSpScenario(t, srv.URL(), m.mode, table, sc.run)
				sameTranscript(t, want, got)
			})
		}
	}
}

// compileJava compiles one Java source file against pgjdbc (Debian's libpostgresql-jdbc-java)
// into a temporary directory and returns the class path to run it with.
func compileJava(t *testing.T, src string) string {
	t.Helper()
	jar := "/usr/share/java/postgresql.jar"
	if _, err := os.Stat(jar); err != nil {
		t.Fatalf("pgjdbc not installed (apt-get install libpostgresql-jdbc-java): %v", err)
	}
	abs, err := filepath.Abs(src)
	if err != nil {
		t.Fatalf("locate %s: %v", src, err)
	}
	dir := t.TempDir()
	if out, err := exec.Command("javac", "-d", dir, "-cp", jar, abs).CombinedOutput(); err != nil {
		t.Fatalf("javac %s: %v\n%s", abs, err, out)
	}
	return dir + ":" + jar
}

// runJava runs a compiled class and returns what it printed on stdout; a failed run's error
// carries its stderr.
func runJava(classPath, class string, args ...string) (string, error) {
	cmd := exec.Command("java", append([]string{"-cp", classPath, class}, args...)...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return string(out), fmt.Errorf("java %s %v: %w\nstderr:\n%s", class, args, err, stderr.String())
	}
	return string(out), nil
}

// TestTxSavepointJDBC runs testdata/clients/AutosaveTest.java with pgjdbc's autosave modes (never,
// always, always with cleanupSavepoints, conservative) on eddy and PostgreSQL 15. With
// autosave=always the driver sets a savepoint before each statement and rolls back to it after
// an error, so statements after a failure succeed; the program prints each statement's outcome
// (update count, rows or SQLSTATE) and the committed table, and both outputs must be equal.
func TestTxSavepointJDBC(t *testing.T) {
	classPath := compileJava(t, "../../testdata/clients/AutosaveTest.java")
	pg := pgref.Start(t)
	srv := proc.Start(t)
	want, err := runJava(classPath, "AutosaveTest", fmt.Sprintf("jdbc:postgresql://127.0.0.1:%d/eddy", pg.Port), "sp_tx_jdbc")
	if err != nil {
		t.Fatalf("against PostgreSQL: %v\nstdout:\n%s", err, want)
	}
	got, err := runJava(classPath, "AutosaveTest", "jdbc:postgresql://"+srv.PGAddr+"/eddy", "sp_tx_jdbc")
	if err != nil {
		t.Errorf("against eddy: %v", err)
	}
	sameTranscript(t, strings.Split(want, "\n"), strings.Split(got, "\n"))
	// The comparison is only worth something if autosave really recovered from the errors.
	if !strings.Contains(want, "after duplicate => 1 row") {
		t.Errorf("PostgreSQL did not recover after the error with autosave=always; the program needs fixing:\n%s", want)
	}
}
