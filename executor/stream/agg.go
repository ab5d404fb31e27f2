package stream

import (
	"context"
	"fmt"
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/cockroachdb/apd/v3"

	"github.com/eddydb/eddy/executor"
	"github.com/eddydb/eddy/sql/types"
)

// HashAgg maintains GROUP BY aggregation under inserts and deletes. Its output is the
// changelog of the aggregate's result rows (group columns, then one column per aggregate, as
// executor.HashAgg): when a batch changes a group, the group's previous row is retracted and
// its new row emitted; a group whose live input count reaches zero is retracted and forgotten
// (keeps S3). Without group columns the single result row exists from Init on (keeps S4).
//
// Per group it keeps the live input row count, one cell per aggregate (see cell: counts,
// totals, ordered multisets for min and max, per-value counts for count(DISTINCT)), and the
// row it last emitted, which is what it retracts: so the retraction always matches the
// emission exactly, whatever rounding the aggregate does.
type HashAgg struct {
	mem    memory.Allocator
	in     []types.T
	groupC []int
	aggs   []executor.AggFunc
	kinds  []aggKind
	out    []types.T
	state  State[*group]
	buf    []byte
	inited bool

	// Cleanup by watermark (AggSpec.Cleanup): index holds, per group whose cleanup key is not
	// NULL, the key's time then the group's key, so the groups below a watermark are the
	// index's first entries. Entries of groups that emptied stay until the watermark passes.
	cleanup *WatermarkCleanup
	index   State[struct{}]
	wm      int64 // the cleanup column's watermark (in memory: see AdvanceWatermark)
	cleaned int64

	keyForms bool // group keys can have equal values of different forms
}

// group is one group's state.
type group struct {
	key   []any
	rows  int64 // live input rows of the group
	cells []cell
	out   []any // the row last emitted, nil when none is live
	// forms counts live rows per exact form of the key when the key's types have equal values
	// of different forms (1.5 and 1.50): the key shown is always a live row's form.
	forms map[string]*dform
}

// NewHashAgg returns an aggregation of inputs of types in, grouped by columns groupCols.
// Its state is in memory (MemState); AttachPebbleState swaps in a Pebble-backed one.
func NewHashAgg(mem memory.Allocator, in []types.T, groupCols []int, aggs []executor.AggFunc) (*HashAgg, error) {
	h := &HashAgg{mem: mem, in: in, groupC: groupCols, aggs: aggs, state: NewMemState[*group](),
		index: NewMemState[struct{}](), wm: NoWatermark}
	for _, c := range groupCols {
		h.out = append(h.out, in[c])
	}
	h.keyForms = hasForms(h.out)
	for i := range aggs {
		k, err := classify(&aggs[i])
		if err != nil {
			return nil, err
		}
		h.kinds = append(h.kinds, k)
		h.out = append(h.out, aggs[i].Type)
	}
	return h, nil
}

// OutTypes returns the output column types.
func (h *HashAgg) OutTypes() []types.T { return h.out }

// Init emits the global aggregate's row over empty input (keeps S4); a grouped aggregate emits
// nothing. Call it once, before the first Push (Push calls it if not).
//
// The global aggregate's group, stored under the empty key, exists from Init on and is never
// deleted, so finding it in the state means Init ran before this operator was built: the
// state is a checkpoint the operator was attached to, whose row the view already holds. Init
// then emits nothing and leaves the group as stored. No flag of its own is persisted, since
// the group is the flag.
func (h *HashAgg) Init(context.Context) ([]ChangeBatch, error) {
	h.inited = true
	if len(h.groupC) > 0 {
		return nil, nil
	}
	if _, ok := h.state.Get(""); ok {
		return nil, nil
	}
	g := h.newGroup(nil)
	rb := newRowBuilder(h.mem, h.out)
	if err := h.emit(rb, g); err != nil {
		rb.discard()
		return nil, err
	}
	h.state.Put("", g)
	return rb.finish(), nil
}

func (h *HashAgg) newGroup(key []any) *group {
	return &group{key: key, cells: make([]cell, len(h.aggs))}
}

// Push implements Operator.
func (h *HashAgg) Push(ctx context.Context, _ int, in ChangeBatch) ([]ChangeBatch, error) {
	if !h.inited {
		if _, err := h.Init(ctx); err != nil {
			return nil, err
		}
	}
	n := in.Len()
	if n == 0 {
		return nil, nil
	}
	// Assign each row its group; touched lists the groups in order of first appearance in
	// this batch, which is the order their changes are emitted in (keeps S2).
	gs := make([]*group, n)
	var touched []*group
	var keys []string
	seen := map[string]*group{}
	for i := 0; i < n; i++ {
		key := ""
		if len(h.groupC) > 0 {
			h.buf = executor.RowKey(h.buf[:0], in.Rec, h.in, h.groupC, i)
			key = string(h.buf)
		}
		g, ok := seen[key]
		if !ok {
			if g, ok = h.state.Get(key); !ok {
				k := make([]any, len(h.groupC))
				for j, c := range h.groupC {
					k[j] = types.DatumAt(in.Rec.Column(c), i, h.in[c])
				}
				g = h.newGroup(k)
				if h.cleanup != nil {
					if t, ok := k[h.cleanup.Key].(int64); ok {
						h.index.Put(wmIndexKey(t, key), struct{}{})
					}
				}
			}
			seen[key] = g
			touched = append(touched, g)
			keys = append(keys, key)
		}
		g.rows += in.W[i]
		gs[i] = g
		if h.keyForms && len(h.groupC) > 0 {
			k := make([]any, len(h.groupC))
			for j, c := range h.groupC {
				k[j] = types.DatumAt(in.Rec.Column(c), i, h.in[c])
			}
			g.trackKey(k, in.W[i])
		}
	}
	if h.keyForms {
		for _, g := range touched {
			if g.rows > 0 && g.forms != nil && g.forms[formKey(g.key)] == nil {
				g.key = g.liveKey()
			}
		}
	}
	for a := range h.aggs {
		f := &h.aggs[a]
		var col arrow.Array
		if len(f.Args) > 0 {
			col = in.Rec.Column(f.Args[0])
		}
		var keep *array.Boolean
		if f.Filter >= 0 {
			keep = in.Rec.Column(f.Filter).(*array.Boolean)
		}
		var err error
		if h.kinds[a] == kStringAgg {
			err = updateStringAgg(f, a, in.Rec, h.in, keep, gs, in.W)
		} else {
			err = update(h.kinds[a], f, a, col, keep, gs, in.W)
		}
		if err != nil {
			return nil, fmt.Errorf("stream: aggregate %s: %w", f.Name, err)
		}
	}
	rb := newRowBuilder(h.mem, h.out)
	for j, g := range touched {
		if err := h.emit(rb, g); err != nil {
			rb.discard()
			return nil, err
		}
		if g.rows == 0 && len(h.groupC) > 0 {
			h.state.Delete(keys[j])
		} else {
			h.state.Put(keys[j], g)
		}
	}
	return rb.finish(), nil
}

// trackKey counts w rows of the key form k.
func (g *group) trackKey(k []any, w int64) {
	if g.forms == nil {
		g.forms = map[string]*dform{}
	}
	fk := formKey(k)
	f := g.forms[fk]
	if f == nil {
		f = &dform{row: k}
		g.forms[fk] = f
	}
	if f.n += w; f.n <= 0 {
		delete(g.forms, fk)
	}
}

// liveKey returns the live key form with the smallest encoding (the same on every replica).
func (g *group) liveKey() []any {
	best := ""
	for k := range g.forms {
		if best == "" || k < best {
			best = k
		}
	}
	return g.forms[best].row
}

// AdvanceWatermark implements WatermarkOperator: with Cleanup, a watermark of the cleanup
// key's column forgets the groups whose key lies below it, without retracting their rows. The
// watermark is strict (Build checks it), so no change will reach those groups again: their
// rows are final. The watermark is kept in memory only; a restarted operator is told it again,
// and its index no longer holds the groups already freed.
func (h *HashAgg) AdvanceWatermark(_ context.Context, _ int, col int, wm int64) ([]ChangeBatch, error) {
	if h.cleanup == nil || col != h.groupC[h.cleanup.Key] || wm <= h.wm {
		return nil, nil
	}
	from := h.wm
	h.wm = wm
	h.cleaned += cleanBelow(h.index, from, wm, func(key string) { h.state.Delete(key) })
	return nil, nil
}

// Cleaned returns the number of groups freed by watermark.
func (h *HashAgg) Cleaned() int64 { return h.cleaned }

// emit appends g's change to rb: nothing if its row is unchanged, else -old (if any) and +new
// (if the group is live, or always for the global aggregate).
func (h *HashAgg) emit(rb *rowBuilder, g *group) error {
	if g.rows < 0 {
		return fmt.Errorf("stream: aggregate group has %d live rows: %w", g.rows, errNegative)
	}
	var row []any
	if g.rows > 0 || len(h.groupC) == 0 {
		row = make([]any, 0, len(h.out))
		row = append(row, g.key...)
		for a := range h.aggs {
			v, err := result(h.kinds[a], &h.aggs[a], &g.cells[a])
			if err != nil {
				return fmt.Errorf("stream: aggregate %s: %w", h.aggs[a].Name, err)
			}
			row = append(row, v)
		}
	}
	if g.out != nil && row != nil && identical(g.out, row) {
		return nil
	}
	if g.out != nil {
		rb.add(g.out, -1)
	}
	if row != nil {
		rb.add(row, +1)
	}
	g.out = row
	return nil
}

// identical reports whether two rows would print the same (numeric scale and float bits
// included), which is stricter than SQL equality: a view must show the new text.
func identical(a, b []any) bool {
	for i := range a {
		switch x := a[i].(type) {
		case nil:
			if b[i] != nil {
				return false
			}
		case *apd.Decimal:
			// Equal value, exponent and sign print the same digits.
			y, ok := b[i].(*apd.Decimal)
			if !ok || x.Exponent != y.Exponent || x.Negative != y.Negative || x.Form != y.Form || x.Cmp(y) != 0 {
				return false
			}
		case float64:
			y, ok := b[i].(float64)
			if !ok || math.Float64bits(x) != math.Float64bits(y) {
				return false
			}
		case []byte:
			y, ok := b[i].([]byte)
			if !ok || string(x) != string(y) {
				return false
			}
		default:
			if a[i] != b[i] {
				return false
			}
		}
	}
	return true
}
