package main

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/eddydb/eddy/cmd/eddy/internal/proc"
)

// TestThreeNodeCluster bootstraps three eddy processes with --peers: one leads and takes
// writes, the followers refuse writes with 25006 naming the leader and serve reads of the
// replicated data; when the leader is killed -9 another node takes over, and the killed node
// catches up after a restart.
func TestThreeNodeCluster(t *testing.T) {
	nodes := proc.StartCluster(t, 3)
	ctx := context.Background()
	// findLeader tries a write on each node (but skip) until one accepts it.
	findLeader := func(skip *proc.Server) *proc.Server {
		t.Helper()
		deadline := time.Now().Add(15 * time.Second)
		for time.Now().Before(deadline) {
			for _, s := range nodes {
				if s == skip {
					continue
				}
				c, err := pgconnect(ctx, s)
				if err != nil {
					continue
				}
				// (CREATE ... IF NOT EXISTS of an existing table writes nothing: the INSERT is
				// the test.)
				_, err = c.Exec(ctx, "CREATE TABLE IF NOT EXISTS probe (id int); INSERT INTO probe VALUES (1)").ReadAll()
				c.Close(ctx)
				if err == nil {
					return s
				}
			}
			time.Sleep(50 * time.Millisecond)
		}
		t.Fatal("no node accepts writes")
		return nil
	}
	leader := findLeader(nil)
	lc := leader.Connect(t)
	mustExec(t, lc, "CREATE TABLE kv (id int PRIMARY KEY, v text)")
	mustExec(t, lc, "INSERT INTO kv SELECT g, 'v' || g FROM generate_series(1, 1000) g")
	for _, s := range nodes {
		if s == leader {
			continue
		}
		c := s.Connect(t)
		_, err := c.Exec(ctx, "INSERT INTO kv VALUES (5000, 'x')")
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.Code != "25006" || !strings.Contains(pe.Hint, leader.RaftAddr) {
			t.Fatalf("a write on a follower: %v (hint %q), want 25006 naming the leader at %s", err, hintOf(err), leader.RaftAddr)
		}
		waitKVCount(t, s, 1000)
	}

	// Kill the leader: another node takes over with every acknowledged row.
	killed := leader
	start := time.Now()
	killed.Kill()
	leader = findLeader(killed)
	t.Logf("new leader accepted a write %v after the kill", time.Since(start).Round(time.Millisecond))
	lc = leader.Connect(t)
	mustExec(t, lc, "INSERT INTO kv SELECT g, 'w' || g FROM generate_series(1001, 1500) g")
	killed.Restart()
	for _, s := range nodes {
		waitKVCount(t, s, 1500)
	}
}

func pgconnect(ctx context.Context, s *proc.Server) (*pgconn.PgConn, error) {
	cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	return pgconn.Connect(cctx, s.URL())
}

func hintOf(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Hint
	}
	return ""
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
