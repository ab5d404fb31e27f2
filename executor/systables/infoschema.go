package systables

import (
	"strconv"

	"github.com/eddydb/eddy/sql/types"
	"github.com/eddydb/eddy/storage"
)

// This file holds information_schema.tables, columns, schemata and views. eddy's only role is a
// superuser, so, as for a PostgreSQL superuser, every object is visible, system ones included.
//
// OIDs of information_schema views: PostgreSQL assigns them at initdb; these are the values of
// a stock PostgreSQL 15 cluster (13250-13483).

// yesNo is the information_schema yes_or_no domain's rendering of b.
func yesNo(b bool) string {
	if b {
		return "YES"
	}
	return "NO"
}

var _ = registerView("information_schema", "tables", 13425, spec(`
	table_catalog name, table_schema name, table_name name, table_type varchar,
	self_referencing_column_name name, reference_generation varchar,
	user_defined_type_catalog name, user_defined_type_schema name, user_defined_type_name name,
	is_insertable_into varchar(3), is_typed varchar(3), commit_action varchar`),
	func(b *builder, cat *storage.Catalog, env *Env) error {
		for _, r := range relations(cat) {
			var typ string
			switch r.kind {
			case 'r':
				typ = "BASE TABLE"
			case 'v':
				typ = "VIEW"
			case 'f':
				typ = "FOREIGN"
			default:
				continue // materialized views are not in the SQL standard's catalog
			}
			b.add(row{"table_catalog": databaseName(env), "table_schema": r.nspName,
				"table_name": r.name, "table_type": typ, "is_insertable_into": yesNo(r.kind == 'r'),
				"is_typed": "NO"})
		}
		return nil
	})

var _ = registerView("information_schema", "columns", 13295, spec(`
	table_catalog name, table_schema name, table_name name, column_name name,
	ordinal_position int4, column_default varchar, is_nullable varchar(3), data_type varchar,
	character_maximum_length int4, character_octet_length int4, numeric_precision int4,
	numeric_precision_radix int4, numeric_scale int4, datetime_precision int4,
	interval_type varchar, interval_precision int4, character_set_catalog name,
	character_set_schema name, character_set_name name, collation_catalog name,
	collation_schema name, collation_name name, domain_catalog name, domain_schema name,
	domain_name name, udt_catalog name, udt_schema name, udt_name name, scope_catalog name,
	scope_schema name, scope_name name, maximum_cardinality int4, dtd_identifier name,
	is_self_referencing varchar(3), is_identity varchar(3), identity_generation varchar,
	identity_start varchar, identity_increment varchar, identity_maximum varchar,
	identity_minimum varchar, identity_cycle varchar(3), is_generated varchar,
	generation_expression varchar, is_updatable varchar(3)`),
	func(b *builder, cat *storage.Catalog, env *Env) error {
		db := databaseName(env)
		for _, r := range relations(cat) {
			if !inInfoSchema(r.kind) {
				continue
			}
			for i, c := range r.cols {
				x := row{"table_catalog": db, "table_schema": r.nspName, "table_name": r.name,
					"column_name": c.name, "ordinal_position": i + 1,
					"is_nullable": yesNo(!c.notNull), "data_type": infoDataType(c.typ),
					"udt_catalog": db, "udt_schema": "pg_catalog", "udt_name": typeInfo(c.typ).name,
					"dtd_identifier": strconv.Itoa(i + 1), "is_self_referencing": "NO",
					"is_identity": "NO", "identity_cycle": "NO", "is_generated": "NEVER",
					"is_updatable": yesNo(r.kind == 'r')}
				if c.def != "" {
					x["column_default"] = c.def
				}
				if collationOf(c.typ) == cCollID {
					x["collation_catalog"], x["collation_schema"], x["collation_name"] = db, "pg_catalog", "C"
				}
				for k, v := range infoTypeFacets(c.typ) {
					x[k] = v
				}
				b.add(x)
			}
		}
		return nil
	})

// inInfoSchema reports whether information_schema.tables and columns list relations of kind
// relkind: PostgreSQL's list tables, views and foreign tables ('r', 'v', 'f', and partitioned
// tables), not materialized views, which the SQL standard does not know.
func inInfoSchema(relkind byte) bool { return relkind == 'r' || relkind == 'v' || relkind == 'f' }

// infoDataType is information_schema's data_type: the SQL name of the type without
// modifiers, or ARRAY for any array (int2vector and oidvector included).
func infoDataType(t types.T) string {
	if t.Category() == 'A' {
		return "ARRAY"
	}
	return types.T{Family: t.Family}.String()
}

// infoTypeFacets returns the length, precision, scale and datetime-precision columns
// information_schema.columns shows for t (absent keys are NULL), following PostgreSQL's
// _pg_char_max_length, _pg_numeric_precision and friends.
func infoTypeFacets(t types.T) row {
	x := row{}
	switch t.Family {
	case types.Text:
		x["character_octet_length"] = 1 << 30
	case types.Varchar, types.Char:
		if t.Width > 0 {
			x["character_maximum_length"] = t.Width
			x["character_octet_length"] = t.Width * 4 // UTF8: at most 4 bytes a character
		} else {
			x["character_octet_length"] = 1 << 30
		}
	case types.Int2, types.Int4, types.Int8:
		x["numeric_precision"] = int(t.Len()) * 8
		x["numeric_precision_radix"], x["numeric_scale"] = 2, 0
	case types.Float4:
		x["numeric_precision"], x["numeric_precision_radix"] = 24, 2
	case types.Float8:
		x["numeric_precision"], x["numeric_precision_radix"] = 53, 2
	case types.Numeric:
		x["numeric_precision_radix"] = 10
		if t.Width > 0 {
			x["numeric_precision"], x["numeric_scale"] = t.Width, t.Scale
		}
	case types.Date:
		x["datetime_precision"] = 0
	case types.Time, types.Timestamp, types.TimestampTZ, types.Interval:
		x["datetime_precision"] = 6
	}
	return x
}

var _ = registerView("information_schema", "schemata", 13382, spec(`
	catalog_name name, schema_name name, schema_owner name, default_character_set_catalog name,
	default_character_set_schema name, default_character_set_name name, sql_path varchar`),
	func(b *builder, cat *storage.Catalog, env *Env) error {
		for _, s := range schemas(cat) {
			b.add(row{"catalog_name": databaseName(env), "schema_name": s.Name, "schema_owner": userName(env)})
		}
		return nil
	})

// information_schema.views lists the virtual tables PostgreSQL defines as views; as in
// pg_views, their definition is NULL. eddy's catalog has no plain user views yet.
var _ = registerView("information_schema", "views", 13483, spec(`
	table_catalog name, table_schema name, table_name name, view_definition varchar,
	check_option varchar, is_updatable varchar(3), is_insertable_into varchar(3),
	is_trigger_updatable varchar(3), is_trigger_deletable varchar(3),
	is_trigger_insertable_into varchar(3)`),
	func(b *builder, cat *storage.Catalog, env *Env) error {
		for _, r := range relations(cat) {
			if r.kind != 'v' {
				continue
			}
			b.add(row{"table_catalog": databaseName(env), "table_schema": r.nspName,
				"table_name": r.name, "check_option": "NONE", "is_updatable": "NO",
				"is_insertable_into": "NO", "is_trigger_updatable": "NO",
				"is_trigger_deletable": "NO", "is_trigger_insertable_into": "NO"})
		}
		return nil
	})

// schemas returns the catalog's schemas followed by any well-known schema a virtual table
// lives in that the catalog lacks (hand-built catalogs in tests), so joins from pg_class to
// pg_namespace always match.
func schemas(cat *storage.Catalog) []storage.SchemaDesc {
	var out []storage.SchemaDesc
	seen := map[uint32]bool{}
	for _, s := range cat.Schemas {
		seen[s.ID] = true
		out = append(out, *s)
	}
	for _, name := range []string{"pg_catalog", "information_schema", "eddy_catalog"} {
		if id := wellKnownSchemas[name]; !seen[id] && cat.Schema(name) == nil {
			out = append(out, storage.SchemaDesc{ID: id, Name: name})
		}
	}
	return out
}
