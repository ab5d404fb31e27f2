package main

import (
	"bytes"
	"context"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/eddydb/eddy/cmd/eddy/internal/proc"
)

// The migration tests move a savepoint of a three-node cluster running a nexmark stream to
// single nodes: one built with `eddy restore` from the archive, one that imports it over HTTP
// and rolls back to it. Each must hold the cluster's contents and, once the bounded stream
// has ended, the same views as the cluster that never moved.
var migrateDDL = []string{
	"CREATE TABLE acct (id int PRIMARY KEY, g int, bal int)",
	"CREATE SOURCE bid (auction bigint, bidder bigint, price bigint, date_time timestamp, " +
		"WATERMARK FOR date_time AS date_time - INTERVAL '1' SECOND) WITH (connector = 'nexmark', " +
		"nexmark.table.type = 'Bid', nexmark.event.num = '60000', nexmark.min.event.gap.in.ns = '100000')",
}

var migrateViews = map[string]string{
	"acct_g":   "SELECT g, count(*) AS n, sum(bal) AS s FROM acct GROUP BY g",
	"bid_auct": "SELECT auction, count(*) AS n, max(price) AS top FROM bid GROUP BY auction",
	"bid_win":  "SELECT window_end, count(*) AS n, max(price) AS top FROM TUMBLE(bid, date_time, INTERVAL '2' SECOND) GROUP BY window_end EMIT ON WINDOW CLOSE",
	"bid_acct": "SELECT b.bidder % 7 AS b7, count(*) AS n, sum(a.bal) AS s FROM bid b JOIN acct a ON b.auction % 50 = a.g GROUP BY b.bidder % 7",
}

const migrateEvents = 60000

// viewContents returns every migrate view's rows, sorted, keyed by view.
func viewContents(t *testing.T, c *pgx.Conn) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for name := range migrateViews {
		out[name] = textRows(t, context.Background(), c.PgConn(), "SELECT * FROM "+name)
	}
	out["acct"] = textRows(t, context.Background(), c.PgConn(), "SELECT * FROM acct")
	return out
}

func sameContents(t *testing.T, what string, got, want map[string][]string) {
	t.Helper()
	for _, name := range slices.Sorted(maps.Keys(want)) {
		if !slices.Equal(got[name], want[name]) {
			t.Fatalf("%s: %s has %d rows, the reference %d; first differences: %s", what, name, len(got[name]),
				len(want[name]), firstDiff(got[name], want[name]))
		}
	}
}

// waitBidEnd waits until source bid has read its whole stream.
func waitBidEnd(t *testing.T, s *proc.Server) {
	t.Helper()
	waitStreamsEnd(t, s, map[string]int64{"bid": migrateEvents}, 2*time.Minute)
}

func TestSavepointMigration(t *testing.T) {
	nodes := proc.StartCluster(t, 3)
	leader := findLeaderNode(t, nodes, nil)
	lc := leader.Connect(t)
	for _, ddl := range migrateDDL {
		mustExec(t, lc, ddl)
	}
	mustExec(t, lc, "INSERT INTO acct SELECT g, g % 50, g * 3 FROM generate_series(1, 500) g")
	for _, name := range slices.Sorted(maps.Keys(migrateViews)) {
		mustExec(t, lc, "CREATE MATERIALIZED VIEW "+name+" AS "+migrateViews[name])
	}
	time.Sleep(time.Second) // part of the stream is in
	mustExec(t, lc, "SAVEPOINT move_me WITH (comment = 'migration')")
	if off := sourceOffset(t, lc, "bid"); off <= 0 || off >= migrateEvents {
		t.Fatalf("the savepoint should fall inside the stream; the source is at offset %d of %d", off, migrateEvents)
	}

	// Download the archive from a follower.
	var follower *proc.Server
	for _, s := range nodes {
		if s != leader {
			follower = s
		}
	}
	fc := follower.Connect(t)
	mustExec(t, fc, "SET read_consistency = 'strong'") // the follower has applied the savepoint
	textRows(t, context.Background(), fc.PgConn(), "SELECT 1")
	archive := httpGet(t, "http://"+follower.HTTPAddr+"/api/v1/savepoints/move_me/archive")
	file := filepath.Join(t.TempDir(), "move_me.tar")
	if err := os.WriteFile(file, archive, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("archive: %d bytes", len(archive))

	// Node B: eddy restore, then start it.
	dirB := t.TempDir()
	out, err := exec.Command(proc.Binary(t), "restore", "--from", file, "--data-dir", dirB).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "restored savepoint move_me") {
		t.Fatalf("eddy restore: %v\n%s", err, out)
	}
	if out, err := exec.Command(proc.Binary(t), "restore", "--from", file, "--data-dir", dirB).CombinedOutput(); err == nil {
		t.Fatalf("eddy restore into a data directory that holds a database succeeded:\n%s", out)
	}
	b := proc.StartAt(t, dirB)

	// Node C: a fresh node imports the archive over HTTP and rolls back to it.
	c := proc.Start(t)
	resp, err := http.Post("http://"+c.HTTPAddr+"/api/v1/savepoints/moved/archive", "application/x-tar", bytes.NewReader(archive))
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("upload: %v %v", err, resp)
	}
	resp.Body.Close()
	cc := c.Connect(t)
	mustExec(t, cc, "ROLLBACK TO SAVEPOINT moved")

	// Everything runs to the end of the stream; all three must agree with the cluster.
	for _, s := range nodes {
		waitBidEnd(t, s)
	}
	waitBidEnd(t, b)
	waitBidEnd(t, c)
	want := viewContents(t, lc)
	if len(want["bid_auct"]) == 0 {
		t.Fatal("the reference views are empty")
	}
	sameContents(t, "restored node B", viewContents(t, b.Connect(t)), want)
	sameContents(t, "importing node C", viewContents(t, cc), want)
	if got := textRows(t, context.Background(), b.Connect(t).PgConn(), "SELECT name, comment FROM eddy_catalog.savepoints"); !slices.Equal(got, []string{"move_me|migration"}) {
		t.Fatalf("savepoints on B: %v", got)
	}
	// B goes on like any node: a write, a restart, and a rollback to the savepoint it came from.
	bc := b.Connect(t)
	mustExec(t, bc, "INSERT INTO acct VALUES (100000, 1, 1)")
	b.Kill()
	b.Restart()
	bc = b.Connect(t)
	var n int
	if err := bc.QueryRow(context.Background(), "SELECT count(*) FROM acct").Scan(&n); err != nil || n != 501 {
		t.Fatalf("acct on B after a restart: %d, %v", n, err)
	}
	mustExec(t, bc, "ROLLBACK TO SAVEPOINT move_me")
	if err := bc.QueryRow(context.Background(), "SELECT count(*) FROM acct").Scan(&n); err != nil || n != 500 {
		t.Fatalf("acct on B after rolling back to the savepoint it was restored from: %d, %v", n, err)
	}
}

// sourceOffset returns the offset SHOW SOURCES gives for source name.
func sourceOffset(t *testing.T, c *pgx.Conn, name string) int64 {
	t.Helper()
	for _, r := range textRows(t, context.Background(), c.PgConn(), "SHOW SOURCES") {
		f := strings.Split(r, "|")
		if f[0] == name {
			n, err := strconv.ParseInt(f[2], 10, 64)
			if err != nil {
				t.Fatalf("SHOW SOURCES offset %q: %v", f[2], err)
			}
			return n
		}
	}
	t.Fatalf("SHOW SOURCES has no %s", name)
	return 0
}
