package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/eddydb/eddy/cmd/eddy/internal/pgref"
	"github.com/eddydb/eddy/cmd/eddy/internal/proc"
	"github.com/eddydb/eddy/executor/stream"
)

// TestViewsDifferential is the proof that a materialized view always equals its query run as a
// batch over the same inputs. It loads three random tables (skewed keys, ~15% NULLs, duplicate
// rows, now and then NaN and infinite floats) into eddy and into PostgreSQL 15, creates ~45
// materialized views on eddy covering every operator views support (the same queries become
// plain views on PostgreSQL, so views on views work there too), then runs random writes on
// both: INSERT (VALUES, SELECT, ON CONFLICT), COPY, UPDATE and DELETE (with random predicates,
// moving keys and setting NULLs, or through a join), explicit transactions that commit or roll
// back, TRUNCATE. Now and then it drops a view (CASCADE) and creates it again, which backfills
// it; halfway it kills eddy with SIGKILL and restarts it on the same data directory. After
// every step each view must hold, as a multiset, exactly (a) what `SELECT * FROM view` returns
// on eddy, (b) its query run as a plain SELECT on eddy and (c) its query run on PostgreSQL;
// every write must also report the same row count or SQLSTATE on both servers.
//
// EDDY_VIEW_DIFF_SEED picks the run (a number, or "random"), EDDY_VIEW_DIFF_STEPS its length
// and EDDY_VIEW_DIFF_CHECK_EVERY how often the views are compared (every step by default).
func TestViewsDifferential(t *testing.T) {
	r := newViewDiffRun(t, viewDiffConfig{
		views:      diffViews,
		steps:      viewDiffSteps(t, 150),
		maxRefused: 3,
		withPG:     true,
	})
	r.run()
}

// TestViewsTinyStateCache runs stateful views (many groups, joins, count DISTINCT, top-n,
// min/max multisets) with a 16 KiB state cache budget shared by all of them, and checks them
// against their batch queries after every step, across a kill -9 as well. Their state is more
// than 20 times the budget throughout: two of them join t1 with t4, a table of 3,000 rows that
// no step writes, so each change of t1 reads t4's side of the join from Pebble. PostgreSQL is
// compared too when it is installed.
func TestViewsTinyStateCache(t *testing.T) {
	const budget, dimRows = 16 << 10, 3000
	rows := make([]string, dimRows)
	for i := range rows {
		rows[i] = fmt.Sprintf("(%d, %d, 'label %d')", i, i%50, i*7919%10007)
	}
	r := newViewDiffRun(t, viewDiffConfig{
		views:      tinyCacheViews,
		steps:      viewDiffSteps(t, 100),
		maxRefused: 0,
		withPG:     pgref.Available() || pgref.Require(),
		eddyArgs:   []string{"--state-cache-size", "16kB"},
		setup: []string{"CREATE TABLE t4 (id int PRIMARY KEY, grp int, label text)",
			"INSERT INTO t4 VALUES " + strings.Join(rows, ", ")},
	})
	r.run()
	// The budget charges a cached entry its key, its encoded value and StateEntryOverhead; t4's
	// side of tc_dim's join holds an entry per t4 row (keyed by id).
	if state := int64(r.count("t4")) * stream.StateEntryOverhead; state < 20*budget {
		t.Fatalf("t4's side of the join alone is %d bytes: not 20 times the %d-byte budget", state, budget)
	}
}

// mviewDef is one view of a run: its name, its query, and the views it reads (so dropping one
// with CASCADE knows what to re-create).
type mviewDef struct {
	name  string
	query string
	deps  []string
}

// diffViews are the shapes TestViewsDifferential maintains, over
// t1(id int PK, k int, g text, v int, f float8, n numeric(10,2), b bool),
// t2(k int, w int, s text) without a primary key and t3(id bigint PK, k int, d date, ts timestamp).
// Column names are unique (CREATE refuses duplicates) and every ORDER BY ... LIMIT orders by a
// unique key or by every column, so its rows are a function of the data.
var diffViews = []mviewDef{
	// Projection and expressions.
	{name: "mv_proj", query: `SELECT id, k, v * 2 + coalesce(k, 0) AS a, v % 3 AS m, abs(v) AS av, n * 1.5 AS n15,
		round(n / 3, 2) AS n3, f * 2 AS f2,
		CASE WHEN v > 10 THEN 'hi' WHEN v < -10 THEN 'lo' WHEN v IS NULL THEN 'null' ELSE 'mid' END AS band,
		coalesce(g, '<none>') AS g2, upper(g) || '-' || lower(coalesce(g, 'X')) AS gg, length(g) AS gl,
		substr(g, 2, 2) AS gs, concat(g, ':', v) AS gv, replace(g, 'a', 'A') AS ga, v::text AS vt, n::int AS ni,
		round(f::numeric, 3) AS fn, b::int AS bi, v / nullif(k, 0) AS q, NOT b AS nb FROM t1`},
	// Filters with NULL logic.
	{name: "mv_filter", query: `SELECT id, g, v, b FROM t1
		WHERE (v > 0 OR g IS NULL) AND NOT (b IS FALSE) AND k IS DISTINCT FROM 2 AND (g IN ('ant', 'cat', '') OR v IS NULL OR n > 0)`},
	{name: "mv_filter_t2", query: `SELECT k, w, s FROM t2 WHERE s LIKE '%a%' OR w BETWEEN -3 AND 3 OR k IS NULL`},
	{name: "mv_filter_t3", query: `SELECT id, k, d + 7 AS d7, ts + interval '3 hours' AS ts3, extract(month FROM d) AS mon,
		date_trunc('day', ts) AS day FROM t3 WHERE d >= DATE '2024-03-01' OR ts IS NULL`},
	// Grouped aggregates.
	{name: "mv_agg_t1", query: `SELECT k, count(*) AS c, count(v) AS cv, count(DISTINCT g) AS cdg, sum(v) AS sv, sum(n) AS sn,
		sum(f) AS sf, avg(v) AS av, avg(n) AS an, avg(f) AS af, min(v) AS minv, max(v) AS maxv, min(g) AS ming,
		max(g) AS maxg, min(n) AS minn, max(f) AS maxf, bool_and(b) AS band, bool_or(b) AS bor FROM t1 GROUP BY k`},
	{name: "mv_agg_t2", query: `SELECT k, count(*) AS c, string_agg(s, ',' ORDER BY s) AS ss, count(DISTINCT s) AS cds,
		count(DISTINCT w) AS cdw, sum(w) AS sw, min(s) AS mins FROM t2 GROUP BY k`},
	{name: "mv_agg_t3", query: `SELECT k, count(*) AS c, min(d) AS mind, max(d) AS maxd, min(ts) AS mints, max(ts) AS maxts,
		count(DISTINCT d) AS cdd FROM t3 GROUP BY k`},
	{name: "mv_having", query: `SELECT g, b, count(*) AS c, sum(v) AS sv FROM t1 GROUP BY g, b
		HAVING count(*) > 1 AND sum(v) IS NOT NULL OR max(f) < -30`},
	{name: "mv_agg_filter", query: `SELECT b, count(*) FILTER (WHERE v > 0) AS cpos, sum(v) FILTER (WHERE g IS NOT NULL) AS sg,
		count(DISTINCT k % 3) AS cdk, max(g) FILTER (WHERE k = 1) AS mg FROM t1 GROUP BY b`},
	{name: "mv_agg_expr", query: `SELECT v % 4 AS m, upper(g) AS ug, count(*) AS c, max(n) AS mn, string_agg(g, '|' ORDER BY g) AS sg
		FROM t1 GROUP BY v % 4, upper(g)`},
	// Global aggregates: one row even over no input.
	{name: "mv_global_rare", query: `SELECT count(*) AS c, count(v) AS cv, sum(v) AS sv, avg(n) AS an, min(g) AS ming, max(f) AS maxf,
		bool_or(b) AS bor, string_agg(g, ',' ORDER BY g) AS sg FROM t1 WHERE k = 7`},
	{name: "mv_global_t2", query: `SELECT count(*) AS c, sum(w) AS sw, count(DISTINCT k) AS cdk, max(s) AS maxs, avg(w) AS aw FROM t2`},
	// Joins.
	{name: "mv_inner", query: `SELECT t1.id, t1.k, t2.w, t2.s FROM t1 JOIN t2 ON t1.k = t2.k WHERE t2.w > t1.v OR t1.v IS NULL`},
	{name: "mv_left", query: `SELECT t1.id, t1.g, t3.id AS id3, t3.d FROM t1 LEFT JOIN t3 ON t1.k = t3.k AND t1.id % 2 = t3.id % 2`},
	{name: "mv_right", query: `SELECT t2.k, t2.w, t3.id AS id3, t3.ts FROM t3 RIGHT JOIN t2 ON t3.k = t2.k AND t3.id % 3 = abs(t2.w) % 3`},
	{name: "mv_full", query: `SELECT t1.id, t1.k AS k1, t2.k AS k2, t1.g, t2.s, t2.w FROM t1 FULL JOIN t2 ON t1.k = t2.k AND t1.g = t2.s`},
	{name: "mv_join3", query: `SELECT t1.id, t2.w, t3.d, t3.id AS id3 FROM t1 JOIN t2 ON t2.k = t1.k AND t2.s = t1.g
		LEFT JOIN t3 ON t3.id = t1.id`},
	{name: "mv_comma", query: `SELECT t1.id, t3.id AS id3, t1.v, t3.d FROM t1, t3 WHERE t1.id = t3.id AND t1.k = t3.k`},
	{name: "mv_self_join", query: `SELECT a.id AS id1, b.id AS id2, a.v + b.v AS vv FROM t1 a JOIN t1 b ON a.k = b.k AND a.g = b.g
		WHERE a.id < b.id`},
	{name: "mv_self_join_t2", query: `SELECT x.k, x.w, y.w AS w2 FROM t2 x JOIN t2 y ON x.k = y.k AND x.s = y.s`},
	{name: "mv_agg_left", query: `SELECT t3.k, count(*) AS c, count(t1.id) AS cid, sum(t1.v) AS sv, max(t1.g) AS mg
		FROM t3 LEFT JOIN t1 ON t1.k = t3.k GROUP BY t3.k`},
	{name: "mv_agg_full", query: `SELECT t2.s, count(*) AS c, count(t1.id) AS ci, sum(t2.w) AS sw FROM t1 FULL JOIN t2
		ON t1.k = t2.k AND t1.g = t2.s GROUP BY t2.s`},
	{name: "mv_global_join", query: `SELECT count(*) AS c, sum(t2.w) AS sw, min(t3.d) AS md, max(t3.ts) AS mts FROM t2 JOIN t3 ON t2.k = t3.k`},
	{name: "mv_semi", query: `SELECT id, g FROM t1 WHERE k IN (SELECT k FROM t2 WHERE w > 0)`},
	{name: "mv_exists2", query: `SELECT id, g FROM t1 WHERE EXISTS (SELECT 1 FROM t2 WHERE t2.k = t1.k AND t2.s = t1.g)`},
	{name: "mv_anti", query: `SELECT id, k FROM t1 WHERE NOT EXISTS (SELECT 1 FROM t3 WHERE t3.k = t1.k)`},
	// Set operations and DISTINCT.
	{name: "mv_union_all", query: `SELECT k, g AS s FROM t1 WHERE v > 0 UNION ALL SELECT k, s FROM t2
		UNION ALL SELECT k, NULL FROM t3 WHERE d < DATE '2024-07-01'`},
	{name: "mv_union_self", query: `SELECT k, w FROM t2 WHERE w > 0 UNION ALL SELECT k, w FROM t2 WHERE k = 2`},
	{name: "mv_union", query: `SELECT k FROM t1 UNION SELECT k FROM t2 UNION SELECT k FROM t3`},
	{name: "mv_distinct", query: `SELECT DISTINCT k, s FROM t2`},
	{name: "mv_distinct_expr", query: `SELECT DISTINCT v % 3 AS m, b, upper(g) AS ug FROM t1`},
	// ORDER BY ... LIMIT [OFFSET], tie-free.
	{name: "mv_topn", query: `SELECT id, k, v FROM t1 ORDER BY id DESC LIMIT 5`},
	{name: "mv_topn_off", query: `SELECT id, v, g FROM t1 ORDER BY v DESC NULLS LAST, id LIMIT 4 OFFSET 3`},
	{name: "mv_topn_t2", query: `SELECT k, w, s FROM t2 ORDER BY w, k NULLS FIRST, s LIMIT 6`},
	{name: "mv_topn_join", query: `SELECT t1.id, t2.w, t2.s FROM t1 JOIN t2 ON t1.k = t2.k ORDER BY t1.id DESC, t2.w NULLS FIRST, t2.s LIMIT 8`},
	{name: "mv_topn_t3", query: `SELECT id, d FROM t3 ORDER BY d NULLS FIRST, id LIMIT 3 OFFSET 1`},
	// Subqueries in FROM and CTEs.
	{name: "mv_sub_from", query: `SELECT q.k, q.c, q.mv FROM (SELECT k, count(*) AS c, max(v) AS mv FROM t1 WHERE g IS NOT NULL GROUP BY k) q
		WHERE q.c >= 2`},
	{name: "mv_cte", query: `WITH s AS (SELECT k, sum(w) AS sw FROM t2 GROUP BY k) SELECT t1.id, s.sw FROM t1 JOIN s ON s.k = t1.k`},
	{name: "mv_sub_topn", query: `SELECT g, count(*) AS c FROM (SELECT g FROM t1 ORDER BY v, id LIMIT 10) q GROUP BY g`},
	// Views on views.
	{name: "vv_agg_join", deps: []string{"mv_inner"},
		query: `SELECT k, count(*) AS c, sum(w) AS sw, count(DISTINCT id) AS cdi FROM mv_inner GROUP BY k`},
	{name: "vv_join_aggs", deps: []string{"mv_agg_t1", "mv_agg_t2"},
		query: `SELECT a.k AS k1, b.k AS k2, a.c AS c1, b.c AS c2, a.sv, b.sw FROM mv_agg_t1 a FULL JOIN mv_agg_t2 b ON a.k = b.k`},
	{name: "vv_topn_agg", deps: []string{"mv_agg_t1"},
		query: `SELECT k, c FROM mv_agg_t1 ORDER BY c DESC, k NULLS FIRST LIMIT 3`},
	{name: "vv_join_table", deps: []string{"mv_agg_t1"},
		query: `SELECT a.k, a.c, a.sv, t3.id FROM mv_agg_t1 a JOIN t3 ON t3.k = a.k`},
	{name: "vv_union_views", deps: []string{"vv_join_aggs", "mv_distinct"},
		query: `SELECT k1 AS k FROM vv_join_aggs UNION SELECT k FROM mv_distinct`},
	{name: "vv_level3", deps: []string{"vv_agg_join"},
		query: `SELECT c, count(*) AS n, sum(sw) AS ssw FROM vv_agg_join GROUP BY c`},
}

// tinyCacheViews are the stateful shapes TestViewsTinyStateCache runs with a tiny cache.
var tinyCacheViews = []mviewDef{
	{name: "tc_groups", query: `SELECT id % 40 AS m, k, count(*) AS c, sum(v) AS sv, min(g) AS ming, max(n) AS maxn,
		string_agg(g, ',' ORDER BY g) AS sg FROM t1 GROUP BY id % 40, k`},
	{name: "tc_join", query: `SELECT t1.id, t2.w, t2.s FROM t1 JOIN t2 ON t1.k = t2.k AND t1.g = t2.s`},
	{name: "tc_left", query: `SELECT t3.id, t3.k, t1.v FROM t3 LEFT JOIN t1 ON t1.id = t3.id`},
	{name: "tc_full", query: `SELECT t1.id, t2.w FROM t1 FULL JOIN t2 ON t1.k = t2.k AND t1.v = t2.w`},
	{name: "tc_cdist", query: `SELECT k, count(DISTINCT v) AS cdv, count(DISTINCT g) AS cdg, count(DISTINCT n) AS cdn FROM t1 GROUP BY k`},
	{name: "tc_cdist_global", query: `SELECT count(DISTINCT w) AS cdw, count(DISTINCT s) AS cds, count(*) AS c FROM t2`},
	{name: "tc_minmax", query: `SELECT k, min(w) AS minw, max(w) AS maxw, max(s) AS maxs, min(s) AS mins FROM t2 GROUP BY k`},
	{name: "tc_dates", query: `SELECT k, min(d) AS mind, max(ts) AS maxts FROM t3 GROUP BY k`},
	{name: "tc_topn", query: `SELECT id, v FROM t1 ORDER BY v DESC NULLS LAST, id LIMIT 7`},
	{name: "tc_topn_off", query: `SELECT id, d FROM t3 ORDER BY d, id LIMIT 5 OFFSET 4`},
	{name: "tc_distinct", query: `SELECT DISTINCT k, w FROM t2`},
	{name: "tc_vv", deps: []string{"tc_groups"}, query: `SELECT c, count(*) AS n FROM tc_groups GROUP BY c`},
	// t4 (id int PK, grp int, label text) is loaded once and never written again.
	{name: "tc_dim", query: `SELECT t1.id, t1.v, t4.grp, t4.label FROM t1 JOIN t4 ON t4.id = t1.id`},
	{name: "tc_dim_agg", query: `SELECT t4.grp, count(*) AS c, sum(t1.v) AS sv, max(t4.label) AS ml
		FROM t4 LEFT JOIN t1 ON t1.id = t4.id GROUP BY t4.grp`},
}

type viewDiffConfig struct {
	views      []mviewDef
	steps      int
	maxRefused int
	withPG     bool
	eddyArgs   []string
	setup      []string // more statements run on both servers once t1, t2 and t3 are loaded
}

// viewDiffSeed returns the run's seed: a fixed default so `make test` is repeatable,
// EDDY_VIEW_DIFF_SEED=<n> to replay a run, EDDY_VIEW_DIFF_SEED=random for a fresh one.
func viewDiffSeed(t *testing.T) uint64 {
	t.Helper()
	seed := uint64(20261201)
	switch v := os.Getenv("EDDY_VIEW_DIFF_SEED"); v {
	case "":
	case "random":
		seed = uint64(time.Now().UnixNano())
	default:
		s, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("EDDY_VIEW_DIFF_SEED=%q: want a number or \"random\"", v)
		}
		seed = s
	}
	t.Logf("seed %d (EDDY_VIEW_DIFF_SEED=%d replays it)", seed, seed)
	return seed
}

func viewDiffSteps(t *testing.T, def int) int {
	t.Helper()
	if v := os.Getenv("EDDY_VIEW_DIFF_STEPS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("EDDY_VIEW_DIFF_STEPS=%q: want a positive number", v)
		}
		return n
	}
	return def
}

// viewDiffRun is one run: both servers, the views, the random generator and the DML history.
type viewDiffRun struct {
	t    *testing.T
	ctx  context.Context
	cfg  viewDiffConfig
	seed uint64
	rng  *rand.Rand
	srv  *proc.Server
	ec   *pgconn.PgConn // eddy
	pc   *pgconn.PgConn // PostgreSQL; nil when the run has no reference server

	views   []*liveView // in definition order
	byName  map[string]*liveView
	refused []string

	step    int
	history []string // what each step ran, with outcomes
	cur     *strings.Builder
	nextID1 int // next fresh t1.id
	nextID3 int // next fresh t3.id

	// statistics for the summary and the generator's sanity check
	stmts, stmtErrors, checks, rowsCompared, recreated int
	kinds                                              map[string]int
}

type liveView struct {
	mviewDef
	live    bool
	refused bool
}

func newViewDiffRun(t *testing.T, cfg viewDiffConfig) *viewDiffRun {
	t.Helper()
	seed := uint64(1)
	if cfg.steps > 0 { // scripted runs draw nothing at random
		seed = viewDiffSeed(t)
	}
	r := &viewDiffRun{t: t, ctx: context.Background(), cfg: cfg, seed: seed,
		rng: rand.New(rand.NewPCG(seed, 0x5eed)), byName: map[string]*liveView{}, kinds: map[string]int{}}
	if cfg.withPG {
		pg := pgref.Start(t)
		resetPostgres(t, r.ctx, pg.URL())
		pc, err := pgconn.Connect(r.ctx, pg.URL())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { pc.Close(context.Background()) })
		r.pc = pc
	} else {
		t.Log("PostgreSQL 15 is not installed: comparing views with eddy's batch queries only")
	}
	r.srv = proc.Start(t, cfg.eddyArgs...)
	r.connectEddy()
	t.Cleanup(func() {
		if r.ec != nil {
			r.ec.Close(context.Background())
		}
	})
	for _, v := range cfg.views {
		lv := &liveView{mviewDef: v}
		r.views = append(r.views, lv)
		r.byName[v.name] = lv
	}
	return r
}

func (r *viewDiffRun) connectEddy() {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(r.ctx, 10*time.Second)
	defer cancel()
	ec, err := pgconn.Connect(ctx, r.srv.URL())
	if err != nil {
		r.t.Fatalf("connect to eddy: %v", err)
	}
	r.ec = ec
}

func (r *viewDiffRun) run() {
	t := r.t
	t.Helper()
	start := time.Now()
	checkEvery := 1
	if v, err := strconv.Atoi(os.Getenv("EDDY_VIEW_DIFF_CHECK_EVERY")); err == nil && v > 0 {
		checkEvery = v
	}
	r.beginStep("setup")
	r.setupTables()
	r.endStep()

	// Views are created over the loaded rows, so CREATE backfills them.
	r.beginStep("create views")
	for _, v := range r.views {
		r.createView(v, false)
	}
	r.endStep()
	live := 0
	for _, v := range r.views {
		if v.live {
			live++
		}
	}
	t.Logf("%d of %d views created; refused: %d", live, len(r.views), len(r.refused))
	for _, msg := range r.refused {
		t.Logf("  refused: %s", msg)
	}
	if len(r.refused) > r.cfg.maxRefused {
		t.Fatalf("%d view shapes were refused (at most %d may be): the test would cover too little:\n  %s",
			len(r.refused), r.cfg.maxRefused, strings.Join(r.refused, "\n  "))
	}
	r.checkViews()

	killAt := r.cfg.steps / 2
	for r.step = 1; r.step <= r.cfg.steps; r.step++ {
		r.randomStep()
		if r.step%checkEvery == 0 || r.step == r.cfg.steps || r.step == killAt {
			r.checkViews()
		}
		if r.step == killAt {
			// Compared just before and right after: the views must come back as they were.
			r.killAndRestart()
			r.checkViews()
		}
	}
	sizes := make([]string, 0, 3)
	for _, tbl := range []string{"t1", "t2", "t3"} {
		sizes = append(sizes, fmt.Sprintf("%s=%d", tbl, r.count(tbl)))
	}
	kinds := make([]string, 0, len(r.kinds))
	for k, n := range r.kinds {
		kinds = append(kinds, fmt.Sprintf("%s=%d", k, n))
	}
	slices.Sort(kinds)
	t.Logf("%d steps (%s) in %v: %d statements (%d failed on both servers alike), %d views re-created, "+
		"%d view comparisons, %d rows compared; final sizes %s",
		r.cfg.steps, strings.Join(kinds, " "), time.Since(start).Round(time.Millisecond), r.stmts, r.stmtErrors,
		r.recreated, r.checks, r.rowsCompared, strings.Join(sizes, " "))
	// Duplicate keys are generated on purpose now and then, but a generator whose statements
	// mostly fail tests nothing.
	if r.stmtErrors > r.stmts/5 {
		t.Errorf("%d of %d statements failed: the generator needs fixing", r.stmtErrors, r.stmts)
	}
}

// ---- steps and history ----

func (r *viewDiffRun) beginStep(kind string) {
	r.cur = &strings.Builder{}
	fmt.Fprintf(r.cur, "step %d (%s):", r.step, kind)
	r.kinds[kind]++
}

func (r *viewDiffRun) endStep() {
	r.history = append(r.history, r.cur.String())
	r.cur = nil
}

func (r *viewDiffRun) recentHistory(n int) string {
	h := r.history
	if r.cur != nil {
		h = append(slices.Clone(h), r.cur.String())
	}
	if len(h) > n {
		h = h[len(h)-n:]
	}
	return strings.Join(h, "\n")
}

// fail stops the run with the seed, step and recent history.
func (r *viewDiffRun) fail(format string, args ...any) {
	r.t.Helper()
	run := fmt.Sprintf("seed %d (EDDY_VIEW_DIFF_SEED=%d), ", r.seed, r.seed)
	if r.cfg.steps == 0 {
		run = "" // a scripted run
	}
	r.t.Fatalf("%sstep %d: %s\nlast steps:\n%s", run, r.step, fmt.Sprintf(format, args...), r.recentHistory(6))
}

// execResult runs one statement and returns its command tag, or the error's SQLSTATE and text.
func execResult(ctx context.Context, c *pgconn.PgConn, stmt string) (tag, code, msg string, err error) {
	res, err := c.Exec(ctx, stmt).ReadAll()
	if err != nil {
		var code string
		if pe := pgErr(err); pe != nil {
			code = pe.Code
		} else {
			return "", "", "", err // the connection failed
		}
		return "", code, err.Error(), nil
	}
	if len(res) > 0 {
		tag = res[len(res)-1].CommandTag.String()
	}
	return tag, "", "", nil
}

func pgErr(err error) *pgconn.PgError {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe
	}
	return nil
}

// exec runs a DML or transaction-control statement on eddy and PostgreSQL and requires the same
// outcome: the same command tag (so the same number of rows changed), or the same SQLSTATE.
func (r *viewDiffRun) exec(stmt string) { r.t.Helper(); r.execWrite(stmt, "") }

// execWrite is exec for a statement that may be a COPY FROM STDIN with its data.
func (r *viewDiffRun) execWrite(stmt, copyData string) {
	r.t.Helper()
	r.stmts++
	run := func(c *pgconn.PgConn) (tag, code, msg string, err error) {
		if copyData == "" {
			return execResult(r.ctx, c, stmt)
		}
		ct, err := c.CopyFrom(r.ctx, strings.NewReader(copyData), stmt)
		if err != nil {
			if pe := pgErr(err); pe != nil {
				return "", pe.Code, err.Error(), nil
			}
			return "", "", "", err
		}
		return ct.String(), "", "", nil
	}
	etag, ecode, emsg, err := run(r.ec)
	if err != nil {
		r.fail("eddy: %s: %v", stmt, err)
	}
	outcome := etag
	if ecode != "" {
		outcome = "ERROR " + ecode
	}
	if copyData != "" {
		fmt.Fprintf(r.cur, "\n  %s;  -- %s\n    %s\\.", stmt, outcome, strings.ReplaceAll(copyData, "\n", "\n    "))
	} else {
		fmt.Fprintf(r.cur, "\n  %s;  -- %s", stmt, outcome)
	}
	if r.pc == nil {
		if ecode != "" {
			r.stmtErrors++
			// Without a reference only the failures the generator makes on purpose are expected.
			if ecode != "23505" && ecode != "25P02" {
				r.fail("eddy failed %s: %s", stmt, emsg)
			}
		}
		return
	}
	ptag, pcode, pmsg, err := run(r.pc)
	if err != nil {
		r.fail("postgres: %s: %v", stmt, err)
	}
	switch {
	case ecode != pcode:
		r.fail("%s\n  postgres: %s %s\n  eddy:     %s %s", stmt, ptag, pmsg, etag, emsg)
	case ecode != "":
		r.stmtErrors++
	case etag != ptag:
		r.fail("%s\n  postgres: %s\n  eddy:     %s", stmt, ptag, etag)
	}
}

// count returns a table's size (from the reference server when there is one).
func (r *viewDiffRun) count(tbl string) int {
	r.t.Helper()
	c := r.pc
	if c == nil {
		c = r.ec
	}
	rs, err := fetchResult(r.ctx, c, "SELECT count(*) FROM "+tbl)
	if err != nil || len(rs.rows) != 1 {
		r.fail("count %s: %v", tbl, err)
	}
	n, err := strconv.Atoi(rs.rows[0][0][1 : len(rs.rows[0][0])-1])
	if err != nil {
		r.fail("count %s: %v", tbl, err)
	}
	return n
}

func (r *viewDiffRun) setupTables() {
	for _, stmt := range []string{
		"CREATE TABLE t1 (id int PRIMARY KEY, k int, g text, v int, f float8, n numeric(10,2), b bool)",
		"CREATE TABLE t2 (k int, w int, s text)",
		"CREATE TABLE t3 (id bigint PRIMARY KEY, k int, d date, ts timestamp)",
	} {
		r.exec(stmt)
	}
	r.nextID1, r.nextID3 = 1, 1
	r.exec("INSERT INTO t1 VALUES " + valuesList(r.rowsT1(70, false)))
	r.exec("INSERT INTO t2 VALUES " + valuesList(r.rowsT2(80)))
	r.exec("INSERT INTO t3 VALUES " + valuesList(r.rowsT3(50, false)))
	for _, stmt := range r.cfg.setup {
		r.exec(stmt)
	}
}

// ---- views ----

// createView creates v on eddy (a materialized view) and on PostgreSQL (a plain view, which
// computes its query whenever it is read). A shape eddy refuses with 0A000 is noted and left
// out, with every view that reads it.
func (r *viewDiffRun) createView(v *liveView, again bool) {
	r.t.Helper()
	for _, d := range v.deps {
		if dv := r.byName[d]; dv == nil || !dv.live {
			if !again {
				v.refused = true
				r.refused = append(r.refused, fmt.Sprintf("%s: reads view %s, which was refused", v.name, d))
			}
			return
		}
	}
	stmt := "CREATE MATERIALIZED VIEW " + v.name + " AS " + v.query
	r.stmts++
	tag, code, msg, err := execResult(r.ctx, r.ec, stmt)
	if err != nil {
		r.fail("eddy: %s: %v", stmt, err)
	}
	fmt.Fprintf(r.cur, "\n  CREATE MATERIALIZED VIEW %s;  -- %s%s", v.name, tag, code)
	switch {
	case code == "0A000" && !again:
		v.refused = true
		r.refused = append(r.refused, fmt.Sprintf("%s: %s\n    query: %s", v.name, msg, oneLine(v.query)))
		r.t.Logf("view %s refused: %s", v.name, msg)
		return
	case code != "":
		r.fail("creating view %s: %s\n  query: %s", v.name, msg, oneLine(v.query))
	}
	v.live = true
	if r.pc != nil && !again {
		if _, pcode, pmsg, err := execResult(r.ctx, r.pc, "CREATE VIEW "+v.name+" AS "+v.query); err != nil || pcode != "" {
			r.t.Fatalf("creating view %s on PostgreSQL: %v %s (the test's query is wrong)\n  query: %s", v.name, err, pmsg, v.query)
		}
	}
}

// dependents returns the live views that read v, directly or through other views, in
// definition order.
func (r *viewDiffRun) dependents(v *liveView) []*liveView {
	in := map[string]bool{v.name: true}
	var out []*liveView
	for _, w := range r.views { // definition order lists a view after the views it reads
		if !w.live || w == v {
			continue
		}
		for _, d := range w.deps {
			if in[d] {
				in[w.name] = true
				out = append(out, w)
				break
			}
		}
	}
	return out
}

// recreateView drops a random view (with CASCADE when others read it) and creates it, and
// what the drop took along, again: each is backfilled from the current data.
func (r *viewDiffRun) recreateView() {
	var live []*liveView
	for _, v := range r.views {
		if v.live {
			live = append(live, v)
		}
	}
	if len(live) == 0 {
		return
	}
	v := live[r.rng.IntN(len(live))]
	deps := r.dependents(v)
	stmt := "DROP MATERIALIZED VIEW "
	if r.rng.IntN(2) == 0 {
		stmt += "IF EXISTS "
	}
	stmt += v.name
	if len(deps) > 0 || r.rng.IntN(3) == 0 {
		stmt += " CASCADE"
	}
	r.stmts++
	tag, code, msg, err := execResult(r.ctx, r.ec, stmt)
	if err != nil {
		r.fail("eddy: %s: %v", stmt, err)
	}
	fmt.Fprintf(r.cur, "\n  %s;  -- %s%s", stmt, tag, code)
	if code != "" {
		r.fail("%s: %s", stmt, msg)
	}
	v.live = false
	for _, d := range deps {
		d.live = false
	}
	r.createView(v, true)
	for _, d := range deps {
		r.createView(d, true)
	}
	r.recreated += 1 + len(deps)
}

// killAndRestart ends eddy with SIGKILL and starts it again over the same data directory.
func (r *viewDiffRun) killAndRestart() {
	r.t.Helper()
	r.ec.Close(r.ctx)
	r.ec = nil
	r.srv.Kill()
	r.srv.Restart()
	r.connectEddy()
	r.history = append(r.history, fmt.Sprintf("step %d: kill -9 and restart of eddy", r.step))
	r.t.Logf("step %d: killed eddy with SIGKILL and restarted it", r.step)
}

// checkViews compares every live view: (a) its rows on eddy, (b) its query on eddy and (c) its
// query on PostgreSQL must be the same multiset. All mismatches of the step are reported.
func (r *viewDiffRun) checkViews() {
	r.t.Helper()
	var problems []string
	for _, v := range r.views {
		if !v.live {
			continue
		}
		r.checks++
		got, err := fetchResult(r.ctx, r.ec, "SELECT * FROM "+v.name)
		if err != nil {
			problems = append(problems, fmt.Sprintf("view %s: SELECT * FROM %s on eddy: %v", v.name, v.name, err))
			continue
		}
		batch, err := fetchResult(r.ctx, r.ec, v.query)
		if err != nil {
			problems = append(problems, fmt.Sprintf("view %s: its query on eddy: %v\n  query: %s", v.name, err, oneLine(v.query)))
			continue
		}
		want, wantFrom := batch, "eddy's batch query"
		if r.pc != nil {
			ref, err := fetchResult(r.ctx, r.pc, v.query)
			if err != nil {
				r.fail("view %s: its query on PostgreSQL: %v (the test's query is wrong)\n  query: %s", v.name, err, v.query)
			}
			want, wantFrom = ref, "PostgreSQL"
			if p := describeDiff(ref, batch); p != "" {
				problems = append(problems, fmt.Sprintf("view %s: eddy's batch query differs from PostgreSQL (not a view bug)\n  query: %s\n%s",
					v.name, oneLine(v.query), p))
			}
		}
		if p := describeDiff(want, got); p != "" {
			problems = append(problems, fmt.Sprintf("view %s: SELECT * FROM %s differs from %s\n  query: %s\n%s",
				v.name, v.name, wantFrom, oneLine(v.query), p))
		}
		r.rowsCompared += len(want.rows)
	}
	if len(problems) > 0 {
		r.fail("%d mismatches:\n%s", len(problems), strings.Join(problems, "\n"))
	}
}

func oneLine(q string) string { return strings.Join(strings.Fields(q), " ") }

// ---- results ----

// resultSet is a query's result in text form: each field is NULL or a Go-quoted value.
type resultSet struct {
	float []bool // columns of type real or double precision
	rows  [][]string
}

func fetchResult(ctx context.Context, c *pgconn.PgConn, q string) (*resultSet, error) {
	res, err := c.Exec(ctx, q).ReadAll()
	if err != nil {
		return nil, err
	}
	rs := &resultSet{}
	for _, r := range res {
		if r.Err != nil {
			return nil, r.Err
		}
		if rs.float == nil {
			for _, fd := range r.FieldDescriptions {
				rs.float = append(rs.float, fd.DataTypeOID == 700 || fd.DataTypeOID == 701)
			}
		}
		for _, row := range r.Rows {
			fields := make([]string, len(row))
			for j, v := range row {
				if v == nil {
					fields[j] = "NULL"
				} else {
					fields[j] = strconv.Quote(string(v))
				}
			}
			rs.rows = append(rs.rows, fields)
		}
	}
	return rs, nil
}

// keys returns the rows as strings, each field NULL or Go-quoted, joined by commas.
func (rs *resultSet) keys() []string {
	out := make([]string, len(rs.rows))
	for i, row := range rs.rows {
		out[i] = strings.Join(row, ",")
	}
	return out
}

// describeDiff returns "" when got equals want as a multiset, otherwise the rows missing from
// got and the extra ones. Float sums depend on the order rows are added and removed in, which
// differs between a batch query and a maintained view, so a missing and an extra row that
// differ only in the last digits of float columns (relative or absolute error under 1e-9)
// count as equal.
func describeDiff(want, got *resultSet) string {
	if len(want.float) != len(got.float) && len(want.rows) > 0 && len(got.rows) > 0 {
		return fmt.Sprintf("  %d columns expected, %d returned", len(want.float), len(got.float))
	}
	missing, extra := multisetDiff(want.keys(), got.keys())
	if len(missing) > 0 && len(missing) == len(extra) && slices.Contains(want.float, true) {
		missing, extra = matchFloats(missing, extra, want.float)
	}
	if len(missing)+len(extra) == 0 {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "  %d rows expected, %d returned", len(want.rows), len(got.rows))
	list := func(name string, rows []string) {
		if len(rows) == 0 {
			return
		}
		fmt.Fprintf(&b, "\n  %s (%d):", name, len(rows))
		for i, row := range rows {
			if i == 15 {
				fmt.Fprintf(&b, "\n    ... %d more", len(rows)-i)
				break
			}
			b.WriteString("\n    " + row)
		}
	}
	list("missing", missing)
	list("extra", extra)
	return b.String()
}

// matchFloats pairs missing and extra rows that are equal up to float rounding, and returns
// the rows left without a partner.
func matchFloats(missing, extra []string, floatCols []bool) (restMissing, restExtra []string) {
	used := make([]bool, len(extra))
	for _, m := range missing {
		mf := splitFields(m)
		found := false
		for j, e := range extra {
			if !used[j] && closeRows(mf, splitFields(e), floatCols) {
				used[j], found = true, true
				break
			}
		}
		if !found {
			restMissing = append(restMissing, m)
		}
	}
	for j, e := range extra {
		if !used[j] {
			restExtra = append(restExtra, e)
		}
	}
	return restMissing, restExtra
}

// splitFields splits a row key back into its fields (NULL or Go-quoted strings).
func splitFields(row string) []string {
	var out []string
	for row != "" {
		var f string
		if strings.HasPrefix(row, "NULL") {
			f = "NULL"
		} else if q, err := strconv.QuotedPrefix(row); err == nil {
			f = q
		} else {
			return append(out, row)
		}
		out = append(out, f)
		row = strings.TrimPrefix(row[len(f):], ",")
	}
	return out
}

func closeRows(a, b []string, floatCols []bool) bool {
	if len(a) != len(b) || len(a) != len(floatCols) {
		return false
	}
	for i := range a {
		if a[i] == b[i] {
			continue
		}
		if !floatCols[i] || a[i] == "NULL" || b[i] == "NULL" {
			return false
		}
		x, err1 := strconv.ParseFloat(strings.Trim(a[i], `"`), 64)
		y, err2 := strconv.ParseFloat(strings.Trim(b[i], `"`), 64)
		// NaN and the infinities only equal themselves (their text is equal then).
		if err1 != nil || err2 != nil || math.IsNaN(x) || math.IsNaN(y) || math.IsInf(x, 0) || math.IsInf(y, 0) ||
			!(math.Abs(x-y) <= 1e-9*math.Max(1, math.Max(math.Abs(x), math.Abs(y)))) {
			return false
		}
	}
	return true
}

// multisetDiff returns want - got and got - want, sorted.
func multisetDiff(want, got []string) (missing, extra []string) {
	n := map[string]int{}
	for _, k := range want {
		n[k]++
	}
	for _, k := range got {
		n[k]--
	}
	for k, c := range n {
		for ; c > 0; c-- {
			missing = append(missing, k)
		}
		for ; c < 0; c++ {
			extra = append(extra, k)
		}
	}
	slices.Sort(missing)
	slices.Sort(extra)
	return missing, extra
}

// ---- the random DML generator ----

var viewDiffWords = []string{"ant", "Bee", "cat", "dog", "eel", "", "a b", "Ant", "zebra", "cat", "a,b"}

func (r *viewDiffRun) isNull() bool { return r.rng.IntN(100) < 15 }

// key is a skewed join/group key: NULL 15%, one of three hot values 50%, else 0..24.
func (r *viewDiffRun) key() string {
	switch x := r.rng.IntN(100); {
	case x < 15:
		return "NULL"
	case x < 65:
		return strconv.Itoa(1 + r.rng.IntN(3))
	default:
		return strconv.Itoa(r.rng.IntN(25))
	}
}

func (r *viewDiffRun) word() string {
	if r.isNull() {
		return "NULL"
	}
	return "'" + viewDiffWords[r.rng.IntN(len(viewDiffWords))] + "'"
}

func (r *viewDiffRun) intVal(n int) string {
	if r.isNull() {
		return "NULL"
	}
	return strconv.Itoa(r.rng.IntN(2*n+1) - n)
}

// floatVal is mostly a multiple of 1/8 (exact in binary), sometimes a decimal fraction, rarely
// NaN or an infinity.
func (r *viewDiffRun) floatVal() string {
	if r.isNull() {
		return "NULL"
	}
	if r.rng.IntN(40) == 0 {
		return r.pick("'NaN'", "'Infinity'", "'-Infinity'")
	}
	if r.rng.IntN(5) == 0 {
		return fmt.Sprintf("%d.%d", r.rng.IntN(201)-100, r.rng.IntN(10))
	}
	return strconv.FormatFloat(float64(r.rng.IntN(801)-400)/8, 'f', -1, 64)
}

func (r *viewDiffRun) numVal() string {
	if r.isNull() {
		return "NULL"
	}
	v := fmt.Sprintf("%d.%02d", r.rng.IntN(1000), r.rng.IntN(100))
	if r.rng.IntN(3) == 0 {
		v = "-" + v
	}
	return v
}

func (r *viewDiffRun) boolVal() string {
	if r.isNull() {
		return "NULL"
	}
	return []string{"true", "false"}[r.rng.IntN(2)]
}

func (r *viewDiffRun) dateVal() string {
	if r.isNull() {
		return "NULL"
	}
	return fmt.Sprintf("DATE '2024-%02d-%02d'", 1+r.rng.IntN(12), 1+r.rng.IntN(28))
}

func (r *viewDiffRun) tsVal() string {
	if r.isNull() {
		return "NULL"
	}
	return fmt.Sprintf("TIMESTAMP '2024-%02d-%02d %02d:%02d:00'", 1+r.rng.IntN(12), 1+r.rng.IntN(28), r.rng.IntN(24), r.rng.IntN(4)*15)
}

// id returns a fresh primary key, or now and then (when clash is set) one that may exist.
func (r *viewDiffRun) id(next *int, clash bool) string {
	if clash && r.rng.IntN(30) == 0 && *next > 1 {
		return strconv.Itoa(1 + r.rng.IntN(*next-1))
	}
	*next++
	return strconv.Itoa(*next - 1)
}

func (r *viewDiffRun) rowsT1(n int, clash bool) [][]string {
	rows := make([][]string, n)
	for i := range rows {
		rows[i] = []string{r.id(&r.nextID1, clash), r.key(), r.word(), r.intVal(50), r.floatVal(), r.numVal(), r.boolVal()}
	}
	return rows
}

// rowsT2 makes duplicate rows likely: small value domains, and rows repeated on purpose.
func (r *viewDiffRun) rowsT2(n int) [][]string {
	rows := make([][]string, n)
	for i := range rows {
		if i > 0 && r.rng.IntN(4) == 0 {
			rows[i] = rows[r.rng.IntN(i)]
			continue
		}
		rows[i] = []string{r.key(), r.intVal(12), r.word()}
	}
	return rows
}

func (r *viewDiffRun) rowsT3(n int, clash bool) [][]string {
	rows := make([][]string, n)
	for i := range rows {
		rows[i] = []string{r.id(&r.nextID3, clash), r.key(), r.dateVal(), r.tsVal()}
	}
	return rows
}

// valuesList renders rows of SQL literals as a VALUES list.
func valuesList(rows [][]string) string {
	out := make([]string, len(rows))
	for i, row := range rows {
		out[i] = "(" + strings.Join(row, ", ") + ")"
	}
	return strings.Join(out, ", ")
}

// copyText renders rows of SQL literals as COPY text format (the generator's literals hold no
// tabs, newlines or backslashes).
func copyText(rows [][]string) string {
	var b strings.Builder
	for _, row := range rows {
		for j, lit := range row {
			if j > 0 {
				b.WriteByte('\t')
			}
			if lit == "NULL" {
				b.WriteString(`\N`)
				continue
			}
			lit = strings.TrimPrefix(strings.TrimPrefix(lit, "DATE "), "TIMESTAMP ")
			b.WriteString(strings.Trim(lit, "'"))
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// upsert inserts rows whose ids are partly taken (each id once: DO UPDATE may not touch a row
// twice) with one of the ON CONFLICT forms.
func (r *viewDiffRun) upsert(tbl string) string {
	next := &r.nextID1
	if tbl == "t3" {
		next = &r.nextID3
	}
	ids := r.rng.Perm(*next + 4)[:1+r.rng.IntN(8)]
	var rows [][]string
	for _, id := range ids {
		id++ // ids from 1
		if id >= *next {
			*next = id + 1
		}
		var row [][]string
		if tbl == "t1" {
			row = r.rowsT1(1, false)
			r.nextID1-- // rowsT1 drew a fresh id it does not use
		} else {
			row = r.rowsT3(1, false)
			r.nextID3--
		}
		row[0][0] = strconv.Itoa(id)
		rows = append(rows, row[0])
	}
	conflict := r.pick(" ON CONFLICT DO NOTHING", " ON CONFLICT (id) DO NOTHING")
	if r.rng.IntN(3) > 0 {
		if tbl == "t1" {
			conflict = r.pick(" ON CONFLICT (id) DO UPDATE SET k = excluded.k, v = t1.v + coalesce(excluded.v, 0), g = excluded.g",
				" ON CONFLICT (id) DO UPDATE SET f = excluded.f, n = excluded.n, b = NOT t1.b WHERE t1.k IS DISTINCT FROM excluded.k")
		} else {
			conflict = " ON CONFLICT (id) DO UPDATE SET d = excluded.d, k = excluded.k"
		}
	}
	return "INSERT INTO " + tbl + " VALUES " + valuesList(rows) + conflict
}

// joinDML updates or deletes rows of one table chosen through another (UPDATE ... FROM,
// DELETE ... USING, IN subqueries). Where an UPDATE takes values from the other table, that
// table's key is unique, so the result does not depend on which match comes first.
func (r *viewDiffRun) joinDML() string {
	switch r.rng.IntN(6) {
	case 0:
		return fmt.Sprintf("UPDATE t1 SET k = t3.k, v = t1.v + 1 FROM t3 WHERE t1.id = t3.id AND t3.d < DATE '2024-%02d-01'", 1+r.rng.IntN(12))
	case 1:
		return fmt.Sprintf("UPDATE t2 SET w = t2.w + 1 FROM t1 WHERE t2.k = t1.k AND t1.v > %d", r.rng.IntN(81)-40)
	case 2:
		return "DELETE FROM t3 USING t1 WHERE t3.id = t1.id AND " + r.pick("t1.b", "t1.v < 0", "t1.g IS NULL")
	case 3:
		return "DELETE FROM t2 USING t3 WHERE t2.k = t3.k AND " + r.pick("t3.d IS NULL", "t3.ts < TIMESTAMP '2024-02-01 00:00:00'")
	case 4:
		return fmt.Sprintf("DELETE FROM t1 WHERE k IN (SELECT k FROM t2 WHERE w = %d)", r.rng.IntN(25)-12)
	default:
		return fmt.Sprintf("UPDATE t3 SET k = k + 1 WHERE id IN (SELECT id FROM t1 WHERE v %s %d)", r.pick("<", ">"), r.rng.IntN(81)-40)
	}
}

func (r *viewDiffRun) pick(opts ...string) string { return opts[r.rng.IntN(len(opts))] }

// pred is a random WHERE condition on tbl; wide makes it match more rows.
func (r *viewDiffRun) pred(tbl string, wide bool) string {
	atom := func() string {
		m := 2 + r.rng.IntN(6)
		if wide {
			m = 2 + r.rng.IntN(2)
		}
		switch tbl {
		case "t1":
			switch r.rng.IntN(11) {
			case 0:
				return "k = " + strconv.Itoa(1+r.rng.IntN(3))
			case 1:
				return "k IS NULL"
			case 2:
				return fmt.Sprintf("v %s %d", r.pick("<", ">", "<=", "="), r.rng.IntN(81)-40)
			case 3:
				return "g = " + r.word()
			case 4:
				return "g IS NULL"
			case 5:
				return fmt.Sprintf("id %% %d = %d", m, r.rng.IntN(m))
			case 6:
				return r.pick("b", "NOT b", "b IS NULL", "b IS NOT TRUE")
			case 7:
				return fmt.Sprintf("n %s %d", r.pick("<", ">"), r.rng.IntN(1200)-600)
			case 8:
				return fmt.Sprintf("f %s %d", r.pick("<", ">="), r.rng.IntN(81)-40)
			case 9:
				return fmt.Sprintf("id = %d", 1+r.rng.IntN(r.nextID1))
			default:
				return fmt.Sprintf("k %s %d", r.pick(">", "<>"), r.rng.IntN(10))
			}
		case "t2":
			switch r.rng.IntN(8) {
			case 0:
				return "k = " + strconv.Itoa(1+r.rng.IntN(3))
			case 1:
				return "k IS NULL"
			case 2:
				return fmt.Sprintf("w %s %d", r.pick("<", ">", "="), r.rng.IntN(25)-12)
			case 3:
				return "s = " + r.word()
			case 4:
				return "s IS NULL"
			case 5:
				return "s LIKE " + r.pick("'a%'", "'%e%'", "'_'")
			case 6:
				return "w IS NULL"
			default:
				return fmt.Sprintf("k %s %d", r.pick(">", "<>"), r.rng.IntN(10))
			}
		default:
			switch r.rng.IntN(7) {
			case 0:
				return "k = " + strconv.Itoa(1+r.rng.IntN(3))
			case 1:
				return "k IS NULL"
			case 2:
				return fmt.Sprintf("id %% %d = %d", m, r.rng.IntN(m))
			case 3:
				return fmt.Sprintf("d %s DATE '2024-%02d-01'", r.pick("<", ">="), 1+r.rng.IntN(12))
			case 4:
				return "d IS NULL"
			case 5:
				return fmt.Sprintf("ts > TIMESTAMP '2024-%02d-15 12:00:00'", 1+r.rng.IntN(12))
			default:
				return fmt.Sprintf("id = %d", 1+r.rng.IntN(r.nextID3))
			}
		}
	}
	p := atom()
	switch x := r.rng.IntN(10); {
	case x < 2:
		p = "(" + p + " AND " + atom() + ")"
	case x < 4 && wide:
		p = "(" + p + " OR " + atom() + ")"
	case x < 3:
		p = "(" + p + " OR " + atom() + ")"
	}
	return p
}

// update changes keys, values and NULLs of the rows a random predicate selects.
func (r *viewDiffRun) update(tbl string) string {
	var sets []string
	switch tbl {
	case "t1":
		if r.rng.IntN(6) == 0 { // move one row to a new primary key
			r.nextID1++
			return fmt.Sprintf("UPDATE t1 SET id = %d, k = %s WHERE id = %d", r.nextID1-1, r.key(), 1+r.rng.IntN(r.nextID1))
		}
		sets = []string{"k = " + r.key(), "k = k + 1", fmt.Sprintf("v = v + %d", r.rng.IntN(21)-10), "v = NULL", "v = -v",
			"g = " + r.word(), "g = upper(g)", "f = f + 0.5", "f = " + r.floatVal(), "n = n + 1.25", "n = NULL",
			"b = NOT b", "b = " + r.boolVal()}
	case "t2":
		sets = []string{"k = " + r.key(), "k = k + 1", "w = w + 1", "w = " + r.intVal(12), "w = NULL", "s = " + r.word(), "s = lower(s)"}
	default:
		if r.rng.IntN(6) == 0 {
			r.nextID3++
			return fmt.Sprintf("UPDATE t3 SET id = %d WHERE id = %d", r.nextID3-1, 1+r.rng.IntN(r.nextID3))
		}
		sets = []string{"k = " + r.key(), "k = k - 1", fmt.Sprintf("d = d + %d", r.rng.IntN(60)-30), "d = " + r.dateVal(),
			"ts = ts + interval '3 hours'", "ts = NULL"}
	}
	r.rng.Shuffle(len(sets), func(i, j int) { sets[i], sets[j] = sets[j], sets[i] })
	// One SET per column: the first entries mentioning distinct columns.
	var chosen []string
	seen := map[string]bool{}
	for _, s := range sets {
		col := strings.Fields(s)[0]
		if !seen[col] {
			seen[col] = true
			chosen = append(chosen, s)
		}
		if len(chosen) == 1+r.rng.IntN(3) {
			break
		}
	}
	return "UPDATE " + tbl + " SET " + strings.Join(chosen, ", ") + " WHERE " + r.pred(tbl, false)
}

// insert returns an INSERT (VALUES, SELECT or ON CONFLICT), or a COPY statement and its data.
func (r *viewDiffRun) insert(tbl string) (stmt, copyData string) {
	n := 1 + r.rng.IntN(20)
	x := r.rng.IntN(12)
	switch tbl {
	case "t1":
		if x < 2 {
			return r.upsert("t1"), ""
		}
		return "INSERT INTO t1 VALUES " + valuesList(r.rowsT1(n, true)), ""
	case "t2":
		switch {
		case x < 2:
			return "INSERT INTO t2 SELECT k, v % 13, g FROM t1 WHERE " + r.pred("t1", false), ""
		case x < 4:
			return "COPY t2 FROM STDIN", copyText(r.rowsT2(n))
		}
		return "INSERT INTO t2 VALUES " + valuesList(r.rowsT2(n)), ""
	default:
		switch {
		case x < 2:
			return r.upsert("t3"), ""
		case x < 4:
			return "COPY t3 (id, k, d, ts) FROM STDIN", copyText(r.rowsT3(n, true))
		}
		return "INSERT INTO t3 VALUES " + valuesList(r.rowsT3(n, true)), ""
	}
}

// dml is one random write (with COPY data for a COPY); tables above their target size shrink.
func (r *viewDiffRun) dml(sizes map[string]int) (stmt, copyData string) {
	tbl := []string{"t1", "t2", "t3"}[r.rng.IntN(3)]
	big := sizes[tbl] > map[string]int{"t1": 140, "t2": 140, "t3": 90}[tbl]
	small := sizes[tbl] < 20
	switch x := r.rng.IntN(100); {
	case big && x < 50:
		return "DELETE FROM " + tbl + " WHERE " + r.pred(tbl, true), ""
	case small || x < 40:
		return r.insert(tbl)
	case x < 70:
		return r.update(tbl), ""
	case x < 76:
		return r.joinDML(), ""
	default:
		return "DELETE FROM " + tbl + " WHERE " + r.pred(tbl, false), ""
	}
}

func (r *viewDiffRun) randomStep() {
	sizes := map[string]int{"t1": r.count("t1"), "t2": r.count("t2"), "t3": r.count("t3")}
	switch x := r.rng.IntN(200); {
	case x < 4:
		// Outside transactions only: eddy runs TRUNCATE as DDL, which a ROLLBACK does not undo.
		r.beginStep("truncate")
		r.exec("TRUNCATE " + r.pick("t1", "t2", "t3"))
	case x < 12:
		r.beginStep("recreate")
		r.recreateView()
	case x < 40:
		r.beginStep("transaction")
		r.exec("BEGIN") // eddy tags START TRANSACTION as BEGIN (PostgreSQL: START TRANSACTION)
		for range 2 + r.rng.IntN(4) {
			r.execWrite(r.dml(sizes))
		}
		r.exec(r.pick("COMMIT", "COMMIT", "COMMIT", "ROLLBACK"))
	default:
		r.beginStep("dml")
		r.execWrite(r.dml(sizes))
	}
	r.endStep()
}

// TestViewsEqualButDistinctValues: numeric 1.5 and 1.50, and float -0 and 0, are equal but
// print differently. A view that groups, deduplicates or takes min/max over such values must
// show one that some current input row has: after the row that came first is deleted, the
// survivor's. The script never compares while both forms are present (PostgreSQL then shows
// either one, depending on row order).
func TestViewsEqualButDistinctValues(t *testing.T) {
	r := newViewDiffRun(t, viewDiffConfig{withPG: true, views: []mviewDef{
		{name: "eq_group", query: `SELECT n, f, count(*) AS c FROM z GROUP BY n, f`},
		{name: "eq_distinct", query: `SELECT DISTINCT n FROM z`},
		{name: "eq_union", query: `SELECT f FROM z UNION SELECT f FROM z WHERE g = 1`},
		{name: "eq_minmax", query: `SELECT g, min(n) AS mn, max(n) AS xn, min(f) AS mf, max(f) AS xf FROM z GROUP BY g`},
	}})
	r.beginStep("setup")
	r.exec("CREATE TABLE z (id int PRIMARY KEY, g int, n numeric, f float8)")
	r.exec("INSERT INTO z VALUES (1, 1, 1.5, '-0')")
	r.endStep()
	r.beginStep("create views")
	for _, v := range r.views {
		r.createView(v, false)
	}
	r.endStep()
	if len(r.refused) > 0 {
		t.Fatalf("refused: %v", r.refused)
	}
	r.checkViews()
	for i, script := range [][]string{
		{"INSERT INTO z VALUES (2, 1, 1.50, 0)", "DELETE FROM z WHERE id = 1"},
		{"INSERT INTO z VALUES (3, 1, 1.500, '-0')", "UPDATE z SET n = 1.5, f = 0 WHERE id = 3", "DELETE FROM z WHERE id = 2"},
		{"BEGIN", "INSERT INTO z VALUES (4, 1, 1.5000, '-0')", "DELETE FROM z WHERE id = 3", "COMMIT"},
	} {
		r.step = i + 1
		r.beginStep("script")
		for _, stmt := range script {
			r.exec(stmt)
		}
		r.endStep()
		r.checkViews()
	}
}

// TestViewDiffCompare checks the comparison TestViewsDifferential relies on: multiplicities
// count, NULL differs from the empty string and from the text NULL, and only float columns get
// a rounding tolerance.
func TestViewDiffCompare(t *testing.T) {
	rs := func(float []bool, rows ...[]string) *resultSet { return &resultSet{float: float, rows: rows} }
	q := strconv.Quote
	f := []bool{false, true}
	cases := []struct {
		name       string
		want, got  *resultSet
		equal      bool
		wantInDiff string
	}{
		{"same rows, other order", rs(f, []string{q("1"), q("0.5")}, []string{q("2"), "NULL"}),
			rs(f, []string{q("2"), "NULL"}, []string{q("1"), q("0.5")}), true, ""},
		{"duplicate missing", rs(f, []string{q("1"), q("0.5")}, []string{q("1"), q("0.5")}),
			rs(f, []string{q("1"), q("0.5")}), false, "missing (1)"},
		{"extra row", rs(f), rs(f, []string{q("1"), "NULL"}), false, "extra (1)"},
		{"NULL vs empty string", rs(f, []string{"NULL", "NULL"}), rs(f, []string{q(""), "NULL"}), false, "missing (1)"},
		{"NULL vs 'NULL'", rs(f, []string{"NULL", "NULL"}), rs(f, []string{q("NULL"), "NULL"}), false, "missing (1)"},
		{"float rounding", rs(f, []string{q("a,b"), q("2.4699218749999996")}),
			rs(f, []string{q("a,b"), q("2.469921875000001")}), true, ""},
		{"float near zero", rs(f, []string{q("x"), q("0")}), rs(f, []string{q("x"), q("4.440892098500626e-16")}), true, ""},
		{"float really differs", rs(f, []string{q("x"), q("2.5")}), rs(f, []string{q("x"), q("2.5001")}), false, "extra (1)"},
		{"NaN is not a number", rs(f, []string{q("x"), q("1.5")}), rs(f, []string{q("x"), q("NaN")}), false, "extra (1)"},
		{"Infinity is not large", rs(f, []string{q("x"), q("1e300")}), rs(f, []string{q("x"), q("Infinity")}), false, "extra (1)"},
		{"numeric has no tolerance", rs([]bool{false, false}, []string{q("x"), q("2.50")}),
			rs([]bool{false, false}, []string{q("x"), q("2.5")}), false, "missing (1)"},
	}
	for _, c := range cases {
		d := describeDiff(c.want, c.got)
		if (d == "") != c.equal || !strings.Contains(d, c.wantInDiff) {
			t.Errorf("%s: describeDiff = %q, want equal=%v containing %q", c.name, d, c.equal, c.wantInDiff)
		}
	}
	if got := splitFields(`NULL,"a,\"b",NULL,"NULL"`); !slices.Equal(got, []string{"NULL", `"a,\"b"`, "NULL", `"NULL"`}) {
		t.Errorf("splitFields = %q", got)
	}
}
