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
)

// TestDifferentialPostgres builds the same random tables in eddy and in PostgreSQL 15, runs the
// same random SELECTs on both and requires identical results (as multisets of text rows, or the
// same SQLSTATE when both fail). EDDY_DIFF_SEED picks the run (a number, or "random");
// EDDY_DIFF_QUERIES sets its size.
func TestDifferentialPostgres(t *testing.T) {
	// make test uses a fixed seed so CI is repeatable; EDDY_DIFF_SEED=random explores new ones
	// (make diff-random), and a number replays a run.
	seed := uint64(20261126)
	switch v := os.Getenv("EDDY_DIFF_SEED"); v {
	case "":
	case "random":
		seed = uint64(time.Now().UnixNano())
	default:
		s, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("EDDY_DIFF_SEED=%q: want a number or \"random\"", v)
		}
		seed = s
	}
	n := 1500
	if v, err := strconv.Atoi(os.Getenv("EDDY_DIFF_QUERIES")); err == nil {
		n = v
	}
	t.Logf("seed %d (EDDY_DIFF_SEED=%d replays it)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, 7))
	pg := pgref.Start(t)
	srv := proc.Start(t)
	ctx := context.Background()
	resetPostgres(t, ctx, pg.URL())
	pc, err := pgconn.Connect(ctx, pg.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close(ctx)
	ec, err := pgconn.Connect(ctx, srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer ec.Close(ctx)

	g := &queryGen{rng: rng}
	setup := g.setup()
	t.Logf("tables: %s; %s", setup[0], setup[1])
	for _, stmt := range setup {
		for _, c := range []*pgconn.PgConn{pc, ec} {
			if _, err := c.Exec(ctx, stmt).ReadAll(); err != nil {
				t.Fatalf("setup %q: %v", stmt, err)
			}
		}
	}
	failures, bothFailed, rowsCompared, ran := 0, 0, 0, 0
	defer func() {
		t.Logf("%d queries: %d rows compared, %d failed on both sides", ran, rowsCompared, bothFailed)
		// Errors on both sides are allowed (overflow, division by zero), but a generator that
		// mostly produces failing queries tests nothing.
		if bothFailed > ran/4 {
			t.Errorf("%d of %d queries failed on both servers: the generator needs fixing", bothFailed, ran)
		}
	}()
	for i := 0; i < n && failures < 10; i++ {
		ran++
		q := g.query()
		want, werr := textRowsOf(ctx, pc, q)
		got, gerr := textRowsOf(ctx, ec, q)
		switch {
		case werr != nil || gerr != nil:
			bothFailed++
			wc, gc := sqlstate(werr), sqlstate(gerr)
			if wc != gc {
				failures++
				t.Errorf("query %d: %s\n  postgres: %v\n  eddy:     %v", i, q, werr, gerr)
			}
		case !slices.Equal(want, got) && !floatEqualRows(want, got, g.float4):
			rowsCompared += len(want)
			failures++
			t.Errorf("query %d: %s\n  postgres: %v\n  eddy:     %v", i, q, want, got)
		default:
			rowsCompared += len(want)
		}
	}
}

func sqlstate(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	if err != nil {
		return "not a server error: " + err.Error()
	}
	return "no error"
}

// floatEqualRows reports whether two sorted result sets differ only in the last digits of
// floating-point values. Float sums depend on the order rows are added in, which neither
// PostgreSQL nor eddy fixes (a join or a hash table may change it), so such values are compared
// with a relative tolerance; everything else must match exactly.
//
// With float4 columns (real), a sum with cancellation can differ by its inputs' rounding error
// (float4 keeps about 7 digits of values near 1000), so an absolute tolerance applies as well.
func floatEqualRows(want, got []string, float4 bool) bool {
	if len(want) != len(got) {
		return false
	}
	for i := range want {
		wf, gf := strings.Split(want[i], ","), strings.Split(got[i], ",")
		if len(wf) != len(gf) {
			return false
		}
		for j := range wf {
			if wf[j] == gf[j] {
				continue
			}
			w, err1 := strconv.ParseFloat(strings.Trim(wf[j], `"`), 64)
			g, err2 := strconv.ParseFloat(strings.Trim(gf[j], `"`), 64)
			if err1 != nil || err2 != nil || !strings.ContainsAny(wf[j]+gf[j], ".e") {
				return false
			}
			d := math.Abs(w - g)
			if d > 1e-6*math.Max(math.Abs(w), math.Abs(g)) && !(float4 && d < 1e-2) {
				return false
			}
		}
	}
	return true
}

// textRowsOf returns the rows of q in text form, sorted.
func textRowsOf(ctx context.Context, c *pgconn.PgConn, q string) ([]string, error) {
	res, err := c.Exec(ctx, q).ReadAll()
	if err != nil {
		return nil, err
	}
	var rows []string
	for _, r := range res {
		for _, row := range r.Rows {
			cols := make([]string, len(row))
			for j, v := range row {
				if v == nil {
					cols[j] = "NULL"
				} else {
					cols[j] = strconv.Quote(string(v))
				}
			}
			rows = append(rows, strings.Join(cols, ","))
		}
	}
	slices.Sort(rows)
	return rows, nil
}

// queryGen produces random tables and queries over them.
type queryGen struct {
	rng *rand.Rand
	// float4 is set when t1.d is real, whose sums are compared with a float4-sized tolerance.
	float4 bool
}

var diffWords = []string{"ant", "Bee", "cat", "dog", "eel", "fox", "", "a b", "Ant", "zebra"}

// setup creates t1 and t2 with column types drawn from the seed (the queries are written to be
// valid for every choice) and fills them with the same random rows on both servers.
func (g *queryGen) setup() []string {
	aT := g.pick("smallint", "integer", "bigint")
	bT := g.pick("bigint", "numeric", "double precision")
	cT := g.pick("text", "varchar(12)")
	dT := g.pick("numeric(8,2)", "double precision", "numeric", "real")
	g.float4 = dT == "real"
	stmts := []string{
		"CREATE TABLE t1 (k int PRIMARY KEY, a " + aT + ", b " + bT + ", c " + cT + ", d " + dT + ", e boolean, f date)",
		"CREATE TABLE t2 (k " + g.pick("int", "bigint") + " PRIMARY KEY, a " + g.pick("int", "smallint", "bigint") + ", c " + cT + ", x smallint)",
	}
	for _, tbl := range []string{"t1", "t2"} {
		var vals []string
		for k := 1; k <= 60; k++ {
			if tbl == "t1" {
				vals = append(vals, fmt.Sprintf("(%d, %s, %s, %s, %s, %s, %s)", k, g.intOrNull(20), g.intOrNull(1000000),
					g.textOrNull(), g.numOrNull(), g.boolOrNull(), g.dateOrNull()))
			} else {
				vals = append(vals, fmt.Sprintf("(%d, %s, %s, %s)", k, g.intOrNull(20), g.textOrNull(), g.intOrNull(300)))
			}
		}
		stmts = append(stmts, "INSERT INTO "+tbl+" VALUES "+strings.Join(vals, ", "))
	}
	return stmts
}

func (g *queryGen) null() bool { return g.rng.IntN(8) == 0 }

func (g *queryGen) intOrNull(n int) string {
	if g.null() {
		return "NULL"
	}
	return strconv.Itoa(g.rng.IntN(2*n+1) - n)
}

func (g *queryGen) textOrNull() string {
	if g.null() {
		return "NULL"
	}
	return "'" + diffWords[g.rng.IntN(len(diffWords))] + "'"
}

func (g *queryGen) numOrNull() string {
	if g.null() {
		return "NULL"
	}
	return fmt.Sprintf("%d.%02d", g.rng.IntN(2000)-1000, g.rng.IntN(100))
}

func (g *queryGen) boolOrNull() string {
	if g.null() {
		return "NULL"
	}
	return []string{"true", "false"}[g.rng.IntN(2)]
}

func (g *queryGen) dateOrNull() string {
	if g.null() {
		return "NULL"
	}
	return fmt.Sprintf("'2024-%02d-%02d'", 1+g.rng.IntN(12), 1+g.rng.IntN(28))
}

func (g *queryGen) pick(opts ...string) string { return opts[g.rng.IntN(len(opts))] }

// intExpr is an integer-valued expression over t1 (alias x).
func (g *queryGen) intExpr(depth int) string {
	if depth <= 0 || g.rng.IntN(3) == 0 {
		return g.pick("x.a", "x.k", "x.b", strconv.Itoa(g.rng.IntN(10)), "length(x.c)")
	}
	l, r := g.intExpr(depth-1), g.intExpr(depth-1)
	switch g.rng.IntN(7) {
	case 0:
		return "(" + l + " + " + r + ")"
	case 1:
		return "(" + l + " - " + r + ")"
	case 2:
		return "(" + l + " * " + r + ")"
	case 3:
		return "(" + l + " / " + g.pick("2", "3", "x.a") + ")"
	case 4:
		return "abs(" + l + ")"
	case 5:
		return "coalesce(" + l + ", " + r + ")"
	default:
		return "CASE WHEN " + g.pred(depth-1) + " THEN " + l + " ELSE " + r + " END"
	}
}

func (g *queryGen) pred(depth int) string {
	if depth <= 0 || g.rng.IntN(3) == 0 {
		switch g.rng.IntN(9) {
		case 0:
			return g.intExpr(1) + g.pick(" = ", " < ", " >= ", " <> ") + g.intExpr(1)
		case 1:
			return "x.c" + g.pick(" LIKE 'a%'", " ILIKE 'a%'", " = 'cat'", " < 'dog'", " IS NULL", " IS NOT NULL")
		case 2:
			return "x.e" + g.pick("", " IS TRUE", " IS NOT FALSE", " IS NULL")
		case 3:
			return "x.a BETWEEN " + strconv.Itoa(g.rng.IntN(10)-5) + " AND " + strconv.Itoa(g.rng.IntN(10))
		case 4:
			return "x.a IN (1, 2, 3, NULL)"
		case 5:
			return "x.d > " + g.pick("0", "10.5", "-3")
		case 6:
			return "x.f >= DATE '2024-06-01'"
		case 7:
			return "x.a IS DISTINCT FROM x.k"
		default:
			return "x.a " + g.pick("IN", "NOT IN") + " (SELECT y.a FROM t2 y WHERE y.x > " + strconv.Itoa(g.rng.IntN(200)) + ")"
		}
	}
	l, r := g.pred(depth-1), g.pred(depth-1)
	return "(" + l + g.pick(" AND ", " OR ") + r + ")" + g.pick("", "", " IS NOT TRUE")
}

func (g *queryGen) query() string {
	switch g.rng.IntN(12) {
	case 6: // window functions
		part := g.pick("x.a % 3", "x.e", "x.c")
		return "SELECT x.k, " + g.pick("row_number()", "rank()", "dense_rank()", "sum(x.b)", "count(*)", "max(x.d)", "lag(x.a)", "lead(x.c, 2)", "first_value(x.k)") +
			" OVER (PARTITION BY " + part + " ORDER BY x.a" + g.pick("", " DESC") + ", x.k) FROM t1 x WHERE " + g.pred(1)
	case 7: // correlated subqueries
		return "SELECT x.k, (SELECT count(*) FROM t2 y WHERE y.a = x.a), (SELECT max(y.c) FROM t2 y WHERE y.k = x.k) FROM t1 x WHERE " +
			g.pick("EXISTS", "NOT EXISTS") + " (SELECT 1 FROM t2 y WHERE y.a = x.a AND y.x > " + strconv.Itoa(g.rng.IntN(200)-100) + ")"
	case 8: // CTE + aggregate over join
		return "WITH j AS (SELECT x.a, x.d, y.x FROM t1 x JOIN t2 y USING (k) WHERE " + g.pred(1) + ") SELECT a, count(*), sum(d), min(x) FROM j GROUP BY a"
	case 9: // numeric, text and date expressions
		return "SELECT x.k, x.d * 2 - 1.5, round(x.d / 3, 2), x.b::numeric / 7, upper(x.c) || '-' || coalesce(x.c, 'none'), length(x.c), " +
			"x.f + 30, x.f - DATE '2024-01-01', extract(month FROM x.f), date_trunc('month', x.f::timestamp), x.d::int, x.a::float8 / 4 FROM t1 x WHERE " + g.pred(1)
	case 10: // DISTINCT / DISTINCT ON and ordering by expressions
		return "SELECT DISTINCT ON (x.a % 4) x.a % 4, x.k, x.c FROM t1 x WHERE x.a IS NOT NULL ORDER BY x.a % 4, x.k DESC"
	case 11: // aggregates over expressions with FILTER and DISTINCT
		return "SELECT x.e, count(DISTINCT x.a), sum(x.a) FILTER (WHERE x.a > 0), avg(x.d), string_agg(DISTINCT x.c, '/' ORDER BY x.c) FROM t1 x GROUP BY x.e"
	case 0: // projection + filter
		return "SELECT x.k, " + g.intExpr(2) + ", x.c FROM t1 x WHERE " + g.pred(2)
	case 1: // grouped aggregate
		key := g.pick("x.a", "x.c", "x.e", "x.a % 3")
		return "SELECT " + key + ", count(*), count(x.b), sum(x.b), min(x.c), max(x.d), avg(x.a), sum(x.d), bool_and(x.e) FROM t1 x WHERE " +
			g.pred(1) + " GROUP BY " + key + g.pick("", " HAVING count(*) > 1")
	case 2: // join
		kind := g.pick("JOIN", "LEFT JOIN", "RIGHT JOIN", "FULL JOIN")
		return "SELECT x.k, y.k, x.c, y.c FROM t1 x " + kind + " t2 y ON x.a = y.a AND y.x > " + strconv.Itoa(g.rng.IntN(300)-150)
	case 3: // ordered, limited
		return "SELECT x.k, x.a, x.c FROM t1 x ORDER BY x.a " + g.pick("ASC", "DESC") + g.pick("", " NULLS FIRST", " NULLS LAST") +
			", x.k LIMIT " + strconv.Itoa(1+g.rng.IntN(20)) + " OFFSET " + strconv.Itoa(g.rng.IntN(5))
	case 4: // set operations and DISTINCT
		return "SELECT x.a FROM t1 x WHERE " + g.pred(1) + g.pick(" UNION ", " UNION ALL ", " INTERSECT ", " EXCEPT ") +
			"SELECT y.a FROM t2 y WHERE y.x > " + strconv.Itoa(g.rng.IntN(200))
	default: // global aggregate, possibly over nothing
		return "SELECT count(*), sum(x.a), max(x.c), string_agg(x.c, ',' ORDER BY x.k) FROM t1 x WHERE " + g.pred(2)
	}
}
