package systables

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/eddydb/eddy/sql/types"
	"github.com/eddydb/eddy/storage"
)

// testCatalog mirrors the tables the expectations in catalog_test.go were read from, created on
// PostgreSQL 15 as:
//
//	CREATE SCHEMA shop;
//	CREATE TABLE shop.orders (region text NOT NULL, id int8 NOT NULL,
//	    amount numeric(10,2) DEFAULT 0, note varchar(20), placed timestamptz,
//	    PRIMARY KEY (region, id));
//	CREATE TABLE shop.events (payload text, flag boolean, x int4, y float8);
//
// events has no key, so eddy gives it the hidden row id.
func testCatalog() *storage.Catalog {
	return &storage.Catalog{
		Version: 3,
		Schemas: []*storage.SchemaDesc{
			{ID: storage.PgCatalogSchemaID, Name: "pg_catalog"},
			{ID: storage.PublicSchemaID, Name: "public"},
			{ID: storage.InformationSchemaID, Name: "information_schema"},
			{ID: storage.EddyCatalogSchemaID, Name: "eddy_catalog"},
			{ID: 16384, Name: "shop"},
		},
		Tables: []*storage.TableDesc{
			{ID: 16385, SchemaID: 16384, Name: "orders", Version: 1, PrimaryKey: []int{0, 1}, NextColumnID: 6,
				Columns: []*storage.ColumnDesc{
					{ID: 1, Name: "region", Type: types.TextT, NotNull: true},
					{ID: 2, Name: "id", Type: types.Int8T, NotNull: true},
					{ID: 3, Name: "amount", Type: types.T{Family: types.Numeric, Width: 10, Scale: 2}, Default: "0"},
					{ID: 4, Name: "note", Type: types.T{Family: types.Varchar, Width: 20}},
					{ID: 5, Name: "placed", Type: types.TimestampTZT},
				}},
			{ID: 16386, SchemaID: 16384, Name: "events", Version: 1, PrimaryKey: []int{4}, NextColumnID: 6,
				Columns: []*storage.ColumnDesc{
					{ID: 1, Name: "payload", Type: types.TextT},
					{ID: 2, Name: "flag", Type: types.BoolT},
					{ID: 3, Name: "x", Type: types.Int4T},
					{ID: 4, Name: "y", Type: types.Float8T},
					{ID: 5, Name: storage.RowIDColumnName, Type: types.Int8T, NotNull: true, Hidden: true},
				}},
		},
		NextID: 16387,
	}
}

var testEnv = &Env{User: "alice", Database: "eddy", PID: 42,
	Settings: map[string]string{"TimeZone": "UTC", "search_path": `"$user", public`, "application_name": "psql"}}

// TestRowsMatchColumns keeps S2 for every registered table, on an empty and a populated
// catalog, and checks that nothing leaks.
func TestRowsMatchColumns(t *testing.T) {
	for _, tc := range []struct {
		name string
		cat  *storage.Catalog
		env  *Env
	}{
		{"nil", nil, nil},
		{"empty", &storage.Catalog{}, &Env{}},
		{"populated", testCatalog(), testEnv},
		{"streams", StreamTestCatalog(), testEnv},
		{"streams with foreign tables", StreamTestCatalog(), testEnv},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.name == "streams with foreign tables" {
				defer func(k byte) { sourceRelKind = k }(sourceRelKind)
				sourceRelKind = 'f'
			}
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			for _, vt := range All() {
				rec, err := vt.Rows(mem, tc.cat, tc.env)
				if err != nil {
					t.Fatalf("%s.%s: %v", vt.Schema, vt.Name, err)
				}
				checkShape(t, vt, rec)
				rec.Release()
			}
		})
	}
}

func checkShape(t *testing.T, vt *Table, rec arrow.Record) {
	t.Helper()
	sc := rec.Schema()
	if int(rec.NumCols()) != len(vt.Columns) {
		t.Fatalf("%s.%s: %d columns, want %d", vt.Schema, vt.Name, rec.NumCols(), len(vt.Columns))
	}
	for i, c := range vt.Columns {
		f := sc.Field(i)
		if f.Name != c.Name || !arrow.TypeEqual(f.Type, c.Type.ArrowType()) {
			t.Errorf("%s.%s column %d: got %s %s, want %s %s", vt.Schema, vt.Name, i, f.Name, f.Type, c.Name, c.Type.ArrowType())
		}
		if rec.Column(i).Len() != int(rec.NumRows()) {
			t.Errorf("%s.%s column %s: %d values in %d rows", vt.Schema, vt.Name, c.Name, rec.Column(i).Len(), rec.NumRows())
		}
	}
}

func TestRegistry(t *testing.T) {
	oids := map[uint32]string{}
	for _, vt := range All() {
		name := vt.Schema + "." + vt.Name
		if other, dup := oids[vt.OID]; dup {
			t.Errorf("%s and %s share OID %d", name, other, vt.OID)
		}
		oids[vt.OID] = name
		if vt.OID >= storage.FirstUserID {
			t.Errorf("%s: OID %d is in the user range", name, vt.OID)
		}
		if Lookup(vt.Schema, vt.Name) != vt {
			t.Errorf("Lookup(%s) does not find it", name)
		}
		seen := map[string]bool{}
		for _, c := range vt.Columns {
			if seen[c.Name] {
				t.Errorf("%s: duplicate column %s", name, c.Name)
			}
			seen[c.Name] = true
		}
	}
	// The tables psql, pgjdbc and pgx need must exist.
	for _, name := range []string{"pg_catalog.pg_class", "pg_catalog.pg_namespace",
		"pg_catalog.pg_attribute", "pg_catalog.pg_type", "pg_catalog.pg_index",
		"pg_catalog.pg_constraint", "pg_catalog.pg_attrdef", "pg_catalog.pg_description",
		"pg_catalog.pg_database", "pg_catalog.pg_roles", "pg_catalog.pg_am", "pg_catalog.pg_proc",
		"pg_catalog.pg_settings", "pg_catalog.pg_policy", "pg_catalog.pg_statistic_ext",
		"pg_catalog.pg_publication", "pg_catalog.pg_inherits", "pg_catalog.pg_collation",
		"information_schema.tables", "information_schema.columns",
		"information_schema.schemata", "information_schema.key_column_usage"} {
		schema, table, _ := strings.Cut(name, ".")
		if Lookup(schema, table) == nil {
			t.Errorf("%s is not registered", name)
		}
	}
}

// TestBuiltinTypesCoverFamilies checks builtinTypes against sql/types: every family with an
// OID has a row whose length and category agree, and so does its array type.
func TestBuiltinTypesCoverFamilies(t *testing.T) {
	for oid := uint32(0); oid < 5000; oid++ {
		typ, ok := types.FromOID(oid)
		if !ok || typ.OID() != oid {
			continue
		}
		bt := typeByOID[oid]
		if bt == nil {
			t.Errorf("type %s (%d) has no pg_type row", typ, oid)
			continue
		}
		if bt.len != typ.Len() || bt.category != typ.Category() {
			t.Errorf("type %s: pg_type says len %d category %c, types says %d %c", typ, bt.len, bt.category, typ.Len(), typ.Category())
		}
		if a := typ.ArrayOID(); a != 0 {
			if typeByOID[a] == nil || typeByOID[a].elem != oid || bt.array != a {
				t.Errorf("type %s: array %d not linked both ways", typ, a)
			}
		}
	}
	procs := map[uint32]bool{}
	for _, p := range builtinProcs {
		procs[p.oid] = true
	}
	for _, bt := range builtinTypes {
		for _, f := range []uint32{bt.input, bt.output, bt.receive, bt.send, bt.modIn, bt.modOut, bt.analyze, bt.subscript} {
			if f != 0 && !procs[f] {
				t.Errorf("type %s: function %d missing from pg_proc", bt.name, f)
			}
		}
	}
}

// dump renders the rows of table schema.name as "a|b|c" lines over the named columns, keeping
// rows for which keep (given the row's values by column name) is true. NULL prints as "∅".
func dump(t *testing.T, schema, name string, cat *storage.Catalog, keep func(r map[string]string) bool, cols ...string) []string {
	t.Helper()
	vt := Lookup(schema, name)
	if vt == nil {
		t.Fatalf("no table %s.%s", schema, name)
	}
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	rec, err := vt.Rows(mem, cat, testEnv)
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Release()
	var out []string
	for i := 0; i < int(rec.NumRows()); i++ {
		vals := map[string]string{}
		for j, c := range vt.Columns {
			vals[c.Name] = render(types.DatumAt(rec.Column(j), i, c.Type))
		}
		if keep != nil && !keep(vals) {
			continue
		}
		parts := make([]string, len(cols))
		for j, c := range cols {
			v, ok := vals[c]
			if !ok {
				t.Fatalf("%s.%s has no column %s", schema, name, c)
			}
			parts[j] = v
		}
		out = append(out, strings.Join(parts, "|"))
	}
	return out
}

// render prints a datum the way psql -A prints booleans ("t"/"f") and everything else.
func render(v any) string {
	switch x := v.(type) {
	case nil:
		return "∅"
	case bool:
		if x {
			return "t"
		}
		return "f"
	}
	return fmt.Sprint(v)
}

func eq(col, val string) func(map[string]string) bool {
	return func(r map[string]string) bool { return r[col] == val }
}

func in(col string, vals ...string) func(map[string]string) bool {
	return func(r map[string]string) bool {
		for _, v := range vals {
			if r[col] == v {
				return true
			}
		}
		return false
	}
}

func check(t *testing.T, what string, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s:\ngot:\n  %s\nwant:\n  %s", what, strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

// TestShapesMatchPostgres compares every table mirroring a PostgreSQL relation with what
// PostgreSQL 15 has (testdata/pg15_relations.txt): same OID, same relkind, same columns in the
// same order.
func TestShapesMatchPostgres(t *testing.T) {
	data, err := os.ReadFile("testdata/pg15_relations.txt")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	for _, line := range strings.Split(string(data), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, rest, _ := strings.Cut(line, " ")
		want[name] = rest
	}
	for _, vt := range All() {
		if vt.Schema == "eddy_catalog" {
			continue
		}
		kind := "r"
		if vt.View {
			kind = "v"
		}
		names := make([]string, len(vt.Columns))
		for i, c := range vt.Columns {
			names[i] = c.Name
		}
		got := fmt.Sprintf("%d %s %s", vt.OID, kind, strings.Join(names, ","))
		if w, ok := want[vt.Schema+"."+vt.Name]; !ok {
			t.Errorf("%s.%s: not a PostgreSQL 15 relation", vt.Schema, vt.Name)
		} else if got != w {
			t.Errorf("%s.%s:\n got %s\nwant %s", vt.Schema, vt.Name, got, w)
		}
	}
}
