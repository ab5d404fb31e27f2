package stream

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/cockroachdb/apd/v3"
	"github.com/cockroachdb/pebble"

	"github.com/eddydb/eddy/executor"
	"github.com/eddydb/eddy/sql/types"
)

// Rows of the operator tests: (id int8, g int4, v int4, s text, f float8, n numeric, b bool,
// sep text), from small domains with NULLs so groups and keys collide.
var pbTypes = []types.T{types.Int8T, types.Int4T, types.Int4T, types.TextT, types.Float8T, types.NumericT,
	types.BoolT, types.TextT}

func pbRow(rng *rand.Rand, id int64) []any {
	pick := func(vs ...any) any { return vs[rng.IntN(len(vs))] }
	num, _, _ := apd.NewFromString(pick("1.5", "2.50", "-3", "0.125", "7").(string))
	var n any = num
	if rng.IntN(6) == 0 {
		n = nil
	}
	return []any{id, pick(int64(1), int64(2), int64(3), nil), pick(int64(-4), int64(0), int64(5), int64(9), nil),
		pick("a", "b", "cc", "", nil), pick(0.5, -1.25, 8.0, nil), n, pick(true, false, nil), pick(",", "-", nil)}
}

// pbOp is an operator under test and how to swap its state for a PebbleState.
type pbOp struct {
	name  string
	ports int
	cols  []int // the input columns of pbTypes it reads; nil for all
	build func() Operator
}

func pbAggs() []executor.AggFunc {
	i4, i8, tx, f8, nu, bo := types.Int4T, types.Int8T, types.TextT, types.Float8T, types.NumericT, types.BoolT
	a := func(name string, arg int, argT, res types.T) executor.AggFunc {
		return executor.AggFunc{Name: name, Args: []int{arg}, ArgTypes: []types.T{argT}, Filter: -1, Type: res}
	}
	dv, ds := a("count", 2, i4, i8), a("count", 3, tx, i8)
	dv.Distinct, ds.Distinct = true, true
	filtered := executor.AggFunc{Name: "count_star", Filter: 6, Type: i8}
	return []executor.AggFunc{{Name: "count_star", Filter: -1, Type: i8}, filtered, a("count", 3, tx, i8),
		a("sum", 2, i4, i8), a("sum", 0, i8, nu), a("avg", 2, i4, nu), a("min", 2, i4, i4), a("max", 2, i4, i4),
		a("min", 3, tx, tx), a("max", 3, tx, tx), a("sum", 4, f8, f8), a("avg", 4, f8, f8), a("max", 4, f8, f8),
		a("sum", 5, nu, nu), a("avg", 5, nu, nu), a("min", 5, nu, nu), a("max", 5, nu, nu), dv, ds,
		a("bool_and", 6, bo, bo), a("bool_or", 6, bo, bo),
		{Name: "string_agg", Args: []int{3, 7}, ArgTypes: []types.T{tx, tx}, Filter: -1, Type: tx,
			OrderBy: []executor.SortKey{{Col: 3}, {Col: 7, Desc: true}}},
	}
}

func pbOps() []pbOp {
	mem := memory.DefaultAllocator
	aggOp := func(name string, groupCols []int) pbOp {
		return pbOp{name: name, ports: 1,
			build: func() Operator {
				h, err := NewHashAgg(mem, pbTypes, groupCols, pbAggs())
				if err != nil {
					panic(err)
				}
				return h
			}}
	}
	joinOp := func(name string, kind executor.JoinKind) pbOp {
		return pbOp{name: name, ports: 2,
			build: func() Operator {
				j, err := NewJoin(mem, kind, pbTypes, pbTypes, []int{1}, []int{2})
				if err != nil {
					panic(err)
				}
				return j
			}}
	}
	return []pbOp{
		aggOp("agg grouped", []int{1}),
		aggOp("agg by text and bool", []int{3, 6}),
		aggOp("agg global", nil),
		joinOp("join inner", executor.InnerJoin),
		joinOp("join full", executor.FullJoin),
		{name: "distinct", ports: 1, cols: []int{1, 3, 5},
			build: func() Operator {
				return NewDistinct(mem, []types.T{types.Int4T, types.TextT, types.NumericT})
			}},
		groupTopNOp("group topn row_number", &GroupTopNSpec{Partition: []int{1}, Func: "row_number", Lo: 1, Hi: 2,
			Keys: []executor.SortKey{{Col: 2, Desc: true, NullsFirst: true}, {Col: 5}}, EmitRank: true}),
		groupTopNOp("group topn rank global", &GroupTopNSpec{Func: "rank", Lo: 2, Hi: 4,
			Keys: []executor.SortKey{{Col: 3}}, EmitRank: true}),
		groupTopNOp("group topn dense_rank unused", &GroupTopNSpec{Partition: []int{3, 6}, Func: "dense_rank", Lo: 1, Hi: 2,
			Keys: []executor.SortKey{{Col: 4, NullsFirst: true}}}),
		{name: "cross join", ports: 2, cols: []int{1, 5},
			build: func() Operator {
				ts := []types.T{types.Int4T, types.NumericT}
				return NewCrossJoin(mem, ts, ts)
			}},
		{name: "topn", ports: 1,
			build: func() Operator {
				t, err := NewTopN(mem, pbTypes, []executor.SortKey{{Col: 2, Desc: true}, {Col: 5}}, 4, 2)
				if err != nil {
					panic(err)
				}
				return t
			}},
	}
}

func groupTopNOp(name string, spec *GroupTopNSpec) pbOp {
	return pbOp{name: name, ports: 1,
		build: func() Operator {
			g, err := NewGroupTopN(memory.DefaultAllocator, pbTypes, spec)
			if err != nil {
				panic(err)
			}
			return g
		}}
}

func fmtChanges(ts []types.T, bs []ChangeBatch) string {
	var sb strings.Builder
	for _, b := range bs {
		for i := 0; i < b.Len(); i++ {
			fmt.Fprintf(&sb, "%v %+d\n", Row(b, ts, i), b.W[i])
		}
		b.Release()
	}
	return sb.String()
}

// TestPebbleStateOperators runs every stateful operator twice over the same random changes,
// once on MemState and once on PebbleStates with a tiny cache that are flushed every few
// batches and then sometimes reopened (cache lost, state read back from Pebble) or restarted
// (a fresh operator attached to the checkpoint and Init again, as Build does): the changelogs
// must be identical, and a restart's Init must emit nothing. This checks the codecs on real
// operator state, every aggregate kind included, and that every operator keeps all of its
// state in State (TopN's last window and the global aggregate's row among it).
func TestPebbleStateOperators(t *testing.T) {
	ctx := context.Background()
	for _, o := range pbOps() {
		t.Run(o.name, func(t *testing.T) {
			for seed := uint64(1); seed <= 8; seed++ {
				rng := rand.New(rand.NewPCG(seed, 11))
				cache := []int{1, 2, 8}[rng.IntN(3)]
				db := openMemPebble(t)
				memOp, pebOp := o.build(), o.build()
				attach := func() []StateFlusher {
					fl, err := AttachPebbleState(pebOp, db, 1, 9, PebbleStateOptions{CacheEntries: cache})
					if err != nil {
						t.Fatal(err)
					}
					return fl
				}
				fl := attach()
				flush := func() {
					batch := db.NewBatch()
					for _, f := range fl {
						if err := f.Flush(batch); err != nil {
							t.Fatal(err)
						}
					}
					if err := batch.Commit(pebble.NoSync); err != nil {
						t.Fatal(err)
					}
				}
				// restart replaces pebOp by a fresh operator over the checkpoint, built the way
				// Build builds one: attached, then Init, which must emit nothing now.
				restart := func(step int) {
					pebOp = o.build()
					fl = attach()
					if h, ok := pebOp.(*HashAgg); ok {
						bs, err := h.Init(ctx)
						if err != nil {
							t.Fatal(err)
						}
						if x := fmtChanges(h.OutTypes(), bs); x != "" {
							t.Fatalf("seed=%d step=%d: Init after a restart emitted:\n%s", seed, step, x)
						}
					}
				}
				if h, ok := memOp.(*HashAgg); ok {
					a, _ := h.Init(ctx)
					b, _ := pebOp.(*HashAgg).Init(ctx)
					if x, y := fmtChanges(h.OutTypes(), a), fmtChanges(h.OutTypes(), b); x != y {
						t.Fatalf("init: %s vs %s", x, y)
					}
				}
				if seed%2 == 0 { // a restart before any input: only Init's state is stored
					flush()
					restart(-1)
				}
				var out []types.T
				switch op := memOp.(type) {
				case *HashAgg:
					out = op.OutTypes()
				case *Join:
					out = op.OutTypes()
				case *CrossJoin:
					out = op.OutTypes()
				case *GroupTopN:
					out = op.OutTypes()
				default:
					out = pbTypes
				}
				inTypes := pbTypes
				if o.cols != nil {
					inTypes, out = nil, nil
					for _, c := range o.cols {
						inTypes = append(inTypes, pbTypes[c])
					}
					out = inTypes
					if c, ok := memOp.(*CrossJoin); ok {
						out = c.OutTypes()
					}
				}
				live := [2][][]any{}
				nextID := int64(0)
				for step := 0; step < 150; step++ {
					port := rng.IntN(o.ports)
					var rows [][]any
					var ws []int64
					for range 1 + rng.IntN(6) {
						if l := live[port]; len(l) > 0 && rng.IntN(5) < 2 {
							k := rng.IntN(len(l))
							rows, ws = append(rows, l[k]), append(ws, -1)
							live[port] = append(l[:k], l[k+1:]...)
						} else if len(live[port]) < 25 {
							nextID++
							r := pbRow(rng, nextID)
							live[port] = append(live[port], r)
							rows, ws = append(rows, r), append(ws, 1)
						}
					}
					if o.cols != nil {
						for i, r := range rows {
							p := make([]any, len(o.cols))
							for j, c := range o.cols {
								p[j] = r[c]
							}
							rows[i] = p
						}
					}
					in := FromRows(memory.DefaultAllocator, inTypes, rows, ws)
					a, err := memOp.Push(ctx, port, in)
					if err != nil {
						t.Fatal(err)
					}
					b, err := pebOp.Push(ctx, port, in)
					if err != nil {
						t.Fatal(err)
					}
					in.Release()
					if x, y := fmtChanges(out, a), fmtChanges(out, b); x != y {
						t.Fatalf("seed=%d step=%d cache=%d:\nmem:\n%spebble:\n%s", seed, step, cache, x, y)
					}
					if rng.IntN(4) == 0 {
						flush()
						switch rng.IntN(4) {
						case 0:
							fl = attach() // cache lost: the state is read back from Pebble
						case 1:
							restart(step)
						}
					}
				}
			}
		})
	}
}
