package planner

import (
	"maps"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/eddydb/eddy/executor"
	"github.com/eddydb/eddy/executor/stream"
	"github.com/eddydb/eddy/sql"
)

// streamGraph plans query as CREATE MATERIALIZED VIEW would.
func streamGraph(t *testing.T, h *harness, query string) *stream.Graph {
	t.Helper()
	stmts, err := sql.Parse(query)
	if err != nil {
		t.Fatal(err)
	}
	env := h.env()
	env.AllowSources = true
	sp, err := BuildStreamWith(stmts[0].Stmt.(*sql.SelectStmt).Query, env, StreamOptions{})
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return sp.Graph
}

// specKind names a node's operator for the test's expectations.
func specKind(s stream.Spec) string {
	switch s := s.(type) {
	case *stream.AggSpec:
		return "agg"
	case *stream.JoinSpec:
		return "join"
	case *stream.SourceSpec:
		return "source"
	case *stream.TopNSpec:
		return "topn"
	case *stream.DistinctSpec:
		return "distinct"
	default:
		_ = s
		return "other"
	}
}

// TestPlanReuse pins which operators CREATE OR REPLACE keeps for typical changes of a view's
// query, on real plans: kept where the sub-plan is unchanged, a snapshot where a rebuilt
// operator reads a kept one, and a relation replayed (and the kept operators over it given up)
// where a rebuilt operator reads it directly.
func TestPlanReuse(t *testing.T) {
	h := newStreamHarness(t)
	const agg = "SELECT g, count(*) AS n, sum(v) AS s FROM t1 GROUP BY g"
	const join = "SELECT t1.g, count(*) AS n, sum(t2.x) AS s FROM t1 JOIN t2 ON t1.g = t2.g GROUP BY t1.g"
	for _, c := range []struct {
		name, old, new string
		keepOutput     bool
		kept           []string // kinds of the kept operators, in node order
		snapshots      []string // kinds of the kept operators that feed their history
		full           []string // relations replayed from the start
		rowsKept       bool
	}{
		{name: "same query", old: agg, new: agg, keepOutput: true, kept: []string{"agg"}, rowsKept: true},
		{name: "same query, rows rebuilt", old: agg, new: agg, kept: []string{"agg"}, snapshots: []string{"agg"}},
		{name: "HAVING added", old: agg, new: agg + " HAVING count(*) > 2", keepOutput: true,
			kept: []string{"agg"}, snapshots: []string{"agg"}},
		{name: "column renamed", old: agg, new: "SELECT g, count(*) AS cnt, sum(v) AS total FROM t1 GROUP BY g",
			keepOutput: true, kept: []string{"agg"}, rowsKept: true},
		{name: "aggregate changed", old: agg, new: "SELECT g, count(*) AS n, max(v) AS s FROM t1 GROUP BY g",
			keepOutput: true, full: []string{"t1"}},
		{name: "filter below changed", old: agg, new: "SELECT g, count(*) AS n, sum(v) AS s FROM t1 WHERE v > 0 GROUP BY g",
			keepOutput: true, full: []string{"t1"}},
		{name: "aggregate over a kept join", old: join,
			new: "SELECT t1.g, max(t2.x) AS m FROM t1 JOIN t2 ON t1.g = t2.g GROUP BY t1.g", keepOutput: true,
			kept: []string{"join"}, snapshots: []string{"join"}},
		{name: "join changed under an aggregate", old: join,
			new:        "SELECT t1.g, count(*) AS n, sum(t2.x) AS s FROM t1 LEFT JOIN t2 ON t1.g = t2.g GROUP BY t1.g",
			keepOutput: true, full: []string{"t1", "t2"}},
		{
			// One side's aggregate is kept, the other's rebuilt: the rebuilt one replays t1, which
			// reaches the kept one too, so it cannot be kept.
			name: "two aggregates of one relation", keepOutput: true,
			old:  "SELECT a.g, a.n, b.m FROM (SELECT g, count(*) AS n FROM t1 GROUP BY g) a JOIN (SELECT g, max(v) AS m FROM t1 GROUP BY g) b ON a.g = b.g",
			new:  "SELECT a.g, a.n, b.m FROM (SELECT g, count(*) AS n FROM t1 GROUP BY g) a JOIN (SELECT g, min(v) AS m FROM t1 GROUP BY g) b ON a.g = b.g",
			full: []string{"t1"},
		},
		{
			// ... but over two relations, the unchanged side keeps its state and feeds the new join.
			name: "one side of a join changed", keepOutput: true,
			old:  "SELECT a.g, a.n, b.m FROM (SELECT g, count(*) AS n FROM t1 GROUP BY g) a JOIN (SELECT g, max(x) AS m FROM t2 GROUP BY g) b ON a.g = b.g",
			new:  "SELECT a.g, a.n, b.m FROM (SELECT g, count(*) AS n FROM t1 GROUP BY g) a JOIN (SELECT g, min(x) AS m FROM t2 GROUP BY g) b ON a.g = b.g",
			kept: []string{"agg"}, snapshots: []string{"agg"}, full: []string{"t2"},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			og, ng := streamGraph(t, h, c.old), streamGraph(t, h, c.new)
			p, err := stream.PlanReuse(ng, []stream.ReuseCandidate{{View: 1, Graph: og}}, stream.ReuseOptions{KeepOutput: c.keepOutput})
			if err != nil {
				t.Fatal(err)
			}
			var kept, snaps []string
			for _, n := range ng.Nodes {
				if _, ok := p.Kept[n.ID]; ok {
					kept = append(kept, specKind(n.Spec))
				}
			}
			for _, st := range p.Snapshots(ng) {
				for _, n := range ng.Nodes {
					if n.ID == st.Node {
						snaps = append(snaps, specKind(n.Spec))
					}
				}
			}
			var full []string
			for _, id := range slices.Sorted(maps.Keys(p.Full)) {
				full = append(full, h.store.Cat.TableByID(id).Name)
			}
			if !slices.Equal(kept, c.kept) || !slices.Equal(snaps, c.snapshots) || !slices.Equal(full, c.full) || p.KeepOutput != c.rowsKept {
				t.Fatalf("kept %v, snapshots %v, full %v, rows kept %v; want %v, %v, %v, %v (why: %v)",
					kept, snaps, full, p.KeepOutput, c.kept, c.snapshots, c.full, c.rowsKept, p.Why)
			}
			// Renumbered, the kept operators carry their old IDs and the others IDs no old one had.
			oldIDs := map[int]bool{}
			for _, n := range og.Nodes {
				oldIDs[n.ID] = true
			}
			stream.Renumber(ng, p, 1, og)
			seen := map[int]bool{}
			for _, n := range ng.Nodes {
				k, isKept := p.Kept[n.ID]
				if seen[n.ID] || (isKept && k.Node != n.ID) || (!isKept && oldIDs[n.ID]) {
					t.Fatalf("renumbered node %d (kept %v from %d) collides", n.ID, isKept, k.Node)
				}
				seen[n.ID] = true
			}
			if _, err := stream.EncodeGraph(ng); err != nil {
				t.Fatal(err)
			}
			if _, _, err := stream.Build(t.Context(), ng, &executor.ExecContext{Mem: memory.DefaultAllocator}); err != nil {
				t.Fatalf("the renumbered graph does not build: %v", err)
			}
		})
	}
}
