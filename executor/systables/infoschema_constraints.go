package systables

import (
	"strconv"

	"github.com/eddydb/eddy/storage"
)

// This file holds information_schema's constraint views. As in PostgreSQL, a table's
// constraints are its primary key plus one CHECK constraint per NOT NULL column, named
// <namespace oid>_<table oid>_<attnum>_not_null.

func notNullName(r *relation, attnum int) string {
	return strconv.FormatUint(uint64(r.nspOID), 10) + "_" + strconv.FormatUint(uint64(r.oid), 10) +
		"_" + strconv.Itoa(attnum) + "_not_null"
}

// userTables returns the user relations that are tables (relkind 'r'), in catalog order: as in
// PostgreSQL, only tables' constraints are listed, not those of views or foreign tables.
func userTables(cat *storage.Catalog) []relation {
	out := make([]relation, 0, len(cat.Tables))
	for _, t := range cat.Tables {
		if r := userRelation(cat, t); r.kind == 'r' {
			out = append(out, r)
		}
	}
	return out
}

var _ = registerView("information_schema", "table_constraints", 13411, spec(`
	constraint_catalog name, constraint_schema name, constraint_name name, table_catalog name,
	table_schema name, table_name name, constraint_type varchar, is_deferrable varchar(3),
	initially_deferred varchar(3), enforced varchar(3), nulls_distinct varchar(3)`),
	func(b *builder, cat *storage.Catalog, env *Env) error {
		db := databaseName(env)
		for _, r := range userTables(cat) {
			con := func(name, typ string) {
				b.add(row{"constraint_catalog": db, "constraint_schema": r.nspName,
					"constraint_name": name, "table_catalog": db, "table_schema": r.nspName,
					"table_name": r.name, "constraint_type": typ, "is_deferrable": "NO",
					"initially_deferred": "NO", "enforced": "YES"})
			}
			if r.hasPK() {
				con(r.pkName(), "PRIMARY KEY")
			}
			for i, c := range r.cols {
				if c.notNull {
					con(notNullName(&r, i+1), "CHECK")
				}
			}
		}
		return nil
	})

var _ = registerView("information_schema", "check_constraints", 13260, spec(`
	constraint_catalog name, constraint_schema name, constraint_name name,
	check_clause varchar`),
	func(b *builder, cat *storage.Catalog, env *Env) error {
		for _, r := range userTables(cat) {
			for i, c := range r.cols {
				if c.notNull {
					b.add(row{"constraint_catalog": databaseName(env), "constraint_schema": r.nspName,
						"constraint_name": notNullName(&r, i+1),
						"check_clause":    quoteIdent(c.name) + " IS NOT NULL"})
				}
			}
		}
		return nil
	})

// pkColumnRows calls f for each column of each primary key with its 1-based key position.
func pkColumnRows(cat *storage.Catalog, f func(r *relation, col string, pos int)) {
	for _, r := range pkRelations(cat) {
		for i, attnum := range r.pk {
			f(&r, r.cols[attnum-1].name, i+1)
		}
	}
}

var _ = registerView("information_schema", "key_column_usage", 13329, spec(`
	constraint_catalog name, constraint_schema name, constraint_name name, table_catalog name,
	table_schema name, table_name name, column_name name, ordinal_position int4,
	position_in_unique_constraint int4`),
	func(b *builder, cat *storage.Catalog, env *Env) error {
		db := databaseName(env)
		pkColumnRows(cat, func(r *relation, col string, pos int) {
			b.add(row{"constraint_catalog": db, "constraint_schema": r.nspName,
				"constraint_name": r.pkName(), "table_catalog": db, "table_schema": r.nspName,
				"table_name": r.name, "column_name": col, "ordinal_position": pos})
		})
		return nil
	})

var _ = registerView("information_schema", "constraint_column_usage", 13300, spec(`
	table_catalog name, table_schema name, table_name name, column_name name,
	constraint_catalog name, constraint_schema name, constraint_name name`),
	func(b *builder, cat *storage.Catalog, env *Env) error {
		db := databaseName(env)
		pkColumnRows(cat, func(r *relation, col string, _ int) {
			b.add(row{"table_catalog": db, "table_schema": r.nspName, "table_name": r.name,
				"column_name": col, "constraint_catalog": db, "constraint_schema": r.nspName,
				"constraint_name": r.pkName()})
		})
		return nil
	})

// Empty: eddy has no foreign keys, and no user-defined functions.
var (
	_ = registerView("information_schema", "referential_constraints", 13339, spec(`
	constraint_catalog name, constraint_schema name, constraint_name name,
	unique_constraint_catalog name, unique_constraint_schema name, unique_constraint_name name,
	match_option varchar, update_rule varchar, delete_rule varchar`), nil)
	_ = registerView("information_schema", "routines", 13377, spec(`
	specific_catalog name, specific_schema name, specific_name name, routine_catalog name,
	routine_schema name, routine_name name, routine_type varchar, module_catalog name,
	module_schema name, module_name name, udt_catalog name, udt_schema name, udt_name name,
	data_type varchar, character_maximum_length int4, character_octet_length int4,
	character_set_catalog name, character_set_schema name, character_set_name name,
	collation_catalog name, collation_schema name, collation_name name, numeric_precision int4,
	numeric_precision_radix int4, numeric_scale int4, datetime_precision int4,
	interval_type varchar, interval_precision int4, type_udt_catalog name,
	type_udt_schema name, type_udt_name name, scope_catalog name, scope_schema name,
	scope_name name, maximum_cardinality int4, dtd_identifier name, routine_body varchar,
	routine_definition varchar, external_name varchar, external_language varchar,
	parameter_style varchar, is_deterministic varchar(3), sql_data_access varchar,
	is_null_call varchar(3), sql_path varchar, schema_level_routine varchar(3),
	max_dynamic_result_sets int4, is_user_defined_cast varchar(3),
	is_implicitly_invocable varchar(3), security_type varchar, to_sql_specific_catalog name,
	to_sql_specific_schema name, to_sql_specific_name name, as_locator varchar(3),
	created timestamptz, last_altered timestamptz, new_savepoint_level varchar(3),
	is_udt_dependent varchar(3), result_cast_from_data_type varchar,
	result_cast_as_locator varchar(3), result_cast_char_max_length int4,
	result_cast_char_octet_length int4, result_cast_char_set_catalog name,
	result_cast_char_set_schema name, result_cast_char_set_name name,
	result_cast_collation_catalog name, result_cast_collation_schema name,
	result_cast_collation_name name, result_cast_numeric_precision int4,
	result_cast_numeric_precision_radix int4, result_cast_numeric_scale int4,
	result_cast_datetime_precision int4, result_cast_interval_type varchar,
	result_cast_interval_precision int4, result_cast_type_udt_catalog name,
	result_cast_type_udt_schema name, result_cast_type_udt_name name,
	result_cast_scope_catalog name, result_cast_scope_schema name, result_cast_scope_name name,
	result_cast_maximum_cardinality int4, result_cast_dtd_identifier name`), nil)
	_ = registerView("information_schema", "parameters", 13334, spec(`
	specific_catalog name, specific_schema name, specific_name name, ordinal_position int4,
	parameter_mode varchar, is_result varchar(3), as_locator varchar(3), parameter_name name,
	data_type varchar, character_maximum_length int4, character_octet_length int4,
	character_set_catalog name, character_set_schema name, character_set_name name,
	collation_catalog name, collation_schema name, collation_name name, numeric_precision int4,
	numeric_precision_radix int4, numeric_scale int4, datetime_precision int4,
	interval_type varchar, interval_precision int4, udt_catalog name, udt_schema name,
	udt_name name, scope_catalog name, scope_schema name, scope_name name,
	maximum_cardinality int4, dtd_identifier name, parameter_default varchar`), nil)
)
