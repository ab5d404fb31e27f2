package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/eddydb/eddy/cmd/eddy/internal/proc"
)

// TestConcurrentTransfers runs bank transfers from several connections at once, each an explicit
// transaction that moves money between two of a few hot accounts and writes a ledger row, with
// the client retrying serialization failures (40001). At the end the money is conserved and
// every account equals the sum of its ledger rows: no lost update, no partial transaction.
func TestConcurrentTransfers(t *testing.T) {
	const workers, perWorker, accounts = 6, 60, 5
	srv := proc.Start(t)
	ctx := context.Background()
	setup := srv.Connect(t)
	for _, q := range []string{
		"CREATE TABLE account (id int PRIMARY KEY, bal bigint NOT NULL)",
		"CREATE TABLE ledger (id bigint PRIMARY KEY, account int NOT NULL, delta bigint NOT NULL)",
		fmt.Sprintf("INSERT INTO account SELECT g, 0 FROM generate_series(1, %d) AS s(g)", accounts),
	} {
		if _, err := setup.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	retries, committed := 0, 0
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			conn, err := pgx.Connect(ctx, srv.URL())
			if err != nil {
				t.Error(err)
				return
			}
			defer conn.Close(ctx)
			rng := rand.New(rand.NewPCG(uint64(w), 3))
			for i := range perWorker {
				from, to := 1+rng.IntN(accounts), 1+rng.IntN(accounts)
				amount := int64(1 + rng.IntN(100))
				id := int64(w*perWorker+i) * 2
				for attempt := 0; ; attempt++ {
					err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
						if _, err := tx.Exec(ctx, "UPDATE account SET bal = bal - $1 WHERE id = $2", amount, from); err != nil {
							return err
						}
						if _, err := tx.Exec(ctx, "UPDATE account SET bal = bal + $1 WHERE id = $2", amount, to); err != nil {
							return err
						}
						_, err := tx.Exec(ctx, "INSERT INTO ledger VALUES ($1, $2, $3), ($4, $5, $6)", id, from, -amount, id+1, to, amount)
						return err
					})
					var pe *pgconn.PgError
					if errors.As(err, &pe) && pe.Code == "40001" && attempt < 100 {
						mu.Lock()
						retries++
						mu.Unlock()
						continue
					}
					if err != nil {
						t.Errorf("worker %d transfer %d: %v", w, i, err)
						return
					}
					mu.Lock()
					committed++
					mu.Unlock()
					break
				}
			}
		}()
	}
	wg.Wait()
	var total, mismatched, ledgerRows int64
	if err := setup.QueryRow(ctx, "SELECT sum(bal) FROM account").Scan(&total); err != nil {
		t.Fatal(err)
	}
	err := setup.QueryRow(ctx, `SELECT count(*) FROM account a
		WHERE a.bal <> (SELECT coalesce(sum(l.delta), 0) FROM ledger l WHERE l.account = a.id)`).Scan(&mismatched)
	if err != nil {
		t.Fatal(err)
	}
	if err := setup.QueryRow(ctx, "SELECT count(*) FROM ledger").Scan(&ledgerRows); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d transfers committed, %d retried after 40001", committed, retries)
	if total != 0 || mismatched != 0 || ledgerRows != int64(2*committed) || committed != workers*perWorker {
		t.Fatalf("sum %d, %d accounts differ from their ledger, %d ledger rows for %d transfers", total, mismatched, ledgerRows, committed)
	}
}
