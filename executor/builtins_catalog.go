package executor

import (
	"strconv"
	"strings"

	"github.com/eddydb/eddy/executor/fn"
	"github.com/eddydb/eddy/executor/systables"
	"github.com/eddydb/eddy/sql/pgerror"
	"github.com/eddydb/eddy/sql/types"
	"github.com/eddydb/eddy/storage"
)

// Catalog functions: the pg_get_*def family, the size functions and the other helpers psql's
// meta-commands and pgjdbc's DatabaseMetaData call. They read the statement's catalog (the
// Reader's), which executor/fn cannot see, and answer for the objects executor/systables shows
// in pg_class, pg_index, pg_constraint and pg_proc.

// catalogBuiltins returns the catalog functions, keyed by name; addCatalogBuiltins merges them
// into builtins.
func catalogBuiltins() map[string][]builtin {
	text, i4, i8, tb := types.TextT, types.Int4T, types.Int8T, types.BoolT
	// Object arguments are declared as "any" so an oid, a regclass or an untyped literal such
	// as psql's '16400' all fit; objectOID reads each of them.
	obj := types.UnknownT
	i8a := types.T{Family: types.Int8Array}
	null := func(*ExecContext, []any, []types.T) (any, error) { return nil, nil }
	return map[string][]builtin{
		"pg_get_indexdef": {
			{args: []types.T{obj}, ret: text, fn: indexDefFn},
			{args: []types.T{obj, i4, tb}, ret: text, fn: indexDefFn},
		},
		"pg_get_constraintdef": {
			{args: []types.T{obj}, ret: text, fn: constraintDefFn},
			{args: []types.T{obj, tb}, ret: text, fn: constraintDefFn},
		},
		"pg_get_function_result":             {{args: []types.T{obj}, ret: text, fn: functionResultFn}},
		"pg_get_function_arguments":          {{args: []types.T{obj}, ret: text, fn: functionArgsFn}},
		"pg_get_function_identity_arguments": {{args: []types.T{obj}, ret: text, fn: functionArgsFn}},
		"pg_get_viewdef":                     {{args: []types.T{obj}, ret: text, fn: viewDefFn}, {args: []types.T{obj, tb}, ret: text, fn: viewDefFn}, {args: []types.T{obj, i4}, ret: text, fn: viewDefFn}},
		"pg_get_function_sqlbody":            {{args: []types.T{obj}, ret: text, fn: null}},
		"pg_get_statisticsobjdef_columns":    {{args: []types.T{obj}, ret: text, fn: null}},
		"pg_get_partkeydef":                  {{args: []types.T{obj}, ret: text, fn: null}},
		"pg_get_triggerdef":                  {{args: []types.T{obj}, ret: text, fn: null}, {args: []types.T{obj, tb}, ret: text, fn: null}},
		"pg_get_ruledef":                     {{args: []types.T{obj}, ret: text, fn: null}, {args: []types.T{obj, tb}, ret: text, fn: null}},
		"pg_relation_size":                   {{args: []types.T{obj}, ret: i8, fn: sizeFn(sizeMain)}, {args: []types.T{obj, text}, ret: i8, fn: sizeFn(sizeMain)}},
		"pg_table_size":                      {{args: []types.T{obj}, ret: i8, fn: sizeFn(sizeTable)}},
		"pg_total_relation_size":             {{args: []types.T{obj}, ret: i8, fn: sizeFn(sizeTotal)}},
		"pg_indexes_size":                    {{args: []types.T{obj}, ret: i8, fn: sizeFn(sizeIndexes)}},
		"pg_tablespace_location":             {{args: []types.T{obj}, ret: text, fn: func(*ExecContext, []any, []types.T) (any, error) { return "", nil }}},
		"pg_relation_is_publishable":         {{args: []types.T{obj}, ret: tb, fn: publishableFn}},
		// Bounds of the catalog's integer arrays (int2[], oid[]), which eddy keeps as bigint[].
		"array_upper":  {{args: []types.T{i8a, i4}, ret: i4, fn: arrayBoundFn(false)}},
		"array_lower":  {{args: []types.T{i8a, i4}, ret: i4, fn: arrayBoundFn(true)}},
		"array_length": {{args: []types.T{i8a, i4}, ret: i4, fn: arrayBoundFn(false)}},
		// x[i], which the planner turns into this call: arrays count from 1, the int2vector
		// and oidvector columns of pg_index from 0.
		"eddy_subscript": {
			{args: []types.T{{Family: types.TextArray}, i4}, ret: text, fn: subscriptFn},
			{args: []types.T{i8a, i4}, ret: i8, fn: subscriptFn},
			{args: []types.T{{Family: types.Int2Vector}, i4}, ret: types.Int2T, fn: subscriptFn},
			{args: []types.T{{Family: types.OidVector}, i4}, ret: types.OidT, fn: subscriptFn},
		},
		// information_schema._pg_expandarray(a), which the planner runs as a walk over
		// 1..eddy_elem_count(a) producing eddy_expand_record(a, n); eddy_field reads (r).x
		// and (r).n.
		"eddy_elem_count":        {{args: []types.T{obj}, ret: i8, fn: elemCountFn}},
		"eddy_expand_record":     {{args: []types.T{obj, i4}, ret: types.T{Family: types.Record}, fn: expandRecordFn}},
		"eddy_field":             {{args: []types.T{{Family: types.Record}, text}, ret: i4, fn: fieldFn}},
		"pg_get_serial_sequence": {{args: []types.T{text, text}, ret: text, fn: null}},
	}
}

// addCatalogBuiltins adds the catalog functions to builtins; builtins.go's init calls it once
// the table exists. A name builtins.go already defines keeps its definition.
func addCatalogBuiltins() {
	for name, bs := range catalogBuiltins() {
		if _, taken := builtins[name]; !taken {
			builtins[name] = bs
		}
	}
}

// objectOID reads an object argument: an oid or reg* datum (int64) or the text of a number.
func objectOID(v any) (uint32, bool) {
	switch x := v.(type) {
	case int64:
		return uint32(x), x >= 0 && x <= 0xffffffff
	case string:
		n, err := strconv.ParseUint(strings.TrimSpace(x), 10, 32)
		return uint32(n), err == nil
	}
	return 0, false
}

// catalog returns the statement's catalog; an empty one when the statement reads nothing.
func (ec *ExecContext) catalog() *storage.Catalog {
	if ec.Reader != nil {
		if c := ec.Reader.Catalog(); c != nil {
			return c
		}
	}
	return &storage.Catalog{}
}

// indexDefFn is pg_get_indexdef(index[, column, pretty]): the CREATE INDEX statement, or with
// column >= 1 that key column's name. An OID that names no index gives NULL.
func indexDefFn(ec *ExecContext, a []any, _ []types.T) (any, error) {
	oid, ok := objectOID(a[0])
	if !ok {
		return nil, nil
	}
	cat := ec.catalog()
	if len(a) > 1 {
		if col := a[1].(int64); col > 0 {
			if name, ok := systables.IndexColumn(cat, oid, int(col)); ok {
				return name, nil
			}
			if _, ok := systables.IndexDef(cat, oid); ok {
				return "", nil // PostgreSQL answers an empty string past the last column
			}
			return nil, nil
		}
	}
	if def, ok := systables.IndexDef(cat, oid); ok {
		return def, nil
	}
	return nil, nil
}

// constraintDefFn is pg_get_constraintdef(constraint[, pretty]).
func constraintDefFn(ec *ExecContext, a []any, _ []types.T) (any, error) {
	oid, ok := objectOID(a[0])
	if !ok {
		return nil, nil
	}
	if def, ok := systables.ConstraintDef(ec.catalog(), oid); ok {
		return def, nil
	}
	return nil, nil
}

// viewDefFn is pg_get_viewdef(view[, pretty | wrap]): a materialized view's query as
// pg_matviews.definition shows it; NULL for anything else (tables, sources, the virtual
// views), as PostgreSQL gives for a relation that is not a view.
func viewDefFn(ec *ExecContext, a []any, _ []types.T) (any, error) {
	oid, ok := objectOID(a[0])
	if !ok {
		return nil, nil
	}
	if def, ok := systables.ViewDef(ec.catalog(), oid); ok {
		return def, nil
	}
	return nil, nil
}

// typeName is format_type(oid, NULL), falling back to pg_type's name for the pseudo-types
// (cstring, internal) that eddy has no value type for.
func typeName(oid uint32) string {
	s := fn.FormatType(oid, -1)
	if s == "???" {
		if n, ok := systables.TypeName(oid); ok {
			return n
		}
	}
	return s
}

// functionResultFn is pg_get_function_result(func): the result type as format_type writes it.
func functionResultFn(_ *ExecContext, a []any, _ []types.T) (any, error) {
	oid, ok := objectOID(a[0])
	if !ok {
		return nil, nil
	}
	ret, _, ok := systables.ProcSignature(oid)
	if !ok {
		return nil, nil
	}
	return typeName(ret), nil
}

// functionArgsFn is pg_get_function_arguments(func) (and the identity variant, the same for
// functions without defaults or OUT parameters): the argument types, comma-separated.
func functionArgsFn(_ *ExecContext, a []any, _ []types.T) (any, error) {
	oid, ok := objectOID(a[0])
	if !ok {
		return nil, nil
	}
	_, args, ok := systables.ProcSignature(oid)
	if !ok {
		return nil, nil
	}
	names := make([]string, len(args))
	for i, t := range args {
		names[i] = typeName(t)
	}
	return strings.Join(names, ", "), nil
}

// arrayBoundFn answers array_upper/array_length (lower false) or array_lower over a
// one-dimensional integer array: NULL for an empty array or another dimension, as PostgreSQL
// does.
func arrayBoundFn(lower bool) func(*ExecContext, []any, []types.T) (any, error) {
	return func(_ *ExecContext, a []any, ts []types.T) (any, error) {
		n := len(arrayElems(a[0], ts[0]))
		if a[1].(int64) != 1 || n == 0 {
			return nil, nil
		}
		if lower {
			return int64(1), nil
		}
		return int64(n), nil
	}
}

// subscriptFn picks element i of an array or vector from its text form; NULL when i is out
// of range or the element is NULL, as in PostgreSQL.
func subscriptFn(_ *ExecContext, a []any, ts []types.T) (any, error) {
	i := a[1].(int64)
	if f := ts[0].Family; f != types.Int2Vector && f != types.OidVector {
		i-- // arrays count from 1, vectors from 0
	}
	elems := arrayElems(a[0], ts[0])
	if i < 0 || i >= int64(len(elems)) || elems[i] == nil {
		return nil, nil
	}
	if ts[0].Family == types.TextArray {
		return *elems[i], nil
	}
	n, err := strconv.ParseInt(*elems[i], 10, 64)
	if err != nil {
		return nil, nil
	}
	return n, nil
}

// splitArrayText splits the inside of a one-dimensional array's text form at top-level commas,
// removing the double quotes and backslash escapes of quoted elements. An unquoted NULL is a
// nil element.
func splitArrayText(s string) []*string {
	var out []*string
	var cur strings.Builder
	quoted, inQuotes := false, false
	flush := func() {
		v := strings.TrimSpace(cur.String())
		if quoted {
			v = cur.String()
		}
		if !quoted && strings.EqualFold(v, "NULL") {
			out = append(out, nil)
		} else {
			out = append(out, &v)
		}
		cur.Reset()
		quoted = false
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' && i+1 < len(s):
			i++
			cur.WriteByte(s[i])
		case c == '"':
			inQuotes, quoted = !inQuotes, true
		case c == ',' && !inQuotes:
			flush()
		default:
			cur.WriteByte(c)
		}
	}
	flush()
	return out
}

// The size functions answer what PostgreSQL 15 reports for a relation that was created and
// never written: eddy keeps rows in its own store, so there is no heap to measure. An empty
// btree index is one 8 kB metapage; an empty table's heap is 0 bytes, and its TOAST table
// (which PostgreSQL creates when a row could outgrow a page) adds an 8 kB index.
type sizeKind int

const (
	sizeMain    sizeKind = iota // pg_relation_size: the main fork
	sizeTable                   // pg_table_size: main fork plus TOAST
	sizeIndexes                 // pg_indexes_size
	sizeTotal                   // pg_total_relation_size: table plus indexes
)

const pageSize = 8192

func sizeFn(kind sizeKind) func(*ExecContext, []any, []types.T) (any, error) {
	return func(ec *ExecContext, a []any, _ []types.T) (any, error) {
		oid, ok := objectOID(a[0])
		if !ok {
			return nil, nil
		}
		cat := ec.catalog()
		if _, ok := systables.IndexDef(cat, oid); ok { // a primary-key index
			if kind == sizeIndexes {
				return int64(0), nil
			}
			return int64(pageSize), nil
		}
		t := cat.TableByID(oid)
		if t == nil {
			if _, _, ok := systables.RelationName(cat, oid); ok {
				return int64(0), nil // a virtual system table
			}
			return nil, nil
		}
		if t.Kind == storage.KindSource {
			return int64(0), nil // a source stores no rows, like a view
		}
		var table, indexes int64
		if needsToast(t) {
			table = pageSize
		}
		if !t.HasHiddenKey() {
			indexes = pageSize
		}
		switch kind {
		case sizeMain:
			return int64(0), nil
		case sizeTable:
			return table, nil
		case sizeIndexes:
			return indexes, nil
		}
		return table + indexes, nil
	}
}

// needsToast reports whether PostgreSQL would give t a TOAST table: some column has no
// length bound, or the widest possible row passes TOAST_TUPLE_THRESHOLD (about 2 kB).
func needsToast(t *storage.TableDesc) bool {
	width := 24 // tuple header
	for _, c := range t.Columns {
		if c.Hidden {
			continue
		}
		switch c.Type.Family {
		case types.Varchar, types.Char:
			if c.Type.Width == 0 {
				return true
			}
			width += 4 + 4*int(c.Type.Width) // up to 4 bytes a character in UTF8
		case types.Numeric:
			if c.Type.Width == 0 {
				return true
			}
			width += 8 + 2*(int(c.Type.Width)/4+2)
		case types.Text, types.Bytea, types.TextArray, types.Int8Array, types.Int2Vector, types.OidVector:
			return true
		default:
			width += 16 // fixed-width types, name, interval
		}
	}
	return width > 2032
}

// arrayElems returns the elements of an array or vector value from its text form: "{1,2}"
// for arrays, "1 2" for int2vector and oidvector. A NULL element is nil.
func arrayElems(v any, t types.T) []*string {
	s, _ := v.(string)
	if t.Family == types.Int2Vector || t.Family == types.OidVector {
		fields := strings.Fields(s)
		out := make([]*string, len(fields))
		for i := range fields {
			out[i] = &fields[i]
		}
		return out
	}
	inner := strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(s), "{"), "}")
	if strings.TrimSpace(inner) == "" {
		return nil
	}
	return splitArrayText(inner)
}

func elemCountFn(_ *ExecContext, a []any, ts []types.T) (any, error) {
	return int64(len(arrayElems(a[0], ts[0]))), nil
}

// expandRecordFn builds _pg_expandarray's row (x, n) for position n, in record text form.
func expandRecordFn(_ *ExecContext, a []any, ts []types.T) (any, error) {
	elems := arrayElems(a[0], ts[0])
	n := a[1].(int64)
	if n < 1 || n > int64(len(elems)) {
		return nil, nil
	}
	x := ""
	if e := elems[n-1]; e != nil {
		x = *e
	}
	return "(" + x + "," + strconv.FormatInt(n, 10) + ")", nil
}

// expandFields are the fields of the one composite eddy produces, _pg_expandarray's record.
var expandFields = map[string]int{"x": 0, "n": 1}

// fieldFn is (r).name over an _pg_expandarray record.
func fieldFn(_ *ExecContext, a []any, _ []types.T) (any, error) {
	i, ok := expandFields[a[1].(string)]
	if !ok {
		return nil, pgerror.Newf(pgerror.UndefinedColumn, "could not identify column \"%s\" in record data type", a[1].(string))
	}
	s, _ := a[0].(string)
	parts := strings.Split(strings.TrimSuffix(strings.TrimPrefix(s, "("), ")"), ",")
	if i >= len(parts) {
		return nil, nil
	}
	n, err := strconv.ParseInt(parts[i], 10, 64)
	if err != nil {
		return nil, nil
	}
	return n, nil
}

// publishableFn is pg_relation_is_publishable(rel): true for user tables, which logical
// replication could publish in PostgreSQL.
func publishableFn(ec *ExecContext, a []any, _ []types.T) (any, error) {
	oid, ok := objectOID(a[0])
	return ok && systables.IsUserTable(ec.catalog(), oid), nil
}

// RegName returns the text output of a regclass, regtype or regproc datum: the object's name,
// schema-qualified only when the schema is not on searchPath (pg_catalog always is), as
// PostgreSQL's regclassout, regtypeout and regprocout write it. ok is false when the OID names
// nothing, in which case PostgreSQL prints the number.
func RegName(cat *storage.Catalog, searchPath []string, t types.T, oid int64) (string, bool) {
	if oid < 0 || oid > 0xffffffff {
		return "", false
	}
	switch t.Family {
	case types.RegClass:
		schema, name, ok := systables.RelationName(cat, uint32(oid))
		if !ok {
			return "", false
		}
		if schema == "pg_catalog" {
			return systables.QuoteIdent(name), true
		}
		for _, s := range searchPath {
			if s == schema {
				return systables.QuoteIdent(name), true
			}
		}
		return systables.QuoteIdent(schema) + "." + systables.QuoteIdent(name), true
	case types.RegType:
		if _, ok := types.FromOID(uint32(oid)); ok {
			return typeName(uint32(oid)), true
		}
		if n, ok := systables.TypeName(uint32(oid)); ok {
			return n, true
		}
	case types.RegProc:
		return systables.ProcName(uint32(oid))
	}
	return "", false
}

// regName is RegName for this statement: the session's OIDName when the server set one, else
// the statement's catalog and search path.
func (ec *ExecContext) regName(t types.T, oid int64) (string, bool) {
	if ec.Fn != nil && ec.Fn.Format != nil && ec.Fn.Format.OIDName != nil {
		return ec.Fn.Format.OIDName(t, oid)
	}
	var path []string
	if ec.Fn != nil {
		path = ec.Fn.SearchPath
	}
	return RegName(ec.catalog(), path, t, oid)
}

// catalogHooks gives the function context what executor/fn needs from the catalog: reg*
// names for casts to text and pg_table_is_visible.
func (ec *ExecContext) catalogHooks(c *fn.Context) {
	c.Format = ec.withOIDNames(c.Format)
	c.RelationVisible = ec.relationVisible
}

// relationVisible is pg_table_is_visible: the relation's schema is on the search path (or is
// pg_catalog, searched first unless the path places it) and no relation of the same name comes
// earlier in that order.
func (ec *ExecContext) relationVisible(oid uint32) bool {
	cat := ec.catalog()
	schema, name, ok := systables.RelationName(cat, oid)
	if !ok {
		return false
	}
	for _, s := range ec.effectivePath() {
		if s == schema {
			return true
		}
		if other, ok := systables.RelationOID(cat, s, name); ok && other != oid {
			return false
		}
	}
	return false
}

// effectivePath is the schemas an unqualified name is looked up in, in order: pg_catalog
// first unless the search path lists it, then the path with "$user" read as the user's name.
func (ec *ExecContext) effectivePath() []string {
	path := []string{"public"}
	user := "eddy"
	if ec.Fn != nil {
		path, user = ec.Fn.SearchPath, ec.Fn.User
	}
	out := make([]string, 0, len(path)+1)
	hasCatalog := false
	for _, s := range path {
		hasCatalog = hasCatalog || s == "pg_catalog"
	}
	if !hasCatalog {
		out = append(out, "pg_catalog")
	}
	for _, s := range path {
		if s == "$user" {
			s = user
		}
		out = append(out, s)
	}
	return out
}

// withOIDNames returns fc, or when fc names no OIDs a copy of it (of the default when nil)
// whose OIDName reads this statement's catalog, so casts of reg* values to text print names.
func (ec *ExecContext) withOIDNames(fc *types.FormatContext) *types.FormatContext {
	if fc != nil && fc.OIDName != nil {
		return fc
	}
	c := types.DefaultFormatContext
	if fc != nil {
		c = *fc
	}
	c.OIDName = ec.regName
	return &c
}
