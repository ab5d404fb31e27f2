package main

import (
	"context"

	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/eddydb/eddy/cmd/eddy/internal/proc"
)

// TestDamagedFilesOnRestart damages the files of a killed server in the ways disks and
// operators do, and checks that eddy either rebuilds exactly what was acknowledged and says so,
// or refuses to start with an error naming the damaged file — never serving less than it
// acknowledged without a word.
func TestDamagedFilesOnRestart(t *testing.T) {
	t.Run("state store file missing", func(t *testing.T) {
		srv, want := damagedFixture(t)
		// The store's manifest: which files hold what (the data may still be only in its WAL).
		if err := os.Remove(newestFile(t, stateDBDir(t, srv), "MANIFEST-*")); err != nil {
			t.Fatal(err)
		}
		srv.Restart()
		requireRows(t, srv, want)
		requireLog(t, srv, "the state store is damaged")
		if m, _ := filepath.Glob(filepath.Join(srv.DataDir, "state.damaged-*")); len(m) != 1 {
			t.Fatalf("the damaged state store was not kept aside: %v", m)
		}
	})
	t.Run("newest checkpoint damaged and state lost", func(t *testing.T) {
		srv, want := damagedFixture(t)
		snaps := snapshotDirs(t, srv)
		if len(snaps) < 2 {
			t.Fatalf("want two checkpoints on disk, have %v", snaps)
		}
		if err := os.Remove(newestFile(t, filepath.Join(snaps[len(snaps)-1], "data"), "MANIFEST-*")); err != nil {
			t.Fatal(err)
		}
		if err := os.RemoveAll(filepath.Join(srv.DataDir, "state")); err != nil {
			t.Fatal(err)
		}
		srv.Restart()
		requireRows(t, srv, want)
		requireLog(t, srv, "checkpoint is damaged and will not be used")
	})
	t.Run("damaged log record", func(t *testing.T) {
		srv, want := damagedFixture(t)
		wal := newestFile(t, filepath.Join(srv.DataDir, "raft", "raft"), "*.log")
		fi, err := os.Stat(wal)
		if err != nil {
			t.Fatal(err)
		}
		// The single-row inserts are the last records: damage one of them, a few before the end.
		f, err := os.OpenFile(wal, os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.WriteAt([]byte("garbage!"), lastDataOffset(t, wal)-1500); err != nil {
			t.Fatal(err)
		}
		f.Close()
		logs := srv.RestartFails(30 * time.Second)
		m := regexp.MustCompile(`truncate -s (\d+) (\S+)\)`).FindStringSubmatch(logs)
		if !strings.Contains(logs, "has a damaged record") || m == nil || m[2] != wal {
			t.Fatalf("want a refusal naming %s and how to truncate it (size %d), got:\n%s", wal, fi.Size(), logs)
		}
		// The operator gives up the entries from the damaged one on, as the error says.
		at, _ := strconv.ParseInt(m[1], 10, 64)
		if err := os.Truncate(wal, at); err != nil {
			t.Fatal(err)
		}
		srv.Restart()
		n := countRows(t, srv)
		if n >= want || n < want-30 {
			t.Fatalf("after truncating the damaged record away: %d rows, want fewer than %d but all %d of the checkpoint", n, want, want-30)
		}
	})
	t.Run("log cut short before the checkpoint", func(t *testing.T) {
		srv, _ := damagedFixture(t)
		dir := filepath.Join(srv.DataDir, "raft", "raft")
		wal := newestFile(t, dir, "*.log")
		if err := os.Truncate(wal, 100); err != nil {
			t.Fatal(err)
		}
		logs := srv.RestartFails(30 * time.Second)
		if !strings.Contains(logs, "the end of the log is missing") || !strings.Contains(logs, wal) {
			t.Fatalf("want a refusal naming %s, got:\n%s", wal, logs)
		}
	})
}

// damagedFixture runs a server through two checkpoints (20,000 rows each, one log entry each)
// and 30 single-row inserts after the last one, then kills it. It returns the server (stopped)
// and the number of acknowledged rows.
func damagedFixture(t *testing.T) (*proc.Server, int) {
	srv := proc.Start(t, "--checkpoint-interval", "200ms")
	ctx := context.Background()
	c := srv.Connect(t)
	mustExec(t, c, "CREATE TABLE x (id int PRIMARY KEY, s text)")
	for i := range 2 {
		mustExec(t, c, "INSERT INTO x SELECT g, md5(g::text) FROM generate_series($1::int, $1::int + 19999) g", i*20000)
		waitCheckpointed(t, srv)
	}
	mustExec(t, c, "ALTER SYSTEM SET checkpoint_interval = '1h'")
	for i := range 30 {
		mustExec(t, c, "INSERT INTO x VALUES ($1, 'single')", 40000+i)
	}
	c.Close(ctx)
	srv.Kill()
	return srv, 40030
}

// waitCheckpointed waits until a checkpoint covers everything applied so far.
func waitCheckpointed(t *testing.T, srv *proc.Server) {
	t.Helper()
	applied := uint64(scrapeMetric(t, srv, "eddy_applied_index"))
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if cs := getCheckpoints(t, srv).Checkpoints; len(cs) > 0 && cs[0].Status == "ok" && cs[0].LogIndex >= applied {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no checkpoint covering index %d", applied)
}

func countRows(t *testing.T, srv *proc.Server) int {
	t.Helper()
	c := srv.Connect(t)
	defer c.Close(context.Background())
	var n int
	if err := c.QueryRow(context.Background(), "SELECT count(*) FROM x").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func requireRows(t *testing.T, srv *proc.Server, want int) {
	t.Helper()
	if n := countRows(t, srv); n != want {
		t.Fatalf("%d rows after recovery, %d were acknowledged", n, want)
	}
	// Every single-row insert is there exactly once, not just the right count.
	c := srv.Connect(t)
	defer c.Close(context.Background())
	var got string
	if err := c.QueryRow(context.Background(), "SELECT string_agg(id::text, ',' ORDER BY id) FROM x WHERE s = 'single'").Scan(&got); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for i := range 30 {
		ids = append(ids, strconv.Itoa(40000+i))
	}
	if got != strings.Join(ids, ",") {
		t.Fatalf("single-row inserts after recovery: %s", got)
	}
}

func requireLog(t *testing.T, srv *proc.Server, phrase string) {
	t.Helper()
	if !strings.Contains(srv.Logs(), phrase) {
		t.Fatalf("the log does not say %q:\n%s", phrase, srv.Logs())
	}
}

// stateDBDir is the live Pebble directory of the state store (named by state/CURRENT).
func stateDBDir(t *testing.T, srv *proc.Server) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(srv.DataDir, "state", "CURRENT"))
	sub := "db"
	if err == nil {
		sub = strings.TrimSpace(string(b))
	}
	return filepath.Join(srv.DataDir, "state", sub)
}

func snapshotDirs(t *testing.T, srv *proc.Server) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(srv.DataDir, "raft", "snapshots", "*-*"))
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(m) // term-index-time: oldest first
	return m
}

// newestFile returns the file with the highest number among those dir holds that match pattern
// ("*.log", "MANIFEST-*").
func newestFile(t *testing.T, dir, pattern string) string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, pattern))
	if err != nil || len(m) == 0 {
		t.Fatalf("no %s file in %s (%v)", pattern, dir, err)
	}
	sort.Strings(m)
	return m[len(m)-1]
}

// lastDataOffset returns the offset just past the last non-zero byte of a file (a WAL may be
// preallocated with zeros).
func lastDataOffset(t *testing.T, path string) int64 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	end := len(b)
	for end > 0 && b[end-1] == 0 {
		end--
	}
	if end < 2000 {
		t.Fatalf("%s holds only %d bytes of data", path, end)
	}
	return int64(end)
}
