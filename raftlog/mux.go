package raftlog

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/hashicorp/raft"
)

// One TCP port per node carries both Raft and eddy's internal API (forwarded writes, joins,
// status). A connection's first byte tells them apart: Raft's RPC types are small numbers,
// eddy's API connections start with apiMarker and then speak HTTP/1.1. Peers therefore only
// need each other's --raft-listen address, the one address --peers and --join already give.

// apiMarker opens a connection to the internal API; Raft's own first bytes are 0-4.
const apiMarker byte = 'E'

// muxLayer is the raft.StreamLayer of a node: it accepts on the Raft address and hands each
// connection to Raft or to the internal API.
type muxLayer struct {
	ln        net.Listener
	advertise net.Addr
	raftCh    chan net.Conn
	// apiCh hands API connections to APIListener's Accept; until a server accepts them they
	// wait in route, and closing the node drops them.
	apiCh     chan net.Conn
	done      chan struct{}
	closeOnce sync.Once
	wg        sync.WaitGroup
}

var _ raft.StreamLayer = (*muxLayer)(nil)

func newMuxLayer(bind string, advertise net.Addr) (*muxLayer, error) {
	ln, err := net.Listen("tcp", bind)
	if err != nil {
		return nil, err
	}
	if advertise == nil {
		advertise = ln.Addr()
	}
	if a, ok := advertise.(*net.TCPAddr); !ok || a.IP.IsUnspecified() {
		ln.Close()
		return nil, fmt.Errorf("raftlog: %s is not an address peers can reach: set an advertise address", advertise)
	}
	m := &muxLayer{ln: ln, advertise: advertise, raftCh: make(chan net.Conn), apiCh: make(chan net.Conn),
		done: make(chan struct{})}
	m.wg.Add(1)
	go m.acceptLoop() // ends when Close closes the listener
	return m, nil
}

func (m *muxLayer) acceptLoop() {
	defer m.wg.Done()
	for {
		c, err := m.ln.Accept()
		if err != nil {
			return
		}
		m.wg.Add(1)
		go m.route(c)
	}
}

// route reads a connection's first byte and hands it on; a peer that says nothing for 10 s is
// dropped.
func (m *muxLayer) route(c net.Conn) {
	defer m.wg.Done()
	br := bufio.NewReader(c)
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	first, err := br.Peek(1)
	_ = c.SetReadDeadline(time.Time{})
	if err != nil {
		c.Close()
		return
	}
	ch := m.raftCh
	if first[0] == apiMarker {
		_, _ = br.Discard(1)
		ch = m.apiCh
	}
	select {
	case ch <- &bufferedConn{Conn: c, r: br}:
	case <-m.done:
		c.Close()
	}
}

// Accept implements net.Listener for Raft.
func (m *muxLayer) Accept() (net.Conn, error) {
	select {
	case c := <-m.raftCh:
		return c, nil
	case <-m.done:
		return nil, net.ErrClosed
	}
}

// Close implements net.Listener: it stops both sides.
func (m *muxLayer) Close() error {
	var err error
	m.closeOnce.Do(func() {
		close(m.done)
		err = m.ln.Close()
		m.wg.Wait()
	})
	return err
}

// Addr implements net.Listener: the advertised address.
func (m *muxLayer) Addr() net.Addr { return m.advertise }

// Dial implements raft.StreamLayer.
func (m *muxLayer) Dial(address raft.ServerAddress, timeout time.Duration) (net.Conn, error) {
	return dial(context.Background(), string(address), timeout)
}

// apiListener is the internal API's side of the mux. Closing it stops its Accept (so an
// http.Server on it can shut down before the node does); the port itself belongs to the node's
// transport.
type apiListener struct {
	m         *muxLayer
	closed    chan struct{}
	closeOnce sync.Once
}

func (l *apiListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.m.apiCh:
		return c, nil
	case <-l.m.done:
		return nil, net.ErrClosed
	case <-l.closed:
		return nil, net.ErrClosed
	}
}

func (l *apiListener) Close() error {
	l.closeOnce.Do(func() { close(l.closed) })
	return nil
}

func (l *apiListener) Addr() net.Addr { return l.m.advertise }

// bufferedConn is a connection whose first bytes were read ahead into r.
type bufferedConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *bufferedConn) Read(p []byte) (int, error) { return c.r.Read(p) }

// APIListener returns the listener of the node's internal API connections (on its Raft port).
func (n *Node) APIListener() net.Listener {
	return &apiListener{m: n.mux, closed: make(chan struct{})}
}

// DialAPI opens a connection to the internal API of the node at a Raft address.
func DialAPI(ctx context.Context, addr string) (net.Conn, error) {
	c, err := dial(ctx, addr, 0)
	if err != nil {
		return nil, err
	}
	if _, err := c.Write([]byte{apiMarker}); err != nil {
		c.Close()
		return nil, errors.Join(fmt.Errorf("raftlog: open API connection to %s", addr), err)
	}
	return c, nil
}
