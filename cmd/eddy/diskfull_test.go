package main

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/eddydb/eddy/cmd/eddy/internal/proc"
)

// TestDiskFull runs eddy on a small tmpfs (the test needs root to mount it, as CI has) and
// fills the disk behind its back: new data is refused with 53100 while reads go on,
// checkpoints that would not fit fail, are reported and retried while the previous one stays,
// and once space is freed writes and checkpoints resume by themselves, with nothing lost
// across a kill -9.
func TestDiskFull(t *testing.T) {
	mnt := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=512m", "tmpfs", mnt).CombinedOutput(); err != nil {
		t.Fatalf("mount a 512 MB tmpfs for the full-disk test (needs root, as CI runs it): %v\n%s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("umount", "-l", mnt).Run() })
	srv := proc.StartAt(t, filepath.Join(mnt, "data"), "--min-free-disk", "200MB", "--checkpoint-interval", "200ms")
	ctx := context.Background()
	c := srv.Connect(t)
	mustExec(t, c, "CREATE TABLE x (id int PRIMARY KEY, s text)")
	mustExec(t, c, "CREATE TABLE dg (id int) WITH (connector = 'datagen', fields.id.kind = 'sequence', "+
		"fields.id.start = '1', fields.id.end = '10000000', datagen.rows.per.second = '2000')")
	dgRows := func() int {
		var n int
		if err := c.QueryRow(ctx, "SELECT count(*) FROM dg").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	insert := func(from int) error {
		_, err := c.Exec(ctx, "INSERT INTO x SELECT g, md5(g::text) FROM generate_series($1::int, $1::int + 19999) g", from)
		return err
	}
	if err := insert(0); err != nil {
		t.Fatal(err)
	}
	waitCheckpointed(t, srv)
	before := getCheckpoints(t, srv).Checkpoints[0]
	mustExec(t, c, "ALTER SYSTEM SET checkpoint_interval = '1h'")
	if err := insert(20000); err != nil { // not checkpointed yet: the next checkpoint must flush it
		t.Fatal(err)
	}

	// Fill the disk to 100 MB free: under the 200 MB reserve, and too little for a checkpoint
	// to leave half the reserve. (Pebble preallocates 70 MB per write-ahead log, so eddy needs
	// a roomy reserve.)
	ballast := filepath.Join(mnt, "ballast")
	fillTo(t, mnt, ballast, 100<<20)
	var pe *pgconn.PgError
	deadline := time.Now().Add(5 * time.Second)
	for {
		err := insert(40000)
		if errors.As(err, &pe) && pe.Code == "53100" {
			break
		}
		if err == nil || time.Now().After(deadline) {
			t.Fatalf("with 100 MB free and a 200 MB reserve an insert gave %v, want SQLSTATE 53100", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !strings.Contains(pe.Message, "nearly full") || !strings.Contains(pe.Hint, "Free disk space") {
		t.Fatalf("53100 without a clear message: %q (hint %q)", pe.Message, pe.Hint)
	}
	if n := countRows(t, srv); n != 40000 {
		t.Fatalf("reads while the disk is full: %d rows, want 40000", n)
	}
	// The source pauses too.
	time.Sleep(300 * time.Millisecond) // a range proposed before the guard noticed may land
	paused := dgRows()
	time.Sleep(500 * time.Millisecond)
	if n := dgRows(); n != paused || paused == 0 {
		t.Fatalf("the datagen source went on with the disk full: %d rows, then %d", paused, n)
	}

	// Checkpoints now fail for want of space; they are reported and retried, and the previous
	// one stays.
	mustExec(t, c, "ALTER SYSTEM SET checkpoint_interval = '200ms'")
	deadline = time.Now().Add(10 * time.Second)
	for {
		cs := getCheckpoints(t, srv).Checkpoints
		if len(cs) > 1 && strings.HasPrefix(cs[0].Status, "failed: not enough disk space") && cs[1].Status != "ok" {
			break // two failures in a row: retried
		}
		if time.Now().After(deadline) {
			t.Fatalf("no repeated checkpoint failure reported with the disk full: %+v", cs)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if n := scrapeMetric(t, srv, `eddy_checkpoints_total{status="failed"}`); n < 2 {
		t.Fatalf(`eddy_checkpoints_total{status="failed"} = %v`, n)
	}
	var lastOK string
	for _, k := range getCheckpoints(t, srv).Checkpoints {
		if k.Status == "ok" {
			lastOK = k.StartedAt.String()
			if k.LogIndex != before.LogIndex {
				t.Fatalf("a checkpoint succeeded with the disk full: %+v", k)
			}
			break
		}
	}
	if lastOK == "" {
		t.Fatal("the previous checkpoint is no longer listed")
	}

	// Free the space: writes and checkpoints resume by themselves.
	if err := os.Remove(ballast); err != nil {
		t.Fatal(err)
	}
	deadline = time.Now().Add(5 * time.Second)
	for {
		err := insert(40000)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("writes did not resume after space was freed: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	deadline = time.Now().Add(5 * time.Second)
	for dgRows() == paused {
		if time.Now().After(deadline) {
			t.Fatal("the datagen source did not resume after space was freed")
		}
		time.Sleep(50 * time.Millisecond)
	}
	waitCheckpointed(t, srv)
	c.Close(ctx)
	srv.Kill()
	srv.Restart()
	if n := countRows(t, srv); n != 60000 {
		t.Fatalf("after the full disk and a kill -9: %d rows, want 60000", n)
	}
}

// fillTo writes a ballast file at path until dir's filesystem has about free bytes left.
func fillTo(t *testing.T, dir, path string, free int64) {
	t.Helper()
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		t.Fatal(err)
	}
	avail := int64(st.Bavail) * int64(st.Bsize)
	if avail <= free {
		t.Fatalf("only %d bytes free before filling", avail)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 1<<20)
	for left := avail - free; left > 0; left -= int64(len(chunk)) {
		if _, err := f.Write(chunk[:min(int64(len(chunk)), left)]); err != nil {
			t.Fatal(err)
		}
	}
}
