package systables

import (
	"strconv"
	"testing"
)

// The expectations below were read from PostgreSQL 15.18 for the tables testCatalog mirrors
// (psql -A output), then translated where eddy's OIDs differ from that server's: events is
// 16386 here (16393 there), and the primary-key index and constraint OIDs follow oids.go.

var (
	ordersOID     = "16385"
	eventsOID     = "16386"
	ordersPKIndex = strconv.FormatUint(uint64(16385+pkIndexOffset), 10)
	ordersPKCon   = strconv.FormatUint(uint64(16385+pkConstrOffset), 10)
)

func TestPgClass(t *testing.T) {
	got := dump(t, "pg_catalog", "pg_class", testCatalog(), eq("relnamespace", "16384"),
		"relname", "relnamespace", "relkind", "relam", "relhasindex", "relnatts", "relpersistence",
		"relreplident", "reltuples", "relpages", "relowner", "relchecks", "relispartition",
		"reloptions", "relacl")
	check(t, "pg_class", got, []string{
		"orders|16384|r|2|t|5|p|d|-1|0|10|0|f|∅|∅",
		"orders_pkey|16384|i|403|f|2|p|n|0|1|10|0|f|∅|∅",
		"events|16384|r|2|f|4|p|d|-1|0|10|0|f|∅|∅",
	})
	// The index's OID is derived from the table's, and reltype points at the row type.
	got = dump(t, "pg_catalog", "pg_class", testCatalog(), eq("relname", "orders_pkey"), "oid", "reltype")
	check(t, "pg_class index oid", got, []string{ordersPKIndex + "|0"})
	got = dump(t, "pg_catalog", "pg_class", testCatalog(), eq("relname", "orders"), "oid", "reltype")
	check(t, "pg_class table oid", got, []string{ordersOID + "|" + strconv.FormatUint(uint64(16385+rowTypeOffset), 10)})

	// Virtual tables appear too, so \dS lists them: base catalogs as tables, views as views.
	got = dump(t, "pg_catalog", "pg_class", testCatalog(), in("relname", "pg_class", "pg_roles", "columns"),
		"relname", "relnamespace", "relkind", "relam")
	check(t, "pg_class virtual", got, []string{
		"columns|13000|v|0",
		"pg_class|11|r|2",
		"pg_roles|11|v|0",
	})
}

func TestPgAttribute(t *testing.T) {
	cols := []string{"attname", "atttypid", "attlen", "attnum", "atttypmod", "attbyval", "attalign",
		"attstorage", "attnotnull", "atthasdef", "attcollation", "attndims", "attisdropped",
		"attidentity", "attgenerated"}
	got := dump(t, "pg_catalog", "pg_attribute", testCatalog(), in("attrelid", ordersOID, ordersPKIndex, eventsOID), cols...)
	// The hidden _row_id of events has no row: PostgreSQL would show a table without a key.
	check(t, "pg_attribute", got, []string{
		"region|25|-1|1|-1|f|i|x|t|f|100|0|f||",
		"id|20|8|2|-1|t|d|p|t|f|0|0|f||",
		"amount|1700|-1|3|655366|f|i|m|f|t|0|0|f||",
		"note|1043|-1|4|24|f|i|x|f|f|100|0|f||",
		"placed|1184|8|5|-1|t|d|p|f|f|0|0|f||",
		"region|25|-1|1|-1|f|i|x|f|f|100|0|f||",
		"id|20|8|2|-1|t|d|p|f|f|0|0|f||",
		"payload|25|-1|1|-1|f|i|x|f|f|100|0|f||",
		"flag|16|1|2|-1|t|c|p|f|f|0|0|f||",
		"x|23|4|3|-1|t|i|p|f|f|0|0|f||",
		"y|701|8|4|-1|t|d|p|f|f|0|0|f||",
	})
	// Virtual tables' columns are there too, numbered from 1 (pg_class.relacl is aclitem[],
	// which eddy carries as text[]).
	got = dump(t, "pg_catalog", "pg_attribute", testCatalog(), in("attrelid", "1259"), "attnum", "attname")
	if len(got) != 33 || got[0] != "1|oid" || got[1] != "2|relname" {
		t.Errorf("pg_attribute for pg_class: %v", got)
	}
}

func TestPgAttrdef(t *testing.T) {
	// psql shows pg_get_expr(adbin, adrelid), which eddy's function library passes through.
	got := dump(t, "pg_catalog", "pg_attrdef", testCatalog(), nil, "adrelid", "adnum", "adbin")
	check(t, "pg_attrdef", got, []string{ordersOID + "|3|0"})
}

func TestPgType(t *testing.T) {
	got := dump(t, "pg_catalog", "pg_type", testCatalog(), in("oid", "19", "23", "1007", "1043", "1184", "1700"),
		"typname", "typlen", "typbyval", "typtype", "typcategory", "typelem", "typarray", "typinput",
		"typoutput", "typalign", "typstorage", "typcollation", "typbasetype", "typtypmod", "typrelid")
	check(t, "pg_type", got, []string{
		"name|64|f|b|S|18|1003|34|35|c|p|950|0|-1|0",
		"int4|4|t|b|N|0|1007|42|43|i|p|0|0|-1|0",
		"_int4|-1|f|b|A|23|0|750|751|i|x|0|0|-1|0",
		"varchar|-1|f|b|S|0|1015|1046|1047|i|x|100|0|-1|0",
		"timestamptz|8|t|b|D|0|1185|1150|1151|d|p|0|0|-1|0",
		"numeric|-1|f|b|N|0|1231|1701|1702|i|m|0|0|-1|0",
	})
	// Each table has a composite row type (PostgreSQL also gives it an array type; eddy not).
	got = dump(t, "pg_catalog", "pg_type", testCatalog(), eq("typrelid", ordersOID),
		"typname", "typtype", "typcategory", "typlen", "typalign", "typstorage", "typinput", "typnamespace")
	check(t, "pg_type row type", got, []string{"orders|c|C|-1|d|x|2290|16384"})
	// typinput resolves in pg_proc.
	got = dump(t, "pg_catalog", "pg_proc", testCatalog(), in("oid", "42", "2290"), "proname", "prorettype", "proargtypes")
	check(t, "pg_proc", got, []string{"int4in|23|2275", "record_in|2249|2275 26 23"})
}

func TestPgIndexAndConstraint(t *testing.T) {
	got := dump(t, "pg_catalog", "pg_index", testCatalog(), nil,
		"indexrelid", "indrelid", "indnatts", "indnkeyatts", "indisunique", "indisprimary",
		"indisclustered", "indisvalid", "indkey", "indcollation", "indclass", "indoption", "indexprs")
	check(t, "pg_index", got, []string{ordersPKIndex + "|" + ordersOID + "|2|2|t|t|f|t|1 2|100 0|3126 3124|0 0|∅"})

	got = dump(t, "pg_catalog", "pg_constraint", testCatalog(), nil,
		"oid", "conname", "connamespace", "contype", "condeferrable", "convalidated", "confupdtype",
		"conkey", "confkey", "conindid", "conrelid")
	check(t, "pg_constraint", got, []string{ordersPKCon + "|orders_pkey|16384|p|f|t| |{1,2}|∅|" + ordersPKIndex + "|" + ordersOID})

	got = dump(t, "pg_catalog", "pg_indexes", testCatalog(), nil, "schemaname", "tablename", "indexname", "indexdef")
	check(t, "pg_indexes", got, []string{
		"shop|orders|orders_pkey|CREATE UNIQUE INDEX orders_pkey ON shop.orders USING btree (region, id)"})

	cat := testCatalog()
	if def, ok := ConstraintDef(cat, 16385+pkConstrOffset); !ok || def != "PRIMARY KEY (region, id)" {
		t.Errorf("ConstraintDef = %q, %v", def, ok)
	}
	if col, ok := IndexColumn(cat, 16385+pkIndexOffset, 2); !ok || col != "id" {
		t.Errorf("IndexColumn = %q, %v", col, ok)
	}
	if _, ok := IndexDef(cat, 16386+pkIndexOffset); ok {
		t.Errorf("IndexDef found an index for events, whose key is hidden")
	}
}

func TestInformationSchemaColumns(t *testing.T) {
	got := dump(t, "information_schema", "columns", testCatalog(), eq("table_schema", "shop"),
		"table_catalog", "table_schema", "table_name", "column_name", "ordinal_position",
		"column_default", "is_nullable", "data_type", "character_maximum_length",
		"character_octet_length", "numeric_precision", "numeric_precision_radix", "numeric_scale",
		"datetime_precision", "udt_catalog", "udt_schema", "udt_name", "dtd_identifier",
		"is_self_referencing", "is_identity", "is_generated", "is_updatable")
	// PostgreSQL's table_catalog is the database's name: "postgres" there, "eddy" here.
	check(t, "information_schema.columns", got, []string{
		"eddy|shop|orders|region|1|∅|NO|text|∅|1073741824|∅|∅|∅|∅|eddy|pg_catalog|text|1|NO|NO|NEVER|YES",
		"eddy|shop|orders|id|2|∅|NO|bigint|∅|∅|64|2|0|∅|eddy|pg_catalog|int8|2|NO|NO|NEVER|YES",
		"eddy|shop|orders|amount|3|0|YES|numeric|∅|∅|10|10|2|∅|eddy|pg_catalog|numeric|3|NO|NO|NEVER|YES",
		"eddy|shop|orders|note|4|∅|YES|character varying|20|80|∅|∅|∅|∅|eddy|pg_catalog|varchar|4|NO|NO|NEVER|YES",
		"eddy|shop|orders|placed|5|∅|YES|timestamp with time zone|∅|∅|∅|∅|∅|6|eddy|pg_catalog|timestamptz|5|NO|NO|NEVER|YES",
		"eddy|shop|events|payload|1|∅|YES|text|∅|1073741824|∅|∅|∅|∅|eddy|pg_catalog|text|1|NO|NO|NEVER|YES",
		"eddy|shop|events|flag|2|∅|YES|boolean|∅|∅|∅|∅|∅|∅|eddy|pg_catalog|bool|2|NO|NO|NEVER|YES",
		"eddy|shop|events|x|3|∅|YES|integer|∅|∅|32|2|0|∅|eddy|pg_catalog|int4|3|NO|NO|NEVER|YES",
		"eddy|shop|events|y|4|∅|YES|double precision|∅|∅|53|2|∅|∅|eddy|pg_catalog|float8|4|NO|NO|NEVER|YES",
	})
}

func TestInformationSchemaTablesAndConstraints(t *testing.T) {
	got := dump(t, "information_schema", "tables", testCatalog(), in("table_name", "orders", "events", "pg_class", "pg_roles"),
		"table_catalog", "table_schema", "table_name", "table_type", "is_insertable_into", "is_typed")
	check(t, "information_schema.tables", got, []string{
		"eddy|pg_catalog|pg_class|BASE TABLE|YES|NO",
		"eddy|pg_catalog|pg_roles|VIEW|NO|NO",
		"eddy|shop|orders|BASE TABLE|YES|NO",
		"eddy|shop|events|BASE TABLE|YES|NO",
	})
	got = dump(t, "information_schema", "table_constraints", testCatalog(), nil,
		"constraint_schema", "constraint_name", "table_name", "constraint_type", "is_deferrable",
		"initially_deferred", "enforced", "nulls_distinct")
	check(t, "information_schema.table_constraints", got, []string{
		"shop|orders_pkey|orders|PRIMARY KEY|NO|NO|YES|∅",
		"shop|16384_16385_1_not_null|orders|CHECK|NO|NO|YES|∅",
		"shop|16384_16385_2_not_null|orders|CHECK|NO|NO|YES|∅",
	})
	got = dump(t, "information_schema", "key_column_usage", testCatalog(), nil,
		"constraint_name", "table_schema", "table_name", "column_name", "ordinal_position", "position_in_unique_constraint")
	check(t, "information_schema.key_column_usage", got, []string{
		"orders_pkey|shop|orders|region|1|∅",
		"orders_pkey|shop|orders|id|2|∅",
	})
	got = dump(t, "information_schema", "schemata", testCatalog(), eq("schema_name", "shop"), "catalog_name", "schema_name", "schema_owner")
	check(t, "information_schema.schemata", got, []string{"eddy|shop|alice"})
}

func TestSessionTables(t *testing.T) {
	got := dump(t, "pg_catalog", "pg_database", nil, nil, "oid", "datname", "datdba", "encoding",
		"datcollate", "datctype", "datistemplate", "datallowconn", "datconnlimit", "datacl")
	check(t, "pg_database", got, []string{"16383|eddy|10|6|C|C|f|t|-1|∅"})
	got = dump(t, "pg_catalog", "pg_roles", nil, nil, "oid", "rolname", "rolsuper", "rolcanlogin")
	check(t, "pg_roles", got, []string{"10|alice|t|t"})
	got = dump(t, "pg_catalog", "pg_settings", nil, in("name", "max_index_keys", "TimeZone", "search_path"), "name", "setting", "vartype")
	check(t, "pg_settings", got, []string{
		"max_index_keys|32|integer",
		`search_path|"$user", public|string`,
		"TimeZone|UTC|string",
	})
	got = dump(t, "pg_catalog", "pg_stat_activity", nil, nil, "datname", "pid", "usename", "application_name", "state")
	check(t, "pg_stat_activity", got, []string{"eddy|42|alice|psql|active"})
	got = dump(t, "pg_catalog", "pg_namespace", testCatalog(), nil, "oid", "nspname", "nspowner")
	check(t, "pg_namespace", got, []string{"11|pg_catalog|10", "2200|public|10", "13000|information_schema|10",
		"13100|eddy_catalog|10", "16384|shop|10"})
}

func TestResolvers(t *testing.T) {
	cat := testCatalog()
	for _, tc := range []struct {
		schema, name string
		oid          uint32
	}{
		{"pg_catalog", "pg_class", 1259},
		{"shop", "orders", 16385},
		{"shop", "orders_pkey", 16385 + pkIndexOffset},
		{"shop", "events_pkey", 0},
		{"shop", "nope", 0},
	} {
		oid, ok := RelationOID(cat, tc.schema, tc.name)
		if oid != tc.oid || ok != (tc.oid != 0) {
			t.Errorf("RelationOID(%s.%s) = %d, %v; want %d", tc.schema, tc.name, oid, ok, tc.oid)
		}
		if tc.oid == 0 {
			continue
		}
		if s, n, ok := RelationName(cat, tc.oid); !ok || s != tc.schema || n != tc.name {
			t.Errorf("RelationName(%d) = %s.%s, %v", tc.oid, s, n, ok)
		}
	}
	if oid, ok := ProcOID("array_in"); !ok || oid != 750 {
		t.Errorf("ProcOID(array_in) = %d, %v", oid, ok)
	}
	if name, ok := ProcName(42); !ok || name != "int4in" {
		t.Errorf("ProcName(42) = %q, %v", name, ok)
	}
}
