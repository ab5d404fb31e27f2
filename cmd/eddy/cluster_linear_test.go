package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
	"github.com/jackc/pgx/v5"

	"github.com/eddydb/eddy/cmd/eddy/internal/proc"
)

// kvInput is one operation of the linearizability workload: a read of key, or a write of
// value to key.
type kvInput struct {
	write bool
	key   int
	value int
}

// kvOutput is what an operation returned: the value a read saw (0 when the key had no row),
// or, for a write, whether its outcome is unknown (the statement failed in a way that does
// not tell whether it was applied).
type kvOutput struct {
	value   int
	unknown bool
}

// kvModel is a register per key: the cluster's kv table seen one key at a time. Partitioning
// by key keeps the search small, since operations on different keys never constrain each other.
var kvModel = porcupine.Model{
	Partition: func(history []porcupine.Operation) [][]porcupine.Operation {
		byKey := map[int][]porcupine.Operation{}
		for _, op := range history {
			k := op.Input.(kvInput).key
			byKey[k] = append(byKey[k], op)
		}
		keys := make([]int, 0, len(byKey))
		for k := range byKey {
			keys = append(keys, k)
		}
		sort.Ints(keys)
		out := make([][]porcupine.Operation, 0, len(keys))
		for _, k := range keys {
			out = append(out, byKey[k])
		}
		return out
	},
	Init: func() any { return 0 },
	Step: func(state, input, output any) (bool, any) {
		in, out := input.(kvInput), output.(kvOutput)
		if in.write {
			// A write takes effect whatever it answered: one with an unknown outcome that was
			// in fact never applied is covered by its return time of +inf, which lets the
			// checker place it after every other operation, where it changes nothing visible.
			return true, in.value
		}
		return out.value == state.(int), state
	},
	DescribeOperation: func(input, output any) string {
		in, out := input.(kvInput), output.(kvOutput)
		switch {
		case in.write && out.unknown:
			return fmt.Sprintf("put(%d, %d) -> ?", in.key, in.value)
		case in.write:
			return fmt.Sprintf("put(%d, %d)", in.key, in.value)
		default:
			return fmt.Sprintf("get(%d) -> %d", in.key, out.value)
		}
	},
	DescribeState: func(state any) string { return fmt.Sprint(state) },
}

// linearStats counts what the clients did, for the log and the minimum-work check.
type linearStats struct {
	reads, writes, unknown, refused, failedReads, reconnects, unexpected atomic.Int64
	mu                                                                   sync.Mutex
	failures                                                             map[string]int // failed statements, by kind and cause
}

// noteFailure counts a failed statement by its cause. Causes the workload expects are named
// by SQLSTATE; any other error is counted with its message, so the log shows what it was.
func (s *linearStats) noteFailure(kind string, err error) {
	cause := sqlState(err)
	switch {
	case cause == "" && errors.Is(err, context.DeadlineExceeded):
		cause = "timeout"
	case cause == "":
		cause = "connection lost"
	case cause != "25006" && cause != "40001" && cause != "40003" && cause != "58000":
		cause += " (unexpected): " + err.Error()
		s.unexpected.Add(1)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failures == nil {
		s.failures = map[string]int{}
	}
	s.failures[kind+" "+cause]++
}

// TestLinearizableKV runs reads and writes on a small key/value table from several clients
// spread over a 3-node cluster while the leader is killed with SIGKILL and restarted three
// times, and checks with porcupine that the history is linearizable: every strong read sees
// the latest acknowledged write, never an older one or one that was lost.
func TestLinearizableKV(t *testing.T) {
	const (
		clients   = 4
		keys      = 5
		stmtLimit = 5 * time.Second
	)
	nodes := proc.StartCluster(t, 3)
	setup := nodes[0].Connect(t)
	mustExec(t, setup, "CREATE TABLE kv (k int PRIMARY KEY, v int)")
	// The upsert the clients use, checked once up front so that a statement eddy rejects fails
	// here instead of hiding among the unknown outcomes.
	mustExec(t, setup, "INSERT INTO kv VALUES ($1, $2) ON CONFLICT (k) DO UPDATE SET v = excluded.v", 0, 1)
	mustExec(t, setup, "INSERT INTO kv VALUES ($1, $2) ON CONFLICT (k) DO UPDATE SET v = excluded.v", 0, 2)
	var v int
	if err := setup.QueryRow(context.Background(), "SELECT v FROM kv WHERE k = 0").Scan(&v); err != nil || v != 2 {
		t.Fatalf("the upsert left k=0 at %d (%v), want 2", v, err)
	}
	setup.Close(context.Background())

	// Timestamps come from the monotonic clock, relative to start, so that they order calls and
	// returns across goroutines.
	start := time.Now()
	now := func() int64 { return int64(time.Since(start)) }

	var stats linearStats
	// Each client gets a new porcupine client id after an operation with an unknown outcome:
	// that operation stays open forever, and one id must not have two open operations.
	var nextID atomic.Int64
	nextID.Store(clients)
	histories := make([][]porcupine.Operation, clients)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			histories[c] = runLinearClient(c, nodes, keys, stmtLimit, now, &nextID, &stats, stop)
		}()
	}

	// Let the clients warm up, then kill the leader three times.
	time.Sleep(1500 * time.Millisecond)
	for round := range 3 {
		leader := findLeader(t, nodes)
		time.Sleep(time.Duration(300+rand.IntN(500)) * time.Millisecond)
		t.Logf("round %d: kill -9 of the leader %s at %v", round+1, nodes[leader].PGAddr, time.Since(start).Round(time.Millisecond))
		nodes[leader].Kill()
		time.Sleep(time.Second)
		nodes[leader].Restart()
		t.Logf("round %d: %s ready again at %v", round+1, nodes[leader].PGAddr, time.Since(start).Round(time.Millisecond))
		time.Sleep(500 * time.Millisecond)
	}
	time.Sleep(1500 * time.Millisecond)
	close(stop)
	wg.Wait()
	elapsed := time.Since(start)

	var history []porcupine.Operation
	for _, h := range histories {
		history = append(history, h...)
	}
	completed := stats.reads.Load() + stats.writes.Load()
	t.Logf("%v of load: %d operations in the history (%d reads, %d acknowledged writes, %d writes with an unknown outcome); dropped: %d refused writes (25006), %d failed reads; %d reconnects",
		elapsed.Round(time.Millisecond), len(history), stats.reads.Load(), stats.writes.Load(), stats.unknown.Load(),
		stats.refused.Load(), stats.failedReads.Load(), stats.reconnects.Load())
	causes := make([]string, 0, len(stats.failures))
	for what := range stats.failures {
		causes = append(causes, what)
	}
	sort.Strings(causes)
	for _, what := range causes {
		t.Logf("failed %s: %d", what, stats.failures[what])
	}

	checkStart := time.Now()
	res, info := porcupine.CheckOperationsVerbose(kvModel, history, 30*time.Second)
	t.Logf("porcupine: %s in %v", res, time.Since(checkStart).Round(time.Millisecond))
	if res != porcupine.Ok {
		// Not under t.TempDir(): that is removed when the test ends, and the page is for reading
		// after it failed.
		if path, err := visualizeHistory(info); err != nil {
			t.Logf("no visualization: %v", err)
		} else {
			t.Logf("history visualized at %s (open it in a browser)", path)
		}
		t.Fatalf("the history of %d operations is not linearizable (porcupine: %s)", len(history), res)
	}
	// Any other SQLSTATE is a bug of its own (a concurrent upsert once got 23505, for one).
	if n := stats.unexpected.Load(); n > 0 {
		t.Fatalf("%d statements failed with an error the workload does not expect (see the log above)", n)
	}
	// A run that did next to nothing would pass while checking nothing.
	if completed < 200 || stats.writes.Load() < 50 {
		t.Fatalf("too little work to check: %d completed operations (want >= 200), %d acknowledged writes (want >= 50)",
			completed, stats.writes.Load())
	}
}

// visualizeHistory writes porcupine's page of the checked history, with the operations that
// could not be linearized, to a new temporary directory, and returns its path.
func visualizeHistory(info porcupine.LinearizationInfo) (string, error) {
	dir, err := os.MkdirTemp("", "eddy-linearizability-")
	if err != nil {
		return "", fmt.Errorf("visualization directory: %w", err)
	}
	path := filepath.Join(dir, "history.html")
	if err := porcupine.VisualizePath(kvModel, info, path); err != nil {
		return "", fmt.Errorf("visualize to %s: %w", path, err)
	}
	return path, nil
}

// findLeader returns the index of the node whose eddy_raft_is_leader is 1, waiting for an
// election if there is none yet. Every node must be running.
func findLeader(t *testing.T, nodes []*proc.Server) int {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		for i, s := range nodes {
			if scrapeMetric(t, s, "eddy_raft_is_leader") == 1 {
				return i
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("no node reported itself leader for 20s")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// runLinearClient is one client of TestLinearizableKV: until stop closes, it reads or writes
// a random key on its connection, reconnecting to the next live node when its node dies, and
// returns its history. It must not fail the test (it runs outside the test goroutine); what
// goes wrong is counted in stats.
func runLinearClient(c int, nodes []*proc.Server, keys int, stmtLimit time.Duration,
	now func() int64, nextID *atomic.Int64, stats *linearStats, stop <-chan struct{}) []porcupine.Operation {
	var (
		history []porcupine.Operation
		conn    *pgx.Conn
		at      = (c + len(nodes) - 1) % len(nodes) // the node conn is on, or was on last; the first is node c
		id      = c                                 // porcupine client id
		seq     = 0
		rng     = rand.New(rand.NewPCG(uint64(c), uint64(time.Now().UnixNano())))
	)
	stopped := func() bool {
		select {
		case <-stop:
			return true
		default:
			return false
		}
	}
	defer func() {
		if conn != nil {
			conn.Close(context.Background())
		}
	}()
	for !stopped() {
		if conn == nil {
			conn, at = connectLinear(nodes, at, stop)
			if conn == nil {
				break // stopped while every node was unreachable
			}
		}
		key := 1 + rng.IntN(keys)
		// The statement runs to its own deadline even if stop closes meanwhile, so that the
		// last operations get a real outcome.
		ctx, cancel := context.WithTimeout(context.Background(), stmtLimit)
		if rng.IntN(2) == 0 {
			seq++
			in := kvInput{write: true, key: key, value: (c+1)*1_000_000 + seq}
			call := now()
			_, err := conn.Exec(ctx, "INSERT INTO kv VALUES ($1, $2) ON CONFLICT (k) DO UPDATE SET v = excluded.v", in.key, in.value)
			ret := now()
			cancel()
			code := sqlState(err)
			if err != nil {
				stats.noteFailure("write", err)
			}
			switch {
			case err == nil:
				stats.writes.Add(1)
				history = append(history, porcupine.Operation{ClientId: id, Input: in, Call: call, Output: kvOutput{}, Return: ret})
			case code == "25006" || code == "40001":
				// Refused before reaching any leader, or rejected when applied (a concurrent write
				// won, and the session's own retries ran out): it did not happen.
				stats.refused.Add(1)
			default:
				// 40003, a broken connection, a timeout, or anything unexpected: the write may
				// have been applied, at any time from its call on.
				stats.unknown.Add(1)
				history = append(history, porcupine.Operation{ClientId: id, Input: in, Call: call,
					Output: kvOutput{unknown: true}, Return: math.MaxInt64})
				id = int(nextID.Add(1) - 1)
			}
			if code == "" && err != nil {
				conn = dropConn(conn, stats)
			}
			continue
		}
		in := kvInput{key: key}
		var v int
		call := now()
		err := conn.QueryRow(ctx, "SELECT v FROM kv WHERE k = $1", key).Scan(&v)
		ret := now()
		cancel()
		if errors.Is(err, pgx.ErrNoRows) {
			v, err = 0, nil
		}
		switch code := sqlState(err); {
		case err == nil:
			stats.reads.Add(1)
			history = append(history, porcupine.Operation{ClientId: id, Input: in, Call: call, Output: kvOutput{value: v}, Return: ret})
		default:
			// A failed read observed nothing, so it is left out of the history.
			stats.failedReads.Add(1)
			stats.noteFailure("read", err)
			if code == "" {
				conn = dropConn(conn, stats)
			}
		}
	}
	return history
}

// dropConn closes a connection that failed without an SQLSTATE (its node died, or the
// statement timed out and the session is in an unknown state); the client reconnects next.
func dropConn(conn *pgx.Conn, stats *linearStats) *pgx.Conn {
	stats.reconnects.Add(1)
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	conn.Close(ctx)
	return nil
}

// connectLinear opens a strong-read session on the first node after the one at index from
// that answers, cycling through the nodes with a short pause after each full round. It returns
// nil if stop closes first.
func connectLinear(nodes []*proc.Server, from int, stop <-chan struct{}) (*pgx.Conn, int) {
	for {
		for i := 1; i <= len(nodes); i++ {
			select {
			case <-stop:
				return nil, from
			default:
			}
			at := (from + i) % len(nodes)
			conn, err := openStrong(nodes[at])
			if err == nil {
				return conn, at
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// openStrong connects to s and sets read_consistency = 'strong' on the session.
func openStrong(s *proc.Server) (*pgx.Conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, s.URL())
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", s.PGAddr, err)
	}
	if _, err := conn.Exec(ctx, "SET read_consistency = 'strong'"); err != nil {
		conn.Close(context.Background())
		return nil, fmt.Errorf("set strong reads on %s: %w", s.PGAddr, err)
	}
	return conn, nil
}
