package main

import (
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/eddydb/eddy/cmd/eddy/internal/proc"
	"github.com/eddydb/eddy/server"
)

// TestVersionAndBadFlags checks `eddy --version` and that a bad setting is refused at start with
// a clear message and exit code 2.
func TestVersionAndBadFlags(t *testing.T) {
	bin := proc.Binary(t)
	out, err := exec.Command(bin, "--version").CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "eddy ") {
		t.Fatalf("eddy --version: %q, %v", out, err)
	}
	cmd := exec.Command(bin, "serve", "--log-format", "yaml")
	out, err = cmd.CombinedOutput()
	if code := cmd.ProcessState.ExitCode(); err == nil || code != 2 || !strings.Contains(string(out), "--log-format must be text or json") {
		t.Fatalf("bad --log-format: exit %d, %q", code, out)
	}
	cmd = exec.Command(bin, "serve")
	cmd.Env = append(os.Environ(), "EDDY_LOG_LEVEL=loud")
	out, _ = cmd.CombinedOutput()
	if code := cmd.ProcessState.ExitCode(); code != 2 || !strings.Contains(string(out), "--log-level must be") {
		t.Fatalf("bad EDDY_LOG_LEVEL: exit %d, %q", code, out)
	}
	// A size in an unknown unit is refused with the same message from the flag and from the
	// environment.
	want := `eddy: --state-cache-size: invalid size "12XB" (use e.g. 256MiB)`
	cmd = exec.Command(bin, "serve", "--state-cache-size", "12XB")
	out, _ = cmd.CombinedOutput()
	if code := cmd.ProcessState.ExitCode(); code != 2 || !strings.Contains(string(out), want) {
		t.Fatalf("bad --state-cache-size: exit %d, %q", code, out)
	}
	cmd = exec.Command(bin, "serve")
	cmd.Env = append(os.Environ(), "EDDY_STATE_CACHE_SIZE=12XB")
	out, _ = cmd.CombinedOutput()
	if code := cmd.ProcessState.ExitCode(); code != 2 || !strings.Contains(string(out), want) {
		t.Fatalf("bad EDDY_STATE_CACHE_SIZE: exit %d, %q", code, out)
	}
	// --peers must be id=address pairs that list this node at its --raft-listen address.
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--peers", "n1=127.0.0.1:7001,n2"}, `--peers: "n2" is not id=host:port`},
		{[]string{"--peers", "n2=127.0.0.1:7002,n3=127.0.0.1:7003"}, "--peers does not list this node (--node-id n1)"},
		{[]string{"--peers", "n1=127.0.0.1:7009"}, "--peers gives node n1 the address 127.0.0.1:7009 but its --raft-listen/--raft-advertise is 127.0.0.1:7001"},
		{[]string{"--peers", "n1=127.0.0.1:7001", "--join", "127.0.0.1:7002"}, "--join and --peers cannot be combined"},
		{[]string{"--raft-election-timeout", "1ms"}, "--raft-heartbeat-timeout and --raft-election-timeout must be at least 10ms"},
		{[]string{"--peers", "n1=127.0.0.1:7001,n1=127.0.0.1:7002"}, `--peers: node "n1" is listed twice`},
	} {
		cmd = exec.Command(bin, append([]string{"serve"}, c.args...)...)
		out, _ = cmd.CombinedOutput()
		if code := cmd.ProcessState.ExitCode(); code != 2 || !strings.Contains(string(out), c.want) {
			t.Fatalf("%v: exit %d, %q; want %q", c.args, code, out, c.want)
		}
	}
}

// TestParseSize pins the units --state-cache-size accepts: PostgreSQL's, where kB, MB and GB
// are powers of 1024, with KiB, MiB and GiB as synonyms, in any case.
func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{
		"1048576": 1 << 20, "0": 0, "512B": 512, "512kB": 512 << 10, "512KB": 512 << 10, "64MB": 64 << 20,
		"256MiB": 256 << 20, "256mib": 256 << 20, "1GiB": 1 << 30, "2GB": 2 << 30, "1TB": 1 << 40, " 16 kB ": 16 << 10,
	} {
		if got, err := server.ParseSize(in); err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "12XB", "MB", "-1MB", "1.5GB", "0x10", "1 M B", "9999999999999GB"} {
		if got, err := server.ParseSize(in); err == nil {
			t.Errorf("ParseSize(%q) = %d, want an error", in, got)
		}
	}
}

// TestJSONLogsAndEnv starts eddy configured through EDDY_* variables with JSON logs: the
// startup line must be JSON naming where it listens and where its data lives.
func TestJSONLogsAndEnv(t *testing.T) {
	bin := proc.Binary(t)
	dir := t.TempDir()
	pgAddr, httpAddr, raftAddr := proc.FreeAddr(t), proc.FreeAddr(t), proc.FreeAddr(t)
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "EDDY_DATA_DIR="+dir, "EDDY_PG_LISTEN="+pgAddr, "EDDY_HTTP_LISTEN="+httpAddr,
		"EDDY_RAFT_LISTEN="+raftAddr, "EDDY_LOG_FORMAT=json")
	logs := &syncWriter{b: &strings.Builder{}}
	cmd.Stderr = logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get("http://" + httpAddr + "/readyz")
		if err == nil && resp.StatusCode == 200 {
			resp.Body.Close()
			break
		}
		if resp != nil {
			resp.Body.Close()
		}
		if time.Now().After(deadline) {
			t.Fatalf("not ready:\n%s", logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	var start map[string]any
	for _, line := range strings.Split(logs.String(), "\n") {
		var m map[string]any
		if line == "" {
			continue
		}
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line is not JSON: %q", line)
		}
		if m["msg"] == "eddy starting" {
			start = m
		}
	}
	if start == nil || start["pg_listen"] != pgAddr || start["http_listen"] != httpAddr || start["data_dir"] != dir {
		t.Fatalf("startup line = %v, want pg_listen %s http_listen %s data_dir %s", start, pgAddr, httpAddr, dir)
	}
	if _, err := os.Stat(dir + "/state"); err != nil {
		t.Fatalf("EDDY_DATA_DIR not used: %v", err)
	}
}
