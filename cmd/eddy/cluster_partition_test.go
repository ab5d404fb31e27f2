package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/eddydb/eddy/cmd/eddy/internal/proc"
)

// partition tells s which Raft addresses it cannot reach (nil heals).
func partition(t *testing.T, s *proc.Server, unreachable ...*proc.Server) {
	t.Helper()
	addrs := []string{}
	for _, u := range unreachable {
		addrs = append(addrs, u.RaftAddr)
	}
	body, _ := json.Marshal(addrs)
	resp, err := http.Post("http://"+s.HTTPAddr+"/debug/partition", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("POST /debug/partition: %s", resp.Status)
	}
}

// sqlState returns err's SQLSTATE ("" if it has none).
func sqlState(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

// TestClusterPartition cuts the leader off from the two other nodes (a test transport drops
// their traffic both ways): the isolated node refuses writes (25006) and strong reads (58000)
// while still serving local reads, the majority elects a leader and takes writes, and after
// the partition heals the old leader catches up with identical views.
func TestClusterPartition(t *testing.T) {
	t.Setenv("EDDY_TEST_FAULTS", "1")
	ctx := context.Background()
	nodes := proc.StartCluster(t, 3)
	c0 := nodes[0].Connect(t)
	rows := waitCluster(t, c0, "a leader", func(r []clusterRow) bool { return leaderOf(r) != "" })
	li := map[string]int{"n1": 0, "n2": 1, "n3": 2}[leaderOf(rows)]
	old, a, b := nodes[li], nodes[(li+1)%3], nodes[(li+2)%3]
	oc, ac := old.Connect(t), a.Connect(t)
	mustExec(t, oc, "CREATE TABLE kv (id int PRIMARY KEY, v int)")
	mustExec(t, oc, "CREATE MATERIALIZED VIEW kv_sum AS SELECT count(*) AS n, sum(v) AS s FROM kv")
	mustExec(t, oc, "INSERT INTO kv SELECT i, i FROM generate_series(1, 100) i")
	waitKVCount(t, a, 100)

	start := time.Now()
	partition(t, old, a, b)
	partition(t, a, old)
	partition(t, b, old)

	// The majority elects a leader and takes writes (through a follower too).
	deadline := time.Now().Add(15 * time.Second)
	for {
		_, err := ac.Exec(ctx, "INSERT INTO kv VALUES (101, 101)")
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the majority never took a write: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("the majority took a write %v after the partition", time.Since(start).Round(time.Millisecond))
	mustExec(t, b.Connect(t), "INSERT INTO kv VALUES (102, 102)")

	// The isolated node: writes refused with 25006, strong reads with 58000, local reads served.
	var err error
	for deadline := time.Now().Add(10 * time.Second); ; {
		_, err = oc.Exec(ctx, "INSERT INTO kv VALUES (200, 200)")
		if sqlState(err) == "25006" || time.Now().After(deadline) {
			break
		}
		t.Logf("a write on the isolated node before it stepped down: %v", err)
	}
	if sqlState(err) != "25006" {
		t.Fatalf("a write on the isolated node: %v, want SQLSTATE 25006", err)
	}
	mustExec(t, oc, "SET read_consistency = 'strong'")
	var n int
	err = oc.QueryRow(ctx, "SELECT count(*) FROM kv").Scan(&n)
	if sqlState(err) != "58000" {
		t.Fatalf("a strong read on the isolated node: %d rows, %v; want SQLSTATE 58000", n, err)
	}
	mustExec(t, oc, "SET read_consistency = 'local'")
	if err := oc.QueryRow(ctx, "SELECT count(*) FROM kv").Scan(&n); err != nil || n < 100 || n > 102 {
		t.Fatalf("a local read on the isolated node: %d rows, %v", n, err)
	}
	// Strong reads on the majority see both writes.
	mustExec(t, ac, "SET read_consistency = 'strong'")
	if err := ac.QueryRow(ctx, "SELECT count(*) FROM kv").Scan(&n); err != nil || n != 102 {
		t.Fatalf("a strong read on the majority: %d rows, %v", n, err)
	}
	// /readyz of the isolated node says why it is not ready.
	if body := string(httpGetStatus(t, "http://"+old.HTTPAddr+"/readyz", http.StatusServiceUnavailable)); body == "" {
		t.Fatal("/readyz of the isolated node gave no reason")
	}

	// Heal: the old leader catches up, with the same views everywhere; the rejected write is
	// nowhere.
	for _, s := range nodes {
		partition(t, s)
	}
	for _, s := range nodes {
		waitKVCount(t, s, 102)
	}
	waitCluster(t, c0, "equal fingerprints after healing", sameFingerprints)
	for _, s := range nodes {
		c := s.Connect(t)
		var cnt, sum int
		if err := c.QueryRow(ctx, "SELECT n, s FROM kv_sum").Scan(&cnt, &sum); err != nil || cnt != 102 || sum != 5050+101+102 {
			t.Fatalf("%s: kv_sum = %d, %d (%v)", s.PGAddr, cnt, sum, err)
		}
		c.Close(ctx)
	}
	var pgxErr error
	_, pgxErr = oc.Exec(ctx, "INSERT INTO kv VALUES (103, 103)")
	if pgxErr != nil {
		t.Fatalf("a write on the old leader after healing: %v", pgxErr)
	}
}
