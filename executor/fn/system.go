package fn

import (
	"fmt"
	"runtime"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/eddydb/eddy/sql/types"
)

// System information functions: what clients and drivers ask on connect (version(),
// current_schema()) and the pg_catalog helpers psql's \d commands call. eddy has one role and
// no privileges, so privilege checks answer true and descriptions are NULL.

// ServerVersion is eddy's own version, shown by version(); the server sets it at start-up.
var ServerVersion = "dev"

// PGVersion is the PostgreSQL version eddy reports (server_version and version()).
const PGVersion = "15.0"

// Version is the text version() returns.
func Version() string {
	return fmt.Sprintf("PostgreSQL %s (eddy %s) on %s-%s, compiled by %s, 64-bit",
		PGVersion, ServerVersion, runtime.GOARCH, runtime.GOOS, runtime.Version())
}

// constEval returns the same value (a datum of ret, or nil) in every row.
func constEval(ret types.T, v func(ctx *Context) any) evalFn {
	return func(ctx *Context, args []arrow.Array, n int) (arrow.Array, error) {
		b := types.NewBuilder(allocator(ctx), ret)
		defer b.Release()
		b.Reserve(n)
		val := v(ctx)
		for i := 0; i < n; i++ {
			types.AppendDatum(b, ret, val)
		}
		return b.NewArray(), nil
	}
}

// defConst registers a function that ignores its arguments (it still sees NULLs: NullSafe).
func defConst(name string, args []types.T, ret types.T, v func(ctx *Context) any) {
	defFunc(name, args, ret, constEval(ret, v)).NullSafe = true
}

func currentSchema(ctx *Context) any {
	if ctx == nil {
		return "public"
	}
	for _, s := range ctx.SearchPath {
		if s != "$user" && s != "pg_catalog" {
			return s
		}
	}
	return nil
}

// FormatType is format_type(oid, typmod): the SQL name of a type with its modifiers, or "???"
// for an OID eddy does not know. typmod < 0 means none.
func FormatType(oid uint32, typmod int32) string {
	t, ok := types.FromOID(oid)
	if !ok {
		for f := types.Family(0); f < types.Record+1; f++ {
			if e := (types.T{Family: f}); e.ArrayOID() == oid && oid != 0 {
				return e.SQLName() + "[]"
			}
		}
		return "???"
	}
	if typmod >= 4 {
		switch t.Family {
		case types.Varchar, types.Char:
			t.Width = typmod - 4
		case types.Numeric:
			t.Width, t.Scale = (typmod-4)>>16, (typmod-4)&0xffff
		}
	}
	if t.Family == types.Char && t.Width == 0 {
		return "bpchar"
	}
	return t.String()
}

func init() {
	name, tb, oidT := types.NameT, types.BoolT, types.OidT
	defConst("version", nil, text, func(*Context) any { return Version() })
	database := func(ctx *Context) any {
		if ctx == nil || ctx.Database == "" {
			return "eddy"
		}
		return ctx.Database
	}
	defConst("current_database", nil, name, database)
	defConst("current_catalog", nil, name, database)
	defConst("current_schema", nil, name, currentSchema)
	for _, fn := range []string{"current_user", "session_user", "user", "current_role", "getpgusername"} {
		defConst(fn, nil, name, func(ctx *Context) any {
			if ctx == nil || ctx.User == "" {
				return "eddy"
			}
			return ctx.User
		})
	}
	defRowsCtx("current_schemas", ts(tb), fam(types.TextArray), func(ctx *Context, r []any) (any, error) {
		var out []string
		if r[0].(bool) {
			out = append(out, "pg_catalog")
		}
		if ctx != nil {
			for _, s := range ctx.SearchPath {
				if s != "$user" && !(r[0].(bool) && s == "pg_catalog") {
					out = append(out, s)
				}
			}
		}
		return formatTextArray(out), nil
	})
	defConst("pg_backend_pid", nil, int4T, func(ctx *Context) any {
		if ctx == nil {
			return int64(0)
		}
		return int64(ctx.BackendPID)
	})
	defPoly("pg_typeof", ts(anyT), text, true, func(at []types.T) evalFn { return typeofOverload(at[0]).Eval })
	defFunc("format_type", ts(oidT, int4T), text, func(ctx *Context, args []arrow.Array, n int) (arrow.Array, error) {
		return mapRows(ctx, args, ts(oidT, int4T), text, n, false, func(r []any) (any, error) {
			if r[0] == nil {
				return nil, nil
			}
			mod := int32(-1)
			if r[1] != nil {
				mod = int32(r[1].(int64))
			}
			return FormatType(uint32(r[0].(int64)), mod), nil
		})
	}).NullSafe = true
	nullText := func(*Context) any { return nil }
	defConst("obj_description", ts(oidT), text, nullText)
	defConst("obj_description", ts(oidT, name), text, nullText)
	defConst("col_description", ts(oidT, int4T), text, nullText)
	defConst("shobj_description", ts(oidT, name), text, nullText)
	defConst("pg_get_userbyid", ts(oidT), name, func(*Context) any { return "eddy" })
	yes := func(*Context) any { return true }
	defFunc("pg_table_is_visible", ts(oidT), tb, func(ctx *Context, args []arrow.Array, n int) (arrow.Array, error) {
		return mapRows(ctx, args, ts(oidT), tb, n, true, func(r []any) (any, error) {
			if ctx == nil || ctx.RelationVisible == nil {
				return true, nil
			}
			return ctx.RelationVisible(uint32(r[0].(int64))), nil
		})
	})
	for _, fn := range []string{"pg_operator_is_visible", "pg_conversion_is_visible", "pg_ts_config_is_visible",
		"pg_ts_dict_is_visible", "pg_ts_parser_is_visible", "pg_ts_template_is_visible",
		"pg_collation_is_visible", "pg_opclass_is_visible", "pg_opfamily_is_visible", "pg_statistics_obj_is_visible"} {
		defConst(fn, ts(oidT), tb, yes)
	}
	defConst("pg_type_is_visible", ts(oidT), tb, yes)
	defConst("pg_function_is_visible", ts(oidT), tb, yes)
	for _, fn := range []string{"has_table_privilege", "has_schema_privilege", "has_database_privilege",
		"has_sequence_privilege", "has_function_privilege"} {
		defConst(fn, ts(text, text), tb, yes)
		defConst(fn, ts(name, text, text), tb, yes)
		defConst(fn, ts(oidT, text), tb, yes)
	}
	// has_column_privilege([user,] table, column, privilege)
	defConst("has_column_privilege", ts(text, text, text), tb, yes)
	defConst("has_column_privilege", ts(oidT, text, text), tb, yes)
	defConst("has_column_privilege", ts(name, text, text, text), tb, yes)
	defConst("pg_encoding_to_char", ts(int4T), name, func(*Context) any { return "UTF8" })
	defConst("pg_client_encoding", nil, name, func(*Context) any { return "UTF8" })
	defRows("pg_get_expr", ts(text, oidT), text, func(r []any) (any, error) { return r[0], nil })
	defRows("pg_get_expr", ts(text, oidT, tb), text, func(r []any) (any, error) { return r[0], nil })
	defConst("inet_server_port", nil, int4T, func(*Context) any { return nil })
	defConst("pg_is_in_recovery", nil, tb, func(*Context) any { return false })
}

// typeofOverload is pg_typeof bound to an argument of type t. The result is the type's name as
// text (PostgreSQL returns regtype, whose output is that name).
func typeofOverload(t types.T) *Overload {
	name := t.SQLName()
	if t.Family == types.Char && t.Width == 0 {
		name = "bpchar"
	}
	return &Overload{Name: "pg_typeof", Args: ts(t), Ret: text, NullSafe: true,
		Eval: constEval(text, func(*Context) any { return name })}
}

// defRowsCtx registers a strict function evaluated row by row that needs the Context.
func defRowsCtx(name string, args []types.T, ret types.T, f func(ctx *Context, r []any) (any, error)) *Overload {
	return defFunc(name, args, ret, func(ctx *Context, a []arrow.Array, n int) (arrow.Array, error) {
		return mapRows(ctx, a, args, ret, n, true, func(r []any) (any, error) { return f(ctx, r) })
	})
}
