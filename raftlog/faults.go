package raftlog

import (
	"context"
	"fmt"
	"net"
	"sync"
	"time"
)

// Network partitions for tests. Block(addrs) makes this process behave as if the network to
// those Raft addresses were cut: dials to them (Raft's and the internal API's) fail, and the
// connections it had opened to them are closed. Connections the other side opened are cut when
// that side blocks this node too, so a partition is set on both sides (the test does so over
// eddy's debug endpoint, which exists only when EDDY_TEST_FAULTS=1).
var faults = struct {
	mu      sync.Mutex
	blocked map[string]bool
	conns   map[*trackedConn]bool
}{conns: map[*trackedConn]bool{}}

// Block replaces the set of unreachable addresses (nil heals every partition).
func Block(addrs []string) {
	faults.mu.Lock()
	faults.blocked = map[string]bool{}
	for _, a := range addrs {
		faults.blocked[a] = true
	}
	var cut []*trackedConn
	for c := range faults.conns {
		if faults.blocked[c.addr] {
			cut = append(cut, c)
		}
	}
	faults.mu.Unlock()
	for _, c := range cut {
		c.Close()
	}
}

// dial opens a connection to addr unless a test partition cuts it off.
func dial(ctx context.Context, addr string, timeout time.Duration) (net.Conn, error) {
	faults.mu.Lock()
	blocked := faults.blocked[addr]
	faults.mu.Unlock()
	if blocked {
		return nil, &net.OpError{Op: "dial", Net: "tcp", Err: fmt.Errorf("%s is cut off by a test partition", addr)}
	}
	d := net.Dialer{Timeout: timeout}
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	tc := &trackedConn{Conn: c, addr: addr}
	faults.mu.Lock()
	faults.conns[tc] = true
	faults.mu.Unlock()
	return tc, nil
}

// trackedConn is an outbound connection Block can cut.
type trackedConn struct {
	net.Conn
	addr string
	once sync.Once
}

func (c *trackedConn) Close() error {
	c.once.Do(func() {
		faults.mu.Lock()
		delete(faults.conns, c)
		faults.mu.Unlock()
	})
	return c.Conn.Close()
}
