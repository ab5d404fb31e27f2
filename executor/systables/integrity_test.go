package systables

import (
	"strconv"
	"strings"
	"testing"
)

// TestReferences checks the joins clients make between catalogs: every OID one table points
// at exists in the table it names, so inner joins in psql's and drivers' queries lose no rows.
func TestReferences(t *testing.T) {
	cat := testCatalog()
	set := func(schema, name, col string) map[string]bool {
		m := map[string]bool{}
		for _, v := range dump(t, schema, name, cat, nil, col) {
			m[v] = true
		}
		return m
	}
	classes := set("pg_catalog", "pg_class", "oid")
	namespaces := set("pg_catalog", "pg_namespace", "oid")
	typs := set("pg_catalog", "pg_type", "oid")
	procs := set("pg_catalog", "pg_proc", "oid")
	ams := set("pg_catalog", "pg_am", "oid")
	colls := set("pg_catalog", "pg_collation", "oid")
	colls["0"] = true

	for _, ref := range []struct {
		schema, table, col string
		target             map[string]bool
		zeroOK             bool
	}{
		{"pg_catalog", "pg_class", "relnamespace", namespaces, false},
		{"pg_catalog", "pg_class", "reltype", typs, true},
		{"pg_catalog", "pg_class", "relam", ams, true},
		{"pg_catalog", "pg_attribute", "attrelid", classes, false},
		{"pg_catalog", "pg_attribute", "atttypid", typs, false},
		{"pg_catalog", "pg_attribute", "attcollation", colls, false},
		{"pg_catalog", "pg_type", "typnamespace", namespaces, false},
		{"pg_catalog", "pg_type", "typelem", typs, true},
		{"pg_catalog", "pg_type", "typarray", typs, true},
		{"pg_catalog", "pg_type", "typrelid", classes, true},
		{"pg_catalog", "pg_type", "typinput", procs, false},
		{"pg_catalog", "pg_type", "typoutput", procs, false},
		{"pg_catalog", "pg_type", "typcollation", colls, false},
		{"pg_catalog", "pg_index", "indexrelid", classes, false},
		{"pg_catalog", "pg_index", "indrelid", classes, false},
		{"pg_catalog", "pg_constraint", "conrelid", classes, false},
		{"pg_catalog", "pg_constraint", "conindid", classes, false},
		{"pg_catalog", "pg_constraint", "connamespace", namespaces, false},
		{"pg_catalog", "pg_attrdef", "adrelid", classes, false},
		{"pg_catalog", "pg_proc", "pronamespace", namespaces, false},
		{"pg_catalog", "pg_proc", "prorettype", typs, false},
	} {
		for _, v := range dump(t, ref.schema, ref.table, cat, nil, ref.col) {
			if ref.zeroOK && v == "0" {
				continue
			}
			if !ref.target[v] {
				t.Errorf("%s.%s = %s points at nothing", ref.table, ref.col, v)
			}
		}
	}
	// pg_attribute has exactly relnatts rows per relation, numbered 1..relnatts.
	natts := map[string]int{}
	for _, v := range dump(t, "pg_catalog", "pg_attribute", cat, nil, "attrelid") {
		natts[v]++
	}
	for _, v := range dump(t, "pg_catalog", "pg_class", cat, nil, "oid", "relnatts", "relname") {
		f := strings.Split(v, "|")
		if got := natts[f[0]]; f[1] != strconv.Itoa(got) {
			t.Errorf("%s: relnatts %s, %d pg_attribute rows", f[2], f[1], got)
		}
	}
}
