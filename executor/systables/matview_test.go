package systables

import (
	"strconv"
	"testing"

	"github.com/eddydb/eddy/sql/types"
	"github.com/eddydb/eddy/storage"
)

// StreamTestCatalog mirrors, with the same OIDs, what this was read from on PostgreSQL 15
// (testdata/clients/psql15_matview.sql has psql's queries against it):
//
//	CREATE SCHEMA shop;                                                          -- 16422
//	CREATE TABLE shop.orders (...as in testCatalog...);                          -- 16423
//	CREATE MATERIALIZED VIEW shop.totals AS
//	    SELECT region, count(*) AS n, sum(amount) AS total FROM shop.orders GROUP BY region;  -- 16431
//
// plus eddy's own kinds where PostgreSQL had stand-ins: the source shop.bids (16437; a view
// there), the materialized view shop.order_count over it (16441; over orders there), and
// shop.people, a table fed by a connector (16445). totals' region is NOT NULL in eddy's
// descriptor (the planner may infer it), which PostgreSQL never shows for a view's column.
//
// Exported (from a test file) for the planner-driven test in package systables_test.
func StreamTestCatalog() *storage.Catalog {
	cat := testCatalog()
	orders := cat.Tables[0]
	orders.ID, orders.SchemaID = 16423, 16422
	cat.Schemas[4].ID = 16422
	nexmark := &storage.ConnectorDef{Name: "nexmark", Options: [][2]string{
		{"nexmark.event.rate", "1000"}, {"nexmark.max.events", "10"}}}
	cat.Tables = []*storage.TableDesc{
		orders,
		{ID: 16431, SchemaID: 16422, Name: "totals", Version: 1, NextColumnID: 4,
			Kind: storage.KindMaterializedView,
			View: &storage.ViewDef{
				Query:     "SELECT region, count(*) AS n, sum(amount) AS total FROM shop.orders GROUP BY region",
				DependsOn: []uint32{16423}, Inputs: [][]uint32{{3, 1}}},
			Columns: []*storage.ColumnDesc{
				{ID: 1, Name: "region", Type: types.TextT, NotNull: true},
				{ID: 2, Name: "n", Type: types.Int8T},
				{ID: 3, Name: "total", Type: types.T{Family: types.Numeric}},
			}},
		{ID: 16437, SchemaID: 16422, Name: "bids", Version: 1, NextColumnID: 4,
			Kind: storage.KindSource, Connector: nexmark,
			Columns: []*storage.ColumnDesc{
				{ID: 1, Name: "auction", Type: types.Int8T},
				{ID: 2, Name: "price", Type: types.Int8T, NotNull: true},
				{ID: 3, Name: "ts", Type: types.TimestampTZT},
			}},
		{ID: 16441, SchemaID: 16422, Name: "order_count", Version: 1, NextColumnID: 2,
			Kind: storage.KindMaterializedView,
			View: &storage.ViewDef{Query: "SELECT count(*) AS n FROM shop.bids;\n",
				DependsOn: []uint32{16437}, Inputs: [][]uint32{{}}},
			Columns: []*storage.ColumnDesc{{ID: 1, Name: "n", Type: types.Int8T}}},
		{ID: 16445, SchemaID: 16422, Name: "people", Version: 1, PrimaryKey: []int{2}, NextColumnID: 4,
			Connector: &storage.ConnectorDef{Name: "nexmark", Options: [][2]string{{"nexmark.table.type", "Person"}}},
			Columns: []*storage.ColumnDesc{
				{ID: 1, Name: "id", Type: types.Int8T},
				{ID: 2, Name: "name", Type: types.TextT},
				{ID: 3, Name: storage.RowIDColumnName, Type: types.Int8T, NotNull: true, Hidden: true},
			}},
	}
	cat.NextID = 16446
	return cat
}

const (
	shopOID   = "16422"
	totalsOID = "16431"
	bidsOID   = "16437"
	countOID  = "16441"
	peopleOID = "16445"
)

func TestMatviewPgClass(t *testing.T) {
	cols := []string{"relname", "relkind", "relam", "relfilenode", "relhasindex", "relhasrules",
		"relnatts", "relpersistence", "relreplident", "relminmxid", "relispopulated", "reltuples"}
	got := dump(t, "pg_catalog", "pg_class", StreamTestCatalog(), eq("relnamespace", shopOID), cols...)
	// totals is what PostgreSQL 15 shows for it (relfilenode is its OID there too); the source
	// bids shows as a view (sourceRelKind).
	check(t, "pg_class", got, []string{
		"orders|r|2|16423|t|f|5|p|d|1|t|-1",
		"orders_pkey|i|403|" + strconv.FormatUint(uint64(16423+pkIndexOffset), 10) + "|f|f|2|p|n|0|t|0",
		"totals|m|2|16431|f|t|3|p|d|1|t|-1",
		"bids|v|0|0|f|t|3|p|n|0|t|-1",
		"order_count|m|2|16441|f|t|1|p|d|1|t|-1",
		"people|r|2|16445|f|f|2|p|d|1|t|-1",
	})
	// Each has its row type.
	got = dump(t, "pg_catalog", "pg_type", StreamTestCatalog(), in("typrelid", totalsOID, bidsOID),
		"oid", "typname", "typtype", "typnamespace")
	check(t, "pg_type", got, []string{
		strconv.FormatUint(uint64(16431+rowTypeOffset), 10) + "|totals|c|16422",
		strconv.FormatUint(uint64(16437+rowTypeOffset), 10) + "|bids|c|16422",
	})
}

func TestMatviewPgAttribute(t *testing.T) {
	got := dump(t, "pg_catalog", "pg_attribute", StreamTestCatalog(), in("attrelid", totalsOID, bidsOID, countOID),
		"attrelid", "attname", "atttypid", "attnum", "attlen", "atttypmod", "attstorage", "attnotnull",
		"atthasdef", "attcollation")
	// PostgreSQL 15 for totals: region|25|1|-1|-1|x|f, n|20|2|8|-1|p|f, total|1700|3|-1|-1|m|f.
	check(t, "pg_attribute", got, []string{
		"16431|region|25|1|-1|-1|x|f|f|100",
		"16431|n|20|2|8|-1|p|f|f|0",
		"16431|total|1700|3|-1|-1|m|f|f|0",
		"16437|auction|20|1|8|-1|p|f|f|0",
		"16437|price|20|2|8|-1|p|f|f|0",
		"16437|ts|1184|3|8|-1|p|f|f|0",
		"16441|n|20|1|8|-1|p|f|f|0",
	})
	// No index or constraint for relations without a primary key.
	got = dump(t, "pg_catalog", "pg_index", StreamTestCatalog(), nil, "indrelid")
	check(t, "pg_index", got, []string{"16423"})
	got = dump(t, "pg_catalog", "pg_constraint", StreamTestCatalog(), nil, "conrelid")
	check(t, "pg_constraint", got, []string{"16423"})
}

func TestPgMatviews(t *testing.T) {
	got := dump(t, "pg_catalog", "pg_matviews", StreamTestCatalog(), nil,
		"schemaname", "matviewname", "matviewowner", "tablespace", "hasindexes", "ispopulated", "definition")
	check(t, "pg_matviews", got, []string{
		"shop|totals|alice|∅|f|t| SELECT region, count(*) AS n, sum(amount) AS total FROM shop.orders GROUP BY region;",
		"shop|order_count|alice|∅|f|t| SELECT count(*) AS n FROM shop.bids;",
	})
	cat := StreamTestCatalog()
	for _, tc := range []struct {
		oid  uint32
		want string
	}{
		{16431, " SELECT region, count(*) AS n, sum(amount) AS total FROM shop.orders GROUP BY region;"},
		{16441, " SELECT count(*) AS n FROM shop.bids;"},
		{16423, ""}, {16437, ""}, {1259, ""}, {12038, ""},
	} {
		def, ok := ViewDef(cat, tc.oid)
		if def != tc.want || ok != (tc.want != "") {
			t.Errorf("ViewDef(%d) = %q, %v; want %q", tc.oid, def, ok, tc.want)
		}
	}
	// Only the tables and the source (as a view) are views' or tables' in pg_views/pg_tables.
	got = dump(t, "pg_catalog", "pg_tables", StreamTestCatalog(), eq("schemaname", "shop"), "tablename", "hasindexes")
	check(t, "pg_tables", got, []string{"orders|t", "people|f"})
	got = dump(t, "pg_catalog", "pg_views", StreamTestCatalog(), eq("schemaname", "shop"), "viewname", "definition")
	check(t, "pg_views", got, []string{"bids|∅"})
	got = dump(t, "pg_catalog", "pg_stat_user_tables", StreamTestCatalog(), nil, "relname", "n_live_tup", "idx_scan")
	check(t, "pg_stat_user_tables", got, []string{"orders|0|0", "totals|0|∅", "order_count|0|∅", "people|0|∅"})
}

func TestMatviewRewriteAndDepend(t *testing.T) {
	rule := func(id uint32) string { return strconv.FormatUint(uint64(id+ruleOffset), 10) }
	got := dump(t, "pg_catalog", "pg_rewrite", StreamTestCatalog(), nil,
		"oid", "rulename", "ev_class", "ev_type", "ev_enabled", "is_instead")
	check(t, "pg_rewrite", got, []string{
		rule(16431) + "|_RETURN|16431|1|O|t",
		rule(16441) + "|_RETURN|16441|1|O|t",
	})
	// As PostgreSQL 15 records for totals (rule → totals 'i' and 'n', → orders.region and
	// orders.amount 'n'); order_count reads no column of bids, so it depends on all of it.
	got = dump(t, "pg_catalog", "pg_depend", StreamTestCatalog(), nil,
		"classid", "objid", "objsubid", "refclassid", "refobjid", "refobjsubid", "deptype")
	check(t, "pg_depend", got, []string{
		"2618|" + rule(16431) + "|0|1259|16431|0|i",
		"2618|" + rule(16431) + "|0|1259|16431|0|n",
		"2618|" + rule(16431) + "|0|1259|16423|1|n",
		"2618|" + rule(16431) + "|0|1259|16423|3|n",
		"2618|" + rule(16441) + "|0|1259|16441|0|i",
		"2618|" + rule(16441) + "|0|1259|16441|0|n",
		"2618|" + rule(16441) + "|0|1259|16437|0|n",
	})
	// Sources are not foreign tables while sourceRelKind is 'v'.
	if got := dump(t, "pg_catalog", "pg_foreign_table", StreamTestCatalog(), nil, "ftrelid"); len(got) != 0 {
		t.Errorf("pg_foreign_table: %v", got)
	}
	if got := dump(t, "pg_catalog", "pg_foreign_server", StreamTestCatalog(), nil, "oid"); len(got) != 0 {
		t.Errorf("pg_foreign_server: %v", got)
	}
}

func TestMatviewInformationSchema(t *testing.T) {
	// PostgreSQL lists neither materialized views nor their columns in information_schema.
	got := dump(t, "information_schema", "tables", StreamTestCatalog(), eq("table_schema", "shop"),
		"table_name", "table_type", "is_insertable_into")
	check(t, "information_schema.tables", got, []string{
		"orders|BASE TABLE|YES",
		"bids|VIEW|NO",
		"people|BASE TABLE|YES",
	})
	got = dump(t, "information_schema", "columns", StreamTestCatalog(), eq("table_schema", "shop"),
		"table_name", "column_name", "ordinal_position", "is_nullable", "is_updatable")
	check(t, "information_schema.columns", got, []string{
		"orders|region|1|NO|YES", "orders|id|2|NO|YES", "orders|amount|3|YES|YES",
		"orders|note|4|YES|YES", "orders|placed|5|YES|YES",
		"bids|auction|1|YES|NO", "bids|price|2|YES|NO", "bids|ts|3|YES|NO",
		"people|id|1|YES|YES", "people|name|2|YES|YES",
	})
	got = dump(t, "information_schema", "views", StreamTestCatalog(), eq("table_schema", "shop"), "table_name")
	check(t, "information_schema.views", got, []string{"bids"})
	// Only tables have constraints there; the source's NOT NULL price is not one.
	got = dump(t, "information_schema", "table_constraints", StreamTestCatalog(), nil, "table_name", "constraint_type")
	check(t, "information_schema.table_constraints", got, []string{
		"orders|PRIMARY KEY", "orders|CHECK", "orders|CHECK"})
	got = dump(t, "information_schema", "check_constraints", StreamTestCatalog(), nil, "constraint_name")
	check(t, "information_schema.check_constraints", got, []string{"16422_16423_1_not_null", "16422_16423_2_not_null"})
}

func TestEddyCatalogStreams(t *testing.T) {
	got := dump(t, "eddy_catalog", "materialized_views", StreamTestCatalog(), nil,
		"id", "schema", "name", "definition", "depends_on")
	check(t, "eddy_catalog.materialized_views", got, []string{
		"16431|shop|totals|SELECT region, count(*) AS n, sum(amount) AS total FROM shop.orders GROUP BY region|shop.orders",
		"16441|shop|order_count|SELECT count(*) AS n FROM shop.bids;\n|shop.bids",
	})
	got = dump(t, "eddy_catalog", "sources", StreamTestCatalog(), nil,
		"id", "schema", "name", "connector", "options", "is_table")
	check(t, "eddy_catalog.sources", got, []string{
		"16437|shop|bids|nexmark|nexmark.event.rate = '1000', nexmark.max.events = '10'|f",
		"16445|shop|people|nexmark|nexmark.table.type = 'Person'|t",
	})
	got = dump(t, "eddy_catalog", "tables", StreamTestCatalog(), nil, "table_id", "table_name", "primary_key", "hidden_key")
	check(t, "eddy_catalog.tables", got, []string{
		"16423|orders|{region,id}|f",
		"16445|people|{_row_id}|t",
	})

	// A dependency on two relations, one of them needing quotes.
	cat := StreamTestCatalog()
	cat.Tables[2].Name = "Bids"
	cat.Tables[3].View.DependsOn = []uint32{16423, 16437}
	cat.Tables[3].View.Inputs = [][]uint32{{2}, {}}
	got = dump(t, "eddy_catalog", "materialized_views", cat, eq("name", "order_count"), "depends_on")
	check(t, "depends_on", got, []string{`shop.orders, shop."Bids"`})
	got = dump(t, "pg_catalog", "pg_depend", cat, eq("objid", strconv.FormatUint(uint64(16441+ruleOffset), 10)), "refobjid", "refobjsubid")
	check(t, "pg_depend two relations", got, []string{"16441|0", "16441|0", "16423|2", "16437|0"})
}

// TestSourceAsForeignTable covers what sources show once sourceRelKind is 'f' (see there).
func TestSourceAsForeignTable(t *testing.T) {
	defer func(k byte) { sourceRelKind = k }(sourceRelKind)
	sourceRelKind = 'f'
	cat := StreamTestCatalog()
	got := dump(t, "pg_catalog", "pg_class", cat, eq("relname", "bids"),
		"relkind", "relam", "relfilenode", "relhasindex", "relhasrules", "relreplident", "relnatts")
	// PostgreSQL 15's row for a foreign table.
	check(t, "pg_class", got, []string{"f|0|0|f|f|n|3"})
	srv := strconv.FormatUint(uint64(16437+foreignSrvOffset), 10)
	got = dump(t, "pg_catalog", "pg_foreign_table", cat, nil, "ftrelid", "ftserver", "ftoptions")
	check(t, "pg_foreign_table", got, []string{bidsOID + "|" + srv + "|{nexmark.event.rate=1000,nexmark.max.events=10}"})
	got = dump(t, "pg_catalog", "pg_foreign_server", cat, nil, "oid", "srvname", "srvowner")
	check(t, "pg_foreign_server", got, []string{srv + "|nexmark|10"})
	got = dump(t, "information_schema", "tables", cat, eq("table_name", "bids"), "table_type", "is_insertable_into")
	check(t, "information_schema.tables", got, []string{"FOREIGN|NO"})
	got = dump(t, "information_schema", "columns", cat, eq("table_name", "bids"), "column_name", "is_nullable")
	// A foreign table keeps its NOT NULL columns, as in PostgreSQL.
	check(t, "information_schema.columns", got, []string{"auction|YES", "price|NO", "ts|YES"})
	if got := dump(t, "pg_catalog", "pg_views", cat, eq("viewname", "bids"), "viewname"); len(got) != 0 {
		t.Errorf("pg_views lists a foreign table: %v", got)
	}
}

func TestMatviewResolvers(t *testing.T) {
	cat := StreamTestCatalog()
	if oid, ok := RelationOID(cat, "shop", "totals"); !ok || oid != 16431 {
		t.Errorf("RelationOID(shop.totals) = %d, %v", oid, ok)
	}
	if _, ok := RelationOID(cat, "shop", "totals_pkey"); ok {
		t.Errorf("a materialized view has no primary-key index")
	}
	if s, n, ok := RelationName(cat, 16437); !ok || s != "shop" || n != "bids" {
		t.Errorf("RelationName(16437) = %s.%s, %v", s, n, ok)
	}
	for oid, want := range map[uint32]bool{16423: true, 16431: false, 16437: false, 16445: true} {
		if IsUserTable(cat, oid) != want {
			t.Errorf("IsUserTable(%d) = %v", oid, !want)
		}
	}
}
