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
}

// TestJSONLogsAndEnv starts eddy configured through EDDY_* variables with JSON logs: the
// startup line must be JSON naming where it listens and where its data lives.
func TestJSONLogsAndEnv(t *testing.T) {
	bin := proc.Binary(t)
	dir := t.TempDir()
	pgAddr, httpAddr, raftAddr := freeTestAddr(t), freeTestAddr(t), freeTestAddr(t)
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
