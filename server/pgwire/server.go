package pgwire

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Options configure a Server. The zero value is usable.
type Options struct {
	// Authenticator checks a client's credentials after its startup message; nil means trust.
	Authenticator Authenticator
	// MaxMessageSize bounds one frontend message in bytes; 0 means 64 MiB.
	MaxMessageSize int
	// StartupTimeout bounds the time from accept to the end of authentication; 0 means 30s.
	StartupTimeout time.Duration
	// ServerVersion is reported as server_version when the session does not report one.
	ServerVersion string
	// TLSConfig, when set, lets clients switch to TLS with SSLRequest; otherwise it is refused
	// and they continue in clear. Requiring TLS is the Authenticator's call.
	TLSConfig *tls.Config
}

// Server accepts PostgreSQL connections and serves each one from its own goroutine.
type Server struct {
	engine Engine
	log    *slog.Logger
	opts   Options

	nextPID atomic.Uint32

	// mu guards conns, the registry CancelRequest looks connections up in.
	mu    sync.Mutex
	conns map[uint32]*conn
}

// NewServer returns a server answering with engine. A nil logger discards logs.
func NewServer(engine Engine, logger *slog.Logger, opts Options) *Server {
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if opts.Authenticator == nil {
		opts.Authenticator = TrustAuthenticator{}
	}
	if opts.MaxMessageSize <= 0 {
		opts.MaxMessageSize = 64 << 20
	}
	if opts.StartupTimeout <= 0 {
		opts.StartupTimeout = 30 * time.Second
	}
	s := &Server{engine: engine, log: logger, opts: opts, conns: make(map[uint32]*conn)}
	var seed [4]byte
	_, _ = rand.Read(seed[:])
	s.nextPID.Store(binary.BigEndian.Uint32(seed[:]) % (1 << 20))
	return s
}

// Serve accepts connections on ln until ctx ends or ln fails. Ending ctx is the shutdown: the
// listener and every connection are closed (running statements see their context cancelled)
// and Serve returns nil once every connection goroutine has exited (keeps W1). Serve closes ln.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer stop()

	var wg sync.WaitGroup
	defer wg.Wait()
	var backoff time.Duration
	for {
		nc, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			if errors.Is(err, net.ErrClosed) {
				return fmt.Errorf("pgwire: accept: %w", err)
			}
			// Running out of file descriptors and the like pass; back off as net/http does.
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			s.log.Warn("accept failed, retrying", "err", err, "backoff", backoff)
			select {
			case <-time.After(backoff):
			case <-ctx.Done():
				return nil
			}
			continue
		}
		backoff = 0
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.serveConn(ctx, nc)
		}()
	}
}

// ServeConn serves one already accepted connection until it ends or ctx ends; it closes nc.
// Serve calls it for every connection; tests may call it with one end of a net.Pipe.
func (s *Server) ServeConn(ctx context.Context, nc net.Conn) {
	s.serveConn(ctx, nc)
}

func (s *Server) serveConn(ctx context.Context, nc net.Conn) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// An expired deadline unblocks a goroutine sitting in Read or Write when the server stops;
	// the connection then says goodbye with 57P01 (sendFatal resets the write deadline) and
	// closes the socket on its way out.
	stop := context.AfterFunc(ctx, func() { _ = nc.SetDeadline(time.Now()) })
	defer stop()
	defer nc.Close()

	c := newConn(s, nc)
	defer func() {
		if r := recover(); r != nil {
			// A bug in one connection must not take the server down (keeps W2).
			c.log.Error("connection panicked", "panic", r)
			c.sendFatal(ctx, errInternalf("internal error: %v", r))
		}
	}()
	c.run(ctx)
}

// register assigns c a process id and a cancel secret and makes it reachable by CancelRequest.
func (s *Server) register(c *conn) {
	var key [4]byte
	_, _ = rand.Read(key[:])
	c.secret = key
	s.mu.Lock()
	defer s.mu.Unlock()
	for {
		pid := s.nextPID.Add(1)
		if pid == 0 {
			continue
		}
		if _, taken := s.conns[pid]; !taken {
			c.pid = pid
			s.conns[pid] = c
			return
		}
	}
}

func (s *Server) unregister(c *conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conns[c.pid] == c {
		delete(s.conns, c.pid)
	}
}

// cancel handles a CancelRequest: if pid and secret match a connection, its running statement
// (if any) is cancelled. As in PostgreSQL, nothing is answered either way.
func (s *Server) cancel(pid uint32, secret []byte) {
	s.mu.Lock()
	c := s.conns[pid]
	s.mu.Unlock()
	if c == nil || len(secret) != len(c.secret) || subtle.ConstantTimeCompare(secret, c.secret[:]) != 1 {
		s.log.Debug("cancel request ignored", "pid", pid)
		return
	}
	c.cancelQuery()
}
