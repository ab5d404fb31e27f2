package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/eddydb/eddy/cmd/eddy/internal/proc"
)

// TestShowCheckpoints runs with a short --checkpoint-interval and checks that checkpoints are
// taken while writes go on (ok, advancing log indexes, the apply pause in microseconds), none
// when nothing was written, and that everything survives a kill -9 after them.
func TestShowCheckpoints(t *testing.T) {
	srv := proc.Start(t, "--checkpoint-interval", "150ms")
	ctx := context.Background()
	c := srv.Connect(t)
	if _, err := c.Exec(ctx, "CREATE TABLE t (id int PRIMARY KEY, v int)"); err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		if _, err := c.Exec(ctx, "INSERT INTO t SELECT g, g FROM generate_series($1::int, $1::int + 999) g", i*1000); err != nil {
			t.Fatal(err)
		}
		time.Sleep(40 * time.Millisecond)
	}
	type ckpt struct {
		index         uint64
		sync, total   float64
		status        string
		bytes, shared int64
	}
	read := func() []ckpt {
		rows, err := c.Query(ctx, "SHOW CHECKPOINTS")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []ckpt
		for rows.Next() {
			var f [9]string
			if err := rows.Scan(&f[0], &f[1], &f[2], &f[3], &f[4], &f[5], &f[6], &f[7], &f[8]); err != nil {
				t.Fatal(err)
			}
			var k ckpt
			k.index, _ = strconv.ParseUint(f[1], 10, 64)
			k.sync, _ = strconv.ParseFloat(f[3], 64)
			k.total, _ = strconv.ParseFloat(f[4], 64)
			k.bytes, _ = strconv.ParseInt(f[5], 10, 64)
			k.shared, _ = strconv.ParseInt(f[7], 10, 64)
			k.status = f[8]
			out = append(out, k)
		}
		return out
	}
	ks := read()
	if len(ks) < 3 {
		t.Fatalf("%d checkpoints in %v of writes, want several", len(ks), 20*40*time.Millisecond)
	}
	for i, k := range ks {
		if k.status != "ok" || k.bytes <= 0 || k.sync > k.total {
			t.Fatalf("checkpoint %d: %+v", i, k)
		}
		if i > 0 && k.index >= ks[i-1].index {
			t.Fatalf("checkpoints are not newest first with advancing indexes: %+v", ks)
		}
	}
	t.Logf("%d checkpoints; newest: index %d, apply pause %.3f ms, total %.1f ms, %d bytes", len(ks), ks[0].index, ks[0].sync, ks[0].total, ks[0].bytes)
	// Idle: no new checkpoints (after the one that covers the last write).
	time.Sleep(time.Second)
	before := len(read())
	time.Sleep(500 * time.Millisecond)
	if after := len(read()); after != before {
		t.Fatalf("checkpoints taken while idle: %d then %d", before, after)
	}
	c.Close(ctx)
	srv.Kill()
	srv.Restart()
	c = srv.Connect(t)
	defer c.Close(ctx)
	var n int64
	if err := c.QueryRow(ctx, "SELECT count(*) FROM t").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 20000 {
		t.Fatalf("%d rows after kill -9, want 20000", n)
	}
}

// TestCheckpointIntervalAndAPI changes checkpoint_interval at run time (ALTER SYSTEM SET, SET,
// RESET, with their errors), watches checkpoints start and the Raft log shrink through
// GET /api/v1/checkpoints and /metrics, and checks that the setting outlives a kill -9 and that
// the restart's recovery is logged and exported.
func TestCheckpointIntervalAndAPI(t *testing.T) {
	srv := proc.Start(t, "--checkpoint-interval", "1h", "--log-tail", "50")
	ctx := context.Background()
	c := srv.Connect(t)
	show := func() string {
		var v string
		if err := c.QueryRow(ctx, "SHOW checkpoint_interval").Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	if v := show(); v != "1h" {
		t.Fatalf("SHOW checkpoint_interval = %q, want the flag's 1h", v)
	}
	mustExec(t, c, "CREATE TABLE t (id int PRIMARY KEY, v int)")
	insert := func(from, n int) {
		for i := from; i < from+n; i++ {
			mustExec(t, c, "INSERT INTO t VALUES ($1, $1)", i)
		}
	}
	insert(0, 300)
	time.Sleep(300 * time.Millisecond)
	api := getCheckpoints(t, srv)
	if api.Interval != "1h" || len(api.Checkpoints) != 0 {
		t.Fatalf("before any checkpoint: %+v", api)
	}
	logBefore := scrapeMetric(t, srv, "eddy_raft_log_entries")
	if logBefore < 300 {
		t.Fatalf("eddy_raft_log_entries = %v after 300 inserts and no checkpoint", logBefore)
	}

	for _, bad := range []struct{ sql, code string }{
		{"ALTER SYSTEM SET checkpoint_interval = 'soon'", "22023"},
		{"ALTER SYSTEM SET checkpoint_interval = '10ms'", "22023"},
		{"ALTER SYSTEM SET no_such_setting = 1", "42704"},
		{"ALTER SYSTEM SET search_path = public", "55P02"},
		{"SET checkpoint_interval = '-1s'", "22023"},
	} {
		expectCode(t, c, bad.sql, bad.code)
	}
	mustExec(t, c, "BEGIN")
	expectCode(t, c, "ALTER SYSTEM SET checkpoint_interval = '1s'", "25001")
	mustExec(t, c, "ROLLBACK")
	if v := show(); v != "1h" {
		t.Fatalf("rejected changes changed checkpoint_interval to %q", v)
	}

	mustExec(t, c, "ALTER SYSTEM SET checkpoint_interval = '200ms'")
	if v := show(); v != "200ms" {
		t.Fatalf("after ALTER SYSTEM SET: %q", v)
	}
	insert(300, 100)
	deadline := time.Now().Add(10 * time.Second)
	for {
		api = getCheckpoints(t, srv)
		if len(api.Checkpoints) > 0 && api.Checkpoints[0].Status == "ok" && api.Checkpoints[0].LogIndex >= 400 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no checkpoint covering the inserts 10 s after ALTER SYSTEM SET checkpoint_interval = '200ms': %+v", api)
		}
		time.Sleep(50 * time.Millisecond)
	}
	k := api.Checkpoints[0]
	if api.Interval != "200ms" || k.StateBytes <= 0 || k.TotalMs <= 0 || k.SyncMs > k.TotalMs || k.StartedAt.IsZero() {
		t.Fatalf("checkpoint as the API reports it: %+v (interval %q)", k, api.Interval)
	}
	if n := scrapeMetric(t, srv, `eddy_checkpoints_total{status="ok"}`); n < 1 {
		t.Fatalf("eddy_checkpoints_total{status=\"ok\"} = %v", n)
	}
	if v := scrapeMetric(t, srv, "eddy_state_cache_limit_bytes"); v != 256<<20 {
		t.Fatalf("eddy_state_cache_limit_bytes = %v, want the default 256 MiB", v)
	}
	if v := scrapeMetric(t, srv, "eddy_disk_free_bytes"); v <= 0 {
		t.Fatalf("eddy_disk_free_bytes = %v", v)
	}
	if v := scrapeMetric(t, srv, "eddy_checkpoint_interval_seconds"); v != 0.2 {
		t.Fatalf("eddy_checkpoint_interval_seconds = %v, want 0.2", v)
	}
	// The log behind the checkpoint is truncated down to the configured tail.
	if n := scrapeMetric(t, srv, "eddy_raft_log_entries"); n > 50+20 {
		t.Fatalf("eddy_raft_log_entries = %v after a checkpoint with --log-tail 50 (was %v)", n, logBefore)
	}

	// SET works too, with a notice that it is system-wide.
	var notices []string
	cn := connectWithNotices(t, srv, &notices)
	mustExec(t, cn, "SET checkpoint_interval = 5")
	if v := show(); v != "5s" {
		t.Fatalf("after SET checkpoint_interval = 5 (seconds): %q", v)
	}
	if len(notices) != 1 || !strings.Contains(notices[0], "system setting") {
		t.Fatalf("SET of a system setting gave notices %q", notices)
	}
	cn.Close(ctx)

	// ALTER SYSTEM's value outlives a crash and overrides the flag.
	insert(400, 50)
	c.Close(ctx)
	srv.Kill()
	srv.Restart()
	c = srv.Connect(t)
	defer c.Close(ctx)
	if v := show(); v != "5s" {
		t.Fatalf("after kill -9 and restart: checkpoint_interval %q, want 5s", v)
	}
	var n int
	if err := c.QueryRow(ctx, "SELECT count(*) FROM t").Scan(&n); err != nil || n != 450 {
		t.Fatalf("after kill -9: %d rows (%v), want 450", n, err)
	}
	if s := scrapeMetric(t, srv, "eddy_recovery_seconds"); s <= 0 {
		t.Fatalf("eddy_recovery_seconds = %v", s)
	}
	if !strings.Contains(srv.Logs(), "replayed_entries=") {
		t.Fatalf("the restart's log does not say how many entries were replayed:\n%s", srv.Logs())
	}
	mustExec(t, c, "ALTER SYSTEM RESET checkpoint_interval")
	if v := show(); v != "1h" {
		t.Fatalf("after ALTER SYSTEM RESET: %q, want the flag's 1h", v)
	}
}

func mustExec(t testing.TB, c *pgx.Conn, sql string, args ...any) {
	t.Helper()
	if _, err := c.Exec(context.Background(), sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// expectCode runs sql and requires it to fail with SQLSTATE code.
func expectCode(t *testing.T, c *pgx.Conn, sql, code string) {
	t.Helper()
	_, err := c.Exec(context.Background(), sql)
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != code {
		t.Fatalf("%s: got %v, want SQLSTATE %s", sql, err, code)
	}
}

func connectWithNotices(t *testing.T, srv *proc.Server, notices *[]string) *pgx.Conn {
	t.Helper()
	cfg, err := pgx.ParseConfig(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	cfg.OnNotice = func(_ *pgconn.PgConn, n *pgconn.Notice) { *notices = append(*notices, n.Message) }
	c, err := pgx.ConnectConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

type checkpointsAPI struct {
	Interval    string `json:"interval"`
	Checkpoints []struct {
		ID         int64     `json:"id"`
		LogIndex   uint64    `json:"log_index"`
		StartedAt  time.Time `json:"started_at"`
		SyncMs     float64   `json:"sync_ms"`
		TotalMs    float64   `json:"total_ms"`
		StateBytes int64     `json:"state_bytes"`
		NewBytes   int64     `json:"new_bytes"`
		Status     string    `json:"status"`
	} `json:"checkpoints"`
}

func getCheckpoints(t *testing.T, srv *proc.Server) checkpointsAPI {
	t.Helper()
	var out checkpointsAPI
	body := httpGet(t, "http://"+srv.HTTPAddr+"/api/v1/checkpoints")
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatalf("GET /api/v1/checkpoints: %v\n%s", err, body)
	}
	return out
}

func httpGet(t testing.TB, url string) []byte {
	t.Helper()
	return httpGetStatus(t, url, http.StatusOK)
}

// httpGetStatus GETs url, requires the status code, and returns the body.
func httpGetStatus(t testing.TB, url string, code int) []byte {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != code {
		t.Fatalf("GET %s: %d %v, want %d\n%s", url, resp.StatusCode, err, code, body)
	}
	return body
}

// scrapeMetric reads one sample (name with its labels, as the exposition format prints it)
// from /metrics.
func scrapeMetric(t *testing.T, srv *proc.Server, sample string) float64 {
	t.Helper()
	v, ok := metricSample(string(httpGet(t, "http://"+srv.HTTPAddr+"/metrics")), sample)
	if !ok {
		t.Fatalf("no metric %s at /metrics", sample)
	}
	return v
}

// metricSample finds one sample (name with its labels) in Prometheus exposition text.
func metricSample(text, sample string) (float64, bool) {
	for _, line := range strings.Split(text, "\n") {
		if v, ok := strings.CutPrefix(line, sample+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			return f, err == nil
		}
	}
	return 0, false
}
