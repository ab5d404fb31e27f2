package pgwire

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/eddydb/eddy/sql/pgerror"
	"github.com/eddydb/eddy/sql/types"
)

// flushThreshold is the size at which the write buffer goes to the socket mid-result (keeps W4).
const flushThreshold = 64 << 10

// conn is one client connection. All fields but those under mu belong to the connection's
// goroutine.
type conn struct {
	srv    *Server
	nc     net.Conn // a *tls.Conn once the client asked for TLS
	tls    bool
	be     *pgproto3.Backend
	log    *slog.Logger
	wbuf   []byte
	werr   error // the first write error; once set, nothing more is written
	pid    uint32
	secret [4]byte

	sess Session
	fc   *types.FormatContext

	stmts   map[string]*prepStmt
	portals map[string]*portal
	// ignoreTillSync is set after an error in the extended protocol (keeps W3).
	ignoreTillSync bool
	// implicitOpen is set once an Execute since the last Sync has asked the session for an
	// implicit transaction; Sync ends it (committing unless the pipeline failed).
	implicitOpen bool
	// broken is set when the message stream can no longer be trusted (a bad message in the
	// middle of COPY); the loop ends the connection.
	broken error

	// mu guards the cancel state that CancelRequest, arriving on another connection, touches.
	mu struct {
		sync.Mutex
		cancel context.CancelFunc // cancels the running statement; nil when idle
	}
}

func newConn(s *Server, nc net.Conn) *conn {
	c := &conn{
		srv:     s,
		nc:      nc,
		be:      pgproto3.NewBackend(nc, nc),
		log:     s.log.With("remote", nc.RemoteAddr().String()),
		stmts:   make(map[string]*prepStmt),
		portals: make(map[string]*portal),
	}
	c.be.SetMaxBodyLen(s.opts.MaxMessageSize)
	return c
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

// send appends msg to the write buffer.
func (c *conn) send(msg pgproto3.BackendMessage) {
	buf, err := msg.Encode(c.wbuf)
	if err != nil {
		c.log.Error("encode message", "type", fmt.Sprintf("%T", msg), "err", err)
		return
	}
	c.wbuf = buf
}

// flush writes the write buffer to the socket.
func (c *conn) flush() error {
	if c.werr != nil {
		c.wbuf = c.wbuf[:0]
		return c.werr
	}
	if len(c.wbuf) == 0 {
		return nil
	}
	_, err := c.nc.Write(c.wbuf)
	if cap(c.wbuf) > 4*flushThreshold {
		c.wbuf = nil
	} else {
		c.wbuf = c.wbuf[:0]
	}
	if err != nil {
		c.werr = fmt.Errorf("write to client: %w", err)
	}
	return c.werr
}

// maybeFlush flushes once the buffer has grown past flushThreshold.
func (c *conn) maybeFlush() error {
	if len(c.wbuf) >= flushThreshold {
		return c.flush()
	}
	return c.werr
}

// Send, Receive and SetAuthType make conn an AuthConn.
func (c *conn) Send(msg pgproto3.BackendMessage) error { c.send(msg); return c.flush() }
func (c *conn) Receive() (pgproto3.FrontendMessage, error) {
	return c.be.Receive()
}
func (c *conn) SetAuthType(t uint32) error { return c.be.SetAuthType(t) }

// run serves the connection: startup, then messages until Terminate, EOF or ctx's end.
func (c *conn) run(ctx context.Context) {
	_ = c.nc.SetDeadline(time.Now().Add(c.srv.opts.StartupTimeout))
	ok, err := c.startup(ctx)
	if err != nil {
		c.logConnErr("startup failed", err)
		return
	}
	if !ok {
		return
	}
	defer c.srv.unregister(c)
	defer c.closeSession()
	_ = c.nc.SetDeadline(time.Time{})
	c.log = c.log.With("pid", c.pid)
	c.log.Debug("connection ready")
	if err := c.loop(ctx); err != nil {
		c.logConnErr("connection ended", err)
	}
}

func (c *conn) logConnErr(msg string, err error) {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) {
		c.log.Debug(msg, "err", err)
		return
	}
	c.log.Info(msg, "err", err)
}

func (c *conn) closeSession() {
	for _, p := range c.portals {
		p.close()
	}
	c.portals = nil
	c.sess.Close()
}

// startup handles the messages before the session exists. ok is false when the connection is
// done without error (a CancelRequest, or a client that gave up).
func (c *conn) startup(ctx context.Context) (ok bool, err error) {
	var sm *pgproto3.StartupMessage
	for sm == nil {
		msg, err := c.be.ReceiveStartupMessage()
		if err != nil {
			var code uint32
			if _, scanErr := fmt.Sscanf(err.Error(), "unknown startup message code: %d", &code); scanErr == nil {
				c.sendFatal(ctx, pgerror.Newf(pgerror.FeatureNotSupported,
					"unsupported frontend protocol %d.%d: server supports 3.0 to 3.0", code>>16, code&0xffff))
			} else if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
				c.sendFatal(ctx, pgerror.Newf(pgerror.ProtocolViolation, "invalid startup packet: %v", err))
			}
			return false, fmt.Errorf("read startup message: %w", err)
		}
		switch m := msg.(type) {
		case *pgproto3.SSLRequest:
			if c.srv.opts.TLSConfig == nil || c.tls {
				// Say no; the real startup follows on the same connection.
				if _, err := c.nc.Write([]byte{'N'}); err != nil {
					return false, fmt.Errorf("answer SSL request: %w", err)
				}
				continue
			}
			if _, err := c.nc.Write([]byte{'S'}); err != nil {
				return false, fmt.Errorf("answer SSL request: %w", err)
			}
			tc := tls.Server(c.nc, c.srv.opts.TLSConfig)
			if err := tc.HandshakeContext(ctx); err != nil {
				return false, fmt.Errorf("TLS handshake: %w", err)
			}
			c.nc, c.tls = tc, true
			c.be = pgproto3.NewBackend(tc, tc)
			c.be.SetMaxBodyLen(c.srv.opts.MaxMessageSize)
		case *pgproto3.GSSEncRequest:
			if _, err := c.nc.Write([]byte{'N'}); err != nil {
				return false, fmt.Errorf("answer GSS encryption request: %w", err)
			}
		case *pgproto3.CancelRequest:
			c.srv.cancel(m.ProcessID, m.SecretKey)
			return false, nil
		case *pgproto3.StartupMessage:
			sm = m
		}
	}
	if sm.ProtocolVersion != pgproto3.ProtocolVersion30 {
		// A newer 3.x minor: answer with what we speak, as PostgreSQL 15 does.
		c.send(&pgproto3.NegotiateProtocolVersion{NewestMinorProtocol: 0, UnrecognizedOptions: unrecognizedOptions(sm.Parameters)})
	} else if opts := unrecognizedOptions(sm.Parameters); len(opts) > 0 {
		c.send(&pgproto3.NegotiateProtocolVersion{NewestMinorProtocol: 0, UnrecognizedOptions: opts})
	}
	params := make(map[string]string, len(sm.Parameters))
	for k, v := range sm.Parameters {
		if !strings.HasPrefix(k, "_pq_.") {
			params[k] = v
		}
	}
	user := params["user"]
	if user == "" {
		c.sendFatal(ctx, pgerror.New(pgerror.InvalidAuthorizationSpec, "no PostgreSQL user name specified in startup packet"))
		return false, errors.New("pgwire: startup packet without user")
	}
	database := params["database"]
	if database == "" {
		database = user
	}
	c.log = c.log.With("user", user, "database", database)
	if err := c.srv.opts.Authenticator.Authenticate(ctx, c, user, database); err != nil {
		c.sendFatal(ctx, err)
		return false, fmt.Errorf("authenticate %s: %w", user, err)
	}
	if err := c.be.SetAuthType(pgproto3.AuthTypeOk); err != nil {
		return false, err
	}
	// The process id is assigned first so the session knows the one the client will see.
	c.srv.register(c)
	sess, err := c.srv.engine.NewSession(withBackendPID(ctx, c.pid), user, database, params)
	if err != nil {
		c.srv.unregister(c)
		c.sendFatal(ctx, err)
		return false, fmt.Errorf("new session: %w", err)
	}
	c.sess = sess
	c.fc = sess.FormatContext()
	c.send(&pgproto3.AuthenticationOk{})
	c.sendParameterStatus(false)
	c.send(&pgproto3.BackendKeyData{ProcessID: c.pid, SecretKey: c.secret[:]})
	c.send(&pgproto3.ReadyForQuery{TxStatus: c.sess.TxStatus()})
	if err := c.flush(); err != nil {
		c.srv.unregister(c)
		c.sess.Close()
		return false, err
	}
	return true, nil
}

func unrecognizedOptions(params map[string]string) []string {
	var opts []string
	for k := range params {
		if strings.HasPrefix(k, "_pq_.") {
			opts = append(opts, k)
		}
	}
	return opts
}

func (c *conn) sendParameterStatus(changed bool) {
	params := c.sess.ParameterStatus(changed)
	for k, v := range params {
		c.send(&pgproto3.ParameterStatus{Name: k, Value: v})
	}
	if _, ok := params["server_version"]; !ok && !changed && c.srv.opts.ServerVersion != "" {
		c.send(&pgproto3.ParameterStatus{Name: "server_version", Value: c.srv.opts.ServerVersion})
	}
	// SET TimeZone and friends change how values print; pick up the new settings.
	c.fc = c.sess.FormatContext()
}

// loop reads and dispatches messages until the client leaves.
func (c *conn) loop(ctx context.Context) error {
	for {
		msg, err := c.be.Receive()
		if err != nil {
			if ctx.Err() != nil {
				c.sendFatal(ctx, nil)
				return nil
			}
			if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) {
				return err // the client went away (pgproto3 reports even a clean close so)
			}
			// An undecodable message: answer 08P01, best effort, and hang up (keeps W2).
			c.sendFatal(ctx, pgerror.Newf(pgerror.ProtocolViolation, "invalid frontend message: %v", err))
			return fmt.Errorf("receive: %w", err)
		}
		if c.ignoreTillSync {
			switch msg.(type) {
			case *pgproto3.Sync:
			case *pgproto3.Terminate:
				return nil
			default:
				continue
			}
		}
		switch m := msg.(type) {
		case *pgproto3.Query:
			c.simpleQuery(ctx, m.String)
		case *pgproto3.Parse:
			c.handleParse(ctx, m)
		case *pgproto3.Bind:
			c.handleBind(ctx, m)
		case *pgproto3.Describe:
			c.handleDescribe(ctx, m)
		case *pgproto3.Execute:
			c.handleExecute(ctx, m)
		case *pgproto3.Close:
			c.handleClose(m)
		case *pgproto3.Sync:
			c.handleSync(ctx)
		case *pgproto3.Flush:
		case *pgproto3.Terminate:
			return nil
		case *pgproto3.CopyData, *pgproto3.CopyDone, *pgproto3.CopyFail:
			// Left over from a COPY that already failed: PostgreSQL ignores them too.
		case *pgproto3.FunctionCall:
			c.sendError(ctx, pgerror.Unimplemented("the fastpath function call protocol"))
			c.send(&pgproto3.ReadyForQuery{TxStatus: c.sess.TxStatus()})
		default:
			c.sendFatal(ctx, pgerror.Newf(pgerror.ProtocolViolation, "unexpected message %T", msg))
			return fmt.Errorf("pgwire: unexpected message %T", msg)
		}
		if c.broken != nil {
			_ = c.flush()
			return c.broken
		}
		// Anything that waits for an answer gets it now; Parse/Bind/... stay buffered until
		// Sync or Flush, as the protocol allows.
		switch msg.(type) {
		case *pgproto3.Query, *pgproto3.Sync, *pgproto3.Flush, *pgproto3.FunctionCall:
			if err := c.flush(); err != nil {
				return err
			}
		default:
			if err := c.maybeFlush(); err != nil {
				return err
			}
		}
	}
}

// cancelQuery cancels the running statement, if any; called from another goroutine.
func (c *conn) cancelQuery() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.mu.cancel != nil {
		c.mu.cancel()
	}
}

// toPGError turns any error into the *pgerror.Error the client sees. Errors without a SQLSTATE
// are bugs or infrastructure failures: they are logged in full and sent as XX000.
func (c *conn) toPGError(ctx context.Context, qctx context.Context, err error) *pgerror.Error {
	// A statement context ends early only through CancelRequest (or with the connection, next).
	if qctx != nil && qctx.Err() != nil && ctx.Err() == nil {
		return pgerror.New(pgerror.QueryCanceled, "canceling statement due to user request")
	}
	if ctx.Err() != nil {
		return pgerror.New(pgerror.AdminShutdown, "terminating connection due to administrator command")
	}
	if pe := pgerror.As(err); pe != nil {
		return pe
	}
	c.log.ErrorContext(ctx, "internal error", "err", err)
	return errInternalf("internal error: %v", err)
}

var errClientLeft = errors.New("pgwire: client terminated the connection")

func errInternalf(format string, args ...any) *pgerror.Error {
	return pgerror.Newf(pgerror.Internal, format, args...)
}

func errorResponse(severity string, pe *pgerror.Error, where string) *pgproto3.ErrorResponse {
	return &pgproto3.ErrorResponse{Severity: severity, SeverityUnlocalized: severity, Code: string(pe.Code),
		Message: pe.Message, Detail: pe.Detail, Hint: pe.Hint, Position: pe.Position, Where: where}
}

// sendError queues an ErrorResponse for err.
func (c *conn) sendError(ctx context.Context, err error) {
	c.sendErrorQ(ctx, nil, err)
}

// sendErrorQ is sendError for an error raised while the statement context qctx was live.
func (c *conn) sendErrorQ(ctx, qctx context.Context, err error) {
	pe := c.toPGError(ctx, qctx, err)
	where := ""
	if ce := (*contextError)(nil); errors.As(err, &ce) && ce.pe == pe {
		where = ce.where
	}
	c.send(errorResponse("ERROR", pe, where))
}

// sendFatal writes a FATAL ErrorResponse and flushes; the caller then closes the connection.
// A nil err means the server is shutting down.
func (c *conn) sendFatal(ctx context.Context, err error) {
	var pe *pgerror.Error
	switch {
	case err == nil:
		pe = pgerror.New(pgerror.AdminShutdown, "terminating connection due to administrator command")
	default:
		if pe = pgerror.As(err); pe == nil {
			c.log.ErrorContext(ctx, "internal error", "err", err)
			pe = errInternalf("internal error: %v", err)
		}
	}
	c.send(errorResponse("FATAL", pe, ""))
	_ = c.nc.SetWriteDeadline(time.Now().Add(time.Second))
	_ = c.flush()
}

// putUint32 patches a big-endian length into buf at off.
func putUint32(buf []byte, off int, v uint32) { binary.BigEndian.PutUint32(buf[off:], v) }
