package systables

import (
	"github.com/eddydb/eddy/sql/types"
	"github.com/eddydb/eddy/storage"
)

// relation is the common view pg_class, pg_attribute, pg_tables and information_schema take of
// a user table or a virtual table.
type relation struct {
	oid     uint32
	nspOID  uint32
	nspName string
	name    string
	kind    byte        // pg_class.relkind: 'r' table, 'v' view
	cols    []relColumn // visible columns; attnum is the index + 1
	// pk holds the attnums of the primary key, nil when the table has none a client can see
	// (its key is the hidden row id, which PostgreSQL would show as a table without a key).
	pk    []int
	table *storage.TableDesc // nil for a virtual table
}

type relColumn struct {
	name    string
	typ     types.T
	notNull bool
	def     string // DEFAULT expression text, "" for none
}

// wellKnownSchemas gives virtual tables a namespace even in a catalog that lacks the bootstrap
// schemas (tests build such catalogs by hand).
var wellKnownSchemas = map[string]uint32{
	"pg_catalog":         storage.PgCatalogSchemaID,
	"information_schema": storage.InformationSchemaID,
	"eddy_catalog":       storage.EddyCatalogSchemaID,
	"public":             storage.PublicSchemaID,
}

// schemaOID returns the OID of the schema named name: the catalog's, else the well-known one.
func schemaOID(cat *storage.Catalog, name string) uint32 {
	if s := cat.Schema(name); s != nil {
		return s.ID
	}
	return wellKnownSchemas[name]
}

// relations lists the virtual tables (in All order) and then the user tables (in catalog
// order). Both orders are deterministic (keeps S1).
func relations(cat *storage.Catalog) []relation {
	var out []relation
	for _, t := range All() {
		r := relation{oid: t.OID, nspOID: schemaOID(cat, t.Schema), nspName: t.Schema, name: t.Name, kind: 'r'}
		if t.View {
			r.kind = 'v'
		}
		for _, c := range t.Columns {
			r.cols = append(r.cols, relColumn{name: c.Name, typ: c.Type})
		}
		out = append(out, r)
	}
	for _, t := range cat.Tables {
		out = append(out, userRelation(cat, t))
	}
	return out
}

// userRelation describes a user table.
//
// TODO(systables): show materialized views as relkind 'm' (and in pg_matviews) once
// storage.TableDesc records what kind of relation a table is; today every user relation is 'r'.
func userRelation(cat *storage.Catalog, t *storage.TableDesc) relation {
	r := relation{oid: t.ID, nspOID: t.SchemaID, name: t.Name, kind: 'r', table: t}
	if s := cat.SchemaByID(t.SchemaID); s != nil {
		r.nspName = s.Name
	}
	for _, c := range t.Columns {
		if c.Hidden {
			continue // hidden columns come last, so visible ordinals stay attnum-1
		}
		r.cols = append(r.cols, relColumn{name: c.Name, typ: c.Type, notNull: c.NotNull, def: pgDefault(c.Default, c.Type)})
	}
	if !t.HasHiddenKey() {
		for _, ord := range t.PrimaryKey {
			r.pk = append(r.pk, ord+1)
		}
	}
	return r
}

// hasPK reports whether the relation has a visible primary key, and so a <name>_pkey index
// and constraint.
func (r *relation) hasPK() bool { return len(r.pk) > 0 }

// pkName is the name PostgreSQL gives a primary key declared without a name.
func (r *relation) pkName() string { return r.name + "_pkey" }

// collationOf returns attcollation for a column of type t: the default collation for
// collatable types, 0 otherwise. name columns use the "C" collation, as in PostgreSQL.
func collationOf(t types.T) uint32 {
	switch t.Family {
	case types.Text, types.Varchar, types.Char, types.TextArray:
		return defaultCollID
	case types.Name:
		return cCollID
	}
	return 0
}
