package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/eddydb/eddy/cmd/eddy/internal/proc"
)

// The savepoint tests run a table written by a pgx client, a datagen-fed table and views over
// both, and take, restore and release durable savepoints while the stream runs.
var savepointDDL = []string{
	"CREATE TABLE acct (id int PRIMARY KEY, g int, bal int)",
	"CREATE TABLE dg (id int, k int, v int) WITH (connector = 'datagen', fields.id.kind = 'sequence', " +
		"fields.id.start = '1', fields.id.end = '30000', fields.k.kind = 'random', fields.k.min = '0', " +
		"fields.k.max = '20', fields.v.kind = 'random', fields.v.min = '0', fields.v.max = '1000', " +
		"datagen.rows.per.second = '6000', datagen.seed = '7')",
}

const savepointDGRows = 30000

var savepointViews = map[string]string{
	"acct_g":  "SELECT g, count(*) AS n, sum(bal) AS s FROM acct GROUP BY g",
	"dg_k":    "SELECT k, count(*) AS n, sum(v) AS s, max(id) AS top FROM dg GROUP BY k",
	"dg_acct": "SELECT dg.k, count(*) AS n, sum(acct.bal) AS s FROM dg JOIN acct ON dg.id = acct.id GROUP BY dg.k",
}

// acctModel is what the acknowledged writes to acct left: id -> "g|bal".
type acctModel map[int]string

// upsertAcct writes n random rows to acct over c and records each acknowledged one in m.
func upsertAcct(t *testing.T, c *pgx.Conn, m acctModel, rng *rand.Rand, n, maxID int) {
	t.Helper()
	for range n {
		id, g, bal := 1+rng.IntN(maxID), rng.IntN(21), rng.IntN(10000)
		mustExec(t, c, "INSERT INTO acct VALUES ($1, $2, $3) ON CONFLICT (id) DO UPDATE SET g = excluded.g, bal = excluded.bal", id, g, bal)
		m[id] = fmt.Sprintf("%d|%d", g, bal)
	}
}

// checkAcct requires acct to hold exactly m's rows.
func checkAcct(t *testing.T, c *pgx.Conn, m acctModel, when string) {
	t.Helper()
	got := textRows(t, context.Background(), c.PgConn(), "SELECT id, g, bal FROM acct")
	want := make([]string, 0, len(m))
	for id, v := range m {
		want = append(want, fmt.Sprintf("%d|%s", id, v))
	}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("%s: acct has %d rows, the acknowledged writes %d; first differences: %s", when, len(got), len(want),
			firstDiff(got, want))
	}
}

func firstDiff(got, want []string) string {
	var out []string
	for _, g := range got {
		if _, ok := slices.BinarySearch(want, g); !ok && len(out) < 5 {
			out = append(out, "extra "+g)
		}
	}
	for _, w := range want {
		if _, ok := slices.BinarySearch(got, w); !ok && len(out) < 10 {
			out = append(out, "missing "+w)
		}
	}
	return strings.Join(out, ", ")
}

// checkSavepointViews requires every view to equal its query run as a batch. One statement
// compares both (EXCEPT ALL both ways), so it reads one state while the stream goes on.
func checkSavepointViews(t *testing.T, c *pgx.Conn, when string) {
	t.Helper()
	checkViewsOf(t, c, savepointViews, when)
}

// checkViewsOf is checkSavepointViews for the views in views.
func checkViewsOf(t *testing.T, c *pgx.Conn, views map[string]string, when string) {
	t.Helper()
	for _, name := range slices.Sorted(maps.Keys(views)) {
		q := views[name]
		diff := fmt.Sprintf("SELECT count(*) FROM ((SELECT * FROM %s EXCEPT ALL (%s)) UNION ALL ((%s) EXCEPT ALL SELECT * FROM %s)) d",
			name, q, q, name)
		var n int
		if err := c.QueryRow(context.Background(), diff).Scan(&n); err != nil {
			t.Fatalf("%s: %s: %v", when, diff, err)
		}
		if n != 0 {
			t.Fatalf("%s: view %s differs from its query in %d rows", when, name, n)
		}
	}
}

// checkDG requires dg to hold ids 1..n exactly once each for some n, and returns n.
func checkDG(t *testing.T, c *pgx.Conn, when string) int {
	t.Helper()
	var n, distinct, top int
	if err := c.QueryRow(context.Background(), "SELECT count(*), count(DISTINCT id), coalesce(max(id), 0) FROM dg").Scan(&n, &distinct, &top); err != nil {
		t.Fatal(err)
	}
	if n != distinct || n != top {
		t.Fatalf("%s: dg holds %d rows, %d distinct ids, the highest %d: rows were lost or doubled", when, n, distinct, top)
	}
	return n
}

func savepointNames(t *testing.T, c *pgx.Conn) []string {
	t.Helper()
	var out []string
	for _, r := range textRows(t, context.Background(), c.PgConn(), "SELECT name FROM eddy_catalog.savepoints") {
		out = append(out, r)
	}
	return out
}

func setupSavepointDB(t *testing.T, c *pgx.Conn) {
	t.Helper()
	for _, ddl := range savepointDDL {
		mustExec(t, c, ddl)
	}
	for _, name := range slices.Sorted(maps.Keys(savepointViews)) {
		mustExec(t, c, "CREATE MATERIALIZED VIEW "+name+" AS "+savepointViews[name])
	}
}

// TestDurableSavepoints takes a savepoint while a stream and a writer run, changes data and
// schema, rolls back online (a session opened before sees the restored state), checks that the
// rollback and the savepoint survive kill -9, that the stream resumes from the savepoint's
// offsets without losing or doubling a row, and the statements' errors.
func TestDurableSavepoints(t *testing.T) {
	srv := proc.Start(t, "--checkpoint-interval", "200ms")
	ctx := context.Background()
	c := srv.Connect(t)
	setupSavepointDB(t, c)
	rng := rand.New(rand.NewPCG(7, 7))
	model := acctModel{}
	upsertAcct(t, c, model, rng, 300, 200)

	mustExec(t, c, "SAVEPOINT before_fix WITH (comment = 'before the fix')")
	atSavepoint := maps.Clone(model)
	dgAtSavepoint := checkDG(t, c, "after SAVEPOINT")
	checkSavepointViews(t, c, "after SAVEPOINT")

	// Changes after the savepoint: rows, a new table and a new view.
	upsertAcct(t, c, model, rng, 300, 400)
	mustExec(t, c, "CREATE TABLE extra (x int)")
	mustExec(t, c, "INSERT INTO extra VALUES (1)")
	mustExec(t, c, "CREATE MATERIALIZED VIEW later AS SELECT count(*) AS n FROM acct")
	other := srv.Connect(t)
	var n int
	if err := other.QueryRow(ctx, "SELECT n FROM later").Scan(&n); err != nil || n != len(model) {
		t.Fatalf("later: %d, %v; want %d", n, err, len(model))
	}
	time.Sleep(300 * time.Millisecond) // the stream moves on past the savepoint
	dgBefore := checkDG(t, c, "before ROLLBACK TO")
	if dgBefore <= dgAtSavepoint {
		t.Fatalf("the stream did not move after the savepoint (%d rows, %d at it)", dgBefore, dgAtSavepoint)
	}

	start := time.Now()
	mustExec(t, c, "ROLLBACK TO SAVEPOINT before_fix")
	t.Logf("ROLLBACK TO SAVEPOINT took %v", time.Since(start).Round(time.Microsecond))
	checkAcct(t, c, atSavepoint, "right after ROLLBACK TO")
	if got := checkDG(t, c, "right after ROLLBACK TO"); got >= dgBefore {
		t.Fatalf("dg holds %d rows after the rollback, as many as before it (%d): its offset was not restored", got, dgBefore)
	}
	checkSavepointViews(t, c, "right after ROLLBACK TO")
	expectCode(t, c, "SELECT * FROM extra", "42P01")
	expectCode(t, c, "SELECT * FROM later", "42P01")
	// A session opened before the rollback goes on, and sees the restored state.
	checkAcct(t, other, atSavepoint, "the other session after ROLLBACK TO")
	expectCode(t, other, "SELECT * FROM later", "42P01")
	model = maps.Clone(atSavepoint)

	// Errors.
	expectCode(t, c, "SAVEPOINT before_fix", "42710")
	expectCode(t, c, "ROLLBACK TO SAVEPOINT nope", "3B001")
	expectCode(t, c, "RELEASE SAVEPOINT nope", "3B001")
	expectCode(t, c, "SAVEPOINT x WITH (colour = 'red')", "22023")
	expectCode(t, c, "SAVEPOINT \"a/b\"", "3B001")
	_, err := c.PgConn().Exec(ctx, "INSERT INTO acct VALUES (100000, 1, 1); SAVEPOINT y").ReadAll()
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "25001" {
		t.Fatalf("SAVEPOINT after a write in the same query string: %v, want 25001", err)
	}
	checkAcct(t, c, model, "after the refused query string") // its INSERT did not commit either

	// More writes, then kill -9: the rollback, the later writes and the savepoint survive.
	upsertAcct(t, c, model, rng, 200, 400)
	srv.Kill()
	srv.Restart()
	c = srv.Connect(t)
	checkAcct(t, c, model, "after kill -9 and restart")
	checkSavepointViews(t, c, "after kill -9 and restart")
	if got := savepointNames(t, c); !slices.Equal(got, []string{"before_fix"}) {
		t.Fatalf("savepoints after restart: %v", got)
	}
	var api struct {
		Savepoints []struct {
			Name      string `json:"name"`
			LogIndex  uint64 `json:"log_index"`
			SizeBytes int64  `json:"size_bytes"`
			Format    int    `json:"format_version"`
			Comment   string `json:"comment"`
		} `json:"savepoints"`
	}
	if err := json.Unmarshal(httpGet(t, "http://"+srv.HTTPAddr+"/api/v1/savepoints"), &api); err != nil {
		t.Fatal(err)
	}
	if len(api.Savepoints) != 1 || api.Savepoints[0].Name != "before_fix" || api.Savepoints[0].Comment != "before the fix" ||
		api.Savepoints[0].SizeBytes <= 0 || api.Savepoints[0].Format != 1 || api.Savepoints[0].LogIndex == 0 {
		t.Fatalf("GET /api/v1/savepoints: %+v", api)
	}

	// The stream runs to its end from the restored offset: every row once.
	waitDG(t, c, savepointDGRows)
	checkSavepointViews(t, c, "at the end of the stream")

	// Rolling back after the stream ended takes its offset back, and it runs to the end again.
	mustExec(t, c, "ROLLBACK TO SAVEPOINT before_fix")
	if got := checkDG(t, c, "rolled back after the stream ended"); got >= savepointDGRows {
		t.Fatalf("dg holds %d rows right after rolling back to a savepoint taken mid-stream", got)
	}
	waitDG(t, c, savepointDGRows)
	checkSavepointViews(t, c, "at the end of the stream, again")

	// RELEASE frees the files; the name can be used again.
	mustExec(t, c, "RELEASE SAVEPOINT before_fix")
	if got := savepointNames(t, c); len(got) != 0 {
		t.Fatalf("savepoints after RELEASE: %v", got)
	}
	entries, err := os.ReadDir(filepath.Join(srv.DataDir, "state", "savepoints"))
	if err != nil || len(entries) != 0 {
		t.Fatalf("savepoint files after RELEASE: %v, %v", entries, err)
	}
	expectCode(t, c, "ROLLBACK TO SAVEPOINT before_fix", "3B001")
	mustExec(t, c, "SAVEPOINT before_fix")
}

// waitDG waits until dg holds n rows, each id once.
func waitDG(t *testing.T, c *pgx.Conn, n int) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		got := checkDG(t, c, "waiting for the stream")
		if got == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("dg holds %d rows after 60 s, want %d", got, n)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestSavepointKill9 kills the server while it takes a savepoint and while it rolls back to
// one, at the moment each begins and after a random delay. After a restart the savepoint is
// either listed and complete (rolling back to it gives exactly its rows) or absent, and the
// database is either wholly before the rollback or wholly after it.
func TestSavepointKill9(t *testing.T) {
	rounds := 3
	if os.Getenv("EDDY_SAVEPOINT_KILLS") != "" {
		fmt.Sscan(os.Getenv("EDDY_SAVEPOINT_KILLS"), &rounds)
	}
	srv := proc.Start(t, "--checkpoint-interval", "300ms")
	c := srv.Connect(t)
	setupSavepointDB(t, c)
	mustExec(t, c, "INSERT INTO acct SELECT g, g % 21, g FROM generate_series(1, 20000) g")
	rng := rand.New(rand.NewPCG(9, 9))
	model := acctModel{}
	for _, r := range textRows(t, context.Background(), c.PgConn(), "SELECT id, g, bal FROM acct") {
		f := strings.SplitN(r, "|", 2)
		var id int
		fmt.Sscan(f[0], &id)
		model[id] = f[1]
	}
	for round := range rounds {
		// Kill during SAVEPOINT.
		name := fmt.Sprintf("k%d", round)
		upsertAcct(t, c, model, rng, 50, 25000)
		saved := maps.Clone(model)
		acked := runThenKill(t, srv, "SAVEPOINT "+name, "taking savepoint", rng)
		srv.Restart()
		c = srv.Connect(t)
		checkAcct(t, c, model, fmt.Sprintf("round %d: after a kill during SAVEPOINT", round))
		listed := slices.Contains(savepointNames(t, c), name)
		if acked && !listed {
			t.Fatalf("round %d: SAVEPOINT %s was acknowledged but is not listed after the restart", round, name)
		}
		t.Logf("round %d: kill during SAVEPOINT: acknowledged %v, listed after restart %v", round, acked, listed)
		if !listed {
			mustExec(t, c, "SAVEPOINT "+name)
		}
		checkSavepointViews(t, c, fmt.Sprintf("round %d: after a kill during SAVEPOINT", round))

		// Kill during ROLLBACK TO.
		upsertAcct(t, c, model, rng, 50, 25000)
		acked = runThenKill(t, srv, "ROLLBACK TO SAVEPOINT "+name, "rolling back to savepoint", rng)
		srv.Restart()
		c = srv.Connect(t)
		got := textRows(t, context.Background(), c.PgConn(), "SELECT id, g, bal FROM acct")
		t.Logf("round %d: kill during ROLLBACK TO: acknowledged %v, restored %v", round, acked, rowsMatch(got, saved))
		switch {
		case rowsMatch(got, saved):
			model = saved
		case acked:
			t.Fatalf("round %d: ROLLBACK TO was acknowledged, but acct is not the savepoint's: %s", round, firstDiff(got, modelRows(saved)))
		case rowsMatch(got, model):
			// Wholly before: roll back now, which must give the savepoint's rows.
			mustExec(t, c, "ROLLBACK TO SAVEPOINT "+name)
			checkAcct(t, c, saved, fmt.Sprintf("round %d: rollback after the restart", round))
			model = saved
		default:
			t.Fatalf("round %d: after a kill during ROLLBACK TO, acct is neither before nor after it: vs after %s; vs before %s",
				round, firstDiff(got, modelRows(saved)), firstDiff(got, modelRows(model)))
		}
		checkSavepointViews(t, c, fmt.Sprintf("round %d: after a kill during ROLLBACK TO", round))
		checkDG(t, c, fmt.Sprintf("round %d", round))
	}
}

func modelRows(m acctModel) []string {
	out := make([]string, 0, len(m))
	for id, v := range m {
		out = append(out, fmt.Sprintf("%d|%s", id, v))
	}
	slices.Sort(out)
	return out
}

func rowsMatch(got []string, m acctModel) bool { return slices.Equal(got, modelRows(m)) }

// runThenKill sends stmt on a new connection and kills the server -9: on odd draws the moment
// phrase appears in its log, otherwise after a random delay of up to 30 ms. It reports whether
// the statement was acknowledged before the kill.
func runThenKill(t *testing.T, srv *proc.Server, stmt, phrase string, rng *rand.Rand) bool {
	t.Helper()
	c := srv.Connect(t)
	seen := strings.Count(srv.Logs(), phrase)
	done := make(chan error, 1)
	go func() {
		_, err := c.Exec(context.Background(), stmt)
		done <- err
	}()
	if rng.IntN(2) == 1 {
		deadline := time.Now().Add(10 * time.Second)
		for strings.Count(srv.Logs(), phrase) == seen {
			if time.Now().After(deadline) {
				t.Fatalf("no %q in the log within 10 s of %s", phrase, stmt)
			}
			time.Sleep(200 * time.Microsecond)
		}
		srv.Kill()
	} else {
		time.Sleep(time.Duration(rng.IntN(30_000)) * time.Microsecond)
		srv.Kill()
	}
	err := <-done
	return err == nil
}

// TestClusterSavepoints takes a savepoint on a follower of a three-node cluster (every replica
// takes it at the same log index), rolls back on another follower (every replica restores,
// and they agree by fingerprint), and kills the leader -9 while the replicas restore: after a
// retry on the new leader every replica holds the savepoint's rows, the restarted one too.
func TestClusterSavepoints(t *testing.T) {
	nodes := proc.StartCluster(t, 3)
	leader := findLeaderNode(t, nodes, nil)
	var followers []*proc.Server
	for _, s := range nodes {
		if s != leader {
			followers = append(followers, s)
		}
	}
	c1, c2 := followers[0].Connect(t), followers[1].Connect(t)
	mustExec(t, c1, savepointDDL[0])
	mustExec(t, c1, "CREATE MATERIALIZED VIEW acct_g AS "+savepointViews["acct_g"])
	rng := rand.New(rand.NewPCG(3, 3))
	model := acctModel{}
	upsertAcct(t, c1, model, rng, 200, 300)
	mustExec(t, c2, "SAVEPOINT s1 WITH (comment = 'cluster')")
	saved := maps.Clone(model)

	// Every replica lists it at the same log index.
	deadline := time.Now().Add(20 * time.Second)
	for {
		var idx []string
		for _, s := range nodes {
			c := s.Connect(t)
			idx = append(idx, strings.Join(textRows(t, context.Background(), c.PgConn(), "SELECT name || '@' || log_index FROM eddy_catalog.savepoints"), ","))
			c.Close(context.Background())
		}
		if idx[0] != "" && idx[0] == idx[1] && idx[1] == idx[2] {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the replicas list different savepoints: %v", idx)
		}
		time.Sleep(50 * time.Millisecond)
	}

	strong := func(s *proc.Server) *pgx.Conn {
		c := s.Connect(t)
		mustExec(t, c, "SET read_consistency = 'strong'")
		return c
	}
	lc := leader.Connect(t)
	upsertAcct(t, lc, model, rng, 200, 300)
	mustExec(t, c1, "ROLLBACK TO SAVEPOINT s1")
	for _, s := range nodes {
		checkAcct(t, strong(s), saved, s.PGAddr+" after ROLLBACK TO")
	}
	waitCluster(t, c2, "one fingerprint after ROLLBACK TO", sameFingerprints)
	model = maps.Clone(saved)

	// Evolution on a cluster, proposed on followers: a second version from the savepoint
	// beside the first, and a replace that keeps the aggregate's state. Every replica agrees.
	upsertAcct(t, lc, model, rng, 100, 300)
	evolved := map[string]string{"acct_g": savepointViews["acct_g"] + " HAVING count(*) > 0",
		"acct_b": savepointViews["acct_g"] + " HAVING count(*) > 1"}
	mustExec(t, c1, "CREATE MATERIALIZED VIEW acct_b AS "+evolved["acct_b"]+" FROM SAVEPOINT s1")
	mustExec(t, c2, "CREATE OR REPLACE MATERIALIZED VIEW acct_g AS "+evolved["acct_g"])
	upsertAcct(t, lc, model, rng, 100, 300)
	for _, s := range nodes {
		checkViewsOf(t, strong(s), evolved, s.PGAddr+" after CREATE ... FROM SAVEPOINT and CREATE OR REPLACE")
	}
	waitCluster(t, c2, "one fingerprint after CREATE ... FROM SAVEPOINT", sameFingerprints)

	// Kill the leader while the replicas restore; retry the statement until one is acknowledged.
	upsertAcct(t, c1, model, rng, 100, 300)
	seen := strings.Count(leader.Logs(), "rolling back to savepoint")
	done := make(chan error, 1)
	go func() {
		_, err := c2.Exec(context.Background(), "ROLLBACK TO SAVEPOINT s1")
		done <- err
	}()
	for strings.Count(leader.Logs(), "rolling back to savepoint") == seen {
		if time.Now().After(deadline.Add(time.Minute)) {
			t.Fatal("the leader never began the rollback")
		}
		time.Sleep(200 * time.Microsecond)
	}
	leader.Kill()
	err := <-done
	t.Logf("ROLLBACK TO during a leader kill: %v", err)
	for attempt := 0; err != nil; attempt++ {
		if attempt > 100 {
			t.Fatalf("ROLLBACK TO never succeeded after the leader kill: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
		c := followers[attempt%2].Connect(t)
		_, err = c.Exec(context.Background(), "ROLLBACK TO SAVEPOINT s1")
		c.Close(context.Background())
	}
	for _, s := range followers {
		checkAcct(t, strong(s), saved, s.PGAddr+" after ROLLBACK TO across a leader kill")
		checkViewsOf(t, strong(s), map[string]string{"acct_g": savepointViews["acct_g"]}, s.PGAddr+" after ROLLBACK TO across a leader kill")
	}
	leader.Restart()
	waitCluster(t, c2, "one fingerprint after the killed leader came back", sameFingerprints)
	checkAcct(t, leader.Connect(t), saved, "the killed leader after its restart")
}
