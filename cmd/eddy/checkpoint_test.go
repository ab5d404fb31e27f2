package main

import (
	"context"
	"strconv"
	"testing"
	"time"

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
