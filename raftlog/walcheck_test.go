package raftlog

import (
	"errors"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/hashicorp/raft"
)

// writeLogs appends entries [from, to) of size bytes each to a log store in dir and closes it.
func writeLogs(t *testing.T, dir string, from, to uint64, size int) {
	t.Helper()
	writeLogsB(t, dir, from, to, size)
}

func writeLogsB(t testing.TB, dir string, from, to uint64, size int) {
	s, err := OpenLogStore(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	data := make([]byte, size)
	for i := from; i < to; i += 8 {
		var batch []*raft.Log
		for j := i; j < min(i+8, to); j++ {
			data[0] = byte(j)
			batch = append(batch, &raft.Log{Index: j, Term: 1, Type: raft.LogCommand, Data: append([]byte(nil), data...)})
		}
		if err := s.StoreLogs(batch); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

func newestWAL(t *testing.T, dir string) string {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(dir, "*.log"))
	sort.Strings(m)
	if len(m) == 0 {
		t.Fatal("no WAL")
	}
	return m[len(m)-1]
}

// TestLogTailCheck: healthy logs (small and large entries, flushed memtables, recycled WAL
// files) are never reported; a record cut short is a torn tail; a damaged byte with entries
// after it is refused, naming the file.
func TestLogTailCheck(t *testing.T) {
	dir := t.TempDir()
	next := uint64(1)
	for round, size := range []int{100, 40000, 3000, 700000, 10, 250000, 64} {
		n := uint64(2 + (round%3)*150)
		writeLogs(t, dir, next, next+n, size)
		next += n
		rep, err := checkLogTail(dir)
		if err != nil || rep.Torn {
			t.Fatalf("round %d (%d entries of %d bytes): a healthy log reported %+v, %v", round, n, size, rep, err)
		}
	}
	s, err := OpenLogStore(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if last, _ := s.LastIndex(); last != next-1 {
		t.Fatalf("last index %d, want %d", last, next-1)
	}
	s.Close()

	// Small entries after a big one: damage the big one.
	writeLogs(t, dir, next, next+1, 200000)
	writeLogs(t, dir, next+1, next+40, 200)
	wal := newestWAL(t, dir)
	fi, _ := os.Stat(wal)
	damaged := filepath.Join(t.TempDir(), "damaged")
	copyTree(t, dir, damaged)
	f, err := os.OpenFile(filepath.Join(damaged, filepath.Base(wal)), os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte("XXXXXXXX"), fi.Size()/3); err != nil {
		t.Fatal(err)
	}
	f.Close()
	_, err = OpenLogStore(damaged, nil)
	var de *LogDamagedError
	if !errors.As(err, &de) || de.File != filepath.Join(damaged, filepath.Base(wal)) {
		t.Fatalf("damaged log opened with %v", err)
	}

	// Cut the last record short: a torn tail, dropped, the store opens one entry shorter.
	torn := filepath.Join(t.TempDir(), "torn")
	copyTree(t, dir, torn)
	writeLogs(t, torn, next+40, next+41, 100000)
	w := newestWAL(t, torn)
	end := lastNonZero(t, w)
	if err := os.Truncate(w, end-1000); err != nil {
		t.Fatal(err)
	}
	rep, err := checkLogTail(torn)
	if err != nil || !rep.Torn {
		t.Fatalf("a record cut short: %+v, %v", rep, err)
	}
	s, err = OpenLogStore(torn, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if last, _ := s.LastIndex(); last != next+39 {
		t.Fatalf("after a torn tail the log ends at %d, want %d", last, next+39)
	}
}

func copyTree(t *testing.T, from, to string) {
	t.Helper()
	if err := os.MkdirAll(to, 0o755); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(from)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Type().IsRegular() && e.Name() != "LOCK" {
			if err := copyFile(filepath.Join(from, e.Name()), filepath.Join(to, e.Name())); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func lastNonZero(t *testing.T, path string) int64 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	end := len(b)
	for end > 0 && b[end-1] == 0 {
		end--
	}
	return int64(end)
}
