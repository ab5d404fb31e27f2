package pgwire

import (
	"io"
	"net"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"
)

// encodeMsgs is the wire form of frontend messages, for seeds.
func encodeMsgs(t testing.TB, msgs ...pgproto3.FrontendMessage) []byte {
	var buf []byte
	for _, m := range msgs {
		var err error
		if buf, err = m.Encode(buf); err != nil {
			t.Fatal(err)
		}
	}
	return buf
}

// FuzzBackend writes a valid startup and then arbitrary bytes to a live connection. The server
// must not panic, must close or answer every connection, and must keep serving others; the
// goroutine and Arrow-buffer checks of startServer run when the fuzz run ends.
func FuzzBackend(f *testing.F) {
	ts := startServer(f, Options{MaxMessageSize: 1 << 20})
	ts.engine.noSlow = true
	startup := encodeMsgs(f, &pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersion30,
		Parameters: map[string]string{"user": "eddy"}})

	f.Add(encodeMsgs(f, &pgproto3.Query{String: "select types; series 3"}))
	f.Add(encodeMsgs(f, &pgproto3.Parse{Query: "select $1::int4, $2::numeric"}, &pgproto3.Bind{
		ParameterFormatCodes: []int16{1}, Parameters: [][]byte{{0, 0, 0, 1}, {0, 1, 0, 0, 0, 0, 0, 2, 0, 5}},
		ResultFormatCodes: []int16{1}}, &pgproto3.Describe{ObjectType: 'P'}, &pgproto3.Execute{MaxRows: 1},
		&pgproto3.Execute{}, &pgproto3.Sync{}))
	f.Add(encodeMsgs(f, &pgproto3.Query{String: "copy t from stdin csv"}, &pgproto3.CopyData{Data: []byte("1,\"a\n")},
		&pgproto3.CopyData{Data: []byte("b\",2\n")}, &pgproto3.CopyDone{}))
	f.Add(encodeMsgs(f, &pgproto3.Query{String: "copy t from stdin binary"},
		&pgproto3.CopyData{Data: append(append([]byte(nil), copyBinarySignature...), 0, 0, 0, 0, 0, 0, 0, 0, 0, 3)},
		&pgproto3.CopyFail{Message: "x"}))
	f.Add(encodeMsgs(f, &pgproto3.Query{String: "copy t to stdout"}, &pgproto3.Terminate{}))
	f.Add([]byte{'B', 0, 0, 0, 6, 0, 0})

	health, err := net.Dial("tcp", ts.addr)
	if err != nil {
		f.Fatal(err)
	}
	defer health.Close()
	hfe := pgproto3.NewFrontend(health, health)
	if _, err := health.Write(startup); err != nil {
		f.Fatal(err)
	}
	waitReady := func(t *testing.T) {
		_ = health.SetReadDeadline(time.Now().Add(10 * time.Second))
		for {
			msg, err := hfe.Receive()
			if err != nil {
				t.Fatalf("healthy connection broke: %v", err)
			}
			if _, ok := msg.(*pgproto3.ReadyForQuery); ok {
				return
			}
		}
	}
	first := true

	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<16 {
			t.Skip()
		}
		if first {
			waitReady(t)
			first = false
		}
		nc, err := net.Dial("tcp", ts.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		_ = nc.SetDeadline(time.Now().Add(10 * time.Second))
		// Drain answers concurrently so the server never blocks writing to us.
		drained := make(chan error, 1)
		go func() {
			_, err := io.Copy(io.Discard, nc)
			drained <- err
		}()
		_, _ = nc.Write(startup)
		_, _ = nc.Write(data)
		_ = nc.(*net.TCPConn).CloseWrite()
		if err := <-drained; err != nil {
			t.Fatalf("server did not close the connection: %v", err)
		}
		// Another session is unaffected.
		hfe.Send(&pgproto3.Query{String: "insert"})
		if err := hfe.Flush(); err != nil {
			t.Fatal(err)
		}
		waitReady(t)
	})
}
