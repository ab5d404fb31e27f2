package main

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/eddydb/eddy/cmd/eddy/internal/pgref"
	"github.com/eddydb/eddy/cmd/eddy/internal/proc"
	"github.com/eddydb/eddy/connectors"
	"github.com/eddydb/eddy/connectors/nexmark"
)

// nexmarkQuery is one Nexmark query: as a RisingWave-style view on eddy, and in plain
// PostgreSQL (windows spelled with date_bin and generate_series) for the reference.
type nexmarkQuery struct {
	name, eddy, pg string
}

// reads lists the nexmark sources q's view reads.
func (q nexmarkQuery) reads() []string {
	switch q.name {
	case "q3", "q8":
		return []string{"auction", "person"}
	case "q4", "q9", "q20":
		return []string{"auction", "bid"}
	}
	return []string{"bid"}
}

// PostgreSQL spellings of TUMBLE(t, date_time, 10 s) and HOP(bid, date_time, 2 s, 10 s).
const (
	pgTumble = "(SELECT x.*, date_bin('10 seconds', x.date_time, '1970-01-01') AS window_start, " +
		"date_bin('10 seconds', x.date_time, '1970-01-01') + interval '10 seconds' AS window_end FROM %s x)"
	pgHop = "(SELECT x.*, ws AS window_start, ws + interval '10 seconds' AS window_end FROM bid x, " +
		"generate_series(date_bin('2 seconds', x.date_time, '1970-01-01') - interval '8 seconds', " +
		"date_bin('2 seconds', x.date_time, '1970-01-01'), interval '2 seconds') ws)"
)

var nexmarkQueries = []nexmarkQuery{
	{name: "q0", eddy: "SELECT auction, bidder, price, date_time FROM bid"},
	{name: "q1", eddy: "SELECT auction, bidder, 0.908 * price AS price, date_time FROM bid"},
	{name: "q2", eddy: "SELECT auction, price FROM bid WHERE auction = 1007 OR auction = 1020 OR auction = 2001 OR auction = 2019 OR auction = 2087 OR auction % 123 = 0"},
	{name: "q3", eddy: "SELECT P.name, P.city, P.state, A.id FROM auction AS A INNER JOIN person AS P ON A.seller = P.id " +
		"WHERE A.category = 10 AND (P.state = 'OR' OR P.state = 'ID' OR P.state = 'CA')"},
	{name: "q4", eddy: "SELECT Q.category, AVG(Q.final) AS avg FROM (SELECT MAX(B.price) AS final, A.category FROM auction A, bid B " +
		"WHERE A.id = B.auction AND B.date_time BETWEEN A.date_time AND A.expires GROUP BY A.id, A.category) Q GROUP BY Q.category"},
	{name: "q5",
		eddy: "SELECT AuctionBids.auction, AuctionBids.num FROM (SELECT bid.auction, count(*) AS num, window_start AS starttime " +
			"FROM HOP(bid, date_time, INTERVAL '2' SECOND, INTERVAL '10' SECOND) GROUP BY window_start, bid.auction) AS AuctionBids " +
			"JOIN (SELECT max(CountBids.num) AS maxn, CountBids.starttime_c FROM (SELECT count(*) AS num, window_start AS starttime_c " +
			"FROM HOP(bid, date_time, INTERVAL '2' SECOND, INTERVAL '10' SECOND) GROUP BY bid.auction, window_start) AS CountBids " +
			"GROUP BY CountBids.starttime_c) AS MaxBids ON AuctionBids.starttime = MaxBids.starttime_c AND AuctionBids.num >= MaxBids.maxn",
		pg: "SELECT AuctionBids.auction, AuctionBids.num FROM (SELECT auction, count(*) AS num, window_start AS starttime " +
			"FROM " + pgHop + " h GROUP BY window_start, auction) AS AuctionBids " +
			"JOIN (SELECT max(CountBids.num) AS maxn, CountBids.starttime_c FROM (SELECT count(*) AS num, window_start AS starttime_c " +
			"FROM " + pgHop + " h GROUP BY auction, window_start) AS CountBids " +
			"GROUP BY CountBids.starttime_c) AS MaxBids ON AuctionBids.starttime = MaxBids.starttime_c AND AuctionBids.num >= MaxBids.maxn"},
	{name: "q7",
		eddy: "SELECT B.auction, B.price, B.bidder, B.date_time FROM bid B JOIN (SELECT MAX(price) AS maxprice, window_end AS date_time " +
			"FROM TUMBLE(bid, date_time, INTERVAL '10' SECOND) GROUP BY window_end) B1 ON B.price = B1.maxprice " +
			"WHERE B.date_time BETWEEN B1.date_time - INTERVAL '10' SECOND AND B1.date_time",
		pg: "SELECT B.auction, B.price, B.bidder, B.date_time FROM bid B JOIN (SELECT MAX(price) AS maxprice, window_end AS date_time " +
			"FROM " + fmt.Sprintf(pgTumble, "bid") + " t GROUP BY window_end) B1 ON B.price = B1.maxprice " +
			"WHERE B.date_time BETWEEN B1.date_time - INTERVAL '10' SECOND AND B1.date_time"},
	{name: "q8",
		eddy: "SELECT P.id, P.name, P.starttime FROM (SELECT id, name, window_start AS starttime, window_end AS endtime " +
			"FROM TUMBLE(person, date_time, INTERVAL '10' SECOND) GROUP BY id, name, window_start, window_end) P " +
			"JOIN (SELECT seller, window_start AS starttime, window_end AS endtime FROM TUMBLE(auction, date_time, INTERVAL '10' SECOND) " +
			"GROUP BY seller, window_start, window_end) A ON P.id = A.seller AND P.starttime = A.starttime AND P.endtime = A.endtime",
		pg: "SELECT P.id, P.name, P.starttime FROM (SELECT id, name, window_start AS starttime, window_end AS endtime " +
			"FROM " + fmt.Sprintf(pgTumble, "person") + " t GROUP BY id, name, window_start, window_end) P " +
			"JOIN (SELECT seller, window_start AS starttime, window_end AS endtime FROM " + fmt.Sprintf(pgTumble, "auction") + " t " +
			"GROUP BY seller, window_start, window_end) A ON P.id = A.seller AND P.starttime = A.starttime AND P.endtime = A.endtime"},
	{name: "q9", eddy: "SELECT id, item_name, description, initial_bid, reserve, date_time, expires, seller, category, auction, bidder, price, bid_date_time " +
		"FROM (SELECT A.*, B.auction, B.bidder, B.price, B.date_time AS bid_date_time, " +
		"ROW_NUMBER() OVER (PARTITION BY A.id ORDER BY B.price DESC, B.date_time ASC, B.bidder ASC) AS rownum " +
		"FROM auction A, bid B WHERE A.id = B.auction AND B.date_time BETWEEN A.date_time AND A.expires) t WHERE rownum <= 1"},
	{name: "q10", eddy: "SELECT auction, bidder, price, date_time, to_char(date_time, 'YYYY-MM-DD') AS date, to_char(date_time, 'HH:MI') AS time FROM bid"},
	{name: "q13", eddy: "SELECT B.auction, B.bidder, B.price, B.date_time, S.value FROM bid B " +
		"JOIN side_input FOR SYSTEM_TIME AS OF PROCTIME() AS S ON mod(B.auction, 10000) = S.key",
		pg: "SELECT B.auction, B.bidder, B.price, B.date_time, S.value FROM bid B JOIN side_input AS S ON mod(B.auction, 10000) = S.key"},
	{name: "q14", eddy: "SELECT auction, bidder, 0.908 * price AS price, CASE WHEN extract(hour FROM date_time) >= 8 AND extract(hour FROM date_time) <= 18 THEN 'dayTime' " +
		"WHEN extract(hour FROM date_time) <= 6 OR extract(hour FROM date_time) >= 20 THEN 'nightTime' ELSE 'otherTime' END AS bidTimeType, date_time, extra " +
		"FROM bid WHERE 0.908 * price > 1000000 AND 0.908 * price < 50000000"},
	{name: "q15", eddy: "SELECT to_char(date_time, 'yyyy-MM-dd') AS day, count(*) AS total_bids, " +
		"count(*) FILTER (WHERE price < 10000) AS rank1_bids, count(*) FILTER (WHERE price >= 10000 AND price < 1000000) AS rank2_bids, " +
		"count(*) FILTER (WHERE price >= 1000000) AS rank3_bids, count(DISTINCT bidder) AS total_bidders, " +
		"count(DISTINCT bidder) FILTER (WHERE price < 10000) AS rank1_bidders, count(DISTINCT bidder) FILTER (WHERE price >= 10000 AND price < 1000000) AS rank2_bidders, " +
		"count(DISTINCT bidder) FILTER (WHERE price >= 1000000) AS rank3_bidders, count(DISTINCT auction) AS total_auctions, " +
		"count(DISTINCT auction) FILTER (WHERE price < 10000) AS rank1_auctions, count(DISTINCT auction) FILTER (WHERE price >= 10000 AND price < 1000000) AS rank2_auctions, " +
		"count(DISTINCT auction) FILTER (WHERE price >= 1000000) AS rank3_auctions FROM bid GROUP BY to_char(date_time, 'yyyy-MM-dd')"},
	{name: "q16", eddy: "SELECT channel, to_char(date_time, 'yyyy-MM-dd') AS day, max(to_char(date_time, 'HH:mm')) AS minute, count(*) AS total_bids, " +
		"count(*) FILTER (WHERE price < 10000) AS rank1_bids, count(DISTINCT bidder) AS total_bidders, " +
		"count(DISTINCT bidder) FILTER (WHERE price >= 1000000) AS rank3_bidders, count(DISTINCT auction) AS total_auctions " +
		"FROM bid GROUP BY to_char(date_time, 'yyyy-MM-dd'), channel"},
	{name: "q17", eddy: "SELECT auction, to_char(date_time, 'YYYY-MM-DD') AS day, count(*) AS total_bids, " +
		"count(*) FILTER (WHERE price < 10000) AS rank1_bids, count(*) FILTER (WHERE price >= 10000 AND price < 1000000) AS rank2_bids, " +
		"count(*) FILTER (WHERE price >= 1000000) AS rank3_bids, min(price) AS min_price, max(price) AS max_price, avg(price) AS avg_price, sum(price) AS sum_price " +
		"FROM bid GROUP BY auction, to_char(date_time, 'YYYY-MM-DD')"},
	// q18 and q19 as RisingWave writes them, plus tie-breakers: with equal sort keys
	// PostgreSQL may pick any of the tied rows.
	{name: "q18", eddy: "SELECT auction, bidder, price, channel, url, date_time, extra FROM (SELECT *, ROW_NUMBER() OVER " +
		"(PARTITION BY bidder, auction ORDER BY date_time DESC, price DESC, url, extra) AS rank_number FROM bid) t WHERE rank_number <= 1"},
	{name: "q19", eddy: "SELECT * FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY auction ORDER BY price DESC, date_time, bidder, url, extra) " +
		"AS rank_number FROM bid) t WHERE rank_number <= 10"},
	{name: "q20", eddy: "SELECT auction, bidder, price, channel, url, B.date_time AS bid_date_time, B.extra, item_name, description, initial_bid, reserve, " +
		"A.date_time AS auction_date_time, expires, seller, category FROM bid B INNER JOIN auction A ON B.auction = A.id WHERE A.category = 10"},
	{name: "q21", eddy: "SELECT auction, bidder, price, channel, CASE WHEN lower(channel) = 'apple' THEN '0' WHEN lower(channel) = 'google' THEN '1' " +
		"WHEN lower(channel) = 'facebook' THEN '2' WHEN lower(channel) = 'baidu' THEN '3' ELSE (regexp_match(url, '(&|^)channel_id=([^&]*)'))[2] END AS channel_id " +
		"FROM bid WHERE (regexp_match(url, '(&|^)channel_id=([^&]*)'))[2] IS NOT NULL OR lower(channel) IN ('apple', 'google', 'facebook', 'baidu')"},
	{name: "q22", eddy: "SELECT auction, bidder, price, channel, split_part(url, '/', 4) AS dir1, split_part(url, '/', 5) AS dir2, split_part(url, '/', 6) AS dir3 FROM bid"},
}

// TestNexmarkQueries runs the Nexmark queries as views over nexmark sources and requires each
// to equal what PostgreSQL computes over the same events loaded into tables. EDDY_NEXMARK_EVENTS
// sets the stream length.
func TestNexmarkQueries(t *testing.T) {
	events := 20000
	if v, err := strconv.Atoi(os.Getenv("EDDY_NEXMARK_EVENTS")); err == nil {
		events = v
	}
	// 200 events per second of event time spreads the stream over many 10-second windows;
	// min.event.gap 0 ingests as fast as eddy applies.
	opts := map[string]string{"nexmark.event.num": strconv.Itoa(events), "nexmark.first.event.rate": "200",
		"nexmark.min.event.gap.in.ns": "0", "nexmark.max.chunk.size": "2000"}
	pg := pgref.Start(t)
	srv := proc.Start(t)
	ctx := context.Background()
	resetPostgres(t, ctx, pg.URL())
	pc, err := pgx.Connect(ctx, pg.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close(ctx)
	ec := srv.Connect(t)
	defer ec.Close(ctx)

	tables := []struct {
		name string
		kind string
		cols []nexmark.Column
	}{{"person", "Person", nexmark.PersonColumns}, {"auction", "Auction", nexmark.AuctionColumns}, {"bid", "Bid", nexmark.BidColumns}}
	for _, tb := range tables {
		var defs []string
		var ccols []connectors.Column
		for _, c := range tb.cols {
			defs = append(defs, c.Name+" "+c.Type.String())
			ccols = append(ccols, connectors.Column{Name: c.Name, Type: c.Type})
		}
		with := []string{fmt.Sprintf("connector = 'nexmark', nexmark.table.type = '%s'", tb.kind)}
		for _, k := range slices.Sorted(mapKeys(opts)) {
			with = append(with, fmt.Sprintf("%s = '%s'", k, opts[k]))
		}
		if _, err := ec.Exec(ctx, fmt.Sprintf("CREATE SOURCE %s (%s) WITH (%s)", tb.name, strings.Join(defs, ", "), strings.Join(with, ", "))); err != nil {
			t.Fatal(err)
		}
		// The reference: the same events, generated here and copied into PostgreSQL.
		if _, err := pc.Exec(ctx, fmt.Sprintf("CREATE TABLE %s (%s)", tb.name, strings.Join(defs, ", "))); err != nil {
			t.Fatal(err)
		}
		o := map[string]string{"nexmark.table.type": tb.kind}
		for k, v := range opts {
			o[k] = v
		}
		src, err := connectors.Open("nexmark", o, ccols)
		if err != nil {
			t.Fatal(err)
		}
		rec, err := src.Read(memory.DefaultAllocator, 0, int64(events))
		if err != nil {
			t.Fatal(err)
		}
		names := make([]string, len(tb.cols))
		for i, c := range tb.cols {
			names[i] = c.Name
		}
		n, err := pc.CopyFrom(ctx, pgx.Identifier{tb.name}, names, pgx.CopyFromRows(recordRows(rec)))
		rec.Release()
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %d rows", tb.name, n)
	}
	// q13's side input: a table the stream is joined with as of processing time. It is filled
	// before any event arrives, so the temporal join equals a plain join.
	for _, c := range []interface {
		Exec(context.Context, string, ...any) (pgconn.CommandTag, error)
	}{ec, pc} {
		for _, q := range []string{
			"CREATE TABLE side_input (key bigint PRIMARY KEY, value text)",
			"INSERT INTO side_input SELECT g, 'v' || g FROM generate_series(0, 9999) g",
		} {
			if _, err := c.Exec(ctx, q); err != nil {
				t.Fatal(err)
			}
		}
	}
	created := map[string]bool{}
	for _, q := range nexmarkQueries {
		if _, err := ec.Exec(ctx, fmt.Sprintf("CREATE MATERIALIZED VIEW %s AS %s", q.name, q.eddy)); err != nil {
			t.Errorf("%s: CREATE MATERIALIZED VIEW: %v", q.name, err)
			continue
		}
		created[q.name] = true
	}
	// Wait until every source has delivered the whole stream.
	deadline := time.Now().Add(2 * time.Minute)
	for {
		var n int64
		if err := ec.QueryRow(ctx, "SELECT count(*) FROM q0").Scan(&n); err != nil {
			t.Fatal(err)
		}
		var want int64
		if err := pc.QueryRow(ctx, "SELECT count(*) FROM bid").Scan(&want); err != nil {
			t.Fatal(err)
		}
		if n == want {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("q0 has %d rows, want %d", n, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if _, err := ec.Exec(ctx, "FLUSH"); err != nil {
		t.Fatal(err)
	}
	for _, q := range nexmarkQueries {
		if !created[q.name] {
			continue
		}
		ref := q.pg
		if ref == "" {
			ref = q.eddy
		}
		want := textRows(t, ctx, pc.PgConn(), ref)
		got := textRows(t, ctx, ec.PgConn(), "SELECT * FROM "+q.name)
		if !slices.Equal(want, got) {
			t.Errorf("%s differs from PostgreSQL: %s", q.name, diffRows(want, got))
			continue
		}
		t.Logf("%s: %d rows equal", q.name, len(got))
	}
}

func mapKeys(m map[string]string) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// textRows runs q over the simple protocol and returns its rows in text form, sorted.
func textRows(t *testing.T, ctx context.Context, c *pgconn.PgConn, q string) []string {
	t.Helper()
	res := c.Exec(ctx, q)
	rs, err := res.ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	var out []string
	for _, r := range rs {
		for _, row := range r.Rows {
			f := make([]string, len(row))
			for i, v := range row {
				if v == nil {
					f[i] = "NULL"
				} else {
					f[i] = string(v)
				}
			}
			out = append(out, strings.Join(f, "|"))
		}
	}
	slices.Sort(out)
	return out
}

// recordRows converts a generator's record into rows for CopyFrom.
func recordRows(rec arrow.Record) [][]any {
	rows := make([][]any, rec.NumRows())
	for i := range rows {
		rows[i] = make([]any, rec.NumCols())
	}
	for c := range int(rec.NumCols()) {
		col := rec.Column(c)
		for i := range rows {
			if col.IsNull(i) {
				continue
			}
			switch a := col.(type) {
			case *array.Int64:
				rows[i][c] = a.Value(i)
			case *array.String:
				rows[i][c] = a.Value(i)
			case *array.Timestamp:
				rows[i][c] = time.UnixMicro(int64(a.Value(i))).UTC()
			default:
				panic(fmt.Sprintf("nexmark column of type %T", col))
			}
		}
	}
	return rows
}
