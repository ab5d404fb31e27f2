package planner

import (
	"bytes"
	"encoding/gob"
	"testing"

	"github.com/eddydb/eddy/executor"
	"github.com/eddydb/eddy/sql"
)

// TestPlansSerialize checks P1: planned queries gob-encode and decode into plans that give the
// same results.
func TestPlansSerialize(t *testing.T) {
	h := newHarness(t)
	h.exec(`CREATE TABLE t (id int PRIMARY KEY, g text, n numeric(6,2), ts timestamp);
		INSERT INTO t VALUES (1, 'a', 1.25, '2024-01-01'), (2, 'b', NULL, '2024-02-01'), (3, 'a', 3.5, NULL)`, nil)
	for _, q := range []string{
		"SELECT g, sum(n), count(*) FROM t WHERE n > 1.0 OR n IS NULL GROUP BY g ORDER BY g",
		"SELECT id, rank() OVER (PARTITION BY g ORDER BY n DESC) FROM t ORDER BY id",
		"SELECT x.id FROM t x WHERE EXISTS (SELECT 1 FROM t y WHERE y.g = x.g AND y.id <> x.id) ORDER BY 1",
		"SELECT id, ts + interval '1 day', CASE WHEN n > 2 THEN 'big' ELSE 'small' END FROM t ORDER BY id",
		"WITH RECURSIVE r(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM r WHERE k < 3) SELECT * FROM r",
		"SELECT id, window_start, window_end FROM HOP(t, ts, INTERVAL '1' DAY, INTERVAL '2' DAY) ORDER BY 1, 2",
		"SELECT g, window_start, count(*) FROM TUMBLE(t, ts, INTERVAL '7' DAY) GROUP BY 1, 2 ORDER BY 1, 2",
	} {
		stmts, err := sql.Parse(q)
		if err != nil {
			t.Fatal(err)
		}
		p, err := Build(stmts[0].Stmt, h.env(), nil)
		if err != nil {
			t.Fatal(err)
		}
		want := h.runNode(p, nil)
		var buf bytes.Buffer
		root := p.Root
		if err := gob.NewEncoder(&buf).Encode(&root); err != nil {
			t.Fatalf("%s: encode: %v", q, err)
		}
		var back executor.Node
		if err := gob.NewDecoder(&buf).Decode(&back); err != nil {
			t.Fatalf("%s: decode: %v", q, err)
		}
		p.Root = back
		if got := h.runNode(p, nil); got != want {
			t.Fatalf("%s: after a round trip got\n%s\nwant\n%s", q, got, want)
		}
	}
}
