package systables

import "github.com/eddydb/eddy/storage"

// This file holds small catalogs with fixed or derived contents: access methods, collations,
// languages, and the pg_tables / pg_views / pg_stat_user_tables views.

var _ = register("pg_catalog", "pg_am", 2601, spec(`
	oid oid, amname name, amhandler regproc, amtype char`),
	func(b *builder, _ *storage.Catalog, _ *Env) error {
		b.add(row{"oid": heapAMOID, "amname": "heap", "amhandler": 3 /* heap_tableam_handler */, "amtype": byte('t')})
		b.add(row{"oid": btreeAMOID, "amname": "btree", "amhandler": 330 /* bthandler */, "amtype": byte('i')})
		return nil
	})

var _ = register("pg_catalog", "pg_collation", 3456, spec(`
	oid oid, collname name, collnamespace oid, collowner oid, collprovider char,
	collisdeterministic bool, collencoding int4, collcollate text, collctype text,
	colliculocale text, collversion text`),
	func(b *builder, _ *storage.Catalog, _ *Env) error {
		coll := func(oid uint32, name string, provider byte, locale any) {
			b.add(row{"oid": oid, "collname": name, "collnamespace": storage.PgCatalogSchemaID,
				"collowner": superuserOID, "collprovider": provider, "collisdeterministic": true,
				"collencoding": -1, "collcollate": locale, "collctype": locale})
		}
		coll(defaultCollID, "default", 'd', nil)
		coll(cCollID, "C", 'c', "C")
		coll(posixCollID, "POSIX", 'c', "POSIX")
		return nil
	})

var _ = register("pg_catalog", "pg_language", 2612, spec(`
	oid oid, lanname name, lanowner oid, lanispl bool, lanpltrusted bool, lanplcallfoid oid,
	laninline oid, lanvalidator oid, lanacl aclitem[]`),
	func(b *builder, _ *storage.Catalog, _ *Env) error {
		lang := func(oid uint32, name string, trusted bool, validator uint32) {
			b.add(row{"oid": oid, "lanname": name, "lanowner": superuserOID, "lanispl": false,
				"lanpltrusted": trusted, "lanplcallfoid": 0, "laninline": 0, "lanvalidator": validator})
		}
		lang(langInternal, "internal", false, 2246)
		lang(langC, "c", false, 2247)
		lang(langSQL, "sql", true, 2248)
		return nil
	})

// pg_tables lists every table, system tables included, as PostgreSQL's does.
var _ = registerView("pg_catalog", "pg_tables", 12033, spec(`
	schemaname name, tablename name, tableowner name, tablespace name, hasindexes bool,
	hasrules bool, hastriggers bool, rowsecurity bool`),
	func(b *builder, cat *storage.Catalog, env *Env) error {
		for _, r := range relations(cat) {
			if r.kind != 'r' {
				continue
			}
			b.add(row{"schemaname": r.nspName, "tablename": r.name, "tableowner": userName(env),
				"hasindexes": r.hasPK(), "hasrules": false, "hastriggers": false, "rowsecurity": false})
		}
		return nil
	})

// pg_views lists the virtual tables PostgreSQL defines as views. Their definition is not
// SQL eddy could run, so it is NULL.
var _ = registerView("pg_catalog", "pg_views", 12028, spec(`
	schemaname name, viewname name, viewowner name, definition text`),
	func(b *builder, cat *storage.Catalog, env *Env) error {
		for _, r := range relations(cat) {
			if r.kind == 'v' {
				b.add(row{"schemaname": r.nspName, "viewname": r.name, "viewowner": userName(env)})
			}
		}
		return nil
	})

// pg_stat_user_tables has one row per user table and materialized view; eddy keeps no access statistics, so the
// counters are zero and the times NULL.
var _ = registerView("pg_catalog", "pg_stat_user_tables", 12161, spec(`
	relid oid, schemaname name, relname name, seq_scan int8, seq_tup_read int8, idx_scan int8,
	idx_tup_fetch int8, n_tup_ins int8, n_tup_upd int8, n_tup_del int8, n_tup_hot_upd int8,
	n_live_tup int8, n_dead_tup int8, n_mod_since_analyze int8, n_ins_since_vacuum int8,
	last_vacuum timestamptz, last_autovacuum timestamptz, last_analyze timestamptz,
	last_autoanalyze timestamptz, vacuum_count int8, autovacuum_count int8, analyze_count int8,
	autoanalyze_count int8`),
	func(b *builder, cat *storage.Catalog, _ *Env) error {
		for _, t := range cat.Tables {
			r := userRelation(cat, t)
			if r.kind != 'r' && r.kind != 'm' {
				continue // PostgreSQL counts tables and materialized views, not views
			}
			x := row{"relid": r.oid, "schemaname": r.nspName, "relname": r.name}
			for _, c := range []string{"seq_scan", "seq_tup_read", "n_tup_ins", "n_tup_upd",
				"n_tup_del", "n_tup_hot_upd", "n_live_tup", "n_dead_tup", "n_mod_since_analyze",
				"n_ins_since_vacuum", "vacuum_count", "autovacuum_count", "analyze_count",
				"autoanalyze_count"} {
				x[c] = 0
			}
			if r.hasPK() {
				x["idx_scan"], x["idx_tup_fetch"] = 0, 0
			}
			b.add(x)
		}
		return nil
	})
