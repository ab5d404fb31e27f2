package stream_test

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/cockroachdb/apd/v3"

	"github.com/eddydb/eddy/executor"
	"github.com/eddydb/eddy/executor/stream"
	"github.com/eddydb/eddy/sql/types"
)

var (
	seedFlag  = flag.Uint64("seed", 0, "replay the differential tests with this seed only")
	seedsFlag = flag.Int("seeds", 20, "seeds per differential test")
	stepsFlag = flag.Int("steps", 60, "change batches per seed")
)

// Base tables of the differential tests. t1(id int8, g int4, v int4, s text, f float8,
// n numeric, b bool) and t2(id int8, g int4, x int8, s text). id is unique, so every change
// is of one distinct row; the other columns come from small domains with NULLs so groups
// and join keys collide often.
const (
	t1ID = 101
	t2ID = 102
)

var (
	t1Types = []types.T{types.Int8T, types.Int4T, types.Int4T, types.TextT, types.Float8T, types.NumericT, types.BoolT}
	t2Types = []types.T{types.Int8T, types.Int4T, types.Int8T, types.TextT}
)

// table is a base table's current rows, by id, in insertion order for determinism.
type table struct {
	id uint32
	// target is the size the table hovers around: small targets empty it often (groups and
	// join keys vanish, the global aggregate goes back to its empty row).
	target int
	ts     []types.T
	rows   map[int64][]any
	ids    []int64
}

func (t *table) live() [][]any {
	out := make([][]any, 0, len(t.ids))
	for _, id := range t.ids {
		out = append(out, t.rows[id])
	}
	return out
}

// randValue draws a value for column c of a table (c > 0; column 0 is the id).
func randValue(rng *rand.Rand, t types.T) any {
	if rng.IntN(6) == 0 {
		return nil
	}
	switch t.Family {
	case types.Int4:
		return int64(rng.IntN(5) - 1)
	case types.Int8:
		return rng.Int64N(2000) - 1000
	case types.Text:
		return string(rune('a' + rng.IntN(4)))
	case types.Float8:
		return float64(rng.IntN(41)-20) * 0.25 // exact binary fractions: sums never round
	case types.Numeric:
		// Scale follows the value (5, 5.1, 5.12), so equal values always print alike while
		// sums still mix scales.
		k := rng.Int64N(2001) - 1000
		d := apd.New(k, -2)
		switch {
		case k%100 == 0:
			d = apd.New(k/100, 0)
		case k%10 == 0:
			d = apd.New(k/10, -1)
		}
		return d
	case types.Bool:
		return rng.IntN(2) == 0
	}
	panic(fmt.Sprintf("no generator for %v", t))
}

// change draws a random change of t: a mix of inserts, deletes and updates (-old +new),
// applied to t, returned as rows and weights.
func (t *table) change(rng *rand.Rand, nextID *int64) ([][]any, []int64) {
	var rows [][]any
	var w []int64
	k := rng.IntN(8) + 1
	if rng.IntN(10) == 0 {
		k = rng.IntN(40) + 1 // now and then a large batch
	}
	for ; k > 0; k-- {
		ins := 5
		if len(t.ids) > t.target {
			ins = 2
		}
		switch op := rng.IntN(10); {
		case op < ins || len(t.ids) == 0: // insert
			*nextID++
			r := []any{*nextID}
			for _, ct := range t.ts[1:] {
				r = append(r, randValue(rng, ct))
			}
			t.rows[*nextID] = r
			t.ids = append(t.ids, *nextID)
			rows, w = append(rows, r), append(w, 1)
		case op < 8: // delete
			j := rng.IntN(len(t.ids))
			id := t.ids[j]
			rows, w = append(rows, t.rows[id]), append(w, -1)
			delete(t.rows, id)
			t.ids = slices.Delete(t.ids, j, j+1)
		default: // update one column
			id := t.ids[rng.IntN(len(t.ids))]
			old := t.rows[id]
			nr := slices.Clone(old)
			c := 1 + rng.IntN(len(t.ts)-1)
			nr[c] = randValue(rng, t.ts[c])
			t.rows[id] = nr
			rows, w = append(rows, old, nr), append(w, -1, 1)
		}
	}
	return rows, w
}

// query is one view under test: its dataflow and the same query as a batch plan over the
// base tables' Values nodes.
type query struct {
	name  string
	graph *stream.Graph
	batch func(t1, t2 executor.Node) executor.Node
}

func values(ts []types.T, rows [][]any) *executor.Values {
	v := &executor.Values{Out: executor.Out{Types: ts}}
	for _, r := range rows {
		es := make([]executor.Expr, len(r))
		for c, d := range r {
			es[c] = &executor.Const{Value: d, T: ts[c]}
		}
		v.Rows = append(v.Rows, es)
	}
	return v
}

// reference runs the batch plan over the current base rows.
func reference(t *testing.T, q query, t1, t2 *table) ([][]any, []types.T) {
	t.Helper()
	ctx := context.Background()
	root := q.batch(values(t1.ts, t1.live()), values(t2.ts, t2.live()))
	ec := &executor.ExecContext{Mem: memory.DefaultAllocator}
	it, err := executor.Run(ctx, root, ec)
	if err != nil {
		t.Fatalf("reference plan: %v", err)
	}
	defer it.Close()
	var out [][]any
	ts := root.OutTypes()
	for {
		r, err := it.Next(ctx)
		if err != nil {
			t.Fatalf("reference plan: %v", err)
		}
		if r == nil {
			return out, ts
		}
		for i := 0; i < int(r.NumRows()); i++ {
			row := make([]any, r.NumCols())
			for c := range row {
				row[c] = types.DatumAt(r.Column(c), i, ts[c])
			}
			out = append(out, row)
		}
		r.Release()
	}
}

// canon prints rows exactly (numeric scale, float digits) and sorts them: a multiset.
func canon(rows [][]any) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		var sb strings.Builder
		for c, v := range r {
			if c > 0 {
				sb.WriteByte('|')
			}
			switch x := v.(type) {
			case nil:
				sb.WriteString("NULL")
			case *apd.Decimal:
				sb.WriteString(x.Text('f'))
			case float64:
				sb.WriteString(strconv.FormatFloat(x, 'g', -1, 64))
			default:
				fmt.Fprint(&sb, x)
			}
		}
		out[i] = sb.String()
	}
	sort.Strings(out)
	return out
}

func diff(got, want []string) string {
	if slices.Equal(got, want) {
		return ""
	}
	return fmt.Sprintf("view (%d rows):\n  %s\nquery (%d rows):\n  %s", len(got), strings.Join(got, "\n  "),
		len(want), strings.Join(want, "\n  "))
}

// runDifferential pushes random changes of t1 and t2 through q's dataflow and checks after
// every step that the materialized view equals q computed from scratch (keeps S3).
func runDifferential(t *testing.T, q query) {
	seeds := make([]uint64, *seedsFlag)
	for i := range seeds {
		seeds[i] = uint64(i + 1)
	}
	if *seedFlag != 0 {
		seeds = []uint64{*seedFlag}
	}
	for _, seed := range seeds {
		if !runSeed(t, q, seed) {
			return
		}
	}
}

func runSeed(t *testing.T, q query, seed uint64) bool {
	t.Helper()
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	ec := &executor.ExecContext{Mem: mem}
	df, init, err := stream.Build(ctx, q.graph, ec)
	if err != nil {
		t.Fatalf("%s: build: %v", q.name, err)
	}
	view := stream.NewView(df.OutTypes())
	apply := func(bs []stream.ChangeBatch) {
		defer stream.ReleaseAll(bs)
		if err := view.Apply(bs); err != nil {
			t.Fatalf("%s seed=%d: %v", q.name, seed, err)
		}
	}
	apply(init)
	t1 := &table{id: t1ID, ts: t1Types, rows: map[int64][]any{}, target: 1 + rng.IntN(30)}
	t2 := &table{id: t2ID, ts: t2Types, rows: map[int64][]any{}, target: 1 + rng.IntN(30)}
	var nextID int64
	check := func(step int) bool {
		want, _ := reference(t, q, t1, t2)
		if d := diff(canon(view.Rows()), canon(want)); d != "" {
			t.Errorf("%s seed=%d step=%d (replay with -seed=%d):\n%s", q.name, seed, step, seed, d)
			return false
		}
		return true
	}
	if !check(-1) {
		return false
	}
	for step := range *stepsFlag {
		tab := t1
		if rng.IntN(2) == 0 {
			tab = t2
		}
		rows, w := tab.change(rng, &nextID)
		b := stream.FromRows(mem, tab.ts, rows, w)
		out, err := df.Push(ctx, tab.id, b)
		b.Release()
		if err != nil {
			t.Fatalf("%s seed=%d step=%d: push: %v", q.name, seed, step, err)
		}
		apply(out)
		if !check(step) {
			return false
		}
	}
	return true
}
