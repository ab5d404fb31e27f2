package storage

import (
	"fmt"
	"slices"

	"github.com/eddydb/eddy/sql/types"
)

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
	// Settings are the system settings changed with ALTER SYSTEM SET, sorted by name. They are
	// replicated like the rest of the catalog, so every node uses them, and they outlive
	// restarts, overriding the value given by a flag.
	Settings []SystemSetting
}

// SystemSetting is one system setting's value as ALTER SYSTEM SET stored it.
type SystemSetting struct {
	Name  string
	Value string
}

// Setting returns the value ALTER SYSTEM SET gave name, if any.
func (c *Catalog) Setting(name string) (string, bool) {
	for _, s := range c.Settings {
		if s.Name == name {
			return s.Value, true
		}
	}
	return "", false
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
	// Kind says what the relation is; View and Connector hold what the kind needs.
	Kind RelKind
	// View is the definition of a materialized view (Kind == KindMaterializedView).
	View *ViewDef
	// Connector feeds a source, or a table declared WITH (connector = ...).
	Connector *ConnectorDef
	// Watermark is the event-time watermark of a connector-fed relation, nil when none.
	Watermark *WatermarkDef
	// Paused stops a connector-fed relation's ingestion (ALTER SOURCE ... PAUSE): its offset
	// stays where it is until RESUME. On a materialized view (ALTER MATERIALIZED VIEW ... PAUSE)
	// it freezes the view: its input changes wait in a buffer until RESUME applies them.
	Paused bool
}

// SettingSourcesPaused is the system setting ALTER SYSTEM PAUSE sets to "on": no source
// ingests until ALTER SYSTEM RESUME.
const SettingSourcesPaused = "sources_paused"

// IngestPaused tells whether t may not ingest now, and why.
func (c *Catalog) IngestPaused(t *TableDesc) (bool, string) {
	if v, _ := c.Setting(SettingSourcesPaused); v == "on" {
		return true, "every source is paused (ALTER SYSTEM PAUSE)"
	}
	if t.Paused {
		return true, fmt.Sprintf("%q is paused (ALTER SOURCE %s PAUSE)", t.Name, t.Name)
	}
	return false, ""
}

// WatermarkDef is WATERMARK FOR col AS col - delay. A relation's watermark trails the largest
// value of Column seen so far by Delay; a row whose Column lies below the watermark when it
// arrives is late, dropped and counted. The watermark is computed row by row in offset order,
// so it does not depend on how the stream was chunked.
type WatermarkDef struct {
	Column uint32 // column ID
	Delay  int64  // microseconds, >= 0
	Expr   string // the declared expression's text
}

// RelKind is the kind of a relation in the catalog.
type RelKind uint8

// Relation kinds. A materialized view's rows are stored keyed by their own encoding with a
// multiplicity (see ViewRowCoder), so it has no primary key; a source stores no rows at all.
const (
	KindTable RelKind = iota
	KindMaterializedView
	KindSource
)

// String names the kind the way error messages and SHOW do.
func (k RelKind) String() string {
	switch k {
	case KindMaterializedView:
		return "materialized view"
	case KindSource:
		return "source"
	}
	return "table"
}

// ViewDef is what a materialized view is made of. Plan is opaque to storage: the executor's
// serialized dataflow, built by the planner on the node that ran CREATE and carried through
// the log so every replica runs the same operators with the same IDs.
type ViewDef struct {
	// Query is the defining query's SQL text (pg_matviews.definition).
	Query string
	// Plan is the encoded dataflow.
	Plan []byte
	// DependsOn lists the IDs of the relations the view reads, ascending, each once.
	DependsOn []uint32
	// Inputs gives, per DependsOn entry, the IDs of the columns the dataflow's source for that
	// relation receives, in order; columns added to the relation later are not among them.
	Inputs [][]uint32
	// Uses gives, per DependsOn entry, the IDs of the columns the query actually reads (a
	// subset of Inputs): dropping any other column of the relation leaves the view alone.
	Uses [][]uint32 `json:",omitempty"`
	// Settings are the session settings the query was planned under that change how it
	// evaluates (TimeZone, DateStyle, ...), as name/value pairs sorted by name.
	Settings [][2]string `json:",omitempty"`
	// Generation counts CREATE OR REPLACE MATERIALIZED VIEWs of this view (0 as created).
	Generation uint32 `json:",omitempty"`
	// FromSavepoint names the savepoint the current generation started from (FROM SAVEPOINT):
	// its operators took their state from that savepoint's views where they could, and read
	// their inputs from the savepoint's position.
	FromSavepoint string `json:",omitempty"`
}

// ColumnsUsed returns the IDs of the columns of DependsOn[i] the view reads.
func (v *ViewDef) ColumnsUsed(i int) []uint32 {
	if i < len(v.Uses) {
		return v.Uses[i]
	}
	return v.Inputs[i]
}

// ConnectorDef names a connector and its WITH options (sorted by key).
type ConnectorDef struct {
	Name    string
	Options [][2]string
}

// Option returns the value of the option key and whether it is set.
func (c *ConnectorDef) Option(key string) (string, bool) {
	for _, kv := range c.Options {
		if kv[0] == key {
			return kv[1], true
		}
	}
	return "", false
}

// Dependents returns the relations whose definitions read the relation id, ascending by ID.
func (c *Catalog) Dependents(id uint32) []*TableDesc {
	var out []*TableDesc
	for _, t := range c.Tables {
		if t.View != nil && slices.Contains(t.View.DependsOn, id) {
			out = append(out, t)
		}
	}
	return out
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

// Resolve finds relation name: in schema when it is given, else in the first schema of
// searchPath that has one by that name. It returns nil when there is none.
func (c *Catalog) Resolve(searchPath []string, schema, name string) *TableDesc {
	if schema != "" {
		searchPath = []string{schema}
	}
	for _, sn := range searchPath {
		if sc := c.Schema(sn); sc != nil {
			if t := c.Table(sc.ID, name); t != nil {
				return t
			}
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

// HasHiddenKey reports whether the relation has no primary key the user can see: its key is
// the hidden row id, or it has none (materialized views, sources).
func (t *TableDesc) HasHiddenKey() bool {
	return len(t.PrimaryKey) == 0 || len(t.PrimaryKey) == 1 && t.Columns[t.PrimaryKey[0]].Hidden
}
