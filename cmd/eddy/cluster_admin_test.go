package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/eddydb/eddy/cmd/eddy/internal/proc"
)

// clusterRow is one row of SHOW CLUSTER, by column name.
type clusterRow map[string]string

func showCluster(t *testing.T, c *pgx.Conn) []clusterRow {
	t.Helper()
	rows, err := c.Query(context.Background(), "SHOW CLUSTER")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []clusterRow
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			t.Fatal(err)
		}
		r := clusterRow{}
		for i, fd := range rows.FieldDescriptions() {
			r[fd.Name] = fmt.Sprint(vals[i])
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// waitCluster polls SHOW CLUSTER on c until ok accepts the rows.
func waitCluster(t *testing.T, c *pgx.Conn, what string, ok func([]clusterRow) bool) []clusterRow {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		rows := showCluster(t, c)
		if ok(rows) {
			return rows
		}
		if time.Now().After(deadline) {
			t.Fatalf("SHOW CLUSTER never showed %s: %v", what, rows)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func leaderOf(rows []clusterRow) string {
	for _, r := range rows {
		if r["role"] == "leader" {
			return r["node_id"]
		}
	}
	return ""
}

// sameFingerprints reports whether every row is reachable, at one applied index, with one
// fingerprint (and at least one view changed it from the empty one).
func sameFingerprints(rows []clusterRow) bool {
	for _, r := range rows {
		if r["role"] == "unreachable" || r["fingerprint_index"] != rows[0]["fingerprint_index"] ||
			r["fingerprint"] != rows[0]["fingerprint"] || r["lag"] != "0" {
			return false
		}
	}
	return true
}

// TestClusterAdmin: SHOW CLUSTER and GET /api/v1/cluster from any node, view fingerprints
// that agree across replicas, strong reads on a follower, leadership transfer, a node joining
// with --join and leaving with ALTER CLUSTER REMOVE NODE, and their errors.
func TestClusterAdmin(t *testing.T) {
	ctx := context.Background()
	// Frequent checkpoints and a short log tail: the node that joins later must be sent a
	// snapshot, the log it would need being gone.
	nodes := proc.StartCluster(t, 3, "--checkpoint-interval", "200ms", "--log-tail", "8")
	conns := make([]*pgx.Conn, len(nodes))
	for i, s := range nodes {
		conns[i] = s.Connect(t)
	}
	rows := waitCluster(t, conns[1], "a leader", func(r []clusterRow) bool { return len(r) == 3 && leaderOf(r) != "" })
	for i, r := range rows {
		if r["node_id"] != fmt.Sprintf("n%d", i+1) || r["raft_address"] != nodes[i].RaftAddr ||
			r["pg_address"] != nodes[i].PGAddr || r["http_address"] != nodes[i].HTTPAddr || r["voter"] != "true" {
			t.Fatalf("SHOW CLUSTER row %d: %v", i, r)
		}
	}
	leader := map[string]int{"n1": 0, "n2": 1, "n3": 2}[leaderOf(rows)]
	lc := conns[leader]
	follower := (leader + 1) % 3

	// Views on every replica, and fingerprints that agree once they caught up.
	mustExec(t, lc, "CREATE TABLE kv (id int PRIMARY KEY, g int, v text)")
	mustExec(t, lc, "CREATE MATERIALIZED VIEW per_g AS SELECT g, count(*) AS n, max(v) AS top FROM kv GROUP BY g")
	mustExec(t, lc, "INSERT INTO kv SELECT i, i % 7, 'v' || i FROM generate_series(1, 500) i")
	before := waitCluster(t, conns[2], "equal fingerprints", sameFingerprints)
	mustExec(t, conns[follower], "UPDATE kv SET v = 'zzz' WHERE id = 3")
	after := waitCluster(t, conns[0], "equal fingerprints", sameFingerprints)
	if after[0]["fingerprint"] == before[0]["fingerprint"] {
		t.Fatalf("an update of a view's row left its fingerprint at %s", after[0]["fingerprint"])
	}

	// Per view: SHOW FINGERPRINTS has a row per node and view, equal across nodes by now.
	fpRows, err := conns[1].Query(ctx, "SHOW FINGERPRINTS")
	if err != nil {
		t.Fatal(err)
	}
	var fps []string
	for fpRows.Next() {
		var node, view, index, fp string
		if err := fpRows.Scan(&node, &view, &index, &fp); err != nil {
			t.Fatal(err)
		}
		if view != "public.per_g" {
			t.Fatalf("SHOW FINGERPRINTS lists %q", view)
		}
		fps = append(fps, index+" "+fp)
	}
	fpRows.Close()
	if len(fps) != 3 || fps[0] != fps[1] || fps[1] != fps[2] {
		t.Fatalf("SHOW FINGERPRINTS: %v, want one equal row per node", fps)
	}

	// The same over HTTP, with per-view fingerprints.
	resp, err := http.Get("http://" + nodes[follower].HTTPAddr + "/api/v1/cluster")
	if err != nil {
		t.Fatal(err)
	}
	var api []struct {
		NodeID string `json:"node_id"`
		Role   string `json:"role"`
		Views  []struct{ Name, Fingerprint string }
	}
	err = json.NewDecoder(resp.Body).Decode(&api)
	resp.Body.Close()
	if err != nil || len(api) != 3 || len(api[0].Views) != 1 || api[0].Views[0].Name != "public.per_g" {
		t.Fatalf("GET /api/v1/cluster: %v %+v", err, api)
	}

	// Strong reads on a follower see every write acknowledged before, wherever it was made.
	fc := conns[follower]
	mustExec(t, fc, "SET read_consistency = 'strong'")
	for i := range 30 {
		mustExec(t, lc, "INSERT INTO kv VALUES ($1, 0, 's')", 1000+i)
		var n int
		if err := fc.QueryRow(ctx, "SELECT count(*) FROM kv WHERE id = $1", 1000+i).Scan(&n); err != nil || n != 1 {
			t.Fatalf("a strong read on a follower missed a write the leader acknowledged: %d rows, %v", n, err)
		}
	}
	expectCode(t, fc, "SET read_consistency = 'eventual'", "22023")

	// Leadership moves where it is sent.
	target := fmt.Sprintf("n%d", follower+1)
	mustExec(t, conns[(leader+2)%3], "ALTER CLUSTER TRANSFER LEADERSHIP TO '"+target+"'")
	waitCluster(t, lc, target+" leading", func(r []clusterRow) bool { return leaderOf(r) == target })

	// Wait until a checkpoint behind the writes so far has truncated the log.
	written := scrapeMetric(t, nodes[leader], "eddy_raft_commit_index")
	mustExec(t, conns[leader], "CREATE TABLE pad (id int PRIMARY KEY)")
	for i := range 30 {
		mustExec(t, conns[leader], "INSERT INTO pad VALUES ($1)", i)
		time.Sleep(10 * time.Millisecond)
	}
	for deadline := time.Now().Add(10 * time.Second); raftFirstIndex(t, nodes[leader]) <= written; {
		if time.Now().After(deadline) {
			t.Fatal("the leader's log was never truncated behind a checkpoint")
		}
		time.Sleep(50 * time.Millisecond)
	}
	// A fourth node joins through a follower, catches up, shows in SHOW CLUSTER, then leaves.
	n4 := proc.StartAt(t, t.TempDir(), "--node-id", "n4", "--join", nodes[leader].RaftAddr)
	waitCluster(t, conns[0], "n4 as a voter", func(r []clusterRow) bool {
		return len(r) == 4 && r[3]["node_id"] == "n4" && r[3]["voter"] == "true" && r[3]["role"] == "follower"
	})
	waitKVCount(t, n4, 530)
	if !strings.Contains(n4.Logs(), "state restored from snapshot") {
		t.Fatal("n4 caught up without the snapshot its join needed (the log was truncated)")
	}
	c4 := n4.Connect(t)
	mustExec(t, c4, "INSERT INTO kv VALUES (2000, 1, 'from n4')") // forwarded to the leader
	waitKVCount(t, nodes[0], 531)
	waitCluster(t, c4, "equal fingerprints on four nodes", func(r []clusterRow) bool { return len(r) == 4 && sameFingerprints(r) })
	c4.Close(ctx)
	mustExec(t, conns[0], "ALTER CLUSTER REMOVE NODE 'n4'")
	waitCluster(t, conns[2], "n4 gone", func(r []clusterRow) bool { return len(r) == 3 })
	n4.Stop()
	mustExec(t, conns[0], "INSERT INTO kv VALUES (2001, 1, 'after n4 left')")
	waitKVCount(t, nodes[2], 532)

	// Mistakes get clear errors, and change nothing.
	expectCode(t, conns[1], "ALTER CLUSTER REMOVE NODE 'nope'", "42704")
	expectCode(t, conns[1], "ALTER CLUSTER TRANSFER LEADERSHIP TO 'n9'", "42704")
	expectCode(t, conns[1], "ALTER CLUSTER ADD NODE 'n5' 'no-port'", "22023")
	expectCode(t, conns[1], "ALTER CLUSTER ADD NODE 'n1' '127.0.0.1:1'", "42710")
	expectCode(t, conns[1], "ALTER CLUSTER ADD NODE 'n7' '"+nodes[2].RaftAddr+"'", "42710")
	expectCode(t, conns[1], "ALTER CLUSTER DROP NODE 'n1'", "42601")
	tx, err := conns[1].Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	_, err = tx.Exec(ctx, "ALTER CLUSTER REMOVE NODE 'n3'")
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "25001" {
		t.Fatalf("ALTER CLUSTER in a transaction block: %v", err)
	}
	tx.Rollback(ctx)
	if rows := showCluster(t, conns[1]); len(rows) != 3 {
		t.Fatalf("after the errors: %v", rows)
	}
	for _, s := range nodes {
		if body := string(httpGet(t, "http://"+s.HTTPAddr+"/readyz")); !strings.HasPrefix(body, "ready") {
			t.Fatalf("%s /readyz: %q", s.HTTPAddr, body)
		}
	}
}

// raftFirstIndex is the first index of s's Raft log (eddy_raft_log_first_index).
func raftFirstIndex(t *testing.T, s *proc.Server) float64 {
	return scrapeMetric(t, s, "eddy_raft_log_first_index")
}
