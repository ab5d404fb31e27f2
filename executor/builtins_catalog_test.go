package executor_test

import (
	"strconv"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/eddydb/eddy/executor"
	"github.com/eddydb/eddy/executor/fn"
	"github.com/eddydb/eddy/executor/memstore"
	"github.com/eddydb/eddy/executor/systables"
	"github.com/eddydb/eddy/sql/types"
	"github.com/eddydb/eddy/storage"
)

// catalogFixture creates public.orders (composite primary key), public.logs (no key, a text
// column) and other.hidden in a fresh store.
func catalogFixture(mem memory.Allocator) (*memstore.Store, *storage.TableDesc, *storage.TableDesc) {
	s := memstore.New(mem)
	s.CreateTable(&storage.TableDesc{Name: "orders", SchemaID: storage.PublicSchemaID, PrimaryKey: []int{0, 1},
		Columns: []*storage.ColumnDesc{
			{Name: "customer_id", Type: types.Int4T, NotNull: true},
			{Name: "order_no", Type: types.Int4T, NotNull: true},
			{Name: "note", Type: types.T{Family: types.Varchar, Width: 40}},
		}})
	s.CreateTable(&storage.TableDesc{Name: "logs", SchemaID: storage.PublicSchemaID,
		Columns: []*storage.ColumnDesc{{Name: "msg", Type: types.TextT}}})
	s.CreateSchema("other")
	s.CreateTable(&storage.TableDesc{Name: "hidden", SchemaID: s.Cat.Schema("other").ID,
		Columns: []*storage.ColumnDesc{{Name: "a", Type: types.Int4T}}})
	return s, s.Cat.Tables[0], s.Cat.Tables[1]
}

// evalOne evaluates e in a one-row SELECT against the store and returns its datum.
func evalOne(t *testing.T, s *memstore.Store, e executor.Expr) any {
	t.Helper()
	one := &executor.Values{Out: executor.Out{Types: []types.T{types.Int4T}},
		Rows: [][]executor.Expr{{&executor.Const{Value: int64(1), T: types.Int4T}}}}
	p := &executor.Project{Out: executor.Out{Types: []types.T{e.Type()}}, Input: one, Exprs: []executor.Expr{e}}
	ec := &executor.ExecContext{Mem: s.Mem, Reader: s.Reader(),
		Fn: &fn.Context{User: "eddy", SearchPath: []string{"$user", "public"}}}
	rows := runAll(t, p, ec)
	if len(rows) != 1 {
		t.Fatalf("got %d rows", len(rows))
	}
	return rows[0][0]
}

func call(name string, ret types.T, args ...executor.Expr) executor.Expr {
	return &executor.Func{Name: name, Args: args, T: ret}
}

func oidConst(oid uint32) executor.Expr { return &executor.Const{Value: int64(oid), T: types.OidT} }

func i4(n int64) executor.Expr { return &executor.Const{Value: n, T: types.Int4T} }

func TestCatalogBuiltins(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	s, orders, logs := catalogFixture(mem)
	text, i8, tb := types.TextT, types.Int8T, types.BoolT
	yes := &executor.Const{Value: true, T: tb}
	pk, con := systables.PKIndexOID(orders), systables.PKConstraintOID(orders)
	hidden := s.Cat.Tables[2]
	for _, tc := range []struct {
		name string
		e    executor.Expr
		want any
	}{
		{"indexdef", call("pg_get_indexdef", text, oidConst(pk)),
			"CREATE UNIQUE INDEX orders_pkey ON public.orders USING btree (customer_id, order_no)"},
		{"indexdef column", call("pg_get_indexdef", text, oidConst(pk), i4(2), yes), "order_no"},
		{"indexdef whole", call("pg_get_indexdef", text, oidConst(pk), i4(0), yes),
			"CREATE UNIQUE INDEX orders_pkey ON public.orders USING btree (customer_id, order_no)"},
		{"indexdef past the end", call("pg_get_indexdef", text, oidConst(pk), i4(3), yes), ""},
		{"indexdef of a table", call("pg_get_indexdef", text, oidConst(orders.ID)), nil},
		{"indexdef of a text OID", call("pg_get_indexdef", text,
			&executor.Const{Value: strconv.FormatUint(uint64(pk), 10), T: text}),
			"CREATE UNIQUE INDEX orders_pkey ON public.orders USING btree (customer_id, order_no)"},
		{"constraintdef", call("pg_get_constraintdef", text, oidConst(con), yes), "PRIMARY KEY (customer_id, order_no)"},
		{"constraintdef of an index", call("pg_get_constraintdef", text, oidConst(pk)), nil},
		{"function result", call("pg_get_function_result", text, oidConst(750)), "anyarray"},
		{"function arguments", call("pg_get_function_arguments", text, oidConst(750)), "cstring, oid, integer"},
		{"function identity arguments", call("pg_get_function_identity_arguments", text, oidConst(750)), "cstring, oid, integer"},
		{"function unknown", call("pg_get_function_result", text, oidConst(1)), nil},
		{"viewdef", call("pg_get_viewdef", text, oidConst(orders.ID), yes), nil},
		{"table size", call("pg_table_size", i8, oidConst(orders.ID)), int64(0)},
		{"table size with toast", call("pg_table_size", i8, oidConst(logs.ID)), int64(8192)},
		{"relation size of an index", call("pg_relation_size", i8, oidConst(pk)), int64(8192)},
		{"indexes size", call("pg_indexes_size", i8, oidConst(orders.ID)), int64(8192)},
		{"total size", call("pg_total_relation_size", i8, oidConst(logs.ID)), int64(8192)},
		{"tablespace location", call("pg_tablespace_location", text, oidConst(0)), ""},
		{"publishable", call("pg_relation_is_publishable", tb, oidConst(orders.ID)), true},
		{"publishable system table", call("pg_relation_is_publishable", tb, oidConst(1259)), false},
		{"visible table", call("pg_table_is_visible", tb, oidConst(orders.ID)), true},
		{"visible catalog", call("pg_table_is_visible", tb, oidConst(1259)), true},
		{"invisible schema", call("pg_table_is_visible", tb, oidConst(hidden.ID)), false},
		{"subscript text[]", call("eddy_subscript", text,
			&executor.Const{Value: `{a,"b,c",NULL}`, T: types.T{Family: types.TextArray}}, i4(2)), "b,c"},
		{"subscript NULL element", call("eddy_subscript", text,
			&executor.Const{Value: `{a,"b,c",NULL}`, T: types.T{Family: types.TextArray}}, i4(3)), nil},
		{"subscript int2vector", call("eddy_subscript", types.Int2T,
			&executor.Const{Value: "3 1", T: types.T{Family: types.Int2Vector}}, i4(0)), int64(3)},
		{"subscript out of range", call("eddy_subscript", i8,
			&executor.Const{Value: "{1,2}", T: types.T{Family: types.Int8Array}}, i4(3)), nil},
		{"array_upper bigint[]", call("array_upper", types.Int4T,
			&executor.Const{Value: "{4,5,6}", T: types.T{Family: types.Int8Array}}, i4(1)), int64(3)},
		{"regclass as text", &executor.Cast{X: &executor.Const{Value: int64(pk), T: types.T{Family: types.RegClass}}, T: text},
			"orders_pkey"},
		{"regclass outside the path", &executor.Cast{X: &executor.Const{Value: int64(hidden.ID), T: types.T{Family: types.RegClass}}, T: text},
			"other.hidden"},
		{"regtype as text", &executor.Cast{X: &executor.Const{Value: int64(1043), T: types.T{Family: types.RegType}}, T: text},
			"character varying"},
		{"regproc as text", &executor.Cast{X: &executor.Const{Value: int64(750), T: types.T{Family: types.RegProc}}, T: text},
			"array_in"},
		{"expandarray record", call("eddy_expand_record", types.T{Family: types.Record},
			&executor.Const{Value: "3 1", T: types.T{Family: types.Int2Vector}}, i4(2)), "(1,2)"},
		{"record field", call("eddy_field", types.Int4T,
			&executor.Const{Value: "(3,1)", T: types.T{Family: types.Record}}, &executor.Const{Value: "x", T: text}), int64(3)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := evalOne(t, s, tc.e); got != tc.want {
				t.Errorf("got %#v, want %#v", got, tc.want)
			}
		})
	}
}

func TestRegName(t *testing.T) {
	s, orders, _ := catalogFixture(memory.DefaultAllocator)
	path := []string{"$user", "public"}
	for _, tc := range []struct {
		t    types.T
		oid  int64
		want string
		ok   bool
	}{
		{types.T{Family: types.RegClass}, 1259, "pg_class", true},
		{types.T{Family: types.RegClass}, int64(orders.ID), "orders", true},
		{types.T{Family: types.RegClass}, 1, "", false},
		{types.T{Family: types.RegType}, 23, "integer", true},
		{types.T{Family: types.RegType}, 2275, "cstring", true},
		{types.T{Family: types.RegProc}, 750, "array_in", true},
	} {
		got, ok := executor.RegName(s.Cat, path, tc.t, tc.oid)
		if got != tc.want || ok != tc.ok {
			t.Errorf("RegName(%s, %d) = %q, %v; want %q, %v", tc.t, tc.oid, got, ok, tc.want, tc.ok)
		}
	}
}
