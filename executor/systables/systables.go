package systables

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/eddydb/eddy/sql/types"
	"github.com/eddydb/eddy/storage"
)

// Column is one column of a virtual table.
type Column struct {
	Name string
	Type types.T
}

// Table is a virtual table.
type Table struct {
	Schema  string // "pg_catalog", "information_schema" or "eddy_catalog"
	Name    string
	OID     uint32
	Columns []Column
	// Rows generates the table's contents from the catalog as one record whose columns follow
	// Columns (types per types.T.ArrowType).
	Rows func(mem memory.Allocator, cat *storage.Catalog, env *Env) (arrow.Record, error)
	// View is true for tables PostgreSQL defines as views (pg_roles, pg_tables, every
	// information_schema table): pg_class shows them with relkind 'v', as \dS expects.
	View bool
}

// Env is the session context some system tables show (current user, database, settings).
type Env struct {
	User     string
	Database string
	Settings map[string]string
	// PID is the session's backend process ID as sent in BackendKeyData (pg_stat_activity.pid).
	PID int32
	// Query is the text of the statement being run, for pg_stat_activity.query; may be empty.
	Query string
	// Jobs lists the backfills in progress (eddy_catalog.jobs); nil lists none.
	Jobs func() []Job
	// Savepoints lists the durable savepoints (eddy_catalog.savepoints); nil lists none.
	Savepoints func() ([]SavepointRow, error)
}

// SavepointRow is one durable savepoint, with what it occupies on this node's disk.
type SavepointRow struct {
	Name               string
	Created            int64 // microseconds since the Unix epoch
	Index              uint64
	Bytes, SharedBytes int64
	Format             int
	EddyVersion        string
	Comment            string
	Missing            bool   // this node has no files for it
	ImportedFrom       string // where an imported savepoint was taken; empty otherwise
}

// Job is one backfill in progress: a materialized view loading its inputs.
type Job struct {
	View       uint32
	Done       int64
	Total      int64
	StartIndex uint64
}

var registry = map[string]*Table{}

// Register adds a virtual table; called from init functions in this package.
func Register(t *Table) { registry[t.Schema+"."+t.Name] = t }

// Lookup returns the virtual table schema.name, or nil.
func Lookup(schema, name string) *Table { return registry[schema+"."+name] }

// All returns every virtual table (for pg_class and \dS), sorted by schema then name.
func All() []*Table {
	out := make([]*Table, 0, len(registry))
	for _, t := range registry {
		out = append(out, t)
	}
	sortTables(out)
	return out
}

func sortTables(ts []*Table) {
	for i := 1; i < len(ts); i++ {
		for j := i; j > 0 && (ts[j].Schema < ts[j-1].Schema || ts[j].Schema == ts[j-1].Schema && ts[j].Name < ts[j-1].Name); j-- {
			ts[j], ts[j-1] = ts[j-1], ts[j]
		}
	}
}
