package systables

import (
	"strings"

	"github.com/eddydb/eddy/storage"
)

// eddy_catalog holds eddy's own views of its catalog, things PostgreSQL's catalogs have no
// column for. OIDs here count up from the schema's ID (storage.EddyCatalogSchemaID + 1).

var _ = registerView("eddy_catalog", "tables", storage.EddyCatalogSchemaID+1, spec(`
	table_id oid, schema_name name, table_name name, version int8, catalog_version int8,
	column_count int4, primary_key text[], hidden_key bool`),
	func(b *builder, cat *storage.Catalog, _ *Env) error {
		for _, t := range cat.Tables {
			r := userRelation(cat, t)
			key := make([]string, len(t.PrimaryKey))
			for i, ord := range t.PrimaryKey {
				key[i] = arrayElem(t.Columns[ord].Name)
			}
			b.add(row{"table_id": t.ID, "schema_name": r.nspName, "table_name": t.Name,
				"version": int64(t.Version), "catalog_version": int64(cat.Version),
				"column_count": len(r.cols), "primary_key": "{" + strings.Join(key, ",") + "}",
				"hidden_key": t.HasHiddenKey()})
		}
		return nil
	})

// arrayElem quotes s as an element of an array's text form when it needs it.
func arrayElem(s string) string {
	if s != "" && !strings.ContainsAny(s, `{},"\ `) && !strings.EqualFold(s, "null") {
		return s
	}
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}
