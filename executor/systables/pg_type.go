package systables

import (
	"strings"

	"github.com/eddydb/eddy/sql/types"
	"github.com/eddydb/eddy/storage"
)

// This file holds pg_type and pg_proc. pg_type lists every built-in type eddy supports with its
// array type (pgx loads unknown OIDs from here: typtype, typelem, typarray, typbasetype,
// typrelid), plus one composite row type per relation, as PostgreSQL has.

// Composite row types use PostgreSQL's record I/O functions.
const (
	recordIn   uint32 = 2290
	recordOut  uint32 = 2291
	recordRecv uint32 = 2402
	recordSend uint32 = 2403
)

var typeByOID = func() map[uint32]*builtinType {
	m := make(map[uint32]*builtinType, len(builtinTypes))
	for i := range builtinTypes {
		m[builtinTypes[i].oid] = &builtinTypes[i]
	}
	return m
}()

// typeInfo returns the pg_type facts of t. Every family with an OID is in builtinTypes
// (TestBuiltinTypesCoverFamilies); the fallback only keeps a future family from crashing.
func typeInfo(t types.T) *builtinType {
	if bt := typeByOID[t.OID()]; bt != nil {
		return bt
	}
	return &builtinType{oid: t.OID(), len: t.Len(), category: t.Category(), typ: 'b', align: 'i', storage: 'x'}
}

var _ = register("pg_catalog", "pg_type", pgTypeOID, spec(`
	oid oid, typname name, typnamespace oid, typowner oid, typlen int2, typbyval bool,
	typtype char, typcategory char, typispreferred bool, typisdefined bool, typdelim char,
	typrelid oid, typsubscript regproc, typelem oid, typarray oid, typinput regproc,
	typoutput regproc, typreceive regproc, typsend regproc, typmodin regproc,
	typmodout regproc, typanalyze regproc, typalign char, typstorage char, typnotnull bool,
	typbasetype oid, typtypmod int4, typndims int4, typcollation oid,
	typdefaultbin pg_node_tree, typdefault text, typacl aclitem[]`),
	func(b *builder, cat *storage.Catalog, _ *Env) error {
		for i := range builtinTypes {
			t := &builtinTypes[i]
			b.add(row{
				"oid": t.oid, "typname": t.name, "typnamespace": storage.PgCatalogSchemaID,
				"typowner": superuserOID, "typlen": t.len, "typbyval": t.byVal, "typtype": t.typ,
				"typcategory": t.category, "typispreferred": t.preferred, "typisdefined": true,
				"typdelim": byte(','), "typrelid": 0, "typsubscript": t.subscript,
				"typelem": t.elem, "typarray": t.array, "typinput": t.input,
				"typoutput": t.output, "typreceive": t.receive, "typsend": t.send,
				"typmodin": t.modIn, "typmodout": t.modOut, "typanalyze": t.analyze,
				"typalign": t.align, "typstorage": t.storage, "typnotnull": false,
				"typbasetype": 0, "typtypmod": -1, "typndims": 0, "typcollation": t.collation,
			})
		}
		for _, r := range relations(cat) {
			b.add(row{
				"oid": rowTypeOID(r.oid), "typname": r.name, "typnamespace": r.nspOID,
				"typowner": superuserOID, "typlen": -1, "typbyval": false, "typtype": byte('c'),
				"typcategory": byte('C'), "typispreferred": false, "typisdefined": true,
				"typdelim": byte(','), "typrelid": r.oid, "typsubscript": 0, "typelem": 0,
				"typarray": 0, "typinput": recordIn, "typoutput": recordOut,
				"typreceive": recordRecv, "typsend": recordSend, "typmodin": 0, "typmodout": 0,
				"typanalyze": 0, "typalign": byte('d'), "typstorage": byte('x'),
				"typnotnull": false, "typbasetype": 0, "typtypmod": -1, "typndims": 0,
				"typcollation": 0,
			})
		}
		return nil
	})

// pg_proc lists only the built-in functions pg_type refers to. \df hides pg_catalog, and eddy
// has no user-defined functions, so that is all clients look up here.
var _ = register("pg_catalog", "pg_proc", pgProcOID, spec(`
	oid oid, proname name, pronamespace oid, proowner oid, prolang oid, procost float4,
	prorows float4, provariadic oid, prosupport regproc, prokind char, prosecdef bool,
	proleakproof bool, proisstrict bool, proretset bool, provolatile char, proparallel char,
	pronargs int2, pronargdefaults int2, prorettype oid, proargtypes oidvector,
	proallargtypes oid[], proargmodes char[], proargnames text[], proargdefaults pg_node_tree,
	protrftypes oid[], prosrc text, probin text, prosqlbody pg_node_tree, proconfig text[],
	proacl aclitem[]`),
	func(b *builder, _ *storage.Catalog, _ *Env) error {
		for _, p := range builtinProcs {
			b.add(row{
				"oid": p.oid, "proname": p.name, "pronamespace": storage.PgCatalogSchemaID,
				"proowner": superuserOID, "prolang": langInternal, "procost": float32(1),
				"prorows": float32(0), "provariadic": 0, "prosupport": 0, "prokind": byte('f'),
				"prosecdef": false, "proleakproof": false, "proisstrict": p.strict,
				"proretset": false, "provolatile": p.volatile, "proparallel": byte('s'),
				"pronargs": len(strings.Fields(p.argTypes)), "pronargdefaults": 0,
				"prorettype": p.retType, "proargtypes": p.argTypes, "prosrc": p.name,
			})
		}
		return nil
	})
