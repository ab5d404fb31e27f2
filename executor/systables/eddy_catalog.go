package systables

import (
	"strconv"
	"strings"

	"github.com/eddydb/eddy/storage"
)

// eddy_catalog holds eddy's own views of its catalog, things PostgreSQL's catalogs have no
// column for. OIDs here count up from the schema's ID (storage.EddyCatalogSchemaID + 1).

// eddy_catalog.tables lists the tables (storage.KindTable, with or without a connector);
// materialized views and sources have relations of their own below.
var _ = registerView("eddy_catalog", "tables", storage.EddyCatalogSchemaID+1, spec(`
	table_id oid, schema_name name, table_name name, version int8, catalog_version int8,
	column_count int4, primary_key text[], hidden_key bool`),
	func(b *builder, cat *storage.Catalog, _ *Env) error {
		for _, t := range cat.Tables {
			if t.Kind != storage.KindTable {
				continue
			}
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

// eddy_catalog.materialized_views lists the materialized views: the defining query's text as
// stored (pg_matviews.definition frames it the way pg_get_viewdef does) and the relations it
// reads, as schema-qualified names separated by ", " in ID order.
var _ = registerView("eddy_catalog", "materialized_views", storage.EddyCatalogSchemaID+2, spec(`
	id oid, schema name, name name, definition text, depends_on text`),
	func(b *builder, cat *storage.Catalog, _ *Env) error {
		for _, t := range cat.Tables {
			if t.Kind != storage.KindMaterializedView {
				continue
			}
			r := userRelation(cat, t)
			x := row{"id": t.ID, "schema": r.nspName, "name": t.Name}
			if t.View != nil {
				deps := make([]string, 0, len(t.View.DependsOn))
				for _, id := range t.View.DependsOn {
					deps = append(deps, qualifiedName(cat, id))
				}
				x["definition"], x["depends_on"] = t.View.Query, strings.Join(deps, ", ")
			}
			b.add(x)
		}
		return nil
	})

// eddy_catalog.sources lists the relations a connector feeds: sources, and tables declared
// WITH (connector = ...) (is_table). options are the WITH options other than connector, in
// key order, written as in the WITH clause: key = 'value', separated by ", ".
var _ = registerView("eddy_catalog", "sources", storage.EddyCatalogSchemaID+3, spec(`
	id oid, schema name, name name, connector text, options text, is_table bool, paused bool`),
	func(b *builder, cat *storage.Catalog, _ *Env) error {
		for _, t := range cat.Tables {
			if t.Kind != storage.KindSource && t.Connector == nil {
				continue
			}
			r := userRelation(cat, t)
			x := row{"id": t.ID, "schema": r.nspName, "name": t.Name, "is_table": t.Kind == storage.KindTable, "paused": t.Paused}
			if c := t.Connector; c != nil {
				opts := make([]string, 0, len(c.Options))
				for _, kv := range c.Options {
					if kv[0] != "connector" {
						opts = append(opts, optionKey(kv[0])+" = "+quoteLiteral(kv[1]))
					}
				}
				x["connector"], x["options"] = c.Name, strings.Join(opts, ", ")
			}
			b.add(x)
		}
		return nil
	})

// qualifiedName is schema.name of the relation with the given ID, each part quoted as needed;
// the ID itself when the catalog has no such relation.
func qualifiedName(cat *storage.Catalog, id uint32) string {
	t := cat.TableByID(id)
	if t == nil {
		return strconv.FormatUint(uint64(id), 10)
	}
	r := userRelation(cat, t)
	return quoteIdent(r.nspName) + "." + quoteIdent(r.name)
}

// optionKey writes a WITH option's key: bare when it is lower-case words joined by dots
// (nexmark.event.rate; a WITH key may be any word, reserved ones included), double-quoted
// otherwise.
func optionKey(k string) string {
	for _, part := range strings.Split(k, ".") {
		if part == "" || quoteIdent(part) != part && !reservedWords[part] {
			return `"` + strings.ReplaceAll(k, `"`, `""`) + `"`
		}
	}
	return k
}

// quoteLiteral writes s as a SQL string literal.
func quoteLiteral(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// arrayElem quotes s as an element of an array's text form when it needs it.
func arrayElem(s string) string {
	if s != "" && !strings.ContainsAny(s, `{},"\ `) && !strings.EqualFold(s, "null") {
		return s
	}
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// eddy_catalog.jobs lists the materialized views still loading their inputs (SHOW JOBS): rows
// read so far, the rows their inputs held when the job started, and the log index it started at.
var _ = registerView("eddy_catalog", "jobs", storage.EddyCatalogSchemaID+4, spec(`
	view_id oid, schema name, name name, rows_done int8, rows_total int8, progress float8, started_at_index int8`),
	func(b *builder, cat *storage.Catalog, env *Env) error {
		if env == nil || env.Jobs == nil {
			return nil
		}
		for _, j := range env.Jobs() {
			t := cat.TableByID(j.View)
			if t == nil {
				continue // dropped since
			}
			pct := 100.0
			if j.Total > 0 {
				pct = 100 * float64(min(j.Done, j.Total)) / float64(j.Total)
			}
			b.add(row{"view_id": j.View, "schema": userRelation(cat, t).nspName, "name": t.Name,
				"rows_done": j.Done, "rows_total": j.Total, "progress": pct, "started_at_index": int64(j.StartIndex)})
		}
		return nil
	})

// eddy_catalog.savepoints lists the durable savepoints (SHOW SAVEPOINTS), oldest first: the log
// index they were taken at, the bytes of their files on this node and how many of those the
// live state shares (hard links), and the format and eddy version that wrote them.
var _ = registerView("eddy_catalog", "savepoints", storage.EddyCatalogSchemaID+5, spec(`
	name text, created_at timestamptz, log_index int8, size_bytes int8, shared_bytes int8,
	format_version int4, eddy_version text, comment text, missing_on_this_node bool, imported_from text`),
	func(b *builder, _ *storage.Catalog, env *Env) error {
		if env == nil || env.Savepoints == nil {
			return nil
		}
		sps, err := env.Savepoints()
		if err != nil {
			return err
		}
		for _, sp := range sps {
			b.add(row{"name": sp.Name, "created_at": sp.Created, "log_index": int64(sp.Index),
				"size_bytes": sp.Bytes, "shared_bytes": sp.SharedBytes, "format_version": sp.Format,
				"eddy_version": sp.EddyVersion, "comment": sp.Comment, "missing_on_this_node": sp.Missing,
				"imported_from": sp.ImportedFrom})
		}
		return nil
	})
