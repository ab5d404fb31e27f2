package stream_test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"

	"github.com/eddydb/eddy/executor"
	"github.com/eddydb/eddy/executor/stream"
	"github.com/eddydb/eddy/sql/types"
)

// TestGolden runs the changelog scripts in testdata/: each file builds one dataflow over
// tables 1 and 2 of columns (k int4, v int4) and pushes changes into it; the expected output
// of every push is the exact changelog (rows as k|v|..., then the weight), in emission order.
//
//	agg group=(0) aggs=(count_star,sum,min,max)   GROUP BY k (omit group: global), aggregates of v
//	join kind=left                                 table 1 <kind> JOIN table 2 ON k
//	topn limit=2 offset=1                          ORDER BY v, k LIMIT .. OFFSET ..
//	distinct                                       SELECT DISTINCT k, v
//	grouptopn func=rank lo=1 hi=2 [emit] [desc]    f() OVER (PARTITION BY k ORDER BY v [DESC]) in [lo, hi]
//	                                               (the rank column is NULL unless emit)
//	hop slide=2 size=6 [offset=1]                  HOP over table 1 of (k int4, v timestamp): v is
//	                                               microseconds since the epoch, as are the windows
//	push table=1                                   lines of "k v weight" (NULL allowed)
func TestGolden(t *testing.T) {
	datadriven.Walk(t, "testdata", func(t *testing.T, path string) {
		var h *harness
		pushTypes := kv
		datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
			var g *stream.Graph
			switch d.Cmd {
			case "grouptopn":
				spec := &stream.GroupTopNSpec{Partition: []int{0}, Keys: []executor.SortKey{{Col: 1}}}
				d.ScanArgs(t, "func", &spec.Func)
				d.ScanArgs(t, "lo", &spec.Lo)
				d.ScanArgs(t, "hi", &spec.Hi)
				spec.EmitRank = d.HasArg("emit")
				if d.HasArg("desc") {
					spec.Keys[0] = executor.SortKey{Col: 1, Desc: true, NullsFirst: true}
				}
				g = &stream.Graph{Nodes: []stream.Node{src(1, 1, kv), {ID: 2, Inputs: []int{1}, Spec: spec}}, Output: 2}
			case "hop":
				spec := &stream.HopSpec{TimeCol: 1}
				d.ScanArgs(t, "slide", &spec.Slide)
				d.ScanArgs(t, "size", &spec.Size)
				d.MaybeScanArgs(t, "offset", &spec.Offset)
				pushTypes = []types.T{types.Int4T, types.TimestampT}
				g = &stream.Graph{Nodes: []stream.Node{src(1, 1, pushTypes), {ID: 2, Inputs: []int{1}, Spec: spec}}, Output: 2}
			case "agg":
				var group []int
				for _, a := range argVals(d, "group") {
					c, _ := strconv.Atoi(a)
					group = append(group, c)
				}
				var aggs []executor.AggFunc
				for _, name := range argVals(d, "aggs") {
					aggs = append(aggs, goldenAgg(t, name))
				}
				g = &stream.Graph{Nodes: []stream.Node{src(1, 1, kv),
					{ID: 2, Inputs: []int{1}, Spec: &stream.AggSpec{Group: group, Aggs: aggs}}}, Output: 2}
			case "join":
				kinds := map[string]executor.JoinKind{"inner": executor.InnerJoin, "left": executor.LeftJoin,
					"right": executor.RightJoin, "full": executor.FullJoin}
				g = &stream.Graph{Nodes: []stream.Node{src(1, 1, kv), src(2, 2, kv),
					{ID: 3, Inputs: []int{1, 2}, Spec: &stream.JoinSpec{Kind: kinds[argVals(d, "kind")[0]],
						LeftKeys: []int{0}, RightKeys: []int{0}}}}, Output: 3}
			case "topn":
				var limit, offset int64
				d.ScanArgs(t, "limit", &limit)
				d.MaybeScanArgs(t, "offset", &offset)
				g = &stream.Graph{Nodes: []stream.Node{src(1, 1, kv), {ID: 2, Inputs: []int{1},
					Spec: &stream.TopNSpec{Keys: []executor.SortKey{{Col: 1}, {Col: 0}}, Limit: limit, Offset: offset}}}, Output: 2}
			case "distinct":
				g = &stream.Graph{Nodes: []stream.Node{src(1, 1, kv), {ID: 2, Inputs: []int{1}, Spec: &stream.DistinctSpec{}}}, Output: 2}
			case "push":
				var table uint32
				d.ScanArgs(t, "table", &table)
				rows, w := parseRows(t, d.Input)
				if out := h.push(table, pushTypes, rows, w...); out != "" {
					return out + "\n"
				}
				return ""
			default:
				return fmt.Sprintf("unknown command %q", d.Cmd)
			}
			var init string
			h, init = newHarness(t, g)
			if init == "" {
				return "ok\n"
			}
			return init + "\n"
		})
	})
}

func argVals(d *datadriven.TestData, key string) []string {
	a, _ := d.Arg(key)
	return a.Vals
}

// goldenAgg is aggregate name over column 1 (v int4); count_distinct is count(DISTINCT v).
func goldenAgg(t *testing.T, name string) executor.AggFunc {
	i4, i8 := types.Int4T, types.Int8T
	switch name {
	case "count_star":
		return agg(name, -1, types.T{}, i8)
	case "count", "count_distinct":
		f := agg("count", 1, i4, i8)
		f.Distinct = name == "count_distinct"
		return f
	case "sum":
		return agg(name, 1, i4, i8)
	case "avg":
		return agg(name, 1, i4, types.NumericT)
	case "min", "max":
		return agg(name, 1, i4, i4)
	}
	t.Fatalf("unknown aggregate %q", name)
	return executor.AggFunc{}
}

// parseRows reads lines of "k v weight".
func parseRows(t *testing.T, input string) ([][]any, []int64) {
	var rows [][]any
	var w []int64
	for _, line := range strings.Split(strings.TrimSpace(input), "\n") {
		f := strings.Fields(line)
		if len(f) != 3 {
			t.Fatalf("want k v weight, got %q", line)
		}
		row := make([]any, 2)
		for c := range row {
			if f[c] != "NULL" {
				v, err := strconv.ParseInt(f[c], 10, 64)
				if err != nil {
					t.Fatal(err)
				}
				row[c] = v
			}
		}
		wt, err := strconv.ParseInt(f[2], 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		rows, w = append(rows, row), append(w, wt)
	}
	return rows, w
}
