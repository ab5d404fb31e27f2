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
	kind    byte        // pg_class.relkind: 'r' table, 'v' view, 'm' materialized view, 'f' foreign table
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

// sourceRelKind is the pg_class.relkind a source (storage.KindSource) shows as.
//
// PostgreSQL's closest notion of a relation whose rows live outside is the foreign table,
// 'f', and pg_foreign_table/pg_foreign_server (pg_matview.go) are ready to describe a
// source's connector as one. But psql's \d on an 'f' relation sends queries that read
// pg_catalog.pg_options_to_table(ftoptions) in FROM (for the "FDW options" column and the
// "Server:" footer), and the planner does not plan that function: \d src would fail with
// "table function pg_options_to_table is not supported". Until it does, a source is shown as
// a view ('v'): \d, \dv, \d src and \d+ src then work (\d+ prints an empty "View
// definition:", pg_get_viewdef being NULL for a source), and a source, which stores no rows,
// is not listed among tables. Switch this to 'f' once the planner handles
// pg_options_to_table(text[]) in FROM (rows (option_name, option_value), split at the first
// '='); the 'f' paths are covered by TestSourceAsForeignTable.
var sourceRelKind byte = 'v'

// relKind returns the pg_class.relkind of user relation t.
func relKind(t *storage.TableDesc) byte {
	switch t.Kind {
	case storage.KindMaterializedView:
		return 'm'
	case storage.KindSource:
		return sourceRelKind
	}
	return 'r'
}

// userRelation describes a user relation: a table ('r'), a materialized view ('m') or a
// source (sourceRelKind). As in PostgreSQL, views' and materialized views' columns are never
// NOT NULL and have no defaults, and only tables have a primary key.
func userRelation(cat *storage.Catalog, t *storage.TableDesc) relation {
	r := relation{oid: t.ID, nspOID: t.SchemaID, name: t.Name, kind: relKind(t), table: t}
	if s := cat.SchemaByID(t.SchemaID); s != nil {
		r.nspName = s.Name
	}
	derived := r.kind == 'm' || r.kind == 'v'
	for _, c := range t.Columns {
		if c.Hidden {
			continue // hidden columns come last, so visible ordinals stay attnum-1
		}
		col := relColumn{name: c.Name, typ: c.Type, notNull: c.NotNull, def: pgDefault(c.Default, c.Type)}
		if derived {
			col.notNull, col.def = false, ""
		}
		r.cols = append(r.cols, col)
	}
	if r.kind == 'r' && !t.HasHiddenKey() {
		for _, ord := range t.PrimaryKey {
			r.pk = append(r.pk, ord+1)
		}
	}
	return r
}

// attnumOf returns the attnum of the column with ID colID in r, 0 when r has no such visible
// column (a hidden or dropped one).
func (r *relation) attnumOf(colID uint32) int {
	if r.table == nil {
		return 0
	}
	n := 0
	for _, c := range r.table.Columns {
		if c.Hidden {
			continue
		}
		n++
		if c.ID == colID {
			return n
		}
	}
	return 0
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
