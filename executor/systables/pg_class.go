package systables

import "github.com/eddydb/eddy/storage"

// This file holds the relation catalogs: pg_namespace, pg_class, pg_attribute, pg_attrdef and
// pg_description.

var _ = register("pg_catalog", "pg_namespace", pgNamespaceRelOID, spec(`
	oid oid, nspname name, nspowner oid, nspacl aclitem[]`),
	func(b *builder, cat *storage.Catalog, _ *Env) error {
		for _, s := range schemas(cat) {
			b.add(row{"oid": s.ID, "nspname": s.Name, "nspowner": superuserOID})
		}
		return nil
	})

var _ = register("pg_catalog", "pg_class", pgClassOID, spec(`
	oid oid, relname name, relnamespace oid, reltype oid, reloftype oid, relowner oid,
	relam oid, relfilenode oid, reltablespace oid, relpages int4, reltuples float4,
	relallvisible int4, reltoastrelid oid, relhasindex bool, relisshared bool,
	relpersistence char, relkind char, relnatts int2, relchecks int2, relhasrules bool,
	relhastriggers bool, relhassubclass bool, relrowsecurity bool, relforcerowsecurity bool,
	relispopulated bool, relreplident char, relispartition bool, relrewrite oid,
	relfrozenxid xid, relminmxid xid, relacl aclitem[], reloptions text[],
	relpartbound pg_node_tree`),
	func(b *builder, cat *storage.Catalog, _ *Env) error {
		for _, r := range relations(cat) {
			b.add(classRow(&r))
			if r.hasPK() {
				b.add(pkIndexClassRow(&r))
			}
		}
		return nil
	})

// classRow is the pg_class row of a table or view, with the values PostgreSQL 15 shows for a
// freshly created one (reltuples -1: never analyzed).
func classRow(r *relation) row {
	x := row{
		"oid": r.oid, "relname": r.name, "relnamespace": r.nspOID, "reltype": rowTypeOID(r.oid),
		"reloftype": 0, "relowner": superuserOID, "relam": heapAMOID, "relfilenode": r.oid,
		"reltablespace": 0, "relpages": 0, "reltuples": float32(-1), "relallvisible": 0,
		"reltoastrelid": 0, "relhasindex": r.hasPK(), "relisshared": false,
		"relpersistence": byte('p'), "relkind": r.kind, "relnatts": len(r.cols), "relchecks": 0,
		"relhasrules": false, "relhastriggers": false, "relhassubclass": false,
		"relrowsecurity": false, "relforcerowsecurity": false, "relispopulated": true,
		"relreplident": byte('d'), "relispartition": false, "relrewrite": 0,
		"relfrozenxid": 0, "relminmxid": 1,
	}
	switch r.kind {
	case 'v':
		// A view has no storage and one rewrite rule (_RETURN) in PostgreSQL.
		x["relam"], x["relfilenode"], x["relhasrules"], x["relreplident"] = 0, 0, true, byte('n')
		x["relminmxid"] = 0
	case 'm':
		// A materialized view is stored like a table (heap, replica identity default) and
		// keeps its defining query as a _RETURN rule, so psql's \d+ looks for other rules.
		x["relhasrules"] = true
	case 'f':
		// A foreign table has no local storage and no replica identity.
		x["relam"], x["relfilenode"], x["relreplident"], x["relminmxid"] = 0, 0, byte('n'), 0
	}
	return x
}

// pkIndexClassRow is the pg_class row of a table's primary-key index.
func pkIndexClassRow(r *relation) row {
	oid := pkIndexOID(r.table)
	return row{
		"oid": oid, "relname": r.pkName(), "relnamespace": r.nspOID, "reltype": 0,
		"reloftype": 0, "relowner": superuserOID, "relam": btreeAMOID, "relfilenode": oid,
		"reltablespace": 0, "relpages": 1, "reltuples": float32(0), "relallvisible": 0,
		"reltoastrelid": 0, "relhasindex": false, "relisshared": false,
		"relpersistence": byte('p'), "relkind": byte('i'), "relnatts": len(r.pk), "relchecks": 0,
		"relhasrules": false, "relhastriggers": false, "relhassubclass": false,
		"relrowsecurity": false, "relforcerowsecurity": false, "relispopulated": true,
		"relreplident": byte('n'), "relispartition": false, "relrewrite": 0,
		"relfrozenxid": 0, "relminmxid": 0,
	}
}

var _ = register("pg_catalog", "pg_attribute", 1249, spec(`
	attrelid oid, attname name, atttypid oid, attstattarget int4, attlen int2, attnum int2,
	attndims int4, attcacheoff int4, atttypmod int4, attbyval bool, attalign char,
	attstorage char, attcompression char, attnotnull bool, atthasdef bool, atthasmissing bool,
	attidentity char, attgenerated char, attisdropped bool, attislocal bool, attinhcount int4,
	attcollation oid, attacl aclitem[], attoptions text[], attfdwoptions text[],
	attmissingval anyarray`),
	func(b *builder, cat *storage.Catalog, _ *Env) error {
		for _, r := range relations(cat) {
			for i, c := range r.cols {
				b.add(attributeRow(r.oid, i+1, c))
			}
			if r.hasPK() {
				// An index has attributes too: one per key column, numbered from 1.
				for i, attnum := range r.pk {
					c := r.cols[attnum-1]
					c.notNull, c.def = false, ""
					b.add(attributeRow(pkIndexOID(r.table), i+1, c))
				}
			}
		}
		return nil
	})

// attributeRow is the pg_attribute row of column c at position attnum of relation relOID.
// Hidden columns (the row id) never get one: they come last in a table, so the visible
// columns keep attnums 1..n (see relation.cols).
func attributeRow(relOID uint32, attnum int, c relColumn) row {
	bt := typeInfo(c.typ)
	ndims := 0
	if bt.category == 'A' {
		ndims = 1
	}
	return row{
		"attrelid": relOID, "attname": c.name, "atttypid": c.typ.OID(), "attstattarget": -1,
		"attlen": c.typ.Len(), "attnum": attnum, "attndims": ndims, "attcacheoff": -1,
		"atttypmod": c.typ.TypeMod(), "attbyval": bt.byVal, "attalign": bt.align,
		"attstorage": bt.storage, "attcompression": "", "attnotnull": c.notNull,
		"atthasdef": c.def != "", "atthasmissing": false, "attidentity": "",
		"attgenerated": "", "attisdropped": false, "attislocal": true, "attinhcount": 0,
		"attcollation": collationOf(c.typ),
	}
}

var _ = register("pg_catalog", "pg_attrdef", 2604, spec(`
	oid oid, adrelid oid, adnum int2, adbin pg_node_tree`),
	func(b *builder, cat *storage.Catalog, _ *Env) error {
		for _, t := range cat.Tables {
			r := userRelation(cat, t)
			for i, c := range r.cols {
				if c.def == "" {
					continue
				}
				// adbin holds the expression's SQL text rather than a node tree: eddy's
				// pg_get_expr returns its argument, so psql shows the default as written.
				b.add(row{"oid": attrdefOID(t, i+1), "adrelid": t.ID, "adnum": i + 1, "adbin": c.def})
			}
		}
		return nil
	})

// pg_description is empty: eddy has no COMMENT ON yet.
var _ = register("pg_catalog", "pg_description", 2609, spec(`
	objoid oid, classoid oid, objsubid int4, description text`), nil)

var _ = register("pg_catalog", "pg_shdescription", 2396, spec(`
	objoid oid, classoid oid, description text`), nil)
