package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/eddydb/eddy/cmd/eddy/internal/pgref"
	"github.com/eddydb/eddy/cmd/eddy/internal/proc"
	"github.com/eddydb/eddy/connectors"
	"github.com/eddydb/eddy/sql/types"
)

// Views over bounded connector streams, checked once the streams have ended. A connector's
// rows arrive asynchronously (FLUSH does not wait for them), so the test polls each stream's
// count view until it holds exactly the rows the connectors package generates for the same
// options, checks that it stays there, and then compares every view with the same query run
// by PostgreSQL 15 over those generated rows, loaded with COPY. testdata/slt/sources.slt has
// the DDL and its errors.

// mvsSource is one connector-fed relation of the test: created on eddy with its connector,
// and on PostgreSQL as a plain table loaded with the rows the connector generates.
type mvsSource struct {
	name      string
	kind      string // "SOURCE" or "TABLE"
	connector string
	cols      []connectors.Column
	pgCols    string // the column list with SQL types (and any constraints), for both servers
	opts      [][2]string
}

func (s mvsSource) withClause() string {
	parts := []string{fmt.Sprintf("connector = '%s'", s.connector)}
	for _, o := range s.opts {
		parts = append(parts, fmt.Sprintf("%s = '%s'", o[0], o[1]))
	}
	return strings.Join(parts, ", ")
}

// generate returns the rows the connector produces over its whole (bounded) stream, one
// []*string per row in PostgreSQL's text format (nil for NULL).
func (s mvsSource) generate(t *testing.T) [][]*string {
	t.Helper()
	opts := map[string]string{"connector": s.connector}
	for _, o := range s.opts {
		opts[o[0]] = o[1]
	}
	src, err := connectors.Open(s.connector, opts, s.cols)
	if err != nil {
		t.Fatalf("connectors.Open(%s): %v", s.name, err)
	}
	end, ok := src.End()
	if !ok {
		t.Fatalf("%s: the stream is unbounded", s.name)
	}
	rec, err := src.Read(memory.DefaultAllocator, 0, end)
	if err != nil {
		t.Fatalf("%s: Read(0, %d): %v", s.name, end, err)
	}
	defer rec.Release()
	rows := make([][]*string, rec.NumRows())
	for i := range rows {
		row := make([]*string, len(s.cols))
		for j, c := range s.cols {
			if v := types.DatumAt(rec.Column(j), i, c.Type); v != nil {
				txt := types.FormatText(c.Type, v, &types.DefaultFormatContext)
				row[j] = &txt
			}
		}
		rows[i] = row
	}
	return rows
}

// mvsCSV renders rows as CSV for COPY ... (FORMAT csv): every value quoted, NULL unquoted empty.
func mvsCSV(rows [][]*string) string {
	var b strings.Builder
	for _, row := range rows {
		for j, v := range row {
			if j > 0 {
				b.WriteByte(',')
			}
			if v != nil {
				b.WriteString(`"` + strings.ReplaceAll(*v, `"`, `""`) + `"`)
			}
		}
		b.WriteByte('\n')
	}
	return b.String()
}

func mvsConnect(t *testing.T, url string) *pgconn.PgConn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := pgconn.Connect(ctx, url)
	if err != nil {
		t.Fatalf("connect %s: %v", url, err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

func mvsExec(t *testing.T, c *pgconn.PgConn, sql string) {
	t.Helper()
	if _, err := c.Exec(context.Background(), sql).ReadAll(); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// mvsRows runs q and returns its rows as sorted lines, values separated by " | ".
func mvsRows(t *testing.T, c *pgconn.PgConn, q string) []string {
	t.Helper()
	res, err := c.Exec(context.Background(), q).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	last := res[len(res)-1]
	out := make([]string, len(last.Rows))
	for i, row := range last.Rows {
		vals := make([]string, len(row))
		for j, v := range row {
			if v == nil {
				vals[j] = "NULL"
			} else {
				vals[j] = string(v)
			}
		}
		out[i] = strings.Join(vals, " | ")
	}
	slices.Sort(out)
	return out
}

func mvsCount(t *testing.T, c *pgconn.PgConn, q string) int64 {
	t.Helper()
	rows := mvsRows(t, c, q)
	var n int64
	if len(rows) != 1 {
		t.Fatalf("%s: %d rows", q, len(rows))
	}
	if _, err := fmt.Sscan(rows[0], &n); err != nil {
		t.Fatalf("%s: %q: %v", q, rows[0], err)
	}
	return n
}

// mvsWait polls q (one count) until it equals want, then checks it stays there a moment
// longer, so a stream that overshoots its end is caught.
func mvsWait(t *testing.T, c *pgconn.PgConn, q string, want int64, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		got := mvsCount(t, c, q)
		if got > want {
			t.Fatalf("%s = %d, more than the %d rows the connector generates", q, got, want)
		}
		if got == want {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s stayed at %d after %v, want %d", q, got, timeout, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond)
	if got := mvsCount(t, c, q); got != want {
		t.Fatalf("%s = %d after the stream ended at %d", q, got, want)
	}
}

// mvsCompare checks each view on eddy against its query on PostgreSQL.
func mvsCompare(t *testing.T, eddy, pg *pgconn.PgConn, views [][2]string) {
	t.Helper()
	for _, v := range views {
		want := mvsRows(t, pg, v[1])
		got := mvsRows(t, eddy, "SELECT * FROM "+v[0])
		if len(want) == 0 {
			t.Errorf("view %s: PostgreSQL returns no rows; the view checks nothing", v[0])
		}
		if !slices.Equal(want, got) {
			t.Errorf("view %s differs from PostgreSQL's %s: %s", v[0], v[1], mvsDiff(want, got))
		}
	}
}

// mvsDiff summarizes how got differs from want (both sorted).
func mvsDiff(want, got []string) string {
	var missing, extra []string
	i, j := 0, 0
	for i < len(want) || j < len(got) {
		switch {
		case j == len(got) || i < len(want) && want[i] < got[j]:
			missing = append(missing, want[i])
			i++
		case i == len(want) || got[j] < want[i]:
			extra = append(extra, got[j])
			j++
		default:
			i++
			j++
		}
	}
	if len(missing) > 5 {
		missing = append(missing[:5], "...")
	}
	if len(extra) > 5 {
		extra = append(extra[:5], "...")
	}
	return fmt.Sprintf("%d rows wanted, %d got; missing %q; extra %q", len(want), len(got), missing, extra)
}

// mvsCreate creates the connector-fed relations on eddy.
func mvsCreate(t *testing.T, eddy *pgconn.PgConn, srcs []mvsSource) {
	t.Helper()
	for _, s := range srcs {
		mvsExec(t, eddy, fmt.Sprintf("CREATE %s %s (%s) WITH (%s)", s.kind, s.name, s.pgCols, s.withClause()))
	}
}

// mvsLoad creates the relations on PostgreSQL as plain tables holding the rows the
// connectors generate, and returns the row counts by name.
func mvsLoad(t *testing.T, pg *pgconn.PgConn, srcs []mvsSource) map[string]int64 {
	t.Helper()
	counts := map[string]int64{}
	for _, s := range srcs {
		rows := s.generate(t)
		counts[s.name] = int64(len(rows))
		mvsExec(t, pg, fmt.Sprintf("CREATE TABLE %s (%s)", s.name, s.pgCols))
		if _, err := pg.CopyFrom(context.Background(), strings.NewReader(mvsCSV(rows)),
			fmt.Sprintf("COPY %s FROM STDIN (FORMAT csv)", s.name)); err != nil {
			t.Fatalf("COPY %s into PostgreSQL: %v", s.name, err)
		}
	}
	return counts
}

func nexmarkSource(name, table string, cols []connectors.Column, pgCols string) mvsSource {
	return mvsSource{name: name, kind: "SOURCE", connector: "nexmark", cols: cols, pgCols: pgCols,
		opts: [][2]string{{"nexmark.table.type", table}, {"nexmark.event.num", "20000"},
			{"nexmark.min.event.gap.in.ns", "0"}}}
}

// TestMviewSourcesNexmark feeds views from bounded Bid, Auction and Person sources of the
// same 20000-event Nexmark stream.
func TestMviewSourcesNexmark(t *testing.T) {
	pgSrv := pgref.Start(t)
	srv := proc.Start(t)
	eddy, pg := mvsConnect(t, srv.URL()), mvsConnect(t, pgSrv.URL())
	vc, i8, ts := types.VarcharT, types.Int8T, types.TimestampT
	srcs := []mvsSource{
		nexmarkSource("bid", "Bid", []connectors.Column{{Name: "auction", Type: i8}, {Name: "bidder", Type: i8},
			{Name: "price", Type: i8}, {Name: "channel", Type: vc}, {Name: "url", Type: vc},
			{Name: "date_time", Type: ts}, {Name: "extra", Type: vc}},
			"auction bigint, bidder bigint, price bigint, channel varchar, url varchar, date_time timestamp, extra varchar"),
		nexmarkSource("auction", "Auction", []connectors.Column{{Name: "id", Type: i8}, {Name: "item_name", Type: vc},
			{Name: "description", Type: vc}, {Name: "initial_bid", Type: i8}, {Name: "reserve", Type: i8},
			{Name: "date_time", Type: ts}, {Name: "expires", Type: ts}, {Name: "seller", Type: i8},
			{Name: "category", Type: i8}, {Name: "extra", Type: vc}},
			"id bigint, item_name varchar, description varchar, initial_bid bigint, reserve bigint, date_time timestamp, expires timestamp, seller bigint, category bigint, extra varchar"),
		// A subset of Person's columns, in another order.
		nexmarkSource("person", "Person", []connectors.Column{{Name: "state", Type: vc}, {Name: "id", Type: i8},
			{Name: "name", Type: vc}, {Name: "city", Type: vc}, {Name: "date_time", Type: ts}},
			"state varchar, id bigint, name varchar, city varchar, date_time timestamp"),
	}
	// The views are created right after their sources, while the streams run.
	views := [][2]string{
		{"bids_n", "SELECT count(*) AS n FROM bid"},
		{"auctions_n", "SELECT count(*) AS n FROM auction"},
		{"persons_n", "SELECT count(*) AS n FROM person"},
		{"bid_stats", "SELECT count(*) AS n, sum(price) AS total, min(price) AS lo, max(price) AS hi, count(DISTINCT auction) AS auctions, count(DISTINCT bidder) AS bidders, min(date_time) AS first, max(date_time) AS last FROM bid"},
		{"per_auction", "SELECT auction, count(*) AS n, max(price) AS top, min(price) AS low, sum(price) AS total FROM bid GROUP BY auction"},
		{"per_channel", "SELECT channel, count(*) AS n, count(DISTINCT bidder) AS bidders, avg(price) AS avgp, max(url) AS url FROM bid GROUP BY channel"},
		{"hot_auctions", "SELECT auction, count(*) AS n FROM bid GROUP BY auction HAVING count(*) >= 100"},
		{"per_second", "SELECT date_trunc('second', date_time) AS sec, count(*) AS n, max(price) AS top FROM bid GROUP BY date_trunc('second', date_time)"},
		{"top_bids", "SELECT price, auction, bidder FROM bid ORDER BY price DESC, auction, bidder LIMIT 10"},
		{"per_category", "SELECT category, count(*) AS n, max(initial_bid) AS top, sum(reserve) AS reserves, min(expires) AS soonest FROM auction GROUP BY category"},
		{"per_state", "SELECT state, count(*) AS n, min(name) AS first_name, string_agg(city, ',' ORDER BY id) AS cities FROM person GROUP BY state"},
		// Nexmark q3: local sellers in a category.
		{"q3", "SELECT p.name, p.city, p.state, a.id FROM auction a JOIN person p ON a.seller = p.id WHERE a.category = 10 AND p.state IN ('OR', 'ID', 'CA')"},
		{"auction_bids", "SELECT a.id, a.seller, count(b.auction) AS bids, max(b.price) AS top FROM auction a LEFT JOIN bid b ON b.auction = a.id GROUP BY a.id, a.seller"},
		{"seller_bidders", "SELECT p.state, count(DISTINCT b.bidder) AS bidders, count(*) AS bids FROM bid b JOIN auction a ON b.auction = a.id JOIN person p ON a.seller = p.id GROUP BY p.state"},
	}
	mvsCreate(t, eddy, srcs[:1])
	mvsExec(t, eddy, "CREATE MATERIALIZED VIEW early AS SELECT count(*) AS n, sum(price) AS s FROM bid")
	mvsCreate(t, eddy, srcs[1:])
	for _, v := range views {
		mvsExec(t, eddy, fmt.Sprintf("CREATE MATERIALIZED VIEW %s AS %s", v[0], v[1]))
	}
	counts := mvsLoad(t, pg, srcs)
	t.Logf("generated %d bids, %d auctions, %d persons", counts["bid"], counts["auction"], counts["person"])
	if counts["bid"] == 0 || counts["auction"] == 0 || counts["person"] == 0 {
		t.Fatalf("the connector generated no rows of some kind: %v", counts)
	}
	for _, name := range []string{"bid", "auction", "person"} {
		mvsWait(t, eddy, fmt.Sprintf("SELECT n FROM %ss_n", name), counts[name], 60*time.Second)
	}
	mvsExec(t, eddy, "FLUSH")
	mvsCompare(t, eddy, pg, append(views, [2]string{"early", "SELECT count(*) AS n, sum(price) AS s FROM bid"}))
	// A view created after the streams ended still sees every row.
	late := [2]string{"late", "SELECT bidder, count(*) AS n, max(price) AS top FROM bid GROUP BY bidder"}
	mvsExec(t, eddy, fmt.Sprintf("CREATE MATERIALIZED VIEW %s AS %s", late[0], late[1]))
	mvsCompare(t, eddy, pg, [][2]string{late})
}

// TestMviewSourcesDatagen feeds views from a table WITH (connector = 'datagen') bounded by a
// sequence column, and then changes the table with DML as well.
func TestMviewSourcesDatagen(t *testing.T) {
	pgSrv := pgref.Start(t)
	srv := proc.Start(t)
	eddy, pg := mvsConnect(t, srv.URL()), mvsConnect(t, pgSrv.URL())
	src := mvsSource{name: "dg", kind: "TABLE", connector: "datagen",
		cols: []connectors.Column{{Name: "id", Type: types.Int4T}, {Name: "k", Type: types.Int4T},
			{Name: "v", Type: types.Float8T}, {Name: "name", Type: types.T{Family: types.Varchar, Width: 6}},
			{Name: "flag", Type: types.BoolT}, {Name: "ts", Type: types.TimestampT},
			{Name: "amount", Type: types.T{Family: types.Numeric, Width: 10, Scale: 2}}},
		pgCols: "id int PRIMARY KEY, k int, v double precision, name varchar(6), flag bool, ts timestamp, amount numeric(10,2)",
		opts: [][2]string{{"fields.id.kind", "sequence"}, {"fields.id.start", "1"}, {"fields.id.end", "1000"},
			{"fields.k.min", "0"}, {"fields.k.max", "9"}, {"fields.v.min", "-100"}, {"fields.v.max", "100"},
			{"fields.name.length", "6"}, {"fields.ts.max_past", "1h"}, {"fields.amount.min", "0"},
			{"fields.amount.max", "500"}, {"datagen.seed", "42"}, {"datagen.rows.per.second", "100000"}},
	}
	views := [][2]string{
		{"dg_n", "SELECT count(*) AS n FROM dg"},
		{"dg_per_k", "SELECT k, count(*) AS n, min(v) AS lo, max(v) AS hi, min(name) AS first, max(ts) AS last, bool_and(flag) AS all_flag, bool_or(flag) AS any_flag, sum(amount) AS total, avg(amount) AS mean FROM dg GROUP BY k"},
		{"dg_flagged", "SELECT id, name, amount FROM dg WHERE flag AND v > 50"},
		{"dg_top", "SELECT id, amount FROM dg ORDER BY amount DESC, id LIMIT 5"},
		{"dg_names", "SELECT DISTINCT k % 3 AS r, flag FROM dg"},
	}
	mvsCreate(t, eddy, []mvsSource{src})
	for _, v := range views[:2] {
		mvsExec(t, eddy, fmt.Sprintf("CREATE MATERIALIZED VIEW %s AS %s", v[0], v[1]))
	}
	counts := mvsLoad(t, pg, []mvsSource{src})
	// These are created while the stream runs or after it has ended.
	for _, v := range views[2:] {
		mvsExec(t, eddy, fmt.Sprintf("CREATE MATERIALIZED VIEW %s AS %s", v[0], v[1]))
	}
	if counts["dg"] != 1000 {
		t.Fatalf("datagen generated %d rows, want 1000", counts["dg"])
	}
	mvsWait(t, eddy, "SELECT n FROM dg_n", counts["dg"], 60*time.Second)
	// The table holds exactly the generated rows.
	if want, got := mvsRows(t, pg, "SELECT * FROM dg"), mvsRows(t, eddy, "SELECT * FROM dg"); !slices.Equal(want, got) {
		t.Errorf("table dg differs from the generated rows: %s", mvsDiff(want, got))
	}
	mvsCompare(t, eddy, pg, views)
	// The same DML on both sides after the stream has ended.
	for _, q := range []string{
		"DELETE FROM dg WHERE id % 4 = 0",
		"UPDATE dg SET k = k + 1, amount = amount / 2 WHERE id % 3 = 0",
		"INSERT INTO dg VALUES (2000, 42, 99.5, 'extra', true, '2020-01-01 00:00:00', 999.99)",
	} {
		mvsExec(t, eddy, q)
		mvsExec(t, pg, q)
	}
	mvsCompare(t, eddy, pg, views)
}
