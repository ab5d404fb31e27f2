// Package proc starts and stops real eddy processes for end-to-end tests: a fresh data
// directory, free loopback ports, readiness by /readyz, clean stop by SIGTERM and crash by kill -9.
package proc

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

var (
	buildOnce sync.Once
	builtBin  string
	buildErr  error
)

// Binary returns the eddy binary to test: $EDDY_BIN when set (the Makefile sets it), otherwise
// one built once per test process.
func Binary(t testing.TB) string {
	t.Helper()
	if b := os.Getenv("EDDY_BIN"); b != "" {
		return b
	}
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "eddy-bin-")
		if err != nil {
			buildErr = err
			return
		}
		builtBin = filepath.Join(dir, "eddy")
		_, file, _, _ := runtime.Caller(0)
		root := filepath.Join(filepath.Dir(file), "..", "..", "..", "..")
		cmd := exec.Command("go", "build", "-o", builtBin, "./cmd/eddy")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return builtBin
}

// Server is one eddy process under test.
type Server struct {
	t        testing.TB
	Bin      string
	DataDir  string
	PGAddr   string
	HTTPAddr string
	RaftAddr string
	Args     []string

	mu   sync.Mutex
	cmd  *exec.Cmd
	logs *lockedWriter
	done chan struct{}
}

// Start launches eddy on a new data directory and waits until it is ready. The process is
// stopped when the test ends.
func Start(t testing.TB, extraArgs ...string) *Server {
	t.Helper()
	return StartAt(t, t.TempDir(), extraArgs...)
}

// StartCluster launches n eddy processes (n1..nN) that bootstrap one cluster with --peers, and
// waits until each is ready. They are stopped when the test ends.
func StartCluster(t testing.TB, n int, extraArgs ...string) []*Server {
	t.Helper()
	var nodes []*Server
	var peers []string
	for i := 1; i <= n; i++ {
		s := &Server{t: t, Bin: Binary(t), DataDir: t.TempDir(), PGAddr: freeAddr(t), HTTPAddr: freeAddr(t),
			RaftAddr: freeAddr(t)}
		nodes = append(nodes, s)
		peers = append(peers, fmt.Sprintf("n%d=%s", i, s.RaftAddr))
	}
	for i, s := range nodes {
		s.Args = append([]string{"--node-id", fmt.Sprintf("n%d", i+1), "--peers", strings.Join(peers, ",")}, extraArgs...)
		s.spawn()
		t.Cleanup(func() {
			s.Stop()
			if t.Failed() {
				t.Logf("eddy n%d logs:\n%s", i+1, s.Logs())
			}
		})
	}
	for _, s := range nodes {
		s.WaitReady(60 * time.Second)
	}
	return nodes
}

// StartAt is Start with the data directory at dataDir.
func StartAt(t testing.TB, dataDir string, extraArgs ...string) *Server {
	t.Helper()
	s := &Server{t: t, Bin: Binary(t), DataDir: dataDir, Args: extraArgs,
		PGAddr: freeAddr(t), HTTPAddr: freeAddr(t), RaftAddr: freeAddr(t)}
	s.launch()
	t.Cleanup(func() {
		s.Stop()
		if t.Failed() {
			t.Logf("eddy logs:\n%s", s.Logs())
		}
	})
	return s
}

func (s *Server) launch() {
	s.t.Helper()
	s.spawn()
	s.WaitReady(60 * time.Second)
}

// spawn starts the process without waiting for it to be ready.
func (s *Server) spawn() {
	s.t.Helper()
	args := append([]string{"serve", "--data-dir", s.DataDir, "--pg-listen", s.PGAddr,
		"--http-listen", s.HTTPAddr, "--raft-listen", s.RaftAddr}, s.Args...)
	cmd := exec.Command(s.Bin, args...)
	logs := &lockedWriter{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		s.t.Fatalf("start eddy: %v", err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	s.mu.Lock()
	s.cmd, s.logs, s.done = cmd, logs, done
	s.mu.Unlock()
}

// RestartFails starts the process again and requires it to exit with an error before it is
// ready; it returns what the process logged.
func (s *Server) RestartFails(timeout time.Duration) string {
	s.t.Helper()
	s.Stop()
	s.spawn()
	select {
	case <-s.done:
	case <-time.After(timeout):
		s.t.Fatalf("eddy still running %v after a restart that should have failed:\n%s", timeout, s.Logs())
	}
	if code := s.ExitCode(); code == 0 {
		s.t.Fatalf("eddy exited with code 0 on a restart that should have failed:\n%s", s.Logs())
	}
	return s.Logs()
}

// WaitReady polls /readyz until it answers 200, failing the test after timeout or if the
// process exits.
func (s *Server) WaitReady(timeout time.Duration) {
	s.t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		select {
		case <-s.done:
			s.t.Fatalf("eddy exited before it was ready:\n%s", s.Logs())
		default:
		}
		resp, err := http.Get("http://" + s.HTTPAddr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.t.Fatalf("eddy not ready after %v:\n%s", timeout, s.Logs())
}

// Kill ends the process with SIGKILL and waits for it.
func (s *Server) Kill() { s.signal(syscall.SIGKILL) }

// Stop ends the process with SIGTERM (clean shutdown) and waits for it; it kills it after 20 s.
func (s *Server) Stop() { s.signal(syscall.SIGTERM) }

func (s *Server) signal(sig syscall.Signal) {
	s.mu.Lock()
	cmd, done := s.cmd, s.done
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	select {
	case <-done:
		return
	default:
	}
	_ = cmd.Process.Signal(sig)
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		s.t.Errorf("eddy did not exit 20s after %v; killing it", sig)
		_ = cmd.Process.Kill()
		<-done
	}
}

// ExitCode returns the exit code of the last process, or -1 while it runs.
func (s *Server) ExitCode() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case <-s.done:
		return s.cmd.ProcessState.ExitCode()
	default:
		return -1
	}
}

// Restart starts the process again on the same data directory and ports.
func (s *Server) Restart() {
	s.t.Helper()
	s.Stop()
	s.launch()
}

// Logs returns everything the process wrote so far.
func (s *Server) Logs() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.logs == nil {
		return ""
	}
	return s.logs.String()
}

func (l *lockedWriter) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.String()
}

// URL returns a connection string for pgx, psql and friends.
func (s *Server) URL() string {
	return fmt.Sprintf("postgres://eddy@%s/eddy?sslmode=disable", s.PGAddr)
}

// Host and Port split PGAddr.
func (s *Server) Host() string { h, _, _ := net.SplitHostPort(s.PGAddr); return h }

// Port returns the PostgreSQL port.
func (s *Server) Port() string { _, p, _ := net.SplitHostPort(s.PGAddr); return p }

// Connect opens a pgx connection closed at test end.
func (s *Server) Connect(t testing.TB) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, s.URL())
	if err != nil {
		t.Fatalf("connect to eddy: %v", err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

func freeAddr(t testing.TB) string { return FreeAddr(t) }

// FreeAddr hands out a loopback address no other server in this test process was given. Its
// ports come from below the kernel's ephemeral range: a port picked by listening on :0 lies
// inside that range, where any outgoing connection (a Raft dial, a client) may take it before
// the server binds it — which once failed CI with "address already in use".
func FreeAddr(t testing.TB) string {
	t.Helper()
	handedMu.Lock()
	defer handedMu.Unlock()
	lo, hi := portRange()
	if next == 0 {
		// Start each test process somewhere else, so test binaries run side by side by
		// `go test ./...` rarely probe the same ports.
		next = lo + os.Getpid()%(hi-lo)
	}
	for range hi - lo {
		port := next
		if next++; next >= hi {
			next = lo
		}
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		if handed[addr] {
			continue
		}
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			continue
		}
		ln.Close()
		handed[addr] = true
		return addr
	}
	t.Fatalf("no free port in [%d, %d)", lo, hi)
	return ""
}

// portRange is where FreeAddr looks: the ports below the ephemeral range, above the
// well-known ones.
func portRange() (lo, hi int) {
	lo, hi = 10000, 32768
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		if f := strings.Fields(string(b)); len(f) == 2 {
			if eph, err := strconv.Atoi(f[0]); err == nil && eph > lo+1000 {
				hi = eph
			}
		}
	}
	return lo, hi
}

var (
	handedMu sync.Mutex
	handed   = map[string]bool{}
	next     int
)

type lockedWriter struct {
	mu sync.Mutex
	w  bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// PID returns the running server's process id.
func (s *Server) PID() int { return s.cmd.Process.Pid }
