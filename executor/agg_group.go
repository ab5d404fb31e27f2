package executor

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/eddydb/eddy/sql/types"
)

// grouper numbers the groups of a hash aggregation: for each batch it maps every row to the
// index of its group (a dense id, in order of first appearance, so output order depends only
// on input order: keeps E2), creating groups as they appear. A single integer key (int2, int4,
// int8) or text key is looked up straight from the column's typed values; other keys go
// through their canonical byte encoding (rowKey), which equates the values SQL groups together
// (numeric 1.0 and 1.00, float -0 and 0). New groups cost a map insert and a key copy; a row of
// an existing group costs one map lookup and no allocation.
type grouper struct {
	cols []int
	ts   []types.T
	// Exactly one of the lookup maps is in use, chosen by the key's shape.
	ints  map[int64]int
	strs  map[string]int
	bytes map[string]int
	null  int // the group of a NULL single key, -1 until seen
	// n is the number of groups. Their keys, for the output, are in ikeys (integer key; the
	// null group's entry is unused), skeys (text key) or keys (datums, any other key).
	n     int
	ikeys []int64
	skeys []string
	keys  [][]any
	buf   []byte
}

func newGrouper(cols []int, ts []types.T) *grouper {
	g := &grouper{cols: cols, ts: ts, null: -1}
	switch {
	case len(cols) == 1 && ts[cols[0]].IsInteger():
		g.ints = map[int64]int{}
	case len(cols) == 1 && (ts[cols[0]].Family == types.Text || ts[cols[0]].Family == types.Varchar):
		g.strs = map[string]int{}
	default:
		g.bytes = map[string]int{}
	}
	return g
}

// assign stores the group of each row of r in gids (len r.NumRows()).
func (g *grouper) assign(r arrow.Record, gids []int) {
	n := int(r.NumRows())
	if len(g.cols) == 0 {
		g.n = 1
		for i := range gids[:n] {
			gids[i] = 0
		}
		return
	}
	if g.ints != nil {
		col := r.Column(g.cols[0])
		var at func(i int) int64
		switch c := col.(type) {
		case *array.Int64:
			vs := c.Int64Values()
			at = func(i int) int64 { return vs[i] }
		case *array.Int32:
			vs := c.Int32Values()
			at = func(i int) int64 { return int64(vs[i]) }
		case *array.Int16:
			vs := c.Int16Values()
			at = func(i int) int64 { return int64(vs[i]) }
		default: // not expected for an integer type; stay correct regardless
			t := g.ts[g.cols[0]]
			at = func(i int) int64 { return types.DatumAt(col, i, t).(int64) }
		}
		for i := 0; i < n; i++ {
			if col.IsNull(i) {
				gids[i] = g.nullGroup()
				continue
			}
			v := at(i)
			id, ok := g.ints[v]
			if !ok {
				id = g.newGroup()
				g.ints[v] = id
				g.ikeys[id] = v
			}
			gids[i] = id
		}
		return
	}
	if g.strs != nil {
		col := r.Column(g.cols[0])
		at := func(i int) string { return types.DatumAt(col, i, g.ts[g.cols[0]]).(string) }
		if sc, ok := col.(*array.String); ok {
			at = sc.Value
		}
		for i := 0; i < n; i++ {
			if col.IsNull(i) {
				gids[i] = g.nullGroup()
				continue
			}
			v := at(i)
			id, ok := g.strs[v] // the lookup does not copy v; only a new group does
			if !ok {
				id = g.newGroup()
				s := string([]byte(v)) // own the bytes: v aliases the batch's buffer
				g.strs[s] = id
				g.skeys[id] = s
			}
			gids[i] = id
		}
		return
	}
	for i := 0; i < n; i++ {
		g.buf = rowKey(g.buf[:0], r, g.ts, g.cols, i)
		id, ok := g.bytes[string(g.buf)]
		if !ok {
			id = g.newGroup()
			g.bytes[string(g.buf)] = id
			for j, c := range g.cols {
				g.keys[id][j] = types.DatumAt(r.Column(c), i, g.ts[c])
			}
		}
		gids[i] = id
	}
}

// newGroup adds a group and returns its id.
func (g *grouper) newGroup() int {
	id := g.n
	g.n++
	switch {
	case g.ints != nil:
		g.ikeys = append(g.ikeys, 0)
	case g.strs != nil:
		g.skeys = append(g.skeys, "")
	default:
		g.keys = append(g.keys, make([]any, len(g.cols)))
	}
	return id
}

// nullGroup returns the group of a NULL single-column key, creating it on first use.
func (g *grouper) nullGroup() int {
	if g.null < 0 {
		g.null = g.newGroup()
	}
	return g.null
}

// keyArray returns key column j of every group, in group order, as an array of type t.
func (g *grouper) keyArray(mem memory.Allocator, j int, t types.T) arrow.Array {
	b := types.NewBuilder(mem, t)
	defer b.Release()
	b.Reserve(g.n)
	for id := 0; id < g.n; id++ {
		switch {
		case id == g.null:
			b.AppendNull()
		case g.ints != nil:
			switch bb := b.(type) {
			case *array.Int64Builder:
				bb.Append(g.ikeys[id])
			case *array.Int32Builder:
				bb.Append(int32(g.ikeys[id]))
			case *array.Int16Builder:
				bb.Append(int16(g.ikeys[id]))
			default:
				types.AppendDatum(b, t, g.ikeys[id])
			}
		case g.strs != nil:
			b.(*array.StringBuilder).Append(g.skeys[id])
		default:
			types.AppendDatum(b, t, g.keys[id][j])
		}
	}
	return b.NewArray()
}
