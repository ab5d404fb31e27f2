package systables

import (
	"slices"
	"strings"

	"github.com/eddydb/eddy/storage"
)

// This file holds what PostgreSQL keeps about materialized views and foreign tables:
// pg_matviews, pg_rewrite (a materialized view's _RETURN rule), pg_depend (what that rule
// reads), pg_foreign_table and pg_foreign_server (a source's connector, when sources show as
// foreign tables: see sourceRelKind).

// viewDefinition is what pg_get_viewdef and pg_matviews.definition show for t, and ok is false
// when t is not a materialized view. PostgreSQL prints its deparsed query with a leading space
// and a closing semicolon (" SELECT t.a,\n    count(*) AS count\n   FROM t\n  GROUP BY t.a;");
// eddy keeps the query's text as the planner formatted it, and frames it the same way.
func viewDefinition(t *storage.TableDesc) (def string, ok bool) {
	if t.Kind != storage.KindMaterializedView || t.View == nil {
		return "", false
	}
	q := strings.TrimSpace(t.View.Query)
	for strings.HasSuffix(q, ";") {
		q = strings.TrimSpace(strings.TrimSuffix(q, ";"))
	}
	return " " + q + ";", true
}

var _ = registerView("pg_catalog", "pg_matviews", 12038, spec(`
	schemaname name, matviewname name, matviewowner name, tablespace name, hasindexes bool,
	ispopulated bool, definition text`),
	func(b *builder, cat *storage.Catalog, env *Env) error {
		for _, t := range cat.Tables {
			r := userRelation(cat, t)
			if r.kind != 'm' {
				continue
			}
			x := row{"schemaname": r.nspName, "matviewname": r.name, "matviewowner": userName(env),
				"hasindexes": r.hasPK(), "ispopulated": true}
			if def, ok := viewDefinition(t); ok {
				x["definition"] = def
			}
			b.add(x)
		}
		return nil
	})

// pg_rewrite has the _RETURN rule of each materialized view (PostgreSQL's representation of
// its query). ev_action holds the query's text rather than a node tree, as pg_attrdef.adbin
// holds a default's text. The virtual views have no rule here.
var _ = register("pg_catalog", "pg_rewrite", pgRewriteOID, spec(`
	oid oid, rulename name, ev_class oid, ev_type char, ev_enabled char, is_instead bool,
	ev_qual pg_node_tree, ev_action pg_node_tree`),
	func(b *builder, cat *storage.Catalog, _ *Env) error {
		for _, t := range cat.Tables {
			def, ok := viewDefinition(t)
			if !ok {
				continue
			}
			b.add(row{"oid": ruleOID(t), "rulename": "_RETURN", "ev_class": t.ID,
				"ev_type": byte('1'), "ev_enabled": byte('O'), "is_instead": true,
				"ev_qual": "<>", "ev_action": def})
		}
		return nil
	})

// pg_depend records, as PostgreSQL does for a materialized view, that its _RETURN rule is part
// of it ('i' and, for the rule's OLD/NEW entries, 'n') and depends ('n') on each column it
// reads of each relation in View.DependsOn, or on the whole relation when it reads no column
// (count(*)). The columns are those View.Inputs lists. Other dependencies (row types on their
// relations, relations on their schemas) are not listed.
var _ = register("pg_catalog", "pg_depend", 2608, spec(`
	classid oid, objid oid, objsubid int4, refclassid oid, refobjid oid, refobjsubid int4,
	deptype char`),
	func(b *builder, cat *storage.Catalog, _ *Env) error {
		for _, t := range cat.Tables {
			if _, ok := viewDefinition(t); !ok {
				continue
			}
			dep := func(ref uint32, sub int, typ byte) {
				b.add(row{"classid": pgRewriteOID, "objid": ruleOID(t), "objsubid": 0,
					"refclassid": pgClassOID, "refobjid": ref, "refobjsubid": sub, "deptype": typ})
			}
			dep(t.ID, 0, 'i')
			dep(t.ID, 0, 'n')
			for i, id := range t.View.DependsOn {
				d := cat.TableByID(id)
				if d == nil {
					continue
				}
				r := userRelation(cat, d)
				var attnums []int
				if i < len(t.View.Inputs) {
					for _, col := range t.View.Inputs[i] {
						if n := r.attnumOf(col); n > 0 {
							attnums = append(attnums, n)
						}
					}
				}
				if len(attnums) == 0 {
					dep(id, 0, 'n')
				}
				slices.Sort(attnums)
				for _, n := range slices.Compact(attnums) {
					dep(id, n, 'n')
				}
			}
		}
		return nil
	})

// foreignTables returns the sources pg_class shows as foreign tables, in catalog order: none
// while sourceRelKind is 'v'.
func foreignTables(cat *storage.Catalog) []*storage.TableDesc {
	var out []*storage.TableDesc
	for _, t := range cat.Tables {
		if relKind(t) == 'f' {
			out = append(out, t)
		}
	}
	return out
}

// connectorName is the connector of source t, "" when it has none.
func connectorName(t *storage.TableDesc) string {
	if t.Connector == nil {
		return ""
	}
	return t.Connector.Name
}

// A source shown as a foreign table gets its own foreign server, named after its connector,
// whose OID is derived from the source's (psql's \d prints "Server: nexmark"); its WITH
// options other than connector are the table's options, as key=value text.
var _ = register("pg_catalog", "pg_foreign_table", 3118, spec(`
	ftrelid oid, ftserver oid, ftoptions text[]`),
	func(b *builder, cat *storage.Catalog, _ *Env) error {
		for _, t := range foreignTables(cat) {
			var opts []string
			if t.Connector != nil {
				for _, kv := range t.Connector.Options {
					if kv[0] != "connector" {
						opts = append(opts, arrayElem(kv[0]+"="+kv[1]))
					}
				}
			}
			x := row{"ftrelid": t.ID, "ftserver": foreignServerOID(t)}
			if len(opts) > 0 {
				x["ftoptions"] = "{" + strings.Join(opts, ",") + "}"
			}
			b.add(x)
		}
		return nil
	})

var _ = register("pg_catalog", "pg_foreign_server", 1417, spec(`
	oid oid, srvname name, srvowner oid, srvfdw oid, srvtype text, srvversion text,
	srvacl aclitem[], srvoptions text[]`),
	func(b *builder, cat *storage.Catalog, _ *Env) error {
		for _, t := range foreignTables(cat) {
			b.add(row{"oid": foreignServerOID(t), "srvname": connectorName(t),
				"srvowner": superuserOID, "srvfdw": 0})
		}
		return nil
	})
