package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/eddydb/eddy/cmd/eddy/internal/proc"
)

// Savepoint format fixtures: testdata/savepoints/v<N>.tar is an archive of format version N
// as the eddy that introduced it wrote it, and v<N>.expected what the queries below returned
// on that server. Every fixture must open in the current binary, by `eddy restore` and by
// IMPORT SAVEPOINT, with the same contents. EDDY_WRITE_SAVEPOINT_FIXTURE=<N> writes
// fixture N with the current binary (do it once, when a format version is introduced).

const fixtureDir = "../../testdata/savepoints"

var fixtureDDL = []string{
	"CREATE TABLE acct (id int PRIMARY KEY, g int, bal numeric(10,2), note text)",
	"INSERT INTO acct SELECT g, g % 5, g * 1.25, 'n' || g FROM generate_series(1, 40) g",
	"CREATE TABLE dg (id int, k int, v int) WITH (connector = 'datagen', fields.id.kind = 'sequence', " +
		"fields.id.start = '1', fields.id.end = '2000', fields.k.kind = 'random', fields.k.min = '0', " +
		"fields.k.max = '9', fields.v.kind = 'random', fields.v.min = '0', fields.v.max = '100', " +
		"datagen.rows.per.second = '20000', datagen.seed = '5')",
	"CREATE MATERIALIZED VIEW acct_g AS SELECT g, count(*) AS n, sum(bal) AS s FROM acct GROUP BY g",
	"CREATE MATERIALIZED VIEW dg_k AS SELECT k, count(*) AS n, sum(v) AS s FROM dg GROUP BY k",
}

var fixtureQueries = []string{
	"SELECT id, g, bal, note FROM acct ORDER BY id",
	"SELECT g, n, s FROM acct_g ORDER BY g",
	"SELECT count(*), sum(v), max(id) FROM dg",
	"SELECT k, n, s FROM dg_k ORDER BY k",
	"SELECT schema, name, connector, options, is_table FROM eddy_catalog.sources ORDER BY name",
	"SELECT name, definition FROM eddy_catalog.materialized_views ORDER BY name",
}

// fixtureResults runs fixtureQueries and renders them as text.
func fixtureResults(t *testing.T, c *pgx.Conn) string {
	t.Helper()
	var b strings.Builder
	for _, q := range fixtureQueries {
		fmt.Fprintf(&b, "-- %s\n", q)
		res, err := c.PgConn().Exec(context.Background(), q).ReadAll()
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		for _, r := range res {
			for _, row := range r.Rows {
				f := make([]string, len(row))
				for i, v := range row {
					f[i] = string(v)
					if v == nil {
						f[i] = "NULL"
					}
				}
				fmt.Fprintln(&b, strings.Join(f, "|"))
			}
		}
	}
	return b.String()
}

func TestWriteSavepointFixture(t *testing.T) {
	n := os.Getenv("EDDY_WRITE_SAVEPOINT_FIXTURE")
	if n == "" {
		return // run on purpose only: it writes testdata
	}
	srv := proc.Start(t)
	c := srv.Connect(t)
	for _, ddl := range fixtureDDL {
		mustExec(t, c, ddl)
	}
	waitDG(t, c, 2000)
	name := "fixture_v" + n
	mustExec(t, c, "SAVEPOINT "+name+" WITH (comment = 'format "+n+" fixture')")
	mustExec(t, c, "EXPORT SAVEPOINT "+name+" TO 'v"+n+".tar'")
	b, err := os.ReadFile(filepath.Join(srv.DataDir, "savepoint-archives", "v"+n+".tar"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(fixtureDir, "v"+n+".tar"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(fixtureDir, "v"+n+".expected"), []byte(fixtureResults(t, c)), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote fixture %s: %d bytes", name, len(b))
}

// TestSavepointFixtures opens every format fixture with the current binary, and checks that a
// savepoint of a format newer than the binary's is refused with a clear error.
func TestSavepointFixtures(t *testing.T) {
	fixtures, err := filepath.Glob(filepath.Join(fixtureDir, "v*.tar"))
	if err != nil || len(fixtures) == 0 {
		t.Fatalf("no savepoint fixtures in %s: %v", fixtureDir, err)
	}
	for _, tarPath := range fixtures {
		base := strings.TrimSuffix(filepath.Base(tarPath), ".tar")
		t.Run(base, func(t *testing.T) {
			want, err := os.ReadFile(strings.TrimSuffix(tarPath, ".tar") + ".expected")
			if err != nil {
				t.Fatal(err)
			}
			// eddy restore, then start.
			dir := t.TempDir()
			if out, err := exec.Command(proc.Binary(t), "restore", "--from", tarPath, "--data-dir", dir).CombinedOutput(); err != nil {
				t.Fatalf("eddy restore: %v\n%s", err, out)
			}
			srv := proc.StartAt(t, dir)
			c := srv.Connect(t)
			if got := fixtureResults(t, c); got != string(want) {
				t.Fatalf("restored %s differs from what its server held:\n%s\nwant:\n%s", base, got, want)
			}
			var format int
			if err := c.QueryRow(context.Background(), "SELECT format_version FROM eddy_catalog.savepoints WHERE name = $1",
				"fixture_"+base).Scan(&format); err != nil || "v"+fmt.Sprint(format) != base {
				t.Fatalf("the restored savepoint: format %d, %v", format, err)
			}
			// It goes on like any database: views follow new writes.
			mustExec(t, c, "INSERT INTO acct VALUES (1000, 0, 1, 'new')")
			var n int
			if err := c.QueryRow(context.Background(), "SELECT n FROM acct_g WHERE g = 0").Scan(&n); err != nil || n != 9 {
				t.Fatalf("acct_g after a write on the restored fixture: %d, %v", n, err)
			}

			// IMPORT SAVEPOINT on a fresh node, then ROLLBACK TO it.
			fresh := proc.Start(t)
			archives := filepath.Join(fresh.DataDir, "savepoint-archives")
			b, err := os.ReadFile(tarPath)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.MkdirAll(archives, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(archives, "f.tar"), b, 0o644); err != nil {
				t.Fatal(err)
			}
			fc := fresh.Connect(t)
			mustExec(t, fc, "IMPORT SAVEPOINT f FROM 'f.tar'")
			mustExec(t, fc, "ROLLBACK TO SAVEPOINT f")
			if got := fixtureResults(t, fc); got != string(want) {
				t.Fatalf("imported %s differs from what its server held:\n%s\nwant:\n%s", base, got, want)
			}

			// The same archive claiming a newer savepoint format is refused, by both.
			newer := bytes.Replace(b, []byte(`"format_version": `+fmt.Sprint(format)), []byte(`"format_version": 9`), 1)
			if bytes.Equal(newer, b) {
				t.Fatal("could not rewrite the fixture's format version")
			}
			if err := os.WriteFile(filepath.Join(archives, "newer.tar"), newer, 0o644); err != nil {
				t.Fatal(err)
			}
			expectCode(t, fc, "IMPORT SAVEPOINT g FROM 'newer.tar'", "0A000")
			_, err = fc.Exec(context.Background(), "IMPORT SAVEPOINT g FROM 'newer.tar'")
			if err == nil || !strings.Contains(err.Error(), "savepoint format 9") || !strings.Contains(err.Error(), "newer than this eddy reads") {
				t.Fatalf("the error for a newer format does not say so: %v", err)
			}
			newerPath := filepath.Join(t.TempDir(), "newer.tar")
			if err := os.WriteFile(newerPath, newer, 0o644); err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command(proc.Binary(t), "restore", "--from", newerPath, "--data-dir", t.TempDir()).CombinedOutput()
			if err == nil || !strings.Contains(string(out), "newer than this eddy reads") {
				t.Fatalf("eddy restore of a newer format: %v\n%s", err, out)
			}
		})
	}
}
