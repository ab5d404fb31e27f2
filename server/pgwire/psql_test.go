package pgwire

import (
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// runPsql runs the real psql client (skipping the test if it is not installed) against ts.
func runPsql(t *testing.T, ts *testServer, args ...string) (string, error) {
	t.Helper()
	return runPsqlEnv(t, ts, nil, args...)
}

func runPsqlEnv(t *testing.T, ts *testServer, env []string, args ...string) (string, error) {
	t.Helper()
	path, err := exec.LookPath("psql")
	if err != nil {
		t.Skip("psql not installed")
	}
	base := []string{"-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", strconv.Itoa(ts.port), "-U", "eddy", "-d", "eddy"}
	cmd := exec.CommandContext(testCtx(t), path, append(base, args...)...)
	cmd.Env = append(append(os.Environ(), "PGCONNECT_TIMEOUT=10", "PGSSLMODE=prefer"), env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func TestPsql(t *testing.T) {
	ts := startServer(t, Options{})
	out, err := runPsql(t, ts, "-c", "select types")
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	// Row 1 has a text value with a tab; psql prints it as is.
	if len(lines) != 3 || lines[0] != strings.Join(allTypeRows[0], "|") || lines[2] != strings.Repeat("|", 16) {
		t.Errorf("psql output:\n%s", out)
	}

	out, err = runPsql(t, ts, "-c", "insert; series 3; insert")
	if err != nil || out != "INSERT 0 1\n0\n1\n2\nINSERT 0 1\n" {
		t.Errorf("multi-statement: %v %q", err, out)
	}

	out, err = runPsql(t, ts, "-c", "error")
	if err == nil || !strings.Contains(out, `ERROR:  relation "nope" does not exist`) {
		t.Errorf("error: %v %q", err, out)
	}

	file := filepath.Join(t.TempDir(), "rows.tsv")
	if err := os.WriteFile(file, []byte("1\tone\t1.5\n2\t\\N\t2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	before := len(ts.engine.copiedRows())
	out, err = runPsql(t, ts, "-c", `\copy t from '`+file+`'`)
	if err != nil || strings.TrimSpace(out) != "COPY 2" {
		t.Errorf(`\copy: %v %q`, err, out)
	}
	want := [][]any{{int64(1), "one", 1.5}, {int64(2), nil, 2.0}}
	if got := ts.engine.copiedRows()[before:]; !reflect.DeepEqual(got, want) {
		t.Errorf(`\copy rows: %#v`, got)
	}
	out, err = runPsql(t, ts, "-c", `\copy t to stdout csv`)
	if err != nil || !strings.HasPrefix(out, "1,plain,1.5\n") {
		t.Errorf(`\copy to: %v %q`, err, out)
	}
}

func TestPsqlScram(t *testing.T) {
	ts := startServer(t, Options{Authenticator: ScramAuthenticator{
		Password: func(user string) (string, bool) { return "pw", true }}})
	out, err := runPsqlEnv(t, ts, []string{"PGPASSWORD=pw"}, "-c", "insert")
	if err != nil || out != "INSERT 0 1\n" {
		t.Errorf("scram login: %v %q", err, out)
	}
	out, err = runPsqlEnv(t, ts, []string{"PGPASSWORD=nope"}, "-c", "insert")
	if err == nil || !strings.Contains(out, `password authentication failed for user "eddy"`) {
		t.Errorf("bad password: %v %q", err, out)
	}
}
