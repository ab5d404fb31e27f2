package pgwire

import (
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"
)

// rawConn speaks the protocol message by message, for what drivers do not expose.
type rawConn struct {
	t  *testing.T
	nc net.Conn
	fe *pgproto3.Frontend
}

func dialRaw(t *testing.T, ts *testServer) *rawConn {
	t.Helper()
	nc, err := net.Dial("tcp", ts.addr)
	if err != nil {
		t.Fatal(err)
	}
	_ = nc.SetDeadline(time.Now().Add(20 * time.Second))
	t.Cleanup(func() { nc.Close() })
	return &rawConn{t: t, nc: nc, fe: pgproto3.NewFrontend(nc, nc)}
}

func (c *rawConn) startup() {
	c.t.Helper()
	c.send(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersion30,
		Parameters: map[string]string{"user": "eddy", "database": "eddy"}})
	if got := c.untilReady(); !strings.HasSuffix(got, "BackendKeyData ReadyForQuery(I)") {
		c.t.Fatalf("startup: %s", got)
	}
}

func (c *rawConn) send(msgs ...pgproto3.FrontendMessage) {
	c.t.Helper()
	for _, m := range msgs {
		c.fe.Send(m)
	}
	if err := c.fe.Flush(); err != nil {
		c.t.Fatal(err)
	}
}

// untilReady reads messages up to ReadyForQuery and summarizes them in one line.
func (c *rawConn) untilReady() string {
	c.t.Helper()
	var parts []string
	for {
		msg, err := c.fe.Receive()
		if err != nil {
			parts = append(parts, "<"+err.Error()+">")
			return strings.Join(parts, " ")
		}
		parts = append(parts, summarize(msg))
		if _, ok := msg.(*pgproto3.ReadyForQuery); ok {
			return strings.Join(parts, " ")
		}
		if e, ok := msg.(*pgproto3.ErrorResponse); ok && e.Severity == "FATAL" {
			return strings.Join(parts, " ")
		}
	}
}

func summarize(msg pgproto3.BackendMessage) string {
	switch m := msg.(type) {
	case *pgproto3.DataRow:
		vals := make([]string, len(m.Values))
		for i, v := range m.Values {
			vals[i] = string(v)
		}
		return "D(" + strings.Join(vals, ",") + ")"
	case *pgproto3.CommandComplete:
		return "C(" + string(m.CommandTag) + ")"
	case *pgproto3.ErrorResponse:
		return fmt.Sprintf("E(%s %s %s)", m.Severity, m.Code, m.Message)
	case *pgproto3.ReadyForQuery:
		return "ReadyForQuery(" + string(m.TxStatus) + ")"
	case *pgproto3.ParameterDescription:
		return fmt.Sprintf("ParameterDescription%v", m.ParameterOIDs)
	case *pgproto3.RowDescription:
		var f []string
		for _, fd := range m.Fields {
			f = append(f, fmt.Sprintf("%s:%d/%d", fd.Name, fd.DataTypeOID, fd.Format))
		}
		return "RowDescription[" + strings.Join(f, " ") + "]"
	case *pgproto3.ParameterStatus:
		return "S"
	}
	return strings.TrimPrefix(fmt.Sprintf("%T", msg), "*pgproto3.")
}

func TestPortalSuspended(t *testing.T) {
	ts := startServer(t, Options{})
	c := dialRaw(t, ts)
	c.startup()
	c.send(&pgproto3.Parse{Query: "series 5"}, &pgproto3.Bind{}, &pgproto3.Execute{MaxRows: 2},
		&pgproto3.Execute{MaxRows: 2}, &pgproto3.Execute{MaxRows: 2}, &pgproto3.Execute{}, &pgproto3.Sync{})
	want := "ParseComplete BindComplete D(0) D(1) PortalSuspended D(2) D(3) PortalSuspended D(4) C(SELECT 1) C(SELECT 0) ReadyForQuery(I)"
	if got := c.untilReady(); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	// Exactly the limit: suspended, then completed by the next Execute. A named portal
	// survives other statements in between and ends at Sync outside a transaction.
	c.send(&pgproto3.Parse{Name: "s", Query: "series 2"}, &pgproto3.Bind{DestinationPortal: "p", PreparedStatement: "s"},
		&pgproto3.Execute{Portal: "p", MaxRows: 2}, &pgproto3.Parse{Query: "insert"}, &pgproto3.Bind{}, &pgproto3.Execute{},
		&pgproto3.Execute{Portal: "p", MaxRows: 2}, &pgproto3.Sync{})
	want = "ParseComplete BindComplete D(0) D(1) PortalSuspended ParseComplete BindComplete C(INSERT 0 1) C(SELECT 0) ReadyForQuery(I)"
	if got := c.untilReady(); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	c.send(&pgproto3.Execute{Portal: "p"}, &pgproto3.Sync{})
	if got := c.untilReady(); got != `E(ERROR 34000 portal "p" does not exist) ReadyForQuery(I)` {
		t.Errorf("portal after Sync: %s", got)
	}
}

func TestExtendedErrorsDiscardUntilSync(t *testing.T) {
	ts := startServer(t, Options{})
	c := dialRaw(t, ts)
	c.startup()
	c.send(&pgproto3.Parse{Query: "error"}, &pgproto3.Bind{}, &pgproto3.Execute{}, &pgproto3.Sync{})
	if got := c.untilReady(); got != `E(ERROR 42P01 relation "nope" does not exist) ReadyForQuery(I)` {
		t.Errorf("got %s", got)
	}
	// An error at Execute also skips what follows, up to Sync.
	c.send(&pgproto3.Parse{Query: "internal"}, &pgproto3.Bind{}, &pgproto3.Execute{},
		&pgproto3.Parse{Query: "insert"}, &pgproto3.Bind{}, &pgproto3.Execute{}, &pgproto3.Sync{})
	if got := c.untilReady(); got != "ParseComplete BindComplete E(ERROR XX000 internal error: boom) ReadyForQuery(I)" {
		t.Errorf("got %s", got)
	}
	cases := []struct {
		msgs []pgproto3.FrontendMessage
		want string
	}{
		{[]pgproto3.FrontendMessage{&pgproto3.Bind{PreparedStatement: "nope"}},
			`E(ERROR 26000 prepared statement "nope" does not exist)`},
		{[]pgproto3.FrontendMessage{&pgproto3.Parse{Name: "a", Query: "insert"}, &pgproto3.Parse{Name: "a", Query: "insert"}},
			`ParseComplete E(ERROR 42P05 prepared statement "a" already exists)`},
		{[]pgproto3.FrontendMessage{&pgproto3.Parse{Query: "insert; insert"}},
			"E(ERROR 42601 cannot insert multiple commands into a prepared statement)"},
		{[]pgproto3.FrontendMessage{&pgproto3.Parse{Query: "select $1::int4"}, &pgproto3.Bind{}},
			`ParseComplete E(ERROR 08P01 bind message supplies 0 parameters, but unnamed prepared statement requires 1)`},
		{[]pgproto3.FrontendMessage{&pgproto3.Parse{Query: "select $1::int4"}, &pgproto3.Bind{Parameters: [][]byte{[]byte("x")}}},
			`ParseComplete E(ERROR 22P02 invalid input syntax for type integer: "x")`},
		{[]pgproto3.FrontendMessage{&pgproto3.Parse{Query: "select $1::int4"},
			&pgproto3.Bind{ParameterFormatCodes: []int16{1}, Parameters: [][]byte{{1, 2}}}},
			`ParseComplete E(ERROR 22P03 incorrect binary data format in bind parameter 1)`},
		{[]pgproto3.FrontendMessage{&pgproto3.Describe{ObjectType: 'P', Name: "nope"}},
			`E(ERROR 34000 portal "nope" does not exist)`},
	}
	for _, tc := range cases {
		c.send(append(tc.msgs, &pgproto3.Sync{})...)
		if got := c.untilReady(); got != tc.want+" ReadyForQuery(I)" {
			t.Errorf("got  %s\nwant %s ReadyForQuery(I)", got, tc.want)
		}
	}
}

func TestDescribeAndEmptyQuery(t *testing.T) {
	ts := startServer(t, Options{})
	c := dialRaw(t, ts)
	c.startup()
	c.send(&pgproto3.Parse{Name: "s", Query: "select $1::int4, $2::text", ParameterOIDs: []uint32{20}},
		&pgproto3.Describe{ObjectType: 'S', Name: "s"},
		&pgproto3.Bind{PreparedStatement: "s", ResultFormatCodes: []int16{1, 0},
			Parameters: [][]byte{[]byte("7"), []byte("x")}},
		&pgproto3.Describe{ObjectType: 'P'}, &pgproto3.Execute{}, &pgproto3.Close{ObjectType: 'S', Name: "s"},
		&pgproto3.Bind{PreparedStatement: "s"}, &pgproto3.Sync{})
	want := "ParseComplete ParameterDescription[20 25] RowDescription[c1:20/0 c2:25/0] BindComplete " +
		"RowDescription[c1:20/1 c2:25/0] D(\x00\x00\x00\x00\x00\x00\x00\a,x) C(SELECT 1) CloseComplete " +
		`E(ERROR 26000 prepared statement "s" does not exist) ReadyForQuery(I)`
	if got := c.untilReady(); got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	c.send(&pgproto3.Parse{Query: ""}, &pgproto3.Bind{}, &pgproto3.Describe{ObjectType: 'P'}, &pgproto3.Execute{},
		&pgproto3.Parse{Query: "insert"}, &pgproto3.Describe{ObjectType: 'S'}, &pgproto3.Sync{})
	want = "ParseComplete BindComplete NoData EmptyQueryResponse ParseComplete ParameterDescription[] NoData ReadyForQuery(I)"
	if got := c.untilReady(); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	c.send(&pgproto3.Query{String: ""})
	if got := c.untilReady(); got != "EmptyQueryResponse ReadyForQuery(I)" {
		t.Errorf("empty simple query: %s", got)
	}
	// Flush sends what is buffered without ending the cycle.
	c.send(&pgproto3.Parse{Query: "insert"}, &pgproto3.Flush{})
	if msg, err := c.fe.Receive(); err != nil || summarize(msg) != "ParseComplete" {
		t.Errorf("after Flush: %v %v", msg, err)
	}
	c.send(&pgproto3.Sync{})
	if got := c.untilReady(); got != "ReadyForQuery(I)" {
		t.Errorf("got %s", got)
	}
}

func TestEncryptionRequestsAndProtocolVersion(t *testing.T) {
	ts := startServer(t, Options{})
	for _, code := range []uint32{80877103, 80877104} { // SSLRequest, GSSEncRequest
		c := dialRaw(t, ts)
		var pkt [8]byte
		binary.BigEndian.PutUint32(pkt[:], 8)
		binary.BigEndian.PutUint32(pkt[4:], code)
		if _, err := c.nc.Write(pkt[:]); err != nil {
			t.Fatal(err)
		}
		var answer [1]byte
		if _, err := io.ReadFull(c.nc, answer[:]); err != nil || answer[0] != 'N' {
			t.Fatalf("code %d: answer %q %v", code, answer, err)
		}
		c.startup()
	}
	c := dialRaw(t, ts)
	c.send(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersion32,
		Parameters: map[string]string{"user": "eddy", "_pq_.extension": "x"}})
	if got := c.untilReady(); !strings.HasPrefix(got, "NegotiateProtocolVersion AuthenticationOk") {
		t.Errorf("3.2 startup: %s", got)
	}
	c = dialRaw(t, ts)
	if _, err := c.nc.Write([]byte{0, 0, 0, 8, 0, 2, 0, 0}); err != nil { // protocol 2.0
		t.Fatal(err)
	}
	if got := c.untilReady(); got != "E(FATAL 0A000 unsupported frontend protocol 2.0: server supports 3.0 to 3.0)" {
		t.Errorf("protocol 2.0: %s", got)
	}
	c = dialRaw(t, ts)
	c.send(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersion30, Parameters: map[string]string{"database": "x"}})
	if got := c.untilReady(); got != "E(FATAL 28000 no PostgreSQL user name specified in startup packet)" {
		t.Errorf("no user: %s", got)
	}
}

// TestMalformedMessage: a broken message ends its connection with 08P01; others keep working.
func TestMalformedMessage(t *testing.T) {
	ts := startServer(t, Options{})
	good := dialRaw(t, ts)
	good.startup()
	for _, junk := range [][]byte{
		{'?', 0, 0, 0, 4},                  // unknown message type
		{'Q', 0, 0, 0, 2},                  // length below 4
		{'B', 0, 0, 0, 6, 0, 0},            // truncated Bind
		{'P', 0, 0, 0, 5, 'x'},             // Parse without terminators
		{'Q', 0x7f, 0xff, 0xff, 0xff, 'x'}, // over the size limit
	} {
		bad := dialRaw(t, ts)
		bad.startup()
		if _, err := bad.nc.Write(junk); err != nil {
			t.Fatal(err)
		}
		got := bad.untilReady()
		if !strings.HasPrefix(got, "E(FATAL 08P01 ") {
			t.Errorf("%q: got %s", junk, got)
		}
		if _, err := bad.fe.Receive(); err == nil {
			t.Errorf("%q: connection still open", junk)
		}
		good.send(&pgproto3.Query{String: "insert"})
		if got := good.untilReady(); got != "C(INSERT 0 1) S ReadyForQuery(I)" && got != "C(INSERT 0 1) ReadyForQuery(I)" {
			t.Errorf("other connection: %s", got)
		}
	}
}

func TestExtendedCopyAndPortalInTransaction(t *testing.T) {
	ts := startServer(t, Options{})
	c := dialRaw(t, ts)
	c.startup()
	c.send(&pgproto3.Parse{Query: "copy t from stdin"}, &pgproto3.Bind{}, &pgproto3.Execute{}, &pgproto3.Flush{})
	if msg, err := c.fe.Receive(); err != nil || summarize(msg) != "ParseComplete" {
		t.Fatalf("%v %v", msg, err)
	}
	if msg, err := c.fe.Receive(); err != nil || summarize(msg) != "BindComplete" {
		t.Fatalf("%v %v", msg, err)
	}
	if msg, err := c.fe.Receive(); err != nil || summarize(msg) != "CopyInResponse" {
		t.Fatalf("%v %v", msg, err)
	}
	c.send(&pgproto3.CopyData{Data: []byte("7\tx")}, &pgproto3.CopyData{Data: []byte("\t1\n")}, &pgproto3.CopyDone{}, &pgproto3.Sync{})
	if got := c.untilReady(); got != "C(COPY 1) ReadyForQuery(I)" {
		t.Errorf("extended COPY: %s", got)
	}
	// Inside a transaction block a portal outlives Sync.
	c.send(&pgproto3.Query{String: "begin"})
	if got := c.untilReady(); got != "C(BEGIN) ReadyForQuery(T)" {
		t.Fatalf("begin: %s", got)
	}
	c.send(&pgproto3.Parse{Query: "series 3"}, &pgproto3.Bind{DestinationPortal: "p"}, &pgproto3.Execute{Portal: "p", MaxRows: 1}, &pgproto3.Sync{})
	if got := c.untilReady(); got != "ParseComplete BindComplete D(0) PortalSuspended ReadyForQuery(T)" {
		t.Errorf("first fetch: %s", got)
	}
	c.send(&pgproto3.Execute{Portal: "p", MaxRows: 5}, &pgproto3.Sync{})
	if got := c.untilReady(); got != "D(1) D(2) C(SELECT 2) ReadyForQuery(T)" {
		t.Errorf("second fetch: %s", got)
	}
}
