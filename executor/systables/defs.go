package systables

import (
	"strconv"
	"strings"

	"github.com/eddydb/eddy/storage"
)

// This file answers the pg_get_*def functions for the objects this package invents, so the
// function library (executor/fn) and the tables agree on names and OIDs.

// pkRelationByOID finds the user relation whose primary-key index has the given OID; when
// constraint is set it matches the primary-key constraint's OID instead.
func pkRelationByOID(cat *storage.Catalog, oid uint32, constraint bool) (relation, bool) {
	off := pkIndexOffset
	if constraint {
		off = pkConstrOffset
	}
	if oid < off {
		return relation{}, false
	}
	t := cat.TableByID(oid - off)
	if t == nil {
		return relation{}, false
	}
	r := userRelation(cat, t)
	return r, r.hasPK()
}

// IndexDef returns what pg_get_indexdef(indexOID) shows for a primary-key index, e.g.
// "CREATE UNIQUE INDEX t_pkey ON public.t USING btree (a, b)"; ok is false when indexOID
// names no index.
func IndexDef(cat *storage.Catalog, indexOID uint32) (def string, ok bool) {
	r, ok := pkRelationByOID(cat, indexOID, false)
	if !ok {
		return "", false
	}
	return pkIndexDef(&r), true
}

// IndexColumn returns what pg_get_indexdef(indexOID, col, pretty) shows for col >= 1: the
// name of the index's col-th key column, quoted as needed. ok is false when there is none.
func IndexColumn(cat *storage.Catalog, indexOID uint32, col int) (name string, ok bool) {
	r, ok := pkRelationByOID(cat, indexOID, false)
	if !ok || col < 1 || col > len(r.pk) {
		return "", false
	}
	return quoteIdent(r.cols[r.pk[col-1]-1].name), true
}

// ConstraintDef returns what pg_get_constraintdef(conOID) shows, e.g. "PRIMARY KEY (a, b)";
// ok is false when conOID names no constraint.
func ConstraintDef(cat *storage.Catalog, conOID uint32) (def string, ok bool) {
	r, ok := pkRelationByOID(cat, conOID, true)
	if !ok {
		return "", false
	}
	return pkConstraintDef(&r), true
}

// PKIndexOID and PKConstraintOID return the OIDs of table t's primary-key index and
// constraint (meaningful only when t's key is visible: !t.HasHiddenKey()).
func PKIndexOID(t *storage.TableDesc) uint32 { return pkIndexOID(t) }

// PKConstraintOID: see PKIndexOID.
func PKConstraintOID(t *storage.TableDesc) uint32 { return pkConstraintOID(t) }

// RelationOID resolves schema.name among everything pg_class lists (user tables, their
// primary-key indexes, virtual tables), for 'name'::regclass. ok is false when none matches.
func RelationOID(cat *storage.Catalog, schema, name string) (oid uint32, ok bool) {
	if vt := Lookup(schema, name); vt != nil {
		return vt.OID, true
	}
	s := cat.Schema(schema)
	if s == nil {
		return 0, false
	}
	if t := cat.Table(s.ID, name); t != nil {
		return t.ID, true
	}
	for _, t := range cat.Tables {
		if t.SchemaID == s.ID && !t.HasHiddenKey() && t.Name+"_pkey" == name {
			return pkIndexOID(t), true
		}
	}
	return 0, false
}

// RelationName returns the schema and name of the relation with the given OID, for
// regclass output. ok is false when pg_class has no such row.
func RelationName(cat *storage.Catalog, oid uint32) (schema, name string, ok bool) {
	for _, vt := range All() {
		if vt.OID == oid {
			return vt.Schema, vt.Name, true
		}
	}
	if t := cat.TableByID(oid); t != nil {
		r := userRelation(cat, t)
		return r.nspName, r.name, true
	}
	if r, ok := pkRelationByOID(cat, oid, false); ok {
		return r.nspName, r.pkName(), true
	}
	return "", "", false
}

// ProcOID returns the OID of the built-in function pg_proc lists under name (for
// 'array_in'::regproc, which pgjdbc compares typinput with); ok is false if there is none.
func ProcOID(name string) (oid uint32, ok bool) {
	for _, p := range builtinProcs {
		if p.name == name {
			return p.oid, true
		}
	}
	return 0, false
}

// ProcName returns the name of the built-in function with the given OID, for regproc output.
func ProcName(oid uint32) (name string, ok bool) {
	for _, p := range builtinProcs {
		if p.oid == oid {
			return p.name, true
		}
	}
	return "", false
}

// ProcSignature returns the result type OID and the argument type OIDs of the built-in
// function with the given OID (pg_proc's prorettype and proargtypes), for
// pg_get_function_result and pg_get_function_arguments. ok is false if there is none.
func ProcSignature(oid uint32) (ret uint32, args []uint32, ok bool) {
	for _, p := range builtinProcs {
		if p.oid != oid {
			continue
		}
		for _, f := range strings.Fields(p.argTypes) {
			n, err := strconv.ParseUint(f, 10, 32)
			if err != nil {
				return 0, nil, false
			}
			args = append(args, uint32(n))
		}
		return p.retType, args, true
	}
	return 0, nil, false
}

// TypeName returns pg_type.typname for a type OID pg_type lists (cstring, internal and the
// other pseudo-types included); ok is false for an unknown OID.
func TypeName(oid uint32) (name string, ok bool) {
	for _, t := range builtinTypes {
		if t.oid == oid {
			return t.name, true
		}
	}
	return "", false
}

// IsUserTable reports whether oid is a user table's (relkind 'r': not a materialized view
// or a source), for pg_relation_is_publishable.
func IsUserTable(cat *storage.Catalog, oid uint32) bool {
	t := cat.TableByID(oid)
	return t != nil && t.Kind == storage.KindTable
}

// ViewDef returns what pg_get_viewdef(oid) shows for a materialized view: its query's text
// with a leading space and a closing semicolon, as pg_matviews.definition has it. ok is false
// when oid names no materialized view (PostgreSQL then returns NULL, as for a table).
func ViewDef(cat *storage.Catalog, oid uint32) (def string, ok bool) {
	t := cat.TableByID(oid)
	if t == nil {
		return "", false
	}
	return viewDefinition(t)
}

// QuoteIdent quotes an identifier as quote_ident does, for names built outside this package
// (regclass output).
func QuoteIdent(s string) string { return quoteIdent(s) }
