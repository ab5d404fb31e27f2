package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/eddydb/eddy/cmd/eddy/internal/proc"
)

// crashRounds is how many kill -9 rounds TestKill9 runs: a few in `make test`, 100 in
// `make crash-test` (EDDY_CRASH_ROUNDS).
func crashRounds() int {
	if n, err := strconv.Atoi(os.Getenv("EDDY_CRASH_ROUNDS")); err == nil && n > 0 {
		return n
	}
	return 3
}

// TestKill9 writes through pgx while the server is killed with SIGKILL at random moments, and
// checks after every restart that each acknowledged row is present exactly once with its value,
// and that nothing unacknowledged appears beyond the statements in flight at the kill.
func TestKill9(t *testing.T) {
	srv := proc.Start(t)
	ctx := context.Background()
	setup := srv.Connect(t)
	if _, err := setup.Exec(ctx, "CREATE TABLE kv (id bigint PRIMARY KEY, v text NOT NULL, n int)"); err != nil {
		t.Fatal(err)
	}
	if _, err := setup.Exec(ctx, "CREATE TABLE log (msg text)"); err != nil { // hidden row-id table
		t.Fatal(err)
	}
	setup.Close(ctx)

	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, 1))
	t.Logf("seed %d", seed)
	acked := map[int64]bool{}    // ids whose INSERT was acknowledged
	inflight := map[int64]bool{} // ids whose INSERT may or may not have committed
	ackedLog := 0
	next := int64(1)
	for round := range crashRounds() {
		var mu sync.Mutex
		wctx, stop := context.WithCancel(ctx)
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			conn, err := pgx.Connect(wctx, srv.URL())
			if err != nil {
				return
			}
			defer conn.Close(context.Background())
			for wctx.Err() == nil {
				mu.Lock()
				id := next
				next += 3
				inflight[id], inflight[id+1], inflight[id+2] = true, true, true
				mu.Unlock()
				var err error
				if id%2 == 0 {
					_, err = conn.Exec(wctx, "INSERT INTO kv VALUES ($1, $2, $3)", id, fmt.Sprint("v", id), int32(id%100))
					if err == nil {
						_, err = conn.Exec(wctx, "INSERT INTO kv VALUES ($1, $2, $3), ($4, $5, $6)",
							id+1, fmt.Sprint("v", id+1), int32((id+1)%100), id+2, fmt.Sprint("v", id+2), int32((id+2)%100))
					}
				} else {
					// A transaction block of three statements commits as one log entry.
					b := &pgx.Batch{}
					b.Queue("BEGIN")
					for k := int64(0); k < 3; k++ {
						b.Queue("INSERT INTO kv VALUES ($1, $2, $3)", id+k, fmt.Sprint("v", id+k), int32((id+k)%100))
					}
					b.Queue("INSERT INTO log VALUES ('batch')")
					b.Queue("COMMIT")
					err = conn.SendBatch(wctx, b).Close()
				}
				mu.Lock()
				if err == nil {
					for k := int64(0); k < 3; k++ {
						acked[id+k] = true
						delete(inflight, id+k)
					}
					if id%2 == 1 {
						ackedLog++
					}
				}
				mu.Unlock()
				if err != nil {
					var pe *pgconn.PgError
					if errors.As(err, &pe) {
						t.Errorf("round %d: server rejected a write: %v", round, err)
					}
					return // the connection died with the server
				}
			}
		}()
		time.Sleep(time.Duration(200+rng.IntN(1300)) * time.Millisecond)
		srv.Kill()
		stop()
		wg.Wait()
		srv.Restart()

		conn := srv.Connect(t)
		rows, err := conn.Query(ctx, "SELECT id, v, n FROM kv")
		if err != nil {
			t.Fatalf("round %d: read after restart: %v", round, err)
		}
		seen := map[int64]bool{}
		for rows.Next() {
			var id int64
			var v string
			var n int32
			if err := rows.Scan(&id, &v, &n); err != nil {
				t.Fatal(err)
			}
			if seen[id] {
				t.Errorf("round %d: id %d present twice", round, id)
			}
			seen[id] = true
			if v != fmt.Sprint("v", id) || n != int32(id%100) {
				t.Errorf("round %d: id %d has v=%q n=%d", round, id, v, n)
			}
			if !acked[id] && !inflight[id] {
				t.Errorf("round %d: id %d was never written", round, id)
			}
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		missing := 0
		for id := range acked {
			if !seen[id] {
				missing++
			}
		}
		if missing > 0 {
			t.Fatalf("round %d: %d acknowledged rows lost after kill -9 (of %d)", round, missing, len(acked))
		}
		// Rows in flight at the kill either committed or not; settle them for the next round.
		for id := range inflight {
			if seen[id] {
				acked[id] = true
			}
			delete(inflight, id)
		}
		var logRows int
		if err := conn.QueryRow(ctx, "SELECT count(*) FROM log").Scan(&logRows); err != nil {
			t.Fatal(err)
		}
		if logRows < ackedLog {
			t.Fatalf("round %d: log has %d rows, %d acknowledged", round, logRows, ackedLog)
		}
		ackedLog = logRows
		conn.Close(ctx)
		t.Logf("round %d: %d rows acknowledged so far, all present", round, len(acked))
	}
	if len(acked) == 0 {
		t.Fatal("no write was ever acknowledged")
	}
}
