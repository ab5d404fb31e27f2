package main

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/eddydb/eddy/cmd/eddy/internal/pgref"
	"github.com/eddydb/eddy/cmd/eddy/internal/proc"
)

// TestPgxClient drives eddy with pgx the way Go applications do: the extended protocol with
// binary formats for every supported type, batches, binary COPY (CopyFrom), COPY TO, and a
// CancelRequest that really stops a running query.
func TestPgxClient(t *testing.T) {
	srv := proc.Start(t)
	ctx := context.Background()
	conn := srv.Connect(t)
	if _, err := conn.Exec(ctx, `CREATE TABLE allt (id int8 PRIMARY KEY, b bool, s int2, i int4, f4 float4, f8 float8,
		n numeric(12,3), t text, v varchar(10), by bytea, d date, ts timestamp, tz timestamptz, iv interval)`); err != nil {
		t.Fatal(err)
	}
	ts := time.Date(2024, 2, 29, 13, 14, 15, 123456000, time.UTC)
	num := pgtype.Numeric{Int: big.NewInt(-1234567), Exp: -3, Valid: true}
	iv := pgtype.Interval{Months: 14, Days: 3, Microseconds: 3723000001, Valid: true}
	args := []any{int64(1), true, int16(-7), int32(123456), float32(1.5), 2.25, num, "héllo", "short",
		[]byte{0, 1, 255}, pgtype.Date{Time: time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC), Valid: true}, ts, ts, iv}
	if _, err := conn.Exec(ctx, "INSERT INTO allt VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14)", args...); err != nil {
		t.Fatalf("insert with binary parameters: %v", err)
	}
	var (
		id           int64
		b            bool
		s            int16
		i            int32
		f4           float32
		f8           float64
		n            pgtype.Numeric
		txt, v       string
		by           []byte
		d            pgtype.Date
		gotTS, gotTZ time.Time
		gotIV        pgtype.Interval
	)
	err := conn.QueryRow(ctx, "SELECT * FROM allt WHERE id = $1", int64(1)).Scan(&id, &b, &s, &i, &f4, &f8, &n, &txt, &v, &by, &d, &gotTS, &gotTZ, &gotIV)
	if err != nil {
		t.Fatalf("select with binary results: %v", err)
	}
	nf, _ := n.Float64Value()
	if id != 1 || !b || s != -7 || i != 123456 || f4 != 1.5 || f8 != 2.25 || nf.Float64 != -1234.567 || txt != "héllo" ||
		v != "short" || string(by) != "\x00\x01\xff" || !d.Time.Equal(time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC)) ||
		!gotTS.Equal(ts) || !gotTZ.Equal(ts) || gotIV != iv {
		t.Errorf("round trip mismatch: %v %v %v %v %v %v %v %q %q %v %v %v %v %+v", id, b, s, i, f4, f8, nf, txt, v, by, d.Time, gotTS, gotTZ, gotIV)
	}

	// A batch: several statements in one round trip, results in order.
	batch := &pgx.Batch{}
	for k := int64(2); k <= 6; k++ {
		batch.Queue("INSERT INTO allt (id, t) VALUES ($1, $2)", k, strings.Repeat("x", int(k)))
	}
	batch.Queue("SELECT count(*) FROM allt")
	br := conn.SendBatch(ctx, batch)
	for k := 0; k < 5; k++ {
		if _, err := br.Exec(); err != nil {
			t.Fatalf("batch insert %d: %v", k, err)
		}
	}
	var count int64
	if err := br.QueryRow().Scan(&count); err != nil || count != 6 {
		t.Fatalf("batch count = %d, %v", count, err)
	}
	if err := br.Close(); err != nil {
		t.Fatal(err)
	}

	// Binary COPY FROM (pgx's CopyFrom) and text COPY TO.
	rows := make([][]any, 1000)
	for k := range rows {
		rows[k] = []any{int64(100 + k), "copied", int32(k)}
	}
	nCopied, err := conn.CopyFrom(ctx, pgx.Identifier{"allt"}, []string{"id", "t", "i"}, pgx.CopyFromRows(rows))
	if err != nil || nCopied != 1000 {
		t.Fatalf("CopyFrom = %d, %v", nCopied, err)
	}
	var sum int64
	if err := conn.QueryRow(ctx, "SELECT sum(i) FROM allt WHERE t = 'copied'").Scan(&sum); err != nil || sum != 999*1000/2 {
		t.Fatalf("sum after copy = %d, %v", sum, err)
	}
	var out strings.Builder
	tag, err := conn.PgConn().CopyTo(ctx, &out, "COPY (SELECT id, t FROM allt WHERE id < 4 ORDER BY id) TO STDOUT WITH (FORMAT csv)")
	if err != nil || tag.RowsAffected() != 3 || out.String() != "1,héllo\n2,xx\n3,xxx\n" {
		t.Fatalf("COPY TO: %q %v %v", out.String(), tag, err)
	}

	// A duplicate key inside CopyFrom fails the whole COPY: nothing of it is visible.
	dup := [][]any{{int64(5000), "a", int32(1)}, {int64(1), "dup", int32(2)}}
	if _, err := conn.CopyFrom(ctx, pgx.Identifier{"allt"}, []string{"id", "t", "i"}, pgx.CopyFromRows(dup)); err == nil {
		t.Fatal("CopyFrom with a duplicate key succeeded")
	}
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM allt WHERE id = 5000").Scan(&count); err != nil || count != 0 {
		t.Fatalf("failed COPY left rows behind: %d %v", count, err)
	}

	// Cancel: pgx sends a CancelRequest when the context ends; the server stops the query.
	cfg, err := pgx.ParseConfig(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	cfg.BuildContextWatcherHandler = func(pc *pgconn.PgConn) ctxwatch.Handler {
		return &pgconn.CancelRequestContextWatcherHandler{Conn: pc, DeadlineDelay: 10 * time.Second}
	}
	cc, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close(ctx)
	qctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = cc.Exec(qctx, "SELECT count(*) FROM generate_series(1, 2000000000)")
	var pe *pgconn.PgError
	if err == nil || time.Since(start) > 10*time.Second {
		t.Fatalf("long query was not cancelled: %v after %v", err, time.Since(start))
	}
	if !errors.As(err, &pe) || pe.Code != "57014" {
		t.Fatalf("cancelled query should fail with 57014 from the server, got %v", err)
	}
	if err := cc.Ping(ctx); err != nil {
		t.Fatalf("the cancelled session is unusable: %v", err)
	}
	if err := conn.Ping(ctx); err != nil {
		t.Fatalf("server unusable after a cancel: %v", err)
	}
}

// TestCleanShutdown stops eddy with SIGTERM: it must exit 0, and a restart must serve every
// write.
func TestCleanShutdown(t *testing.T) {
	srv := proc.Start(t)
	ctx := context.Background()
	conn := srv.Connect(t)
	if _, err := conn.Exec(ctx, "CREATE TABLE k (id int PRIMARY KEY)"); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, "INSERT INTO k SELECT x FROM generate_series(1, 500) AS g(x)"); err != nil {
		t.Fatal(err)
	}
	conn.Close(ctx)
	srv.Stop()
	if code := srv.ExitCode(); code != 0 {
		t.Fatalf("eddy exited with %d after SIGTERM:\n%s", code, srv.Logs())
	}
	if !strings.Contains(srv.Logs(), "eddy shutting down") {
		t.Errorf("no shutdown log line:\n%s", srv.Logs())
	}
	srv.Restart()
	conn = srv.Connect(t)
	var n int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM k").Scan(&n); err != nil || n != 500 {
		t.Fatalf("after restart: %d rows, %v", n, err)
	}
}

// TestNotices checks that notices reach the client and that client_min_messages filters them.
func TestNotices(t *testing.T) {
	srv := proc.Start(t)
	ctx := context.Background()
	cfg, err := pgx.ParseConfig(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	cfg.OnNotice = func(_ *pgconn.PgConn, n *pgconn.Notice) { got = append(got, n.Severity+" "+n.Message) }
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	for _, q := range []string{"DROP TABLE IF EXISTS nope", "SET client_min_messages = warning",
		"DROP TABLE IF EXISTS nope", "COMMIT", "RESET client_min_messages"} {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	want := []string{`NOTICE table "nope" does not exist, skipping`, "WARNING there is no transaction in progress"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("notices = %q, want %q", got, want)
	}
}

// TestBackendPID checks that pg_backend_pid() and pg_stat_activity agree with the process ID the
// client got in BackendKeyData (the one it would send in a CancelRequest).
func TestBackendPID(t *testing.T) {
	srv := proc.Start(t)
	ctx := context.Background()
	conn := srv.Connect(t)
	var pid int32
	var query string
	err := conn.QueryRow(ctx, "SELECT pg_backend_pid(), (SELECT query FROM pg_stat_activity WHERE pid = pg_backend_pid())").Scan(&pid, &query)
	if err != nil {
		t.Fatal(err)
	}
	if uint32(pid) != conn.PgConn().PID() || !strings.HasPrefix(query, "SELECT pg_backend_pid()") {
		t.Fatalf("pg_backend_pid() = %d, BackendKeyData pid = %d, query %q", pid, conn.PgConn().PID(), query)
	}
}

// TestBatchIsOneTransaction checks, on eddy and on PostgreSQL 15, that a pgx batch without BEGIN
// (one extended-protocol pipeline ending in one Sync) commits all of its statements or none.
func TestBatchIsOneTransaction(t *testing.T) {
	pg := pgref.Start(t)
	srv := proc.Start(t)
	ctx := context.Background()
	resetPostgres(t, ctx, pg.URL())
	for name, url := range map[string]string{"postgres": pg.URL(), "eddy": srv.URL()} {
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := conn.Exec(ctx, "CREATE TABLE bt (id int PRIMARY KEY)"); err != nil {
			t.Fatal(err)
		}
		b := &pgx.Batch{}
		b.Queue("INSERT INTO bt VALUES (1)")
		b.Queue("INSERT INTO bt VALUES (2)")
		b.Queue("INSERT INTO bt VALUES (1)") // duplicate: the whole batch must roll back
		err = conn.SendBatch(ctx, b).Close()
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.Code != "23505" {
			t.Fatalf("%s: batch error = %v, want 23505", name, err)
		}
		b = &pgx.Batch{}
		b.Queue("INSERT INTO bt VALUES (10)")
		b.Queue("INSERT INTO bt VALUES (11)")
		b.Queue("SELECT count(*) FROM bt") // sees the batch's own writes
		br := conn.SendBatch(ctx, b)
		br.Exec()
		br.Exec()
		var inBatch int
		if err := br.QueryRow().Scan(&inBatch); err != nil {
			t.Fatal(err)
		}
		br.Close()
		var ids []int32
		rows, _ := conn.Query(ctx, "SELECT id FROM bt ORDER BY id")
		for rows.Next() {
			var id int32
			rows.Scan(&id)
			ids = append(ids, id)
		}
		if rows.Err() != nil || inBatch != 2 || fmt.Sprint(ids) != "[10 11]" {
			t.Errorf("%s: in-batch count %d, rows %v (%v); want 2 and [10 11]", name, inBatch, ids, rows.Err())
		}
		conn.Close(ctx)
	}
}
