package systables

import (
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/eddydb/eddy/sql/types"
	"github.com/eddydb/eddy/storage"
)

// spec parses a column list written the way PostgreSQL's \d prints it, "name type, name type",
// using PostgreSQL's short type names. It panics on a type it does not know: specs are
// package-level literals, so a typo fails at init, before any test runs.
func spec(s string) []Column {
	var cols []Column
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, typ, ok := strings.Cut(part, " ")
		if !ok {
			panic(fmt.Sprintf("systables: bad column spec %q", part))
		}
		t, ok := specType(strings.TrimSpace(typ))
		if !ok {
			panic(fmt.Sprintf("systables: column %s has unknown type %q", name, typ))
		}
		cols = append(cols, Column{Name: name, Type: t})
	}
	return cols
}

// specType maps a PostgreSQL catalog column type onto an eddy type. Types eddy does not have
// take the nearest one that keeps the value's text form:
//
//	xid, regnamespace, regrole             -> oid (unsigned 32-bit, Int64 in Arrow)
//	pg_node_tree, pg_lsn, inet             -> text
//	aclitem[], anyarray, "char"[], name[],
//	real[]                                 -> text[] (the {a,b} text form)
//	oid[], int2[], regtype[]               -> bigint[] (the {1,2} text form)
func specType(s string) (types.T, bool) {
	switch s {
	case "bool":
		return types.BoolT, true
	case "int2":
		return types.Int2T, true
	case "int4":
		return types.Int4T, true
	case "int8":
		return types.Int8T, true
	case "float4":
		return types.Float4T, true
	case "float8":
		return types.Float8T, true
	case "text", "pg_node_tree", "pg_lsn", "inet":
		return types.TextT, true
	case "varchar":
		return types.VarcharT, true
	case "varchar(3)": // information_schema.yes_or_no
		return types.T{Family: types.Varchar, Width: 3}, true
	case "name":
		return types.NameT, true
	case "char":
		return types.T{Family: types.InternalChar}, true
	case "bytea":
		return types.ByteaT, true
	case "timestamptz":
		return types.TimestampTZT, true
	case "interval":
		return types.IntervalT, true
	case "oid", "xid", "regnamespace", "regrole":
		return types.OidT, true
	case "regproc":
		return types.T{Family: types.RegProc}, true
	case "regtype":
		return types.T{Family: types.RegType}, true
	case "regclass":
		return types.T{Family: types.RegClass}, true
	case "int2vector":
		return types.T{Family: types.Int2Vector}, true
	case "oidvector":
		return types.T{Family: types.OidVector}, true
	case "text[]", "aclitem[]", "anyarray", "char[]", "name[]", "float4[]":
		return types.T{Family: types.TextArray}, true
	case "oid[]", "int2[]", "regtype[]":
		return types.T{Family: types.Int8Array}, true
	}
	return types.T{}, false
}

// row is one row under construction, keyed by column name. A column left out is NULL.
//
// Values are Go values close to the column's datum (sql/types/doc.go); builder.add converts
// the conveniences below:
//
//	uint32, int, int16, int32 -> int64   (oid, int2, int4, int8 columns)
//	float32                   -> float64 (float4 columns)
//	byte                      -> string  ("char" columns)
type row map[string]any

// builder accumulates the rows of one table and turns them into a record.
type builder struct {
	t    *Table
	idx  map[string]int
	bs   []array.Builder
	n    int
	err  error
	done bool // release has run
}

func newBuilder(mem memory.Allocator, t *Table) *builder {
	b := &builder{t: t, idx: make(map[string]int, len(t.Columns)), bs: make([]array.Builder, len(t.Columns))}
	for i, c := range t.Columns {
		b.idx[c.Name] = i
		b.bs[i] = types.NewBuilder(mem, c.Type)
	}
	return b
}

// add appends r. A key that names no column, or a value of the wrong Go type, is a bug in this
// package; add records it and finish reports it, rather than panicking inside a query.
func (b *builder) add(r row) {
	if b.err != nil {
		return
	}
	for k := range r {
		if _, ok := b.idx[k]; !ok {
			b.err = fmt.Errorf("systables: %s.%s has no column %q", b.t.Schema, b.t.Name, k)
			return
		}
	}
	// Check every value before appending any, so a bad row leaves the columns aligned.
	vals := make([]any, len(b.bs))
	for i, c := range b.t.Columns {
		v, err := normalize(c.Type, r[c.Name])
		if err != nil {
			b.err = fmt.Errorf("systables: %s.%s column %s: %w", b.t.Schema, b.t.Name, c.Name, err)
			return
		}
		vals[i] = v
	}
	for i, c := range b.t.Columns {
		types.AppendDatum(b.bs[i], c.Type, vals[i])
	}
	b.n++
}

// finish returns the record and releases the builders; the builder is spent afterwards.
func (b *builder) finish() (arrow.Record, error) {
	defer b.release()
	if b.err != nil {
		return nil, b.err
	}
	names := make([]string, len(b.t.Columns))
	ts := make([]types.T, len(b.t.Columns))
	arrs := make([]arrow.Array, len(b.bs))
	for i, c := range b.t.Columns {
		names[i], ts[i] = c.Name, c.Type
		arrs[i] = b.bs[i].NewArray()
	}
	rec := array.NewRecord(types.Schema(names, ts), arrs, int64(b.n))
	for _, a := range arrs {
		a.Release()
	}
	return rec, nil
}

func (b *builder) release() {
	if b.done {
		return
	}
	b.done = true
	for _, x := range b.bs {
		x.Release()
	}
}

// normalize converts v to the datum AppendDatum expects for t, or reports why it cannot.
func normalize(t types.T, v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch t.ArrowType().ID() {
	case arrow.INT16, arrow.INT32, arrow.INT64:
		switch x := v.(type) {
		case int64:
			return x, nil
		case int:
			return int64(x), nil
		case uint32:
			return int64(x), nil
		case int32:
			return int64(x), nil
		case int16:
			return int64(x), nil
		}
	case arrow.FLOAT32, arrow.FLOAT64:
		switch x := v.(type) {
		case float64:
			return x, nil
		case float32:
			return float64(x), nil
		case int:
			return float64(x), nil
		}
	case arrow.BOOL:
		if x, ok := v.(bool); ok {
			return x, nil
		}
	case arrow.STRING:
		switch x := v.(type) {
		case string:
			return x, nil
		case byte:
			if t.Family == types.InternalChar {
				if x == 0 {
					return "", nil
				}
				return string(rune(x)), nil
			}
		}
	case arrow.TIMESTAMP:
		if x, ok := v.(int64); ok {
			return x, nil
		}
	case arrow.BINARY:
		if x, ok := v.([]byte); ok {
			return x, nil
		}
	case arrow.INTERVAL_MONTH_DAY_NANO:
		if x, ok := v.(types.IntervalValue); ok {
			return x, nil
		}
	}
	return nil, fmt.Errorf("value %v (%T) does not fit type %s", v, v, t)
}

// rowsFunc fills a table's rows; b is the table's builder.
type rowsFunc func(b *builder, cat *storage.Catalog, env *Env) error

// register defines and registers a virtual table whose rows come from fill (nil: always
// empty). It returns the table so callers can keep a handle.
func register(schema, name string, oid uint32, cols []Column, fill rowsFunc) *Table {
	t := &Table{Schema: schema, Name: name, OID: oid, Columns: cols}
	t.Rows = func(mem memory.Allocator, cat *storage.Catalog, env *Env) (arrow.Record, error) {
		if env == nil {
			env = &Env{}
		}
		if cat == nil {
			cat = &storage.Catalog{}
		}
		b := newBuilder(mem, t)
		if fill != nil {
			if err := fill(b, cat, env); err != nil {
				b.release()
				return nil, fmt.Errorf("systables: fill %s.%s: %w", schema, name, err)
			}
		}
		return b.finish()
	}
	Register(t)
	return t
}

// registerView is register for a table PostgreSQL defines as a view (relkind 'v').
func registerView(schema, name string, oid uint32, cols []Column, fill rowsFunc) *Table {
	t := register(schema, name, oid, cols, fill)
	t.View = true
	return t
}
