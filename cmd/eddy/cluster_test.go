package main

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/eddydb/eddy/cmd/eddy/internal/proc"
)

// TestThreeNodeCluster bootstraps three eddy processes with --peers: one leads; followers
// serve reads of the replicated data and forward writes to the leader, answering once they
// hold the write themselves; when the leader is killed -9 another node takes over, and the
// killed node catches up after a restart.
func TestThreeNodeCluster(t *testing.T) {
	nodes := proc.StartCluster(t, 3)
	ctx := context.Background()
	// findLeader waits until a node other than skip says it leads (eddy_raft_is_leader).
	findLeader := func(skip *proc.Server) *proc.Server {
		t.Helper()
		deadline := time.Now().Add(15 * time.Second)
		for time.Now().Before(deadline) {
			for _, s := range nodes {
				if s != skip && scrapeMetric(t, s, "eddy_raft_is_leader") == 1 {
					return s
				}
			}
			time.Sleep(20 * time.Millisecond)
		}
		t.Fatal("no node leads")
		return nil
	}
	leader := findLeader(nil)
	lc := leader.Connect(t)
	mustExec(t, lc, "CREATE TABLE kv (id int PRIMARY KEY, v text)")
	mustExec(t, lc, "INSERT INTO kv SELECT g, 'v' || g FROM generate_series(1, 1000) g")
	// Writes on a follower are forwarded to the leader, and the session reads its own write at
	// once; errors come back as the leader raised them.
	want := 1000
	for _, s := range nodes {
		if s == leader {
			continue
		}
		c := s.Connect(t)
		for i := range 20 {
			id := 5000 + want + i
			mustExec(t, c, "INSERT INTO kv VALUES ($1, 'f')", id)
			var n int
			if err := c.QueryRow(ctx, "SELECT count(*) FROM kv WHERE id = $1", id).Scan(&n); err != nil || n != 1 {
				t.Fatalf("%s: a forwarded insert is not visible to the next statement of its session: %d rows, %v", s.PGAddr, n, err)
			}
		}
		want += 20
		_, err := c.Exec(ctx, "INSERT INTO kv VALUES (1, 'dup')")
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.Code != "23505" {
			t.Fatalf("a duplicate key forwarded from a follower: %v, want 23505", err)
		}
	}
	for _, s := range nodes {
		waitKVCount(t, s, want)
	}

	// Kill the leader: another node takes over with every acknowledged row.
	killed := leader
	start := time.Now()
	killed.Kill()
	leader = findLeader(killed)
	lc = leader.Connect(t)
	mustExec(t, lc, "INSERT INTO kv SELECT g, 'w' || g FROM generate_series(1001, 1500) g")
	t.Logf("a new leader took a write %v after the kill", time.Since(start).Round(time.Millisecond))
	killed.Restart()
	for _, s := range nodes {
		waitKVCount(t, s, want+500)
	}
}

// waitKVCount waits until kv holds n rows on s.
func waitKVCount(t *testing.T, s *proc.Server, n int) {
	t.Helper()
	c := s.Connect(t)
	defer c.Close(context.Background())
	deadline := time.Now().Add(20 * time.Second)
	for {
		var got int
		err := c.QueryRow(context.Background(), "SELECT count(*) FROM kv").Scan(&got)
		if err == nil && got == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %d rows (%v), want %d", s.PGAddr, got, err, n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
