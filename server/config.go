package server

import (
	"flag"
	"fmt"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Config holds every setting of an eddy process. Each field has a command-line flag and an
// EDDY_* environment variable (the flag name upper-cased with dashes as underscores); a flag
// given on the command line wins over the environment.
type Config struct {
	DataDir    string
	PGListen   string
	HTTPListen string
	LogFormat  string // "text" or "json"
	LogLevel   string // "debug", "info", "warn", "error"

	NodeID     string
	RaftListen string
	// Peers is --peers as given ("n1=host:port,n2=host:port,..."): the voters of a cluster
	// bootstrapped statically, this node included. Validate parses it into PeerAddrs.
	Peers     string
	PeerAddrs map[string]string
	// RaftAdvertise is the Raft address other nodes reach this one at (default RaftListen).
	RaftAdvertise string
	// Join is the Raft address of any member of a running cluster this node asks to be added
	// to (as a voter) instead of bootstrapping one.
	Join string
	// Raft's heartbeat and election timeouts: how soon a follower that stops hearing from the
	// leader starts an election. Loopback/LAN defaults.
	RaftHeartbeatTimeout, RaftElectionTimeout time.Duration
	// StatementTimeout is the default statement_timeout of new sessions (0 = none).
	StatementTimeout time.Duration
	// CheckpointInterval is how often a checkpoint is taken (0: only Raft's own snapshots);
	// LogTail is how many log entries stay behind the latest checkpoint.
	CheckpointInterval time.Duration
	LogTail            uint64
	// StateCacheBytes is the memory all operator states of materialized views share for their
	// in-memory caches (0 = the default, 256 MiB); the rest of the state stays in Pebble.
	StateCacheBytes int64
	// MinFreeDisk is the disk space kept free under the data directory: below it new data is
	// refused (53100) until space is freed, since a full disk would stop the node.
	MinFreeDisk int64
	minFreeDisk string
	// SavepointDir is where EXPORT SAVEPOINT writes archives and IMPORT SAVEPOINT reads them
	// (--savepoint-dir; default <data-dir>/savepoint-archives). Paths outside it are refused.
	SavepointDir string
	// stateCacheSize is --state-cache-size as given ("256MiB"), which Validate parses into
	// StateCacheBytes: a bad value, from the flag or from the environment, is refused there
	// with one message.
	stateCacheSize string
}

// DefaultConfig returns the embedded defaults `make run` uses.
func DefaultConfig() Config {
	return Config{
		DataDir:    "./eddy-data",
		PGListen:   "127.0.0.1:4566",
		HTTPListen: "127.0.0.1:8080",
		LogFormat:  "text",
		LogLevel:   "info",
		NodeID:     "n1",
		RaftListen: "127.0.0.1:7001",

		RaftHeartbeatTimeout: 200 * time.Millisecond,
		RaftElectionTimeout:  200 * time.Millisecond,

		CheckpointInterval: time.Second,
		MinFreeDisk:        256 << 20,
		LogTail:            10240,
	}
}

// BindFlags registers the config's flags on fs, with defaults taken from the environment.
func (c *Config) BindFlags(fs *flag.FlagSet) {
	str := func(p *string, name, usage string) {
		fs.StringVar(p, name, envOr(name, *p), usage+" (env "+envName(name)+")")
	}
	str(&c.DataDir, "data-dir", "directory for all durable state")
	str(&c.PGListen, "pg-listen", "address for PostgreSQL clients")
	str(&c.HTTPListen, "http-listen", "address for HTTP (health, readiness)")
	str(&c.LogFormat, "log-format", "log format: text or json")
	str(&c.LogLevel, "log-level", "log level: debug, info, warn or error")
	str(&c.NodeID, "node-id", "this node's Raft id")
	str(&c.RaftListen, "raft-listen", "address for Raft traffic")
	str(&c.Peers, "peers", "the voters of a cluster, this node included: n1=host:port,n2=host:port,... (empty: a one-node cluster)")
	str(&c.RaftAdvertise, "raft-advertise", "the Raft address other nodes reach this one at (default: --raft-listen)")
	str(&c.Join, "join", "the Raft address of any member of a running cluster to join as a voter (instead of --peers)")
	fs.DurationVar(&c.RaftHeartbeatTimeout, "raft-heartbeat-timeout", envDuration("raft-heartbeat-timeout", c.RaftHeartbeatTimeout),
		"how long a follower waits for the leader's heartbeat before it may start an election (env "+envName("raft-heartbeat-timeout")+")")
	fs.DurationVar(&c.RaftElectionTimeout, "raft-election-timeout", envDuration("raft-election-timeout", c.RaftElectionTimeout),
		"how long a candidate waits for votes before it tries again (env "+envName("raft-election-timeout")+")")
	fs.DurationVar(&c.CheckpointInterval, "checkpoint-interval", envDuration("checkpoint-interval", c.CheckpointInterval),
		"how often to checkpoint the state, 0 for Raft's own schedule only (env "+envName("checkpoint-interval")+")")
	fs.Uint64Var(&c.LogTail, "log-tail", uint64(envInt("log-tail", int(c.LogTail))),
		"log entries kept behind the latest checkpoint (env "+envName("log-tail")+")")
	str(&c.minFreeDisk, "min-free-disk",
		"disk space kept free under the data directory; below it new data is refused until space is freed (default 256MiB: Pebble preallocates each write-ahead log at 70 MiB, and a few can coexist)")
	str(&c.stateCacheSize, "state-cache-size",
		"memory for the caches of view operator state, e.g. 256MiB or 1GiB (a bare number is bytes; 0: 256MiB)")
	str(&c.SavepointDir, "savepoint-dir",
		"directory EXPORT SAVEPOINT writes archives to and IMPORT SAVEPOINT reads them from; other paths are refused (default: <data-dir>/savepoint-archives)")
	fs.DurationVar(&c.StatementTimeout, "statement-timeout", envDuration("statement-timeout", c.StatementTimeout),
		"default statement_timeout for new sessions, 0 for none (env "+envName("statement-timeout")+")")
}

// Validate checks the settings that can be wrong.
func (c *Config) Validate() error {
	if err := c.parsePeers(); err != nil {
		return err
	}
	if c.Join != "" && c.PeerAddrs != nil {
		return fmt.Errorf("--join and --peers cannot be combined: --peers bootstraps a new cluster, --join adds this node to a running one")
	}
	if c.RaftHeartbeatTimeout < 10*time.Millisecond || c.RaftElectionTimeout < 10*time.Millisecond {
		return fmt.Errorf("--raft-heartbeat-timeout and --raft-election-timeout must be at least 10ms")
	}
	if c.DataDir == "" {
		return fmt.Errorf("--data-dir must not be empty")
	}
	if c.SavepointDir == "" {
		c.SavepointDir = filepath.Join(c.DataDir, "savepoint-archives")
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		return fmt.Errorf("--log-format must be text or json, not %q", c.LogFormat)
	}
	if c.stateCacheSize != "" {
		n, err := ParseSize(c.stateCacheSize)
		if err != nil {
			return fmt.Errorf("--state-cache-size: %w", err)
		}
		c.StateCacheBytes = n
	}
	if c.minFreeDisk != "" {
		n, err := ParseSize(c.minFreeDisk)
		if err != nil {
			return fmt.Errorf("--min-free-disk: %w", err)
		}
		c.MinFreeDisk = n
	}
	if c.StateCacheBytes < 0 {
		return fmt.Errorf("--state-cache-size must not be negative")
	}
	if _, err := parseLevel(c.LogLevel); err != nil {
		return err
	}
	return nil
}

// parsePeers checks --peers: id=address pairs, unique ids, this node among them at its
// --raft-listen address.
func (c *Config) parsePeers() error {
	c.PeerAddrs = nil
	if strings.TrimSpace(c.Peers) == "" {
		return nil
	}
	c.PeerAddrs = map[string]string{}
	for _, p := range strings.Split(c.Peers, ",") {
		id, addr, ok := strings.Cut(strings.TrimSpace(p), "=")
		if !ok || id == "" || addr == "" {
			return fmt.Errorf("--peers: %q is not id=host:port", p)
		}
		if _, dup := c.PeerAddrs[id]; dup {
			return fmt.Errorf("--peers: node %q is listed twice", id)
		}
		c.PeerAddrs[id] = addr
	}
	addr, ok := c.PeerAddrs[c.NodeID]
	if !ok {
		return fmt.Errorf("--peers does not list this node (--node-id %s)", c.NodeID)
	}
	if self := c.raftAddr(); addr != self {
		return fmt.Errorf("--peers gives node %s the address %s but its --raft-listen/--raft-advertise is %s", c.NodeID, addr, self)
	}
	return nil
}

// raftAddr is the address other nodes reach this one's Raft port at.
func (c *Config) raftAddr() string {
	if c.RaftAdvertise != "" {
		return c.RaftAdvertise
	}
	return c.RaftListen
}

// NewLogger builds the process logger from the config.
func (c *Config) NewLogger() *slog.Logger {
	lvl, _ := parseLevel(c.LogLevel)
	opts := &slog.HandlerOptions{Level: lvl}
	if c.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(os.Stderr, opts))
	}
	return slog.New(slog.NewTextHandler(os.Stderr, opts))
}

// sizeUnits are the units ParseSize accepts, lower-cased. As in PostgreSQL's memory settings,
// kB, MB and GB are powers of 1024; KiB, MiB and GiB are accepted as their spelled-out names.
var sizeUnits = map[string]int64{
	"": 1, "b": 1,
	"kb": 1 << 10, "kib": 1 << 10,
	"mb": 1 << 20, "mib": 1 << 20,
	"gb": 1 << 30, "gib": 1 << 30,
	"tb": 1 << 40, "tib": 1 << 40,
}

// ParseSize parses a memory size: a whole number of bytes, optionally followed by a unit (B,
// kB, MB, GB, TB or KiB, MiB, GiB, TiB, any case, powers of 1024): "256MiB", "64MB", "1048576".
func ParseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	i := 0
	for i < len(t) && t[i] >= '0' && t[i] <= '9' {
		i++
	}
	n, err := strconv.ParseInt(t[:i], 10, 64)
	mult, ok := sizeUnits[strings.ToLower(strings.TrimSpace(t[i:]))]
	if err != nil || !ok || n > math.MaxInt64/mult {
		return 0, fmt.Errorf("invalid size %q (use e.g. 256MiB)", s)
	}
	return n * mult, nil
}

func parseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return 0, fmt.Errorf("--log-level must be debug, info, warn or error, not %q", s)
	}
	return l, nil
}

func envName(flagName string) string {
	return "EDDY_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

func envOr(flagName, def string) string {
	if v, ok := os.LookupEnv(envName(flagName)); ok {
		return v
	}
	return def
}

func envDuration(flagName string, def time.Duration) time.Duration {
	if v, ok := os.LookupEnv(envName(flagName)); ok {
		if d, err := time.ParseDuration(v); err == nil {
			return d
		}
	}
	return def
}

func envInt(flagName string, def int) int {
	if v, ok := os.LookupEnv(envName(flagName)); ok {
		if n, err := strconv.Atoi(v); err == nil {
			return n
		}
	}
	return def
}
