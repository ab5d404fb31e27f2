package pgwire

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"
	"github.com/jackc/pgx/v5/pgproto3"
)

// testServer is a Server on a loopback port with a fakeEngine behind it.
type testServer struct {
	addr   string
	port   int
	engine *fakeEngine
	srv    *Server
}

// startServer runs a server until the test ends, then checks that Serve returned, every
// goroutine it started is gone and every Arrow buffer was released.
func startServer(t testing.TB, opts Options) *testServer {
	t.Helper()
	before := countGoroutines()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	eng := newFakeEngine()
	level := slog.LevelWarn
	if testing.Verbose() {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	srv := NewServer(eng, log, opts)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	ts := &testServer{addr: ln.Addr().String(), port: ln.Addr().(*net.TCPAddr).Port, engine: eng, srv: srv}
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Serve: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("Serve did not return after its context ended")
		}
		// Client-side goroutines (pgx, net, TLS) may take a moment to wind down, longer on a
		// loaded machine; a real leak stays.
		deadline := time.Now().Add(20 * time.Second)
		for countGoroutines() > before && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if n := countGoroutines(); n > before {
			buf := make([]byte, 1<<16)
			t.Errorf("goroutines: %d before, %d after\n%s", before, n, buf[:runtime.Stack(buf, true)])
		}
		eng.mem.AssertSize(t, 0)
	})
	return ts
}

// countGoroutines counts goroutines, leaving out the signal watcher the fuzzing engine starts.
func countGoroutines() int {
	buf := make([]byte, 1<<20)
	stacks := string(buf[:runtime.Stack(buf, true)])
	return strings.Count(stacks, "\n\ngoroutine ") + 1 - strings.Count(stacks, "os/signal.signal_recv")
}

func (ts *testServer) connString() string {
	return fmt.Sprintf("postgres://eddy@%s/eddy?sslmode=disable", ts.addr)
}

// connect opens a pgx connection that cancels queries with a CancelRequest, as psql does.
func (ts *testServer) connect(t testing.TB, mode pgx.QueryExecMode) *pgx.Conn {
	t.Helper()
	cfg, err := pgx.ParseConfig(ts.connString())
	if err != nil {
		t.Fatal(err)
	}
	cfg.DefaultQueryExecMode = mode
	cfg.BuildContextWatcherHandler = func(c *pgconn.PgConn) ctxwatch.Handler {
		return &pgconn.CancelRequestContextWatcherHandler{Conn: c, CancelRequestDelay: 0, DeadlineDelay: 5 * time.Second}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func pgErr(t testing.TB, err error) *pgconn.PgError {
	t.Helper()
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		t.Fatalf("want a *pgconn.PgError, got %v", err)
	}
	return pe
}

func TestStartupParameters(t *testing.T) {
	ts := startServer(t, Options{})
	conn := ts.connect(t, pgx.QueryExecModeCacheStatement)
	pc := conn.PgConn()
	for k, want := range map[string]string{"server_version": "15.0", "client_encoding": "UTF8",
		"standard_conforming_strings": "on", "DateStyle": "ISO, MDY", "TimeZone": "UTC"} {
		if got := pc.ParameterStatus(k); got != want {
			t.Errorf("ParameterStatus(%s) = %q, want %q", k, got, want)
		}
	}
	if pc.PID() == 0 {
		t.Error("no BackendKeyData")
	}
	if pc.TxStatus() != 'I' {
		t.Errorf("TxStatus = %c", pc.TxStatus())
	}
}

func TestRejectedSession(t *testing.T) {
	ts := startServer(t, Options{})
	_, err := pgx.Connect(testCtx(t), fmt.Sprintf("postgres://reject@%s/x?sslmode=disable", ts.addr))
	if pe := pgErr(t, err); pe.Code != "28000" || pe.Severity != "FATAL" {
		t.Errorf("got %v", pe)
	}
}

func TestPasswordAuth(t *testing.T) {
	password := func(user string) (string, bool) { return "s3cret", user == "eddy" }
	for name, auth := range map[string]Authenticator{
		"cleartext": PasswordAuthenticator{Password: password},
		"md5":       PasswordAuthenticator{Password: password, MD5: true},
		"scram":     ScramAuthenticator{Password: password},
	} {
		t.Run(name, func(t *testing.T) {
			ts := startServer(t, Options{Authenticator: auth})
			ctx := testCtx(t)
			conn, err := pgx.Connect(ctx, fmt.Sprintf("postgres://eddy:s3cret@%s/x?sslmode=disable", ts.addr))
			if err != nil {
				t.Fatal(err)
			}
			conn.Close(ctx)
			_, err = pgx.Connect(ctx, fmt.Sprintf("postgres://eddy:wrong@%s/x?sslmode=disable", ts.addr))
			if pe := pgErr(t, err); pe.Code != "28P01" {
				t.Errorf("got %v", pe)
			}
		})
	}
}

func TestSimpleErrorsAndTags(t *testing.T) {
	ts := startServer(t, Options{})
	conn := ts.connect(t, pgx.QueryExecModeSimpleProtocol)
	ctx := testCtx(t)

	_, err := conn.Exec(ctx, "error")
	if pe := pgErr(t, err); pe.Code != "42P01" || pe.Position != 15 || pe.Message != `relation "nope" does not exist` {
		t.Errorf("got %+v", pe)
	}
	_, err = conn.Exec(ctx, "internal")
	if pe := pgErr(t, err); pe.Code != "XX000" || !strings.Contains(pe.Message, "boom") {
		t.Errorf("got %+v", pe)
	}
	tag, err := conn.Exec(ctx, "insert")
	if err != nil || tag.String() != "INSERT 0 1" {
		t.Errorf("insert: %v %v", tag, err)
	}
	// The first error skips the rest of a multi-statement query.
	res, err := conn.PgConn().Exec(ctx, "insert; error; insert").ReadAll()
	if len(res) == 0 || len(res) > 2 || res[0].CommandTag.String() != "INSERT 0 1" || pgErr(t, err).Code != "42P01" {
		t.Errorf("multi-statement: %d results, err %v", len(res), err)
	}
	// Empty queries answer EmptyQueryResponse (an empty result, no error).
	res, err = conn.PgConn().Exec(ctx, " ; ").ReadAll()
	if err != nil || len(res) != 1 || res[0].CommandTag.String() != "" {
		t.Errorf("empty query: %v %v", res, err)
	}
	// Transaction status follows the session.
	if _, err := conn.Exec(ctx, "begin"); err != nil || conn.PgConn().TxStatus() != 'T' {
		t.Errorf("begin: %v, status %c", err, conn.PgConn().TxStatus())
	}
	if _, err := conn.Exec(ctx, "commit"); err != nil || conn.PgConn().TxStatus() != 'I' {
		t.Errorf("commit: %v, status %c", err, conn.PgConn().TxStatus())
	}
}

func TestNoticeAndParameterStatus(t *testing.T) {
	ts := startServer(t, Options{})
	cfg, err := pgx.ParseConfig(ts.connString())
	if err != nil {
		t.Fatal(err)
	}
	var notices []string
	cfg.OnNotice = func(_ *pgconn.PgConn, n *pgconn.Notice) { notices = append(notices, n.Severity+" "+n.Message) }
	ctx := testCtx(t)
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "notice"); err != nil {
		t.Fatal(err)
	}
	if len(notices) != 1 || notices[0] != "NOTICE this is a notice" {
		t.Errorf("notices: %q", notices)
	}
	if _, err := conn.Exec(ctx, "set timezone Europe/Berlin"); err != nil {
		t.Fatal(err)
	}
	if got := conn.PgConn().ParameterStatus("TimeZone"); got != "Europe/Berlin" {
		t.Errorf("TimeZone after SET = %q", got)
	}
	// Text output now follows the new zone.
	var s string
	if err := conn.QueryRow(ctx, "select types", pgx.QueryExecModeSimpleProtocol).Scan(nil, nil, nil, nil, nil, nil,
		nil, nil, nil, nil, nil, nil, nil, nil, &s, nil, nil); err != nil {
		t.Fatal(err)
	}
	if s != "2024-01-02 04:04:05.123456+01" {
		t.Errorf("timestamptz in Europe/Berlin: %q", s)
	}
	// A SET earlier in the same query string already applies to later statements.
	res, err := conn.PgConn().Exec(ctx, "set timezone Asia/Kolkata; select types").ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if got := string(res[1].Rows[0][14]); got != "2024-01-02 08:34:05.123456+05:30" {
		t.Errorf("timestamptz after SET in the same query: %q", got)
	}
}

func TestCancelRequest(t *testing.T) {
	ts := startServer(t, Options{})
	for _, mode := range []pgx.QueryExecMode{pgx.QueryExecModeSimpleProtocol, pgx.QueryExecModeCacheStatement} {
		conn := ts.connect(t, mode)
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		start := time.Now()
		_, err := conn.Exec(ctx, "slow")
		cancel()
		if pe := pgErr(t, err); pe.Code != "57014" || pe.Message != "canceling statement due to user request" {
			t.Errorf("mode %v: got %+v", mode, pe)
		}
		if time.Since(start) > 5*time.Second {
			t.Errorf("cancel took %v", time.Since(start))
		}
		// The connection survives the cancel.
		if _, err := conn.Exec(testCtx(t), "insert"); err != nil {
			t.Errorf("mode %v: after cancel: %v", mode, err)
		}
	}
}

func TestShutdownClosesConnections(t *testing.T) {
	before := countGoroutines()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	eng := newFakeEngine()
	srv := NewServer(eng, nil, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	conn, err := pgx.Connect(testCtx(t), fmt.Sprintf("postgres://eddy@%s/x?sslmode=disable", ln.Addr()))
	if err != nil {
		t.Fatal(err)
	}
	idle, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	idleRaw := &rawConn{t: t, nc: idle, fe: pgproto3.NewFrontend(idle, idle)}
	idleRaw.startup()
	// A statement in flight when the server stops sees its context end.
	errc := make(chan error, 1)
	go func() {
		_, err := conn.Exec(context.Background(), "slow")
		errc <- err
	}()
	time.Sleep(100 * time.Millisecond)
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Serve: %v", err)
	}
	if err := <-errc; err == nil {
		t.Error("slow statement survived shutdown")
	}
	conn.Close(context.Background())
	// An idle session is told why it is going away.
	_ = idle.SetDeadline(time.Now().Add(5 * time.Second))
	if got := idleRaw.untilReady(); got != "E(FATAL 57P01 terminating connection due to administrator command)" {
		t.Errorf("idle connection at shutdown: %s", got)
	}
	idle.Close()
	deadline := time.Now().Add(5 * time.Second)
	for countGoroutines() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := countGoroutines(); n > before {
		t.Errorf("goroutines: %d before, %d after", before, n)
	}
}

// TestCancelNeedsSecret: a CancelRequest with the wrong secret changes nothing.
func TestCancelNeedsSecret(t *testing.T) {
	ts := startServer(t, Options{})
	conn := ts.connect(t, pgx.QueryExecModeSimpleProtocol)
	pc := conn.PgConn()
	errc := make(chan error, 1)
	go func() {
		_, err := conn.Exec(context.Background(), "slow")
		errc <- err
	}()
	sendCancel := func(secret []byte) {
		nc, err := net.Dial("tcp", ts.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		buf, err := (&pgproto3.CancelRequest{ProcessID: pc.PID(), SecretKey: secret}).Encode(nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := nc.Write(buf); err != nil {
			t.Fatal(err)
		}
		// The server answers a cancel request by closing the connection.
		_ = nc.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := nc.Read(make([]byte, 1)); err == nil {
			t.Error("cancel connection got an answer")
		}
	}
	time.Sleep(50 * time.Millisecond)
	wrong := append([]byte(nil), pc.SecretKey()...)
	wrong[0] ^= 0xff
	sendCancel(wrong)
	select {
	case err := <-errc:
		t.Fatalf("statement ended after a wrong secret: %v", err)
	case <-time.After(200 * time.Millisecond):
	}
	sendCancel(pc.SecretKey())
	select {
	case err := <-errc:
		if pgErr(t, err).Code != "57014" {
			t.Errorf("got %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("statement not cancelled")
	}
}
