package main

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/eddydb/eddy/cmd/eddy/internal/proc"
)

// TestRollingRestart stops (SIGTERM) and restarts each node of a 3-node cluster in turn, the
// leader included, while one writer per node inserts continuously. A clean shutdown hands
// leadership over first, so the writers on the nodes that stay up never see an error: no
// election timeout, no refused write. The longest write they waited for is logged.
func TestRollingRestart(t *testing.T) {
	ctx := context.Background()
	nodes := proc.StartCluster(t, 3)
	c := nodes[0].Connect(t)
	mustExec(t, c, "CREATE TABLE kv (id bigint PRIMARY KEY, node int)")
	c.Close(ctx)
	for _, s := range nodes { // a follower may not have applied the CREATE yet
		waitKVCount(t, s, 0)
	}

	type writer struct {
		mu      sync.Mutex
		paused  bool // its node is being restarted: errors are expected
		acked   []int64
		errs    []error
		slowest time.Duration
	}
	writers := make([]*writer, 3)
	wctx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for i := range nodes {
		w := &writer{}
		writers[i] = w
		wg.Add(1)
		go func() { // stops with wctx
			defer wg.Done()
			var conn *pgx.Conn
			defer func() {
				if conn != nil {
					conn.Close(context.Background())
				}
			}()
			for id := int64(i) * 1_000_000; wctx.Err() == nil; {
				if conn == nil {
					c, err := pgx.Connect(wctx, nodes[i].URL())
					if err != nil {
						time.Sleep(20 * time.Millisecond)
						continue
					}
					conn = c
				}
				start := time.Now()
				_, err := conn.Exec(wctx, "INSERT INTO kv VALUES ($1, $2) ON CONFLICT (id) DO NOTHING", id, i)
				took := time.Since(start)
				w.mu.Lock()
				switch {
				case err == nil:
					w.acked = append(w.acked, id)
					if !w.paused {
						w.slowest = max(w.slowest, took)
					}
					id++
				case wctx.Err() != nil:
				case w.paused:
					conn.Close(context.Background())
					conn = nil
				default:
					w.errs = append(w.errs, fmt.Errorf("at %s: %w", time.Now().UTC().Format("15:04:05.000"), err))
					conn.Close(context.Background())
					conn = nil
				}
				w.mu.Unlock()
			}
		}()
	}
	setPaused := func(i int, p bool) {
		writers[i].mu.Lock()
		writers[i].paused = p
		writers[i].mu.Unlock()
	}
	time.Sleep(500 * time.Millisecond)
	// The leader last, so that every restart but one is of a follower, and one is of a leader.
	order := []*proc.Server{}
	leader := findLeaderNode(t, nodes, nil)
	for _, s := range nodes {
		if s != leader {
			order = append(order, s)
		}
	}
	order = append(order, leader)
	for _, s := range order {
		i := map[*proc.Server]int{nodes[0]: 0, nodes[1]: 1, nodes[2]: 2}[s]
		setPaused(i, true)
		stoppedAt := time.Now()
		s.Stop()
		s.Restart()
		t.Logf("n%d (leader: %v) stopped at %s and ready again in %v", i+1, s == leader, stoppedAt.UTC().Format("15:04:05.000"), time.Since(stoppedAt).Round(time.Millisecond))
		time.Sleep(300 * time.Millisecond) // let its writer reconnect before the next one goes
		setPaused(i, false)
	}
	time.Sleep(300 * time.Millisecond)
	stop()
	wg.Wait()

	var all []int64
	for i, w := range writers {
		if len(w.errs) > 0 {
			t.Fatalf("the writer on n%d (not being restarted) got %d errors, the first: %v\nits node's log:\n%s", i+1, len(w.errs), w.errs[0], nodes[i].Logs())
		}
		if len(w.acked) < 20 {
			t.Fatalf("the writer on n%d got only %d writes through", i+1, len(w.acked))
		}
		t.Logf("n%d: %d writes; slowest while its node was up %v", i+1, len(w.acked), w.slowest.Round(time.Millisecond))
		all = append(all, w.acked...)
	}
	for _, s := range nodes {
		c := s.Connect(t)
		mustExec(t, c, "SET read_consistency = 'strong'") // a follower may still be applying the last writes
		var n int
		if err := c.QueryRow(ctx, "SELECT count(*) FROM kv").Scan(&n); err != nil || n < len(all) {
			t.Fatalf("%s: %d rows (%v), %d acknowledged", s.PGAddr, n, err, len(all))
		}
		c.Close(ctx)
	}
}
