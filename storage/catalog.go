package storage

import "github.com/eddydb/eddy/sql/types"

// Well-known IDs. User objects get IDs from FirstUserID up, assigned in log order by the FSM.
const (
	PgCatalogSchemaID   uint32 = 11
	PublicSchemaID      uint32 = 2200
	InformationSchemaID uint32 = 13000
	EddyCatalogSchemaID uint32 = 13100
	FirstUserID         uint32 = 16384 // PostgreSQL's FirstNormalObjectId
	DatabaseID          uint32 = 16383 // the single database "eddy"
	RowIDColumnName            = "_row_id"
	DefaultDatabaseName        = "eddy"
	DefaultSchemaName          = "public"
)

// Catalog is an immutable snapshot of the schema: every schema and table at one catalog version.
// The FSM builds a new Catalog for every DDL command it applies; readers hold on to the one
// they started with. Slices are sorted by ID, so iteration order is deterministic.
type Catalog struct {
	// Version increases by one with every applied DDL command.
	Version uint64
	Schemas []*SchemaDesc
	Tables  []*TableDesc
	// NextID is the next object ID the FSM hands out.
	NextID uint32
}

// SchemaDesc describes a schema (namespace).
type SchemaDesc struct {
	ID   uint32
	Name string
}

// TableDesc describes a table. Every table has a primary key: when the user declared none, a
// hidden int8 column named RowIDColumnName is appended and is the key.
type TableDesc struct {
	ID       uint32
	SchemaID uint32
	Name     string
	Columns  []*ColumnDesc
	// Version increases with every ALTER of this table; writes planned against an older
	// version are rejected at apply time (the planner must re-plan).
	Version uint64
	// PrimaryKey lists ordinals into Columns.
	PrimaryKey []int
	// NextColumnID is the ColumnDesc.ID the next added column gets.
	NextColumnID uint32
}

// ColumnDesc describes one column. ID is stable for the column's life (rows are encoded by
// column ID, so ADD/DROP/RENAME COLUMN need no rewrite); the ordinal is its position in Columns.
type ColumnDesc struct {
	ID      uint32
	Name    string
	Type    types.T
	NotNull bool
	// Default is the DEFAULT expression's SQL text, "" when none.
	Default string
	// Hidden columns (the row id) are not part of SELECT * and not shown by \d.
	Hidden bool
	// Missing is the value that rows written before this column was added read as (PostgreSQL's
	// "fast default"); nil means NULL. A datum per the types package's conventions.
	Missing any
}

// Schema returns the schema with the given name, or nil.
func (c *Catalog) Schema(name string) *SchemaDesc {
	for _, s := range c.Schemas {
		if s.Name == name {
			return s
		}
	}
	return nil
}

// SchemaByID returns the schema with the given ID, or nil.
func (c *Catalog) SchemaByID(id uint32) *SchemaDesc {
	for _, s := range c.Schemas {
		if s.ID == id {
			return s
		}
	}
	return nil
}

// Table returns the table named name in the schema with the given ID, or nil.
func (c *Catalog) Table(schemaID uint32, name string) *TableDesc {
	for _, t := range c.Tables {
		if t.SchemaID == schemaID && t.Name == name {
			return t
		}
	}
	return nil
}

// TableByID returns the table with the given ID, or nil.
func (c *Catalog) TableByID(id uint32) *TableDesc {
	for _, t := range c.Tables {
		if t.ID == id {
			return t
		}
	}
	return nil
}

// Column returns the ordinal of the column named name, or -1.
func (t *TableDesc) Column(name string) int {
	for i, c := range t.Columns {
		if c.Name == name {
			return i
		}
	}
	return -1
}

// HasHiddenKey reports whether the table's key is the hidden row id.
func (t *TableDesc) HasHiddenKey() bool {
	return len(t.PrimaryKey) == 1 && t.Columns[t.PrimaryKey[0]].Hidden
}
